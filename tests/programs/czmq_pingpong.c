/* Ping-pong between the main thread and one zactor: argv[1] round trips of "PING" answered by
 * "PONG", then destroy. With argv[2], first chdir() there, as daemons do. Exit status 3 so
 * tests can see it pass through unchanged. */
#include "czmq_serve.h"

#include <czmq.h>
#include <stdlib.h>
#include <unistd.h>

static void pong_actor(zsock_t *pipe, void *args) { czmq_serve(pipe, "PONG"); }

int main(int argc, char **argv)
{
  int rounds = argc > 1 ? atoi(argv[1]) : 1000;
  if (argc > 2 && chdir(argv[2]) < 0)
    return 2;
  zactor_t *actor = zactor_new(pong_actor, NULL);
  int pongs = 0;
  for (int i = 0; i < rounds; i++) {
    zstr_send(actor, "PING");
    char *reply = zstr_recv(actor);
    pongs += reply && streq(reply, "PONG");
    zstr_free(&reply);
  }
  zactor_destroy(&actor);
  printf("pongs=%d\n", pongs);
  return 3;
}
