/* actorscope: run a program under the tracer and read what it recorded.
 *
 * `top` and `serve` are separate executables (actorscope-top: ncurses; actorscope-serve:
 * libmicrohttpd and gnutls) that this one executes, so that `actorscope run`, which starts
 * for every traced program, loads none of their libraries. */
#define _GNU_SOURCE
#include "commands.h"
#include "format.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Executes the helper for argv[1] ("top": actorscope-top), found next to this executable
 * (the build tree), in ../libexec/actorscope beside it (an installed tree, wherever it was
 * moved), or where it was installed. Returns only on failure. */
static int main_exec_helper(int argc, char **argv)
{
  (void)argc;
  char self[PATH_MAX], helper[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n > 0 ? n : 0] = '\0';
  char *slash = strrchr(self, '/');
  if (slash) {
    *slash = '\0';
    snprintf(helper, sizeof helper, "%s/actorscope-%s", self, argv[1]);
    execv(helper, argv);
    snprintf(helper, sizeof helper, "%s/../libexec/actorscope/actorscope-%s", self, argv[1]);
    execv(helper, argv);
  }
  snprintf(helper, sizeof helper, "%s/actorscope-%s", ACTORSCOPE_INSTALLED_HELPERS, argv[1]);
  execv(helper, argv);
  fprintf(stderr, "actorscope: cannot run %s (the '%s' command): %s\n", helper, argv[1],
          strerror(errno));
  return CMD_USAGE;
}

struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
};

static const struct command commands[] = {
    {"run", cmd_run, "run a program with the tracer preloaded"},
    {"report", cmd_report, "summarise a recorded run"},
    {"diff", cmd_diff, "compare two runs actor by actor"},
    {"check", cmd_check, "fail a CI job when a run breaks rules"},
    {"top", NULL, "watch actors live, or replay a recording, on a terminal"},
    {"serve", NULL, "serve traced processes' metrics to Prometheus"},
    {"export", cmd_export, "write a run as a Perfetto trace, Prometheus textfile or HTML page"},
    {"attach", cmd_attach, "trace a program that is already running"},
    {"detach", cmd_detach, "stop tracing a program attached to"},
    {"ctl", cmd_ctl, "change an attached program's tracing settings"},
};

static void usage(FILE *out)
{
  fprintf(out, "usage: actorscope COMMAND [ARGS...]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'actorscope COMMAND --help' describes each one.\n");
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return CMD_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return CMD_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("actorscope %s (snapshot format %d, reads 1 to %d)\n", ACTORSCOPE_VERSION,
           AS_FORMAT_VERSION, AS_FORMAT_VERSION);
    return CMD_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run ? commands[i].run(argc - 1, argv + 1) : main_exec_helper(argc, argv);
  fprintf(stderr, "actorscope: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return CMD_USAGE;
}
