/* A server that forks a worker now and then while it runs, as prefork daemons do: its main
 * thread pings an echo actor, and every tenth round forks a child that starts an actor of its
 * own, has one round trip and _exits. The parent waits for each child at most 5 s (then kills
 * it and counts it stuck), so that a hang shows as an exit status, never a hung test.
 *
 *   czmq_attach_forker SECONDS
 *
 * Says "ready" on stderr once its echo actor runs; at the end, on stdout, how many children it
 * forked and how many were stuck. Exit 0 when none was. The tracer's walks of the loaded objects
 * (its pause point "got_visit", the loader's lock held) last 5 ms more each: the forks fall
 * inside them. */
#include "czmq_serve.h"

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t main_pid;

__attribute__((visibility("default"))) void actorscope_test_pause(const char *where)
{
  if (getpid() == main_pid && streq(where, "got_visit"))
    usleep(5000);
}

static void echo(zsock_t *pipe, void *args) { czmq_serve(pipe, NULL); }

/* The child's status, or -1 when it had not ended within 5 s (it is killed then). */
static int child_status(pid_t child)
{
  int status;
  for (int waited = 0; waited < 5000; waited++) {
    if (waitpid(child, &status, WNOHANG) == child)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    usleep(1000);
  }
  kill(child, SIGKILL);
  waitpid(child, &status, 0);
  return -1;
}

int main(int argc, char **argv)
{
  main_pid = getpid();
  int64_t end = zclock_mono() + (argc > 1 ? atoi(argv[1]) : 4) * 1000;
  zactor_t *actor = zactor_new(echo, NULL);
  fprintf(stderr, "ready\n");
  long rounds = 0, forks = 0, stuck = 0, failed = 0;
  while (zclock_mono() < end) {
    zstr_send(actor, "PING");
    zstr_free(&(char *){zstr_recv(actor)});
    zclock_sleep(2);
    if (++rounds % 10)
      continue;
    pid_t child = fork();
    if (child == 0) {
      zactor_t *worker = zactor_new(echo, NULL);
      zstr_send(worker, "JOB");
      char *reply = zstr_recv(worker);
      int ok = reply && streq(reply, "JOB");
      zstr_free(&reply);
      zactor_destroy(&worker);
      _exit(ok ? 0 : 3);
    }
    int status = child_status(child);
    forks++;
    stuck += status < 0;
    failed += status > 0;
  }
  zactor_destroy(&actor);
  printf("forked %ld, stuck %ld, failed %ld\n", forks, stuck, failed);
  return stuck || failed ? 1 : 0;
}
