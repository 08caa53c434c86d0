/* Who talks to whom: main starts `pinger`, which starts `ponger` and plays argv[1] rounds of
 * "PING"/"PONG" with it when main says "GO", then says "DONE" to main. Every message is known:
 *   main -> pinger    GO, $TERM                                          2
 *   pinger -> main    start-up signal, DONE, final signal                3
 *   pinger -> ponger  N PINGs, $TERM                                     N + 1
 *   ponger -> pinger  start-up signal, N PONGs, final signal             N + 2
 * With argv[2], pinger waits that many ms after ponger's end before its DONE (so that lines
 * can reap ponger while pinger lives on); with argv[3], that many ms before it starts ponger
 * (past the tracer's first line, so that ponger can live and die between two lines). */
#include <czmq.h>
#include <stdlib.h>

static void ponger(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  for (;;) {
    char *msg = zstr_recv(pipe);
    if (!msg)
      break;
    int term = streq(msg, "$TERM");
    if (!term)
      zstr_send(pipe, "PONG");
    zstr_free(&msg);
    if (term)
      break;
  }
}

struct pinger_args {
  int rounds, linger_ms, delay_ms;
};

static void pinger(zsock_t *pipe, void *args)
{
  int rounds = ((struct pinger_args *)args)->rounds;
  zsock_signal(pipe, 0);
  zclock_sleep(((struct pinger_args *)args)->delay_ms);
  zactor_t *pong = zactor_new(ponger, NULL);
  char *go = zstr_recv(pipe);
  zstr_free(&go);
  for (int i = 0; i < rounds; i++) {
    zstr_send(pong, "PING");
    char *reply = zstr_recv(pong);
    zstr_free(&reply);
  }
  zactor_destroy(&pong);
  zclock_sleep(((struct pinger_args *)args)->linger_ms);
  zstr_send(pipe, "DONE");
  char *term = zstr_recv(pipe);
  zstr_free(&term);
}

int main(int argc, char **argv)
{
  struct pinger_args args = {argc > 1 ? atoi(argv[1]) : 1000, argc > 2 ? atoi(argv[2]) : 0,
                             argc > 3 ? atoi(argv[3]) : 0};
  int rounds = args.rounds;
  zactor_t *ping = zactor_new(pinger, &args);
  zstr_send(ping, "GO");
  char *done = zstr_recv(ping);
  printf("%s %d\n", done ? done : "?", rounds);
  zstr_free(&done);
  zactor_destroy(&ping);
  return 0;
}
