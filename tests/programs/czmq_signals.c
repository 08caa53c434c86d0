/* Runs one actor, prints "ready PID", then waits for a signal. With handlers (the default)
 * it counts each of SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, waits a moment for a
 * duplicate, prints "got SIGNAME xCOUNT" and exits 40 + the signal number. With argv[1] =
 * "default" the signals keep their default action (CZMQ's own SIGINT/SIGTERM handler is
 * removed too), so the first one kills it; with "own-group" it first moves to a process
 * group of its own, out of reach of the terminal's signals. Gives up after 20 s ("no signal", exit 99). */
#define _GNU_SOURCE
#include "czmq_serve.h"

#include <czmq.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const int watched[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define WATCHED_COUNT (sizeof watched / sizeof watched[0])
static volatile sig_atomic_t received[65];
static volatile sig_atomic_t first;

static void on_signal(int sig)
{
  received[sig]++;
  if (!first)
    first = sig;
}

static void signal_worker(zsock_t *pipe, void *args) { czmq_serve(pipe, "OK"); }

int main(int argc, char **argv)
{
  int keep_default = argc > 1 && strcmp(argv[1], "default") == 0;
  if (argc > 1 && strcmp(argv[1], "own-group") == 0 && setpgid(0, 0) < 0)
    return 2;
  zactor_t *actor = zactor_new(signal_worker, NULL);
  zstr_send(actor, "WORK");
  char *reply = zstr_recv(actor);
  zstr_free(&reply);
  /* After CZMQ's start-up, which installs its own SIGINT/SIGTERM handler. */
  for (size_t i = 0; i < WATCHED_COUNT; i++) {
    struct sigaction sa = {.sa_handler = keep_default ? SIG_DFL : on_signal};
    sigaction(watched[i], &sa, NULL);
  }
  printf("ready %ld\n", (long)getpid());
  fflush(stdout);
  for (int tick = 0; tick < 2000 && !first; tick++)
    usleep(10000);
  if (!first) {
    printf("no signal\n");
    zactor_destroy(&actor);
    return 99;
  }
  /* A forwarded duplicate would arrive within this time. */
  usleep(300000);
  printf("got %s x%d\n", sigabbrev_np(first), (int)received[first]);
  zactor_destroy(&actor);
  return 40 + first;
}
