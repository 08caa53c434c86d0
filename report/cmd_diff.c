/* actorscope diff: compares two runs at the actor level and marks what grew beyond a
 * tolerance. */
#define _GNU_SOURCE
#include "commands.h"
#include "runmodel.h"
#include "snapfile.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char diff_usage[] =
    "usage: actorscope diff [--tolerance PCT] [--json] RUN_A RUN_B\n"
    "\n"
    "Compares two runs per actor name: actors spawned and alive at the end, messages received\n"
    "by type, mailbox maximum, exceptions and longest handler. Rows where B exceeds A by more\n"
    "than PCT percent (default 10) are marked with '!'.\n";

struct diff_metric {
  const char *section;
  const char *key; /* in the per-name aggregate */
};

static const struct diff_metric diff_metrics[] = {
    {"actors spawned", "spawned"},
    {"alive at the end", "alive_at_end"},
    {"mailbox max", "mailbox_max"},
    {"exceptions", "exceptions"},
    {"longest handler (ns)", "handler_max_ns"},
};

static int diff_grew(long long a, long long b, double tolerance)
{
  return (double)b > (double)a * (1.0 + tolerance / 100.0);
}

static void diff_row(json_t *rows, const char *section, const char *what, long long a, long long b,
                     double tolerance)
{
  if (a == 0 && b == 0)
    return;
  json_array_append_new(rows, json_pack("{s:s, s:s, s:I, s:I, s:b}", "section", section, "what",
                                        what, "a", (json_int_t)a, "b", (json_int_t)b, "grew",
                                        diff_grew(a, b, tolerance)));
}

/* Every name (and name/type) present in either run, in a stable order. */
static json_t *diff_names(const struct runmodel *a, const struct runmodel *b)
{
  json_t *names = json_object();
  const char *name;
  json_t *v;
  json_object_foreach(a->by_name, name, v) json_object_set_new(names, name, json_true());
  json_object_foreach(b->by_name, name, v) json_object_set_new(names, name, json_true());
  return names;
}

static json_t *diff_build(const struct runmodel *a, const struct runmodel *b, double tolerance)
{
  json_t *rows = json_array();
  json_t *names = diff_names(a, b);
  for (size_t m = 0; m < sizeof diff_metrics / sizeof diff_metrics[0]; m++) {
    const char *name;
    json_t *unused;
    json_object_foreach(names, name, unused)
      diff_row(rows, diff_metrics[m].section, name,
               snapfile_int(json_object_get(a->by_name, name), diff_metrics[m].key),
               snapfile_int(json_object_get(b->by_name, name), diff_metrics[m].key), tolerance);
  }
  const char *name;
  json_t *unused;
  json_object_foreach(names, name, unused) {
    json_t *ma = json_object_get(json_object_get(a->by_name, name), "messages");
    json_t *mb = json_object_get(json_object_get(b->by_name, name), "messages");
    json_t *types = json_object();
    const char *type;
    json_t *v;
    json_object_foreach(ma, type, v) json_object_set_new(types, type, json_true());
    json_object_foreach(mb, type, v) json_object_set_new(types, type, json_true());
    json_object_foreach(types, type, v) {
      char what[512];
      snprintf(what, sizeof what, "%s <- %s", name, type);
      diff_row(rows, "messages received", what, json_integer_value(json_object_get(ma, type)),
               json_integer_value(json_object_get(mb, type)), tolerance);
    }
    json_decref(types);
  }
  json_decref(names);
  return rows;
}

static void diff_print(json_t *rows, const char *path_a, const char *path_b, double tolerance)
{
  printf("actorscope diff: A = %s, B = %s (marked '!': B grew more than %g%%)\n", path_a, path_b,
         tolerance);
  const char *section = "";
  size_t grew = 0, i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    if (strcmp(section, snapfile_str(row, "section")) != 0) {
      section = snapfile_str(row, "section");
      printf("\n%s:\n  %-44s %12s %12s %9s\n", section, "", "A", "B", "change");
    }
    long long a = snapfile_int(row, "a"), b = snapfile_int(row, "b");
    char change[32];
    if (a == 0)
      snprintf(change, sizeof change, "new");
    else
      snprintf(change, sizeof change, "%+.1f%%", ((double)b / (double)a - 1.0) * 100.0);
    int marked = json_is_true(json_object_get(row, "grew"));
    grew += marked;
    printf("  %-44.44s %12lld %12lld %9s%s\n", snapfile_str(row, "what"), a, b, change,
           marked ? " !" : "");
  }
  printf("\n%zu of %zu rows grew beyond the tolerance.\n", grew, json_array_size(rows));
}

int cmd_diff(int argc, char **argv)
{
  static const struct option options[] = {{"tolerance", required_argument, NULL, 't'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  double tolerance = 10.0;
  int as_json = 0, opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    char *end = NULL;
    switch (opt) {
    case 't':
      tolerance = strtod(optarg, &end);
      if (!*optarg || *end || tolerance < 0) {
        fprintf(stderr, "actorscope diff: --tolerance takes a percentage, not '%s'\n", optarg);
        return CMD_USAGE;
      }
      break;
    case 'j':
      as_json = 1;
      break;
    case 'h':
      fputs(diff_usage, stdout);
      return CMD_OK;
    default:
      fputs(diff_usage, stderr);
      return CMD_USAGE;
    }
  }
  if (optind != argc - 2) {
    fputs(diff_usage, stderr);
    return CMD_USAGE;
  }
  struct snapfile fa, fb;
  struct runmodel ma, mb;
  if (runmodel_load(&fa, &ma, argv[optind], -1, "diff") < 0)
    return CMD_USAGE;
  if (runmodel_load(&fb, &mb, argv[optind + 1], -1, "diff") < 0) {
    runmodel_free(&ma);
    snapfile_free(&fa);
    return CMD_USAGE;
  }
  json_t *rows = diff_build(&ma, &mb, tolerance);
  if (as_json) {
    json_t *out = json_pack("{s:s, s:s, s:f, s:O}", "a", argv[optind], "b", argv[optind + 1],
                            "tolerance_pct", tolerance, "rows", rows);
    char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(text ? text : "{}");
    free(text);
    json_decref(out);
  } else {
    diff_print(rows, argv[optind], argv[optind + 1], tolerance);
  }
  json_decref(rows);
  runmodel_free(&ma);
  runmodel_free(&mb);
  snapfile_free(&fa);
  snapfile_free(&fb);
  return CMD_OK;
}
