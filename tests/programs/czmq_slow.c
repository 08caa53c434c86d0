/* A client actor asks a worker to do slow work (argv[1] ms) and waits for its signal with
 * zsock_wait: mid-run snapshots show the worker inside "SLOW" and the client waiting on it.
 * Exit status 0. */
#include <czmq.h>
#include <stdlib.h>

static int slow_ms = 1200;

static void slow_worker(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  for (;;) {
    char *cmd = zstr_recv(pipe);
    if (!cmd)
      break;
    int term = streq(cmd, "$TERM");
    if (streq(cmd, "SLOW")) {
      zclock_sleep(slow_ms);
      zsock_signal(pipe, 0);
    }
    zstr_free(&cmd);
    if (term)
      break;
  }
}

static void client(zsock_t *pipe, void *args)
{
  zactor_t *worker = zactor_new(slow_worker, NULL);
  zsock_signal(pipe, 0);
  zstr_send(worker, "SLOW");
  zsock_wait(worker);
  zactor_destroy(&worker);
  char *cmd = zstr_recv(pipe);
  zstr_free(&cmd);
}

int main(int argc, char **argv)
{
  if (argc > 1)
    slow_ms = atoi(argv[1]);
  zactor_t *c = zactor_new(client, NULL);
  zclock_sleep(slow_ms + 300);
  zactor_destroy(&c);
  puts("slow done");
  return 0;
}
