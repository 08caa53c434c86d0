/* actorscope export: a recorded run in a format other tools read — a Perfetto/Chrome trace, a
 * Prometheus textfile, a self-contained HTML page. Every format is written as the run is read
 * (format/reader.h): memory stays bounded however long the run. */
#define _GNU_SOURCE
#include "commands.h"
#include "export_html.h"
#include "export_output.h"
#include "export_perfetto.h"
#include "export_prometheus.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

static const char export_usage[] =
    "usage: actorscope export FORMAT [-o FILE] RUN...\n"
    "\n"
    "Writes recorded runs (files, '-', unix:PATH or tcp:HOST:PORT streams) in another format:\n"
    "  perfetto     Chrome Trace Event JSON for ui.perfetto.dev and chrome://tracing: a process\n"
    "               per run, a track per actor, spawn/stop/deadlock instants, handler slices,\n"
    "               counters (alive actors, messages/s, mailbox depth)\n"
    "  prometheus   the final state as a node_exporter textfile (text format 0.0.4)\n"
    "  html         a self-contained page with the summary, actor tree and plots (one RUN)\n"
    "\n"
    "  -o, --output FILE  write FILE (created under a temporary name, renamed when complete)\n"
    "                     instead of standard output\n"
    "  --per-actor[=CAP]  prometheus: also series per actor id, for up to CAP actors per\n"
    "                     process (default 100)\n"
    "  --internal         include runtime-internal actors (CAF's spawn server, middleman ...)\n"
    "  --flows=v1         perfetto, a run recorded with events: flow events v1 (ph s/f), the\n"
    "                     ones Chrome DevTools' Performance panel draws, instead of v2 (bind_id)\n";

struct export_args {
  const char *format;
  const char *output;
  long per_actor_cap; /* 0: off */
  int internal;       /* --internal */
  int flows_v1;       /* --flows=v1 */
  char **runs;
  size_t n_runs;
};

static int export_parse(int argc, char **argv, struct export_args *args)
{
  static const struct option options[] = {
      {"output", required_argument, NULL, 'o'}, {"per-actor", optional_argument, NULL, 'a'},
      {"internal", no_argument, NULL, 'I'},     {"flows", required_argument, NULL, 'f'},
      {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
  memset(args, 0, sizeof *args);
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(export_usage, stdout);
    return CMD_OK;
  }
  if (argc < 2 || argv[1][0] == '-') {
    fputs(export_usage, stderr);
    return CMD_USAGE;
  }
  /* FORMAT first, then options and runs in any order. */
  args->format = argv[1];
  argc--;
  argv++;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
    switch (c) {
    case 'o': args->output = optarg; break;
    case 'a': {
      char *end;
      args->per_actor_cap = optarg ? strtol(optarg, &end, 10) : 100;
      if (optarg &&
          (*end || end == optarg || args->per_actor_cap < 1 || args->per_actor_cap > 1000000)) {
        fprintf(
            stderr,
            "actorscope export: --per-actor=%s: expected a number of actors from 1 to 1000000\n",
            optarg);
        return CMD_USAGE;
      }
      break;
    }
    case 'I': args->internal = 1; break;
    case 'f':
      if (strcmp(optarg, "v1") == 0 || strcmp(optarg, "v2") == 0) {
        args->flows_v1 = optarg[1] == '1';
      } else {
        fprintf(stderr, "actorscope export: --flows=%s: expected v1 or v2\n", optarg);
        return CMD_USAGE;
      }
      break;
    case 'h': fputs(export_usage, stdout); return CMD_OK;
    default: fputs(export_usage, stderr); return CMD_USAGE;
    }
  }
  if (argc - optind < 1) {
    fputs(export_usage, stderr);
    return CMD_USAGE;
  }
  args->runs = argv + optind;
  args->n_runs = (size_t)(argc - optind);
  return -1;
}

/* Opens every run (reading its header) or none. */
static int export_open_runs(const struct export_args *args, struct as_reader **readers)
{
  struct as_reader_options options = AS_READER_OPTIONS_DEFAULT;
  struct as_reader_error err;
  for (size_t i = 0; i < args->n_runs; i++) {
    if (as_reader_open(&readers[i], args->runs[i], &options, &err) < 0) {
      fprintf(stderr, "actorscope export: %s\n", err.text);
      while (i-- > 0)
        as_reader_close(readers[i]);
      return -1;
    }
  }
  return 0;
}

static void export_close_runs(struct as_reader **readers, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (as_reader_truncated(readers[i]))
      fprintf(stderr, "actorscope export: %s: the last line was cut short and is skipped\n",
              as_reader_source(readers[i]));
    as_reader_close(readers[i]);
  }
}

static int export_perfetto(FILE *out, struct as_reader *const *runs, size_t n,
                           const struct export_args *args, struct as_reader_error *err)
{
  return export_perfetto_write(out, runs, n, args->internal, args->flows_v1, err);
}

static int export_prometheus(FILE *out, struct as_reader *const *runs, size_t n,
                             const struct export_args *args, struct as_reader_error *err)
{
  return export_prometheus_write(out, runs, n, args->per_actor_cap, args->internal, err);
}

static int export_html(FILE *out, struct as_reader *const *runs, size_t n,
                       const struct export_args *args, struct as_reader_error *err)
{
  return export_html_write(out, runs[0], args->runs[0], args->internal, err);
}

int cmd_export(int argc, char **argv)
{
  struct export_args args;
  int rc = export_parse(argc, argv, &args);
  if (rc >= 0)
    return rc;
  int (*write)(FILE *, struct as_reader *const *, size_t, const struct export_args *,
               struct as_reader_error *) = NULL;
  if (strcmp(args.format, "perfetto") == 0)
    write = export_perfetto;
  else if (strcmp(args.format, "prometheus") == 0)
    write = export_prometheus;
  else if (strcmp(args.format, "html") == 0)
    write = export_html;
  if (!write) {
    fprintf(stderr, "actorscope export: unknown format '%s' (perfetto, prometheus, html)\n",
            args.format);
    return CMD_USAGE;
  }
  if (args.flows_v1 && write != export_perfetto) {
    fprintf(stderr, "actorscope export: --flows is for perfetto\n");
    return CMD_USAGE;
  }
  if (write == export_html && args.n_runs != 1) {
    fprintf(stderr, "actorscope export: html takes one RUN\n");
    return CMD_USAGE;
  }
  struct as_reader **readers = calloc(args.n_runs, sizeof *readers);
  if (!readers || export_open_runs(&args, readers) < 0) {
    free(readers);
    return CMD_USAGE;
  }
  struct export_output output;
  struct as_reader_error err = {0};
  rc = CMD_USAGE;
  if (export_output_open(&output, args.output, "actorscope export") == 0) {
    if (write(output.stream, readers, args.n_runs, &args, &err) < 0) {
      fprintf(stderr, "actorscope export: %s\n", err.text);
      export_output_abandon(&output);
    } else if (export_output_commit(&output, "actorscope export") == 0) {
      rc = CMD_OK;
    }
  }
  export_close_runs(readers, args.n_runs);
  free(readers);
  return rc;
}
