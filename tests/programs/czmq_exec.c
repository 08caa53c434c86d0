/* One actor answers 10 "PING"s, the program idles argv[1] ms (periodic snapshots get
 * written), then exec()s argv[2...] in the same process: a second traced image with the
 * same pid. */
#include "czmq_serve.h"

#include <czmq.h>
#include <stdlib.h>
#include <unistd.h>

static void exec_pong(zsock_t *pipe, void *args) { czmq_serve(pipe, "PONG"); }

int main(int argc, char **argv)
{
  if (argc < 3)
    return 2;
  zactor_t *actor = zactor_new(exec_pong, NULL);
  for (int i = 0; i < 10; i++) {
    zstr_send(actor, "PING");
    char *r = zstr_recv(actor);
    zstr_free(&r);
  }
  zclock_sleep(atoi(argv[1]));
  zactor_destroy(&actor);
  execv(argv[2], argv + 2);
  return 127;
}
