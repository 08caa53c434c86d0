/* actorscope: run a program under the tracer and read what it recorded. */
#include "commands.h"
#include "format.h"

#include <stdio.h>
#include <string.h>

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
    {"top", cmd_top, "watch actors live, or replay a recording, on a terminal"},
    {"serve", cmd_serve, "serve traced processes' metrics to Prometheus"},
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
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "actorscope: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return CMD_USAGE;
}
