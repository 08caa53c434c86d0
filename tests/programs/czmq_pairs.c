/* Who talks to whom: main starts `pinger`, which starts `ponger` and plays argv[1] rounds of
 * "PING"/"PONG" with it when main says "GO", then says "DONE" to main. Every message is known:
 *   main -> pinger    GO, $TERM                                          2
 *   pinger -> main    start-up signal, DONE, final signal                3
 *   pinger -> ponger  N PINGs, $TERM                                     N + 1
 *   ponger -> pinger  start-up signal, N PONGs, final signal             N + 2 */
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

static void pinger(zsock_t *pipe, void *args)
{
  int rounds = *(int *)args;
  zsock_signal(pipe, 0);
  zactor_t *pong = zactor_new(ponger, NULL);
  char *go = zstr_recv(pipe);
  zstr_free(&go);
  for (int i = 0; i < rounds; i++) {
    zstr_send(pong, "PING");
    char *reply = zstr_recv(pong);
    zstr_free(&reply);
  }
  zactor_destroy(&pong);
  zstr_send(pipe, "DONE");
  char *term = zstr_recv(pipe);
  zstr_free(&term);
}

int main(int argc, char **argv)
{
  int rounds = argc > 1 ? atoi(argv[1]) : 1000;
  zactor_t *ping = zactor_new(pinger, &rounds);
  zstr_send(ping, "GO");
  char *done = zstr_recv(ping);
  printf("%s %d\n", done ? done : "?", rounds);
  zstr_free(&done);
  zactor_destroy(&ping);
  return 0;
}
