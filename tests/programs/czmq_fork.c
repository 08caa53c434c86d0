/* The parent runs an actor, forks, and the child runs an actor of its own and exits 4.
 * With "early", the parent forks first and runs no actor at all (a daemon forking at
 * start-up). Traced, two modes fork while a thread of the parent holds a lock of the tracer
 * (through its test pause point, held 500 ms): a lock the child inherits, without the thread.
 *   locked     the collector holds its symbol reader's lock ("elfsym_locked"), naming the
 *              parent's actor in its first line
 *   interning  a second thread of the host, spawning an actor, holds the intern table's lock
 *              ("intern_locked"); the parent's main thread has stopped no actor yet, so the
 *              child's interns its stop reason. Untraced, the parent forks once that thread's
 *              zactor_new has returned: forking while it is inside libczmq or libzmq (their
 *              own locks held) could hang any program's child, traced or not. Traced, the
 *              tracer's hook holds it before it calls the real zactor_new.
 * With "quick", the child ends with _exit(4) while its actor still runs (a forked worker
 * process ending without exit's handlers). With "quick-stalled", the same, but the child's
 * collector is held 1.5 s as it starts, before it creates the child's file (a disk stalled):
 * _exit waits a second for the last line, then the process ends without it.
 * With "releasing", the parent forks while its collector holds at "unheld_released": it has
 * let go of the parent's stopped actor's record, and not yet forgotten it. The child's actor
 * (whose record is that very block, the first its pool hands out) runs 150 ms, several of the
 * child's lines, before it stops.
 * With "thread", a thread named "forker" runs the parent's actor and forks: the child's only
 * thread, its main thread, is the one that sent the parent's messages.
 * Exit status: the child's status plus 10 (14). */
#define _GNU_SOURCE
#include "czmq_serve.h"

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *hold_at; /* the pause point held, NULL: none */
static useconds_t hold_us = 500000;
static pthread_t main_thread;
static atomic_int held;

__attribute__((visibility("default"))) void actorscope_test_pause(const char *where)
{
  if (hold_at && strcmp(where, hold_at) == 0 && !pthread_equal(pthread_self(), main_thread) &&
      !atomic_exchange(&held, 1))
    usleep(hold_us);
}

static void echo(zsock_t *pipe, void *args) { czmq_serve(pipe, NULL); }

static zactor_t *side_actor;
static atomic_int side_spawned;

static void *side_spawn(void *arg)
{
  side_actor = zactor_new(echo, NULL);
  atomic_store(&side_spawned, 1);
  return arg;
}

static void round_trip(const char *word)
{
  zactor_t *actor = zactor_new(echo, NULL);
  zstr_send(actor, word);
  char *reply = zstr_recv(actor);
  printf("%s\n", reply ? reply : "(none)");
  zstr_free(&reply);
  zactor_destroy(&actor);
}

/* In the child (PID 0): one round trip, then exit 4. In the parent: waits for the child, says
 * its pid, returns its exit status. */
static int fork_round_trip(pid_t pid)
{
  if (pid == 0) {
    round_trip("CHILD");
    exit(4);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  printf("child pid %d\n", (int)pid);
  return WEXITSTATUS(status);
}

static void *forker(void *arg)
{
  pthread_setname_np(pthread_self(), "forker");
  round_trip("PARENT");
  fflush(stdout);
  *(int *)arg = fork_round_trip(fork()) + 10;
  return NULL;
}

int main(int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "";
  const char *preload = getenv("LD_PRELOAD");
  int traced = preload && strstr(preload, "actorscope");
  main_thread = pthread_self();
  if (traced && strcmp(mode, "locked") == 0)
    hold_at = "elfsym_locked";
  else if (traced && strcmp(mode, "interning") == 0)
    hold_at = "intern_locked";
  else if (traced && strcmp(mode, "releasing") == 0)
    hold_at = "unheld_released";
  pthread_t side;
  if (strcmp(mode, "thread") == 0) {
    int status = 0;
    pthread_create(&side, NULL, forker, &status);
    pthread_join(side, NULL);
    return status;
  }
  int interning = strcmp(mode, "interning") == 0;
  if (interning)
    pthread_create(&side, NULL, side_spawn, NULL);
  else if (strcmp(mode, "early") != 0)
    round_trip("PARENT");
  for (int waited = 0; hold_at && !atomic_load(&held) && waited < 5000; waited++)
    usleep(1000);
  while (interning && !hold_at && !atomic_load(&side_spawned))
    usleep(1000);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0 && strcmp(mode, "quick-stalled") == 0) {
    hold_at = "collector_started";
    hold_us = 1500000;
    main_thread = pthread_self();
  }
  if (pid == 0 && strncmp(mode, "quick", 5) == 0) {
    zactor_t *actor = zactor_new(echo, NULL);
    zstr_send(actor, "CHILD");
    zstr_free(&(char *){zstr_recv(actor)});
    _exit(4);
  }
  if (pid == 0 && strcmp(mode, "releasing") == 0) {
    zactor_t *actor = zactor_new(echo, NULL);
    zstr_send(actor, "CHILD");
    char *reply = zstr_recv(actor);
    printf("%s\n", reply ? reply : "(none)");
    zstr_free(&reply);
    zclock_sleep(150);
    zactor_destroy(&actor);
    exit(4);
  }
  int status = fork_round_trip(pid);
  if (interning) {
    pthread_join(side, NULL);
    zactor_destroy(&side_actor);
  }
  return status + 10;
}
