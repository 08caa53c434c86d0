/* A prefork server's shape: one CZMQ actor at work, then N times fork, the child ends at once
 * with _exit, the parent waits for it. Prints "US_PER_FORK FAULTS_PER_FORK": the loop's wall
 * time and the page faults of parent and children together, per fork (scripts/bench's "fork").
 *
 *   bench_czmq_fork [N] */
#include "czmq_serve.h" /* tests/programs: the echo loop the test programs share */

#include <czmq.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void echo_actor(zsock_t *pipe, void *args) { czmq_serve(pipe, NULL); }

static long faults(int who)
{
  struct rusage usage;
  getrusage(who, &usage);
  return usage.ru_minflt + usage.ru_majflt;
}

int main(int argc, char **argv)
{
  long n = argc > 1 ? atol(argv[1]) : 1000;
  zactor_t *actor = zactor_new(echo_actor, NULL);
  zstr_send(actor, "hello"); /* the actor has worked: a traced parent is writing snapshots */
  zstr_free(&(char *){zstr_recv(actor)});
  zclock_sleep(150);
  long faults_before = faults(RUSAGE_SELF) + faults(RUSAGE_CHILDREN);
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0)
      _exit(0);
    if (pid < 0 || waitpid(pid, NULL, 0) < 0)
      return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  long faults_after = faults(RUSAGE_SELF) + faults(RUSAGE_CHILDREN);
  double us =
      ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) / 1e3;
  printf("%.1f %.1f\n", us / (double)n, (double)(faults_after - faults_before) / (double)n);
  zactor_destroy(&actor);
  return 0;
}
