/* actorscope diff: compares two runs per actor name and marks what grew beyond a tolerance
 * (relative) and a floor (absolute), so jitter of a few microseconds is not growth. */
#define _GNU_SOURCE
#include "commands.h"
#include "jsonout.h"
#include "recording.h"
#include "lib/intern.h" /* not preload/intern.h, also on this file's path */
#include "pairs.h"
#include "show.h"

#include <getopt.h>
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

/* How often each run timed a message's wait in the mailbox (its header; -1: not said): runs
 * sampled differently have percentiles of different messages, which a reader of the rows must
 * be told rather than read as the program's change. */
struct diff_sampling {
  int64_t a, b;
};

/* How each run ended, when not normally ("no final snapshot: ...", a signal, a detach): rows
 * of a run cut short compare what it reached, which a reader must be told. NULL: normally. */
struct diff_ends {
  const char *a, *b;
};

static int diff_sampled_alike(const struct diff_sampling *s)
{
  return s->a <= 0 || s->b <= 0 || s->a == s->b;
}

/* One line of the comparison: a metric of one name (and message type) in A and in B. */
struct diff_row {
  const char *section, *name, *type; /* type: NULL but for "messages received" */
  enum diff_unit unit;
  int64_t a, b;
  int grew;
};

struct diff_rows {
  struct diff_row *items;
  size_t n, cap;
  struct intern_table labels; /* names made for rows (a pair's "FROM → TO"), owned here */
};

static int64_t diff_metric_of(const struct rm_name *agg, const struct diff_metric *metric)
{
  return agg ? *(const int64_t *)((const char *)agg + metric->offset) : 0;
}

static int diff_grew(int64_t a, int64_t b, int64_t floor, double tolerance)
{
  return (double)b > (double)a * (1.0 + tolerance / 100.0) && as_sat_add(b, -a) > floor;
}

static int diff_row(struct diff_rows *rows, const char *section, const char *name, const char *type,
                    int64_t a, int64_t b, enum diff_unit unit, const struct diff_opts *o)
{
  if (a == 0 && b == 0)
    return 0;
  if (rows->n == rows->cap) {
    size_t cap = rows->cap ? rows->cap * 2 : 64;
    struct diff_row *grown = reallocarray(rows->items, cap, sizeof *grown);
    if (!grown)
      return -1;
    rows->items = grown;
    rows->cap = cap;
  }
  int grew = diff_grew(a, b, unit == DIFF_NS ? o->floor_ns : o->floor, o->tolerance);
  rows->items[rows->n++] = (struct diff_row){section, name, type, unit, a, b, grew};
  return 0;
}

