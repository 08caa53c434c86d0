/* The fixed cost of tracing a process: runs PROGRAM [ARGS] RUNS times in each of four ways,
 * alternating — untraced, with LIBRARY preloaded (ACTORSCOPE_OUTPUT in DIR), preloaded under a
 * minimal wrapper that only forks, execs and waits (this binary again, with --wrap: what any
 * `run`-like tool costs on this machine at the least), and under `TOOL run` (output in DIR) —
 * and prints per way "NAME MIN_MS MEDIAN_MS MIN_CPU_MS" on stdout: wall time, and CPU time
 * (user + system) of the whole process tree. The minimum is what the machine can do (other load
 * only ever adds), for scripts/bench's "process start".
 *
 *   bench_start RUNS LIBRARY TOOL DIR PROGRAM [ARGS...]
 *   bench_start --wrap LIBRARY PROGRAM [ARGS...]   (the wrapper way itself) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WAY_PLAIN, WAY_PRELOAD, WAY_WRAP, WAY_RUN, WAYS };
static const char *const way_names[WAYS] = {"untraced", "preloaded", "wrapper-floor",
                                            "actorscope-run"};
static const char *start_self;

/* The least a tool between the user and the program does: fork, exec with the library
 * preloaded, wait, and end as the program did. */
static int start_wrap(const char *library, char **program)
{
  pid_t pid = fork();
  if (pid == 0) {
    setenv("LD_PRELOAD", library, 1);
    execv(program[0], program);
    _exit(127);
  }
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) < 0)
    return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static double start_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double start_one(int way, char **program, const char *library, const char *tool,
                        const char *dir, double *cpu_ms)
{
  char output[4096];
  snprintf(output, sizeof output, "file:%s/start.%%p.jsonl", dir);
  double begin = start_now_ms();
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    unsetenv("LD_PRELOAD");
    setenv("ACTORSCOPE_OUTPUT", output, 1);
    if (way == WAY_PRELOAD)
      setenv("LD_PRELOAD", library, 1);
    if (way == WAY_RUN || way == WAY_WRAP) {
      size_t n = 0;
      while (program[n])
        n++;
      char **argv = calloc(n + 4, sizeof *argv);
      if (way == WAY_RUN)
        argv[0] = (char *)tool, argv[1] = "run", argv[2] = "--";
      else
        argv[0] = (char *)start_self, argv[1] = "--wrap", argv[2] = (char *)library;
      memcpy(argv + 3, program, n * sizeof *argv);
      execv(argv[0], argv);
    } else {
      execv(program[0], program);
    }
    _exit(127);
  }
  int status;
  struct rusage usage;
  wait4(pid, &status, 0, &usage);
  double took = start_now_ms() - begin;
  *cpu_ms = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
            (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  /* wait4's usage is the child's own and that of every child it waited for: under `run`, the
   * program's too. */
  return WIFEXITED(status) && WEXITSTATUS(status) != 127 ? took : -1;
}

static int start_cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  if (argc >= 4 && strcmp(argv[1], "--wrap") == 0)
    return start_wrap(argv[2], argv + 3);
  static char self[4096];
  ssize_t self_len = readlink("/proc/self/exe", self, sizeof self - 1);
  start_self = self_len > 0 ? (self[self_len] = '\0', self) : argv[0];
  if (argc < 6) {
    fprintf(stderr, "usage: bench_start RUNS LIBRARY TOOL DIR PROGRAM [ARGS...]\n");
    return 2;
  }
  int runs = atoi(argv[1]);
  if (runs < 1)
    runs = 1;
  double *took = calloc((size_t)runs * WAYS, sizeof *took);
  double cpu_min[WAYS];
  for (int way = 0; way < WAYS; way++)
    cpu_min[way] = 1e18;
  for (int r = 0; r < runs; r++)
    for (int way = 0; way < WAYS; way++) {
      double cpu;
      took[way * runs + r] = start_one(way, argv + 5, argv[2], argv[3], argv[4], &cpu);
      if (cpu < cpu_min[way])
        cpu_min[way] = cpu;
      if (took[way * runs + r] < 0) {
        fprintf(stderr, "bench_start: %s failed\n", way_names[way]);
        return 1;
      }
    }
  for (int way = 0; way < WAYS; way++) {
    qsort(took + way * runs, (size_t)runs, sizeof *took, start_cmp);
    printf("%s %.3f %.3f %.3f\n", way_names[way], took[way * runs], took[way * runs + runs / 2],
           cpu_min[way]);
  }
  free(took);
  return 0;
}
