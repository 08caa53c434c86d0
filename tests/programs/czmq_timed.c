/* A worker actor handles argv[1] "FAST" messages (no wait), argv[2] "SLOW" ones (each sleeps
 * 40 ms), then one "STUCK" that sleeps argv[3] ms in nanosleep called from
 * stuck_in_nanosleep: handler times the tests know. Prints "timed done", exits 0. */
#define _GNU_SOURCE
#include <czmq.h>
#include <stdlib.h>
#include <time.h>

static int stuck_ms;

__attribute__((noinline)) void stuck_in_nanosleep(int ms)
{
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
  __asm__ volatile("" ::: "memory"); /* keeps this frame: no tail call */
}

static void timed_worker(zsock_t *pipe, void *args)
{
  (void)args;
  zsock_signal(pipe, 0);
  for (;;) {
    char *cmd = zstr_recv(pipe);
    if (!cmd)
      break;
    int term = streq(cmd, "$TERM");
    if (streq(cmd, "SLOW"))
      stuck_in_nanosleep(100);
    else if (streq(cmd, "STUCK"))
      stuck_in_nanosleep(stuck_ms);
    if (!term)
      zsock_signal(pipe, 0);
    zstr_free(&cmd);
    if (term)
      break;
  }
}

int main(int argc, char **argv)
{
  int fast = argc > 1 ? atoi(argv[1]) : 10;
  int slow = argc > 2 ? atoi(argv[2]) : 3;
  stuck_ms = argc > 3 ? atoi(argv[3]) : 0;
  zactor_t *worker = zactor_new(timed_worker, NULL);
  for (int i = 0; i < fast + slow + (stuck_ms > 0); i++) {
    zstr_send(worker, i < fast ? "FAST" : i < fast + slow ? "SLOW" : "STUCK");
    zsock_wait(worker);
  }
  zactor_destroy(&worker);
  puts("timed done");
  return 0;
}
