/* A CZMQ program to attach to from outside: an echo actor answers TOTAL pings sent a little
 * apart, a tally actor counts ticks; stdout says only how many pongs came back (the same
 * attached or not). It notices the attach itself (its GOT slot for zmq_msg_send changes) and
 * says on stderr how many pings it sent after that, for the test to compare counts with.
 *
 *   czmq_attach_target TOTAL [PAUSE_US [undumpable]]
 *
 * At the end it says on stderr whether its GOT slot holds libzmq's function again (after
 * actorscope detach), and with "undumpable" it makes itself not dumpable first. Each time the
 * slot changes it says so ("slot=tracer", "slot=libzmq"), and at the end of each span the slot
 * led to the tracer, how many pings it sent meanwhile ("span1=N", "span2=N", ...): attached,
 * detached and attached again, each file's counts are compared with its span. */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void echo_actor(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  zpoller_t *poller = zpoller_new(pipe, NULL);
  for (;;) {
    if (zpoller_wait(poller, 1000) != pipe) {
      if (zpoller_terminated(poller))
        break;
      continue;
    }
    char *cmd = zstr_recv(pipe);
    if (!cmd || streq(cmd, "$TERM")) {
      free(cmd);
      break;
    }
    zstr_send(pipe, "PONG");
    free(cmd);
  }
  zpoller_destroy(&poller);
}

static __attribute__((noinline)) void *msg_send_slot(void)
{
  void *volatile fn = (void *)&zmq_msg_send;
  return fn;
}

int main(int argc, char **argv)
{
  int total = argc > 1 ? atoi(argv[1]) : 1000;
  int pause_us = argc > 2 ? atoi(argv[2]) : 2000;
  if (argc > 3 && strcmp(argv[3], "undumpable") == 0)
    prctl(PR_SET_DUMPABLE, 0);
  zactor_t *echo = zactor_new(echo_actor, NULL);
  void *before = msg_send_slot();
  int pongs = 0, after = 0, spans = 0, span_pings = 0, was = 0;
  fprintf(stderr, "ready\n");
  for (int i = 0; i < total; i++) {
    int attached = msg_send_slot() != before;
    if (attached != was) {
      if (was)
        fprintf(stderr, "span%d=%d\n", spans, span_pings);
      else
        spans++, span_pings = 0;
      fprintf(stderr, "slot=%s\n", attached ? "tracer" : "libzmq");
      was = attached;
    }
    zstr_send(echo, "PING");
    char *pong = zstr_recv(echo);
    pongs += pong != NULL;
    free(pong);
    after += attached;
    span_pings += attached;
    zclock_sleep(pause_us / 1000 ? pause_us / 1000 : 1);
  }
  if (was)
    fprintf(stderr, "span%d=%d\n", spans, span_pings);
  zactor_destroy(&echo);
  printf("pongs=%d\n", pongs);
  fprintf(stderr, "after=%d\nslot_restored=%d\n", after, msg_send_slot() == before);
  return 0;
}
