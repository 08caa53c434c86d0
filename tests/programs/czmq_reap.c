/* A short-lived actor that returns on its own, then the program lives on for argv[1] ms so
 * the grave window can pass. Exit status 0. */
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
  zactor_t *actor = zactor_new(brief, NULL);
  zstr_send(actor, "BYE");
  zsock_wait(actor); /* CZMQ's final signal: the task has returned */
  zclock_sleep(linger_ms);
  zactor_destroy(&actor);
  puts("reaped");
  return 0;
}
