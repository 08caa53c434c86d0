/* A short-lived actor that returns on its own after argv[2] ms (default 0), then the program
 * lives on for argv[1] ms so the grave window can pass. With argv[3], another such actor is
 * spawned first, argv[3] ms before it (so the tracer's first line is behind it), and destroyed at
 * the end. Exit status 0. */
#include <czmq.h>
#include <stdlib.h>

static void brief(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  char *cmd = zstr_recv(pipe);
  zstr_free(&cmd);
}

int main(int argc, char **argv)
{
  int linger_ms = argc > 1 ? atoi(argv[1]) : 1500;
  int alive_ms = argc > 2 ? atoi(argv[2]) : 0;
  zactor_t *first = NULL;
  if (argc > 3) {
    first = zactor_new(brief, NULL);
    zclock_sleep(atoi(argv[3]));
  }
  zactor_t *actor = zactor_new(brief, NULL);
  zclock_sleep(alive_ms);
  zstr_send(actor, "BYE");
  zsock_wait(actor); /* CZMQ's final signal: the task has returned */
  zclock_sleep(linger_ms);
  zactor_destroy(&actor);
  zactor_destroy(&first); /* its $TERM ends it */
  puts("reaped");
  return 0;
}
