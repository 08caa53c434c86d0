/* A burst of argv[1] (default 10) messages to an actor whose handler takes argv[2] ms (default
 * 10, zclock_sleep): the k-th message waits about k handlers in the pipe. The worker notes when
 * it began each one, main when it sent each one, and prints the waits (ns) it saw,
 * "waits_ns W0 W1 ...", how long the sends took, "span_ns S", then "burst done". The worker
 * returns after the burst (its $TERM is never read). Exit status 0. */
#include <czmq.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BURST_MAX 64

static int burst = 10, handler_ms = 10;
static int64_t sent_at[BURST_MAX], began_at[BURST_MAX];

static int64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void burst_worker(zsock_t *pipe, void *args)
{
  (void)args;
  zsock_signal(pipe, 0);
  for (int i = 0; i < burst; i++) {
    char *cmd = zstr_recv(pipe);
    began_at[i] = now_ns();
    if (!cmd)
      return;
    zstr_free(&cmd);
    zclock_sleep(handler_ms);
  }
  zstr_send(pipe, "DONE");
}

int main(int argc, char **argv)
{
  if (argc > 1)
    burst = atoi(argv[1]);
  if (argc > 2)
    handler_ms = atoi(argv[2]);
  if (burst < 1 || burst > BURST_MAX)
    return 2;
  zactor_t *worker = zactor_new(burst_worker, NULL);
  for (int i = 0; i < burst; i++) {
    sent_at[i] = now_ns();
    zstr_send(worker, "WORK");
  }
  char *done = zstr_recv(worker);
  zstr_free(&done);
  zactor_destroy(&worker);
  printf("waits_ns");
  for (int i = 0; i < burst; i++)
    printf(" %lld", (long long)(began_at[i] - sent_at[i]));
  printf("\nspan_ns %lld\nburst done\n", (long long)(sent_at[burst - 1] - sent_at[0]));
  return 0;
}
