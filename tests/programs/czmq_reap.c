/* A short-lived actor that returns on its own after argv[2] ms (default 0), then the program
 * lives on for argv[1] ms so the grave window can pass. With argv[3], another such actor is
 * spawned first, argv[3] ms before it (so the tracer's first line is behind it), and destroyed at
 * the end. With "late" among the arguments, the program does not wait for CZMQ's final signal
 * as the actor returns but after the linger, then destroys it and lingers again; with "unread",
 * it never reads it (zactor_destroy finds the actor gone and closes the pipe with the signal in
 * it) and lingers again after the destroy. Exit status 0. */
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

static void brief(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  char *cmd = zstr_recv(pipe);
  zstr_free(&cmd);
}

int main(int argc, char **argv)
{
  const char *numbers[3] = {NULL, NULL, NULL};
  int count = 0, late = 0, unread = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "late") == 0)
      late = 1;
    else if (strcmp(argv[i], "unread") == 0)
      unread = 1;
    else if (count < 3)
      numbers[count++] = argv[i];
  }
  int linger_ms = numbers[0] ? atoi(numbers[0]) : 1500;
  int alive_ms = numbers[1] ? atoi(numbers[1]) : 0;
  zactor_t *first = NULL;
  if (numbers[2]) {
    first = zactor_new(brief, NULL);
    zclock_sleep(atoi(numbers[2]));
  }
  zactor_t *actor = zactor_new(brief, NULL);
  zclock_sleep(alive_ms);
  zstr_send(actor, "BYE");
  if (!late && !unread)
    zsock_wait(actor); /* CZMQ's final signal: the task has returned */
  zclock_sleep(linger_ms);
  if (late)
    zsock_wait(actor);
  zactor_destroy(&actor);
  if (late || unread)
    zclock_sleep(linger_ms);
  zactor_destroy(&first); /* its $TERM ends it */
  puts("reaped");
  return 0;
}
