/* A tree of actors: main spawns a supervisor, which spawns three workers and ends each one a
 * different way: one returns on its own ("QUIT"), one is sent "$TERM" but not destroyed, one
 * is destroyed. Exit status 5. */
#include <czmq.h>

static void worker(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  for (;;) {
    char *cmd = zstr_recv(pipe);
    if (!cmd)
      break;
    int stop = streq(cmd, "$TERM") || streq(cmd, "QUIT");
    if (streq(cmd, "WORK"))
      zstr_send(pipe, "DONE");
    zstr_free(&cmd);
    if (stop)
      break;
  }
}

static void supervisor(zsock_t *pipe, void *args)
{
  zactor_t *workers[3];
  for (int i = 0; i < 3; i++)
    workers[i] = zactor_new(worker, NULL);
  zsock_signal(pipe, 0);
  for (int i = 0; i < 3; i++) {
    zstr_send(workers[i], "WORK");
    char *done = zstr_recv(workers[i]);
    zstr_free(&done);
  }
  zstr_send(workers[0], "QUIT");
  zstr_send(workers[1], "$TERM");
  zsock_wait(workers[0]); /* the final signal CZMQ sends when a task returns */
  zsock_wait(workers[1]);
  zactor_destroy(&workers[2]);
  /* Wait for "$TERM" from main, then clean up the two already-finished workers. */
  char *cmd = zstr_recv(pipe);
  zstr_free(&cmd);
  zactor_destroy(&workers[0]);
  zactor_destroy(&workers[1]);
}

int main(void)
{
  zactor_t *sup = zactor_new(supervisor, NULL);
  zclock_sleep(200);
  zactor_destroy(&sup);
  puts("tree done");
  return 5;
}
