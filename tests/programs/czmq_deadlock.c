/* Two actors that each wait for the other: "left" asks "right" and blocks for the answer;
 * "right", handling that request, asks "left" and blocks too. Receive timeouts (argv[1] ms)
 * end the deadlock so the program exits. Exit status 0. */
#include <czmq.h>
#include <stdlib.h>

static int timeout_ms = 1500;

static void peer_actor(zsock_t *pipe, void *args)
{
  zactor_t *peer = NULL;
  zsock_signal(pipe, 0);
  for (;;) {
    char *cmd = NULL;
    void *ptr = NULL;
    if (zsock_recv(pipe, "sp", &cmd, &ptr) < 0)
      break;
    int term = streq(cmd, "$TERM");
    if (streq(cmd, "PEER")) {
      peer = ptr;
      zsock_set_rcvtimeo(peer, timeout_ms);
    } else if (streq(cmd, "GO") || streq(cmd, "ASK")) {
      zsock_send(peer, "sp", streq(cmd, "GO") ? "ASK" : "ASK_BACK", NULL);
      char *answer = zstr_recv(peer); /* never answered: the peer is blocked on us */
      zstr_free(&answer);
    }
    zstr_free(&cmd);
    if (term)
      break;
  }
}

int main(int argc, char **argv)
{
  if (argc > 1)
    timeout_ms = atoi(argv[1]);
  zactor_t *left = zactor_new(peer_actor, NULL);
  zactor_t *right = zactor_new(peer_actor, NULL);
  zsock_send(left, "sp", "PEER", right);
  zsock_send(right, "sp", "PEER", left);
  zsock_send(left, "sp", "GO", NULL);
  zclock_sleep(timeout_ms * 2 + 300);
  zactor_destroy(&left);
  zactor_destroy(&right);
  puts("deadlock resolved by timeouts");
  return 0;
}
