/* One actor answers 10 "PING"s, then the program idles for argv[1] ms so that a sink test can
 * attach a client while it runs. Exit status 0. */
#include "czmq_serve.h"

#include <czmq.h>
#include <stdlib.h>

static void pong(zsock_t *pipe, void *args) { czmq_serve(pipe, "PONG"); }

int main(int argc, char **argv)
{
  int run_ms = argc > 1 ? atoi(argv[1]) : 1500;
  zactor_t *actor = zactor_new(pong, NULL);
  int pings = 0;
  for (; pings < 10; pings++) {
    zstr_send(actor, "PING");
    char *r = zstr_recv(actor);
    zstr_free(&r);
  }
  zclock_sleep(run_ms);
  zactor_destroy(&actor);
  printf("pings=%d\n", pings);
  return 0;
}
