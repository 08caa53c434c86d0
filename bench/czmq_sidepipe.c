/* An actor reading a side pipe (zsys_create_pipe outside zactor_new) that main fills: the path
 * of a CZMQ actor's other sockets, where every send also keeps the pipe's high-water mark.
 * Usage: bench_czmq_sidepipe [MESSAGES]. */
#include <czmq.h>

static long messages;

static void reader(zsock_t *pipe, void *args)
{
  zsock_t *side = args;
  zsock_signal(pipe, 0);
  for (long i = 0; i < messages; i++) {
    char *data = zstr_recv(side);
    zstr_free(&data);
  }
  zsock_signal(pipe, 0);
  char *cmd = zstr_recv(pipe);
  zstr_free(&cmd);
}

int main(int argc, char **argv)
{
  messages = argc > 1 ? atol(argv[1]) : 200000;
  zsock_t *back = NULL, *front = zsys_create_pipe(&back);
  zsock_set_sndhwm(front, 0);
  zsock_set_rcvhwm(back, 0);
  zactor_t *actor = zactor_new(reader, back);
  for (long i = 0; i < messages; i++)
    zstr_send(front, "DATA");
  zsock_wait(actor);
  zactor_destroy(&actor);
  /* The actor's thread closes its pipe just after the signal zactor_destroy waits for; on one
   * CPU it often has not run yet when main returns, and CZMQ's exit handler then sleeps 200 ms
   * (zsys_shutdown: sockets still open). The tracer's zactor_destroy gives that thread its last
   * instructions, so without this pause the untraced runs took 200 ms more than the traced
   * ones and the row measured CZMQ's exit race (0.40x), not the side pipe. */
  zclock_sleep(1);
  zsock_destroy(&front);
  zsock_destroy(&back);
  return 0;
}
