/* Two actors driven by event loops: one by zloop, one by zpoller. Each gets N "TICK"s and
 * answers every one. Exit status 0. */
#include <czmq.h>
#include <stdlib.h>

static int loop_on_pipe(zloop_t *loop, zsock_t *pipe, void *arg)
{
  char *cmd = zstr_recv(pipe);
  int rc = !cmd || streq(cmd, "$TERM") ? -1 : 0;
  if (rc == 0)
    zstr_send(pipe, "TOCK");
  zstr_free(&cmd);
  return rc;
}

static void loop_actor(zsock_t *pipe, void *args)
{
  zloop_t *loop = zloop_new();
  zloop_reader(loop, pipe, loop_on_pipe, NULL);
  zsock_signal(pipe, 0);
  zloop_start(loop);
  zloop_destroy(&loop);
}

static void poller_actor(zsock_t *pipe, void *args)
{
  zpoller_t *poller = zpoller_new(pipe, NULL);
  zsock_signal(pipe, 0);
  for (;;) {
    void *which = zpoller_wait(poller, 1000);
    if (which != pipe) {
      if (zpoller_terminated(poller))
        break;
      continue;
    }
    char *cmd = zstr_recv(pipe);
    int stop = !cmd || streq(cmd, "$TERM");
    if (!stop)
      zstr_send(pipe, "TOCK");
    zstr_free(&cmd);
    if (stop)
      break;
  }
  zpoller_destroy(&poller);
}

int main(int argc, char **argv)
{
  int ticks = argc > 1 ? atoi(argv[1]) : 50;
  zactor_t *looped = zactor_new(loop_actor, NULL);
  zactor_t *polled = zactor_new(poller_actor, NULL);
  int tocks = 0;
  for (int i = 0; i < ticks; i++) {
    zstr_send(looped, "TICK");
    zstr_send(polled, "TICK");
    char *a = zstr_recv(looped), *b = zstr_recv(polled);
    tocks += (a != NULL) + (b != NULL);
    zstr_free(&a);
    zstr_free(&b);
  }
  zactor_destroy(&looped);
  zactor_destroy(&polled);
  printf("tocks=%d\n", tocks);
  return 0;
}
