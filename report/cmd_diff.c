/* actorscope diff: compares two runs per actor name and marks what grew beyond a tolerance
 * (relative) and a floor (absolute), so jitter of a few microseconds is not growth. */
#define _GNU_SOURCE
#include "commands.h"
#include "recording.h"
#include "show.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char diff_usage[] =
    "usage: actorscope diff [--tolerance PCT] [--floor N] [--floor-ms MS] [--json] [--internal]\n"
    "                       RUN_A RUN_B\n"
    "\n"
    "Compares two runs per actor name: actors spawned and alive at the end, messages received\n"
    "by type, mailbox maximum, exceptions, longest handler, and the p99 of finished handlers\n"
    "and of messages' waits in the mailbox (from the snapshots' histograms). A row where B\n"
    "exceeds A by more than PCT percent (default 10) and by more than a floor is marked '!':\n"
    "N for counts (default 0), MS milliseconds for times (default 1).\n"
    "  --internal   include runtime-internal actors (CAF's spawn server, middleman ...)\n";

enum diff_unit { DIFF_COUNT, DIFF_NS };

struct diff_metric {
  const char *section;
  size_t offset; /* of the int64_t in struct rm_name */
  enum diff_unit unit;
};

static const struct diff_metric diff_metrics[] = {
    {"actors spawned", offsetof(struct rm_name, spawned), DIFF_COUNT},
    {"alive at the end", offsetof(struct rm_name, alive_at_end), DIFF_COUNT},
    {"mailbox max", offsetof(struct rm_name, mailbox_max), DIFF_COUNT},
    {"exceptions", offsetof(struct rm_name, exceptions), DIFF_COUNT},
    {"longest handler", offsetof(struct rm_name, handler_max_ns), DIFF_NS},
};

struct diff_side {
  struct recording model;
  struct rm_names names;
};

struct diff_opts {
  double tolerance;
  int64_t floor;    /* counts */
  int64_t floor_ns; /* handler times */
};

static int64_t diff_metric_of(const struct rm_name *agg, const struct diff_metric *metric)
{
  return agg ? *(const int64_t *)((const char *)agg + metric->offset) : 0;
}

static int diff_grew(int64_t a, int64_t b, int64_t floor, double tolerance)
{
  return (double)b > (double)a * (1.0 + tolerance / 100.0) && as_sat_add(b, -a) > floor;
}

static void diff_row(json_t *rows, const char *section, const char *name, const char *type,
                     int64_t a, int64_t b, enum diff_unit unit, const struct diff_opts *o)
{
  if (a == 0 && b == 0)
    return;
  int grew = diff_grew(a, b, unit == DIFF_NS ? o->floor_ns : o->floor, o->tolerance);
  json_array_append_new(rows, json_pack("{s:s, s:s, s:s?, s:s, s:I, s:I, s:b}", "section", section,
                                        "name", name, "type", type, "unit",
                                        unit == DIFF_NS ? "ns" : "count", "a", (json_int_t)a, "b",
                                        (json_int_t)b, "grew", grew));
}

/* Every name present in either run, sorted, each once. */
static json_t *diff_all_names(const struct diff_side *a, const struct diff_side *b)
{
  json_t *names = json_object();
  for (size_t i = 0; i < a->names.n; i++)
    json_object_set_new(names, strtab_text(&a->model.strings, a->names.items[i].name), json_true());
  for (size_t i = 0; i < b->names.n; i++)
    json_object_set_new(names, strtab_text(&b->model.strings, b->names.items[i].name), json_true());
  return names;
}

