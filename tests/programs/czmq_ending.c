/* Runs two actors through a few round trips, then ends as argv[1] says:
 *   term | int | hup   the process sends itself that signal (default disposition)
 *   segv | abort       it crashes
 *   own                it installs its own SIGTERM handler first (after asking what is
 *                      installed), then sends itself SIGTERM: the handler prints and exits 7
 *   exec PROGRAM ARG…  it execs PROGRAM (same pid)
 *   kill9              it sleeps until killed (the test kills it with SIGKILL)
 *   paced              the same, its round trips spread over 300 ms
 * The actors are still running when the process ends, and the untraced run behaves the same. */
#include "czmq_serve.h"

#include <czmq.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void ending_worker(zsock_t *pipe, void *args)
{
  czmq_serve(pipe, "DONE");
}

static void ending_on_term(int sig)
{
  (void)sig;
  static const char text[] = "handled\n";
  (void)!write(1, text, sizeof text - 1);
  _exit(7);
}

int main(int argc, char **argv)
{
  if (argc < 2)
    return 2;
  /* No core files in the test's directory; the terminating signal is what is compared. */
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  /* CZMQ would otherwise catch SIGINT and SIGTERM itself. */
  zsys_handler_set(NULL);
  zactor_t *a = zactor_new(ending_worker, NULL), *b = zactor_new(ending_worker, NULL);
  /* "paced": the round trips spread over 300 ms, so that snapshots see them one by one. */
  int paced = strcmp(argv[1], "paced") == 0;
  for (int i = 0; i < 5; i++) {
    zstr_send(a, "WORK");
    zstr_free(&(char *){zstr_recv(a)});
    if (paced)
      zclock_sleep(30);
    zstr_send(b, "WORK");
    zstr_free(&(char *){zstr_recv(b)});
    if (paced)
      zclock_sleep(30);
  }
  printf("worked\n");
  fflush(stdout);
  const char *how = argv[1];
  if (strcmp(how, "term") == 0)
    kill(getpid(), SIGTERM);
  else if (strcmp(how, "int") == 0)
    kill(getpid(), SIGINT);
  else if (strcmp(how, "hup") == 0)
    kill(getpid(), SIGHUP);
  else if (strcmp(how, "segv") == 0)
    *(volatile int *)(uintptr_t)argc = 1; /* argc is a small number: an unmapped address */
  else if (strcmp(how, "abort") == 0)
    abort();
  else if (strcmp(how, "own") == 0) {
    struct sigaction old, act = {.sa_handler = ending_on_term};
    sigaction(SIGTERM, NULL, &old);
    printf("before=%s\n", old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO) ? "default" : "other");
    fflush(stdout);
    sigaction(SIGTERM, &act, NULL);
    kill(getpid(), SIGTERM);
  } else if (strcmp(how, "exec") == 0 && argc > 2) {
    execv(argv[2], argv + 2);
    return 5;
  } else if (strcmp(how, "kill9") == 0 || paced) {
    for (;;)
      pause();
  }
  sleep(10);
  return 4;
}
