/* actorscope run: like `heaptrack prog`, runs a program with libactorscope.so preloaded and
 * passes its standard streams and exit status through unchanged. The environment is the one
 * contract with the library. */
#define _GNU_SOURCE
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char run_usage[] =
    "usage: actorscope run [-o PATH|unix:PATH|tcp:[HOST:]PORT] [-i MS] [--] PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM with the tracer preloaded and prints where the snapshots went.\n"
    "  -o, --output DEST     file PATH (%p = pid), unix:PATH or tcp:[HOST:]PORT\n"
    "                        (default: actorscope.%p.jsonl in the current directory)\n"
    "  -i, --interval MS     milliseconds between snapshots (default 500)\n"
    "  -h, --help            this text\n"
    "The program's exit status is passed through; 127 when it cannot be started.\n";

/* The library next to this tool (build tree), else where it is installed. */
static int run_find_library(char *out, size_t len)
{
  char self[PATH_MAX - 64];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = '\0';
      snprintf(out, len, "%s/libactorscope.so", self);
      if (access(out, R_OK) == 0)
        return 0;
      snprintf(out, len, "%s/../lib/actorscope/libactorscope.so", self);
      if (access(out, R_OK) == 0)
        return 0;
    }
  }
  snprintf(out, len, "%s", ACTORSCOPE_INSTALLED_LIBRARY);
  return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

static int run_set_output(const char *dest)
{
  char value[PATH_MAX + 8];
  if (strncmp(dest, "unix:", 5) == 0 || strncmp(dest, "tcp:", 4) == 0 ||
      strncmp(dest, "file:", 5) == 0)
    snprintf(value, sizeof value, "%s", dest);
  else
    snprintf(value, sizeof value, "file:%s", dest);
  return setenv("ACTORSCOPE_OUTPUT", value, 1);
}

static void run_prepend_preload(const char *library)
{
  const char *old = getenv("LD_PRELOAD");
  char *value = NULL;
  if (old && *old && asprintf(&value, "%s:%s", library, old) > 0) {
    setenv("LD_PRELOAD", value, 1);
    free(value);
  } else {
    setenv("LD_PRELOAD", library, 1);
  }
}

/* Where a file template put this pid's snapshots, or "" for sockets. */
static void run_describe_output(pid_t pid, char *out, size_t len)
{
  const char *dest = getenv("ACTORSCOPE_OUTPUT");
  const char *tmpl = dest && strncmp(dest, "file:", 5) == 0 ? dest + 5 : dest;
  if (!tmpl)
    tmpl = "actorscope.%p.jsonl";
  if (strncmp(tmpl, "unix:", 5) == 0 || strncmp(tmpl, "tcp:", 4) == 0) {
    snprintf(out, len, "%s", tmpl);
    return;
  }
  char cwd[PATH_MAX] = "";
  size_t used = 0;
  if (tmpl[0] != '/' && getcwd(cwd, sizeof cwd))
    used = (size_t)snprintf(out, len, "%s/", cwd);
  for (const char *p = tmpl; *p && used + 24 < len; p++) {
    if (p[0] == '%' && p[1] == 'p') {
      used += (size_t)snprintf(out + used, len - used, "%ld", (long)pid);
      p++;
    } else {
      out[used++] = *p;
    }
  }
  out[used] = '\0';
}

int cmd_run(int argc, char **argv)
{
  static const struct option options[] = {{"output", required_argument, NULL, 'o'},
                                          {"interval", required_argument, NULL, 'i'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "+o:i:h", options, NULL)) != -1) {
    switch (opt) {
    case 'o':
      run_set_output(optarg);
      break;
    case 'i':
      setenv("ACTORSCOPE_INTERVAL_MS", optarg, 1);
      break;
    case 'h':
      fputs(run_usage, stdout);
      return CMD_OK;
    default:
      fputs(run_usage, stderr);
      return CMD_USAGE;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "actorscope run: no program given\n");
    fputs(run_usage, stderr);
    return CMD_USAGE;
  }
  char library[PATH_MAX];
  if (run_find_library(library, sizeof library) < 0) {
    fprintf(stderr, "actorscope run: libactorscope.so not found next to the tool or in %s\n",
            ACTORSCOPE_INSTALLED_LIBRARY);
    return CMD_USAGE;
  }
  run_prepend_preload(library);

  /* While the program runs, signals meant for the terminal's job reach it, not us. */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "actorscope run: fork: %s\n", strerror(errno));
    return CMD_USAGE;
  }
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(argv[optind], argv + optind);
    fprintf(stderr, "actorscope run: cannot run %s: %s\n", argv[optind], strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  char where[PATH_MAX + 32];
  run_describe_output(pid, where, sizeof where);
  struct stat st;
  if (where[0] == '/' && stat(where, &st) != 0)
    fprintf(stderr, "actorscope: no snapshots were written (the program started no actor)\n");
  else
    fprintf(stderr, "actorscope: snapshots in %s\n", where);
  if (WIFSIGNALED(status)) {
    /* Die the same way, so a shell sees the same status. */
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return WEXITSTATUS(status);
}