static int diff_str_cmp(const void *x, const void *y)
{
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* TEXTS sorted, each once; returns how many are left. */
static size_t diff_sort_unique(const char **texts, size_t n)
{
  qsort(texts, n, sizeof *texts, diff_str_cmp);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    if (kept == 0 || strcmp(texts[kept - 1], texts[i]) != 0)
      texts[kept++] = texts[i];
  return kept;
}

/* Every name present in either run, sorted, each once (the runs' own strings); NULL when out
 * of memory. */
static const char **diff_all_names(const struct diff_side *a, const struct diff_side *b, size_t *n)
{
  const char **names = calloc(a->names.n + b->names.n + 1, sizeof *names);
  if (!names)
    return NULL;
  *n = 0;
  for (size_t i = 0; i < a->names.n; i++)
    names[(*n)++] = strtab_text(&a->model.strings, a->names.items[i].name);
  for (size_t i = 0; i < b->names.n; i++)
    names[(*n)++] = strtab_text(&b->model.strings, b->names.items[i].name);
  *n = diff_sort_unique(names, *n);
  return names;
}

/* The message types either run's actors of one name received, sorted, each once. */
static const char **diff_all_types(const struct diff_side *a, const struct rm_name *na,
                                   const struct diff_side *b, const struct rm_name *nb, size_t *n)
{
  size_t count = (na ? na->n_types : 0) + (nb ? nb->n_types : 0);
  const char **types = calloc(count + 1, sizeof *types);
  if (!types)
    return NULL;
  *n = 0;
  for (size_t t = 0; na && t < na->n_types; t++)
    types[(*n)++] = strtab_text(&a->model.strings, na->types[t].type);
  for (size_t t = 0; nb && t < nb->n_types; t++)
    types[(*n)++] = strtab_text(&b->model.strings, nb->types[t].type);
  *n = diff_sort_unique(types, *n);
  return types;
}

/* The p99 of a name's finished handlers, or of its messages' waits in the mailbox. */
static int64_t diff_p99(const struct recording *m, const struct rm_name *agg, int waits)
{
  int64_t p99 =
      waits ? recording_name_wait_percentile(m, agg, 99) : recording_name_percentile(m, agg, 99);
  return p99 > 0 ? p99 : 0;
}

struct diff_pairs {
  struct diff_rows *rows;
  const struct diff_opts *o;
  int rc;
};

static void diff_pair_row(const char *label, int64_t a, int64_t b, void *ctx)
{
  struct diff_pairs *p = ctx;
  const char *owned = p->rc == 0 ? intern_string(&p->rows->labels, label) : NULL;
  if (p->rc == 0)
    p->rc = owned
                ? diff_row(p->rows, "messages between actors", owned, NULL, a, b, DIFF_COUNT, p->o)
                : -1;
}

/* The rows, section by section, names sorted within each. Returns 0 or -1 (out of memory). */
static int diff_build(struct diff_rows *rows, const struct diff_side *a, const struct diff_side *b,
                      const struct diff_opts *o)
{
  size_t n;
  const char **sorted = diff_all_names(a, b, &n);
  if (!sorted)
    return -1;
  int rc = 0;
  for (size_t k = 0; k < sizeof diff_metrics / sizeof diff_metrics[0]; k++)
    for (size_t i = 0; i < n && rc == 0; i++)
      rc = diff_row(
          rows, diff_metrics[k].section, sorted[i], NULL,
          diff_metric_of(recording_names_find(&a->model, &a->names, sorted[i]), &diff_metrics[k]),
          diff_metric_of(recording_names_find(&b->model, &b->names, sorted[i]), &diff_metrics[k]),
          diff_metrics[k].unit, o);
  /* From the names' merged histograms; no row where neither run carries one. */
  for (int waits = 0; waits < 2; waits++)
    for (size_t i = 0; i < n && rc == 0; i++)
      rc = diff_row(
          rows, waits ? "mailbox wait p99" : "handler p99", sorted[i], NULL,
          diff_p99(&a->model, recording_names_find(&a->model, &a->names, sorted[i]), waits),
          diff_p99(&b->model, recording_names_find(&b->model, &b->names, sorted[i]), waits),
          DIFF_NS, o);
  for (size_t i = 0; i < n && rc == 0; i++) {
    const struct rm_name *na = recording_names_find(&a->model, &a->names, sorted[i]);
    const struct rm_name *nb = recording_names_find(&b->model, &b->names, sorted[i]);
    size_t nt;
    const char **types = diff_all_types(a, na, b, nb, &nt);
    if (!types)
      rc = -1;
    for (size_t t = 0; types && t < nt && rc == 0; t++)
      rc = diff_row(rows, "messages received", sorted[i], types[t],
                    recording_name_count(&a->model, na, types[t]),
                    recording_name_count(&b->model, nb, types[t]), DIFF_COUNT, o);
    free(types);
  }
  free(sorted);
  if (rc == 0) {
    struct diff_pairs pairs = {rows, o, 0};
    if (pairs_diff_each(&a->model, &b->model, diff_pair_row, &pairs) < 0)
      rc = -1;
    else
      rc = pairs.rc;
  }
  return rc;
}

static char *diff_row_label(const struct diff_row *row, char *buf, size_t len)
{
  snprintf(buf, len, row->type ? "%s <- %s" : "%s", row->name, row->type);
  return buf;
}

static void diff_print(const struct diff_rows *rows, const char *path_a, const char *path_b,
                       const struct diff_opts *o, const struct diff_sampling *sampling,
                       const struct diff_ends *ends)
{
  char floor_text[SHOW_DURATION_MAX];
  printf("actorscope diff: A = %s, B = %s\n(marked '!': B grew more than %g%% and more than %lld, "
         "or %s for handler times)\n",
         path_a, path_b, o->tolerance, (long long)o->floor,
         show_duration(o->floor_ns, 0, floor_text, sizeof floor_text));
  if (ends->a)
    printf("note: A: %s\n", ends->a);
  if (ends->b)
    printf("note: B: %s\n", ends->b);
  if (!diff_sampled_alike(sampling))
    printf("note: A timed a mailbox's first %lld messages' waits and then one in %lld, B its "
           "first %lld and then one in %lld: their mailbox-wait rows compare different "
           "samples\n",
           (long long)sampling->a, (long long)sampling->a, (long long)sampling->b,
           (long long)sampling->b);
  /* The label column fits the longest label (names are never cut: cut names would merge). */
  size_t width = 24;
  char label[1024];
  for (size_t i = 0; i < rows->n; i++) {
    size_t len = show_columns(diff_row_label(&rows->items[i], label, sizeof label));
    if (len > width)
      width = len < 72 ? len : 72;
  }
  const char *section = "";
  size_t grew = 0;
  for (size_t i = 0; i < rows->n; i++) {
    const struct diff_row *row = &rows->items[i];
    if (strcmp(section, row->section) != 0) {
      section = row->section;
      printf("\n%s:\n  %-*s %12s %12s %20s\n", section, (int)width, "", "A", "B", "change");
    }
    long long a = row->a, b = row->b;
    int ns = row->unit == DIFF_NS;
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
      snprintf(change, sizeof change, "%s %+.1f%%", absolute,
               ((double)b / (double)a - 1.0) * 100.0);
    grew += row->grew;
    /* A label wider than the column gets a line of its own, the numbers stay aligned. */
    for (char *c = diff_row_label(row, label, sizeof label); *c; c++)
      if ((unsigned char)*c < 0x20 || *c == 0x7f)
        *c = '?';
    if (show_columns(label) > width) {
      printf("  %s\n", label);
      label[0] = '\0';
    }
    /* Padded by columns: a pair's "FROM → TO" took two spaces short (its arrow is 3 bytes). */
    printf("  %-*s %*s %*s %*s%s\n", show_field(label, (int)width), label, show_field(va, 12), va,
           show_field(vb, 12), vb, show_field(change, 20), change, row->grew ? " !" : "");
  }
  printf("\n%zu of %zu rows grew beyond the tolerance.\n", grew, rows->n);
}

static void diff_json_print(const struct diff_rows *rows, const char *path_a, const char *path_b,
                            const struct diff_opts *o, const struct diff_sampling *sampling,
                            const struct diff_ends *ends, FILE *out)
{
  struct jsonout j;
  jsonout_init(&j, out);
  jsonout_object_begin(&j, NULL);
  jsonout_str(&j, "a", path_a);
  jsonout_str(&j, "b", path_b);
  jsonout_real(&j, "tolerance_pct", o->tolerance);
  jsonout_int(&j, "floor", o->floor);
  jsonout_int(&j, "floor_ns", o->floor_ns);
  jsonout_int(&j, "a_mailbox_wait_every", sampling->a);
  jsonout_int(&j, "b_mailbox_wait_every", sampling->b);
  jsonout_bool(&j, "sampled_alike", diff_sampled_alike(sampling));
  if (ends->a)
    jsonout_str(&j, "a_end_note", ends->a);
  if (ends->b)
    jsonout_str(&j, "b_end_note", ends->b);
  jsonout_array_begin(&j, "rows");
  for (size_t i = 0; i < rows->n; i++) {
    const struct diff_row *row = &rows->items[i];
    jsonout_object_begin(&j, NULL);
    jsonout_str(&j, "section", row->section);
    jsonout_str(&j, "name", row->name);
    jsonout_str(&j, "type", row->type);
    jsonout_str(&j, "unit", row->unit == DIFF_NS ? "ns" : "count");
    jsonout_int(&j, "a", row->a);
    jsonout_int(&j, "b", row->b);
    jsonout_bool(&j, "grew", row->grew);
    jsonout_object_end(&j);
  }
  jsonout_array_end(&j);
  jsonout_object_end(&j);
  jsonout_finish(&j);
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
    case 'h': fputs(diff_usage, stdout); return CMD_OK;
    default: fputs(diff_usage, stderr); return CMD_USAGE;
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
  struct diff_rows rows = {0};
  struct diff_sampling sampling = {a.model.mailbox_wait_every, b.model.mailbox_wait_every};
  char end_a[512], end_b[512];
  struct diff_ends ends = {recording_end_note(&a.model, end_a, sizeof end_a),
                           recording_end_note(&b.model, end_b, sizeof end_b)};
  int rc = CMD_OK;
  if (diff_build(&rows, &a, &b, &o) < 0) {
    fprintf(stderr, "actorscope diff: out of memory\n");
    rc = CMD_FAILED;
  } else if (as_json) {
    diff_json_print(&rows, argv[optind], argv[optind + 1], &o, &sampling, &ends, stdout);
  } else {
    diff_print(&rows, argv[optind], argv[optind + 1], &o, &sampling, &ends);
  }
  free(rows.items);
  intern_table_free(&rows.labels);
  recording_names_free(&a.names);
  recording_names_free(&b.names);
  recording_free(&a.model);
  recording_free(&b.model);
  return rc;
}