static int diff_str_cmp(const void *x, const void *y)
{
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The keys of OBJECT, sorted (valid while OBJECT lives). */
static const char **diff_sorted_keys(json_t *object, size_t *n)
{
  const char **keys = calloc(json_object_size(object) + 1, sizeof *keys);
  const char *key;
  json_t *v;
  *n = 0;
  if (!keys)
    return NULL;
  json_object_foreach(object, key, v) keys[(*n)++] = key;
  qsort(keys, *n, sizeof *keys, diff_str_cmp);
  return keys;
}

/* The p99 of a name's finished handlers, or of its messages' waits in the mailbox. */
static int64_t diff_p99(const struct recording *m, const struct rm_name *agg, int waits)
{
  int64_t p99 = waits ? recording_name_wait_percentile(m, agg, 99)
                      : recording_name_percentile(m, agg, 99);
  return p99 > 0 ? p99 : 0;
}

static json_t *diff_build(const struct diff_side *a, const struct diff_side *b,
                          const struct diff_opts *o)
{
  json_t *rows = json_array(), *names = diff_all_names(a, b);
  size_t n;
  const char **sorted = diff_sorted_keys(names, &n);
  for (size_t k = 0; k < sizeof diff_metrics / sizeof diff_metrics[0]; k++)
    for (size_t i = 0; i < n; i++)
      diff_row(rows, diff_metrics[k].section, sorted[i], NULL,
               diff_metric_of(recording_names_find(&a->model, &a->names, sorted[i]), &diff_metrics[k]),
               diff_metric_of(recording_names_find(&b->model, &b->names, sorted[i]), &diff_metrics[k]),
               diff_metrics[k].unit, o);
  /* From the names' merged histograms; no row where neither run carries one. */
  for (int waits = 0; waits < 2; waits++)
    for (size_t i = 0; i < n; i++)
      diff_row(rows, waits ? "mailbox wait p99" : "handler p99", sorted[i], NULL,
               diff_p99(&a->model, recording_names_find(&a->model, &a->names, sorted[i]), waits),
               diff_p99(&b->model, recording_names_find(&b->model, &b->names, sorted[i]), waits),
               DIFF_NS, o);
  for (size_t i = 0; i < n; i++) {
    const struct rm_name *na = recording_names_find(&a->model, &a->names, sorted[i]);
    const struct rm_name *nb = recording_names_find(&b->model, &b->names, sorted[i]);
    json_t *types = json_object();
    for (size_t t = 0; na && t < na->n_types; t++)
      json_object_set_new(types, strtab_text(&a->model.strings, na->types[t].type), json_true());
    for (size_t t = 0; nb && t < nb->n_types; t++)
      json_object_set_new(types, strtab_text(&b->model.strings, nb->types[t].type), json_true());
    size_t nt;
    const char **tsorted = diff_sorted_keys(types, &nt);
    for (size_t t = 0; tsorted && t < nt; t++)
      diff_row(rows, "messages received", sorted[i], tsorted[t],
               recording_name_count(&a->model, na, tsorted[t]),
               recording_name_count(&b->model, nb, tsorted[t]), DIFF_COUNT, o);
    free(tsorted);
    json_decref(types);
  }
  free(sorted);
  json_decref(names);
  return rows;
}

static char *diff_row_label(json_t *row, char *buf, size_t len)
{
  const char *type = json_string_value(json_object_get(row, "type"));
  snprintf(buf, len, type ? "%s <- %s" : "%s", json_string_value(json_object_get(row, "name")),
           type);
  return buf;
}

static void diff_print(json_t *rows, const char *path_a, const char *path_b,
                       const struct diff_opts *o)
{
  char floor_text[SHOW_DURATION_MAX];
  printf("actorscope diff: A = %s, B = %s\n(marked '!': B grew more than %g%% and more than %lld, "
         "or %s for handler times)\n",
         path_a, path_b, o->tolerance, (long long)o->floor,
         show_duration(o->floor_ns, 0, floor_text, sizeof floor_text));
  /* The label column fits the longest label (names are never cut: cut names would merge). */
  size_t width = 24, i;
  json_t *row;
  char label[1024];
  json_array_foreach(rows, i, row) {
    size_t len = strlen(diff_row_label(row, label, sizeof label));
    if (len > width)
      width = len < 72 ? len : 72;
  }
  const char *section = "";
  size_t grew = 0;
  json_array_foreach(rows, i, row) {
    const char *row_section = json_string_value(json_object_get(row, "section"));
    if (strcmp(section, row_section) != 0) {
      section = row_section;
      printf("\n%s:\n  %-*s %12s %12s %20s\n", section, (int)width, "", "A", "B", "change");
    }
    long long a = json_integer_value(json_object_get(row, "a"));
    long long b = json_integer_value(json_object_get(row, "b"));
    int ns = strcmp(json_string_value(json_object_get(row, "unit")), "ns") == 0;
    char va[32], vb[32], change[48];
    if (ns) {
      show_duration(a, 0, va, sizeof va);
      show_duration(b, 0, vb, sizeof vb);
    } else {
      snprintf(va, sizeof va, "%lld", a);
      snprintf(vb, sizeof vb, "%lld", b);
    }
    long long delta = as_sat_add(b, -a);
    char absolute[32];
    if (ns)
      show_duration(delta, SHOW_DURATION_SIGN, absolute, sizeof absolute);
    else
      snprintf(absolute, sizeof absolute, "%+lld", delta);
    if (a == 0)
      snprintf(change, sizeof change, "%s new", absolute);
    else
      snprintf(change, sizeof change, "%s %+.1f%%", absolute, ((double)b / (double)a - 1.0) * 100.0);
    int marked = json_is_true(json_object_get(row, "grew"));
    grew += marked;
    /* A label wider than the column gets a line of its own, the numbers stay aligned. */
    for (char *c = diff_row_label(row, label, sizeof label); *c; c++)
      if ((unsigned char)*c < 0x20 || *c == 0x7f)
        *c = '?';
    if (strlen(label) > width) {
      printf("  %s\n", label);
      label[0] = '\0';
    }
    printf("  %-*s %*s %*s %*s%s\n", (int)width, label, show_field(va, 12), va,
           show_field(vb, 12), vb, show_field(change, 20), change, marked ? " !" : "");
  }
  printf("\n%zu of %zu rows grew beyond the tolerance.\n", grew, json_array_size(rows));
}

static int diff_number(const char *flag, const char *text, double *out)
{
  char *end = NULL;
  *out = strtod(text, &end);
  if (!*text || *end || !(*out >= 0) || *out > 1e15) {
    fprintf(stderr, "actorscope diff: %s takes a number >= 0, not '%s'\n", flag, text);
    return -1;
  }
  return 0;
}

static int diff_read(struct diff_side *side, const char *path, int internal)
{
  if (recording_read(&side->model, path, -1, internal, "diff") < 0)
    return -1;
  if (recording_names(&side->model, &side->names) < 0) {
    fprintf(stderr, "actorscope diff: out of memory\n");
    recording_free(&side->model);
    return -1;
  }
  return 0;
}

int cmd_diff(int argc, char **argv)
{
  static const struct option options[] = {{"tolerance", required_argument, NULL, 't'},
                                          {"floor", required_argument, NULL, 'f'},
                                          {"floor-ms", required_argument, NULL, 'F'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"internal", no_argument, NULL, 'I'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  struct diff_opts o = {10.0, 0, 1000000};
  int as_json = 0, internal = 0, opt;
  double value;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (opt) {
    case 't':
      if (diff_number("--tolerance", optarg, &o.tolerance) < 0)
        return CMD_USAGE;
      break;
    case 'f':
      if (diff_number("--floor", optarg, &value) < 0)
        return CMD_USAGE;
      o.floor = (int64_t)value;
      break;
    case 'F':
      if (diff_number("--floor-ms", optarg, &value) < 0)
        return CMD_USAGE;
      o.floor_ns = (int64_t)(value * 1e6);
      break;
    case 'j': as_json = 1; break;
    case 'I': internal = 1; break;
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
  struct diff_side a, b;
  if (diff_read(&a, argv[optind], internal) < 0)
    return CMD_USAGE;
  if (diff_read(&b, argv[optind + 1], internal) < 0) {
    recording_names_free(&a.names);
    recording_free(&a.model);
    return CMD_USAGE;
  }
  json_t *rows = diff_build(&a, &b, &o);
  if (as_json) {
    json_t *out = json_pack("{s:s, s:s, s:f, s:I, s:I, s:O}", "a", argv[optind], "b",
                            argv[optind + 1], "tolerance_pct", o.tolerance, "floor",
                            (json_int_t)o.floor, "floor_ns", (json_int_t)o.floor_ns, "rows", rows);
    char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(text ? text : "{}");
    free(text);
    json_decref(out);
  } else {
    diff_print(rows, argv[optind], argv[optind + 1], &o);
  }
  json_decref(rows);
  recording_names_free(&a.names);
  recording_names_free(&b.names);
  recording_free(&a.model);
  recording_free(&b.model);
  return CMD_OK;
}
