/* A worker actor handles argv[1] "FAST" messages (no wait), argv[2] "SLOW" ones (each sleeps
 * 100 ms), then one "STUCK" that sleeps argv[3] ms in nanosleep called from
 * stuck_in_nanosleep: handler times the tests know. Prints "timed done", exits 0.
 * argv[4], how the program treats SIGRTMAX-3 (the tracer's stuck-stack signal):
 *   own     installs a handler for it first (and prints how often it ran at the end)
 *   block   the worker blocks it while stuck
 *   late    two STUCK handlers; a handler is installed between them
 *   foreign after the STUCK handler, queues the signal to itself with a value of its own: it
 *           dies of it (the default action)
 * own and late print what sigaction said was there before ("before=default"). */
#define _GNU_SOURCE
#include <czmq.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

static int stuck_ms;
static const char *mode = "";
static volatile sig_atomic_t host_handler_runs;

static void host_handler(int sig)
{
  (void)sig;
  host_handler_runs++;
}

static void own_signal(void)
{
  struct sigaction act, before;
  memset(&act, 0, sizeof act);
  act.sa_handler = host_handler;
  sigemptyset(&act.sa_mask);
  sigaction(SIGRTMAX - 3, &act, &before);
  printf("before=%s\n",
         before.sa_handler == SIG_DFL && !(before.sa_flags & SA_SIGINFO) ? "default" : "other");
}

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
    else if (streq(cmd, "STUCK")) {
      sigset_t set, old;
      sigemptyset(&set);
      sigaddset(&set, SIGRTMAX - 3);
      if (streq(mode, "block"))
        pthread_sigmask(SIG_BLOCK, &set, &old);
      stuck_in_nanosleep(stuck_ms);
      if (streq(mode, "block"))
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
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
  mode = argc > 4 ? argv[4] : "";
  setvbuf(stdout, NULL, _IONBF, 0);
  if (streq(mode, "own"))
    own_signal();
  zactor_t *worker = zactor_new(timed_worker, NULL);
  for (int i = 0; i < fast + slow; i++) {
    zstr_send(worker, i < fast ? "FAST" : "SLOW");
    zsock_wait(worker);
  }
  for (int i = 0; stuck_ms > 0 && i < (streq(mode, "late") ? 2 : 1); i++) {
    if (i == 1)
      own_signal();
    zstr_send(worker, "STUCK");
    zsock_wait(worker);
  }
  if (streq(mode, "foreign"))
    sigqueue(getpid(), SIGRTMAX - 3, (union sigval){.sival_int = 42});
  zactor_destroy(&worker);
  if (streq(mode, "own") || streq(mode, "late"))
    printf("host handler ran %d times\n", (int)host_handler_runs);
  puts("timed done");
  return 0;
}
