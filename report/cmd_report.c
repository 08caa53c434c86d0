/* actorscope report: a human-readable account of one recorded run, or the same as JSON. Both
 * are rendered from the run model (report/lib/recording.c), read one snapshot at a time. */
#define _GNU_SOURCE
#include "commands.h"
#include "cmd_report.h"
#include "actor_model.h"
#include "waits.h"
#include "recording.h"
#include "show.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char report_usage[] =
    "usage: actorscope report [--at SEQ | --now] [--json] [--all] [--internal] RUN\n"
    "\n"
    "Summarises a run (a snapshot file, or unix:PATH / tcp:[HOST:]PORT of a live run, read to\n"
    "its end): the actor tree by runtime and actor system, messages by type per actor name,\n"
    "slowest handlers, exit reasons, exceptions, actors alive at the end, deadlocks, timeline.\n"
    "  --at SEQ     report the state at snapshot SEQ instead of the end\n"
    "  --now        report a live program's state now, without waiting for its end: the first\n"
    "               snapshot a unix:/tcp: source sends (a whole one, within about a second);\n"
    "               for a file, its last complete snapshot so far\n"
    "  --json       print the same account as one JSON object\n"
    "  --all        list everything (the text stops at 200 lines per section)\n"
    "  --internal   include runtime-internal actors (CAF's spawn server, middleman ...)\n";

const char *report_str(const struct report *r, uint32_t i)
{
  return strtab_text(&r->m->strings, i);
}

const struct recording *report_sort_model; /* for qsort's comparisons */

/* ---- slowest handlers ---------------------------------------------------------------------- */

int report_slow_cmp(const void *x, const void *y)
{
  const struct recording *m = report_sort_model;
  const struct rm_actor *a = &m->actors[*(const size_t *)x], *b = &m->actors[*(const size_t *)y];
  int64_t ta = recording_handler_max(a, NULL, NULL), tb = recording_handler_max(b, NULL, NULL);
  if (ta != tb)
    return ta < tb ? 1 : -1;
  return a->id < b->id ? -1 : a->id > b->id;
}

int report_find_slowest(struct report *r)
{
  const struct recording *m = r->m;
  r->slowest = malloc((m->n_actors + 1) * sizeof *r->slowest);
  if (!r->slowest)
    return -1;
  for (size_t i = 0; i < m->n_actors; i++)
    if (recording_visible(m, &m->actors[i]) && recording_handler_max(&m->actors[i], NULL, NULL) > 0)
      r->slowest[r->n_slowest++] = i;
  report_sort_model = m;
  qsort(r->slowest, r->n_slowest, sizeof *r->slowest, report_slow_cmp);
  if (r->n_slowest > REPORT_SLOWEST)
    r->n_slowest = REPORT_SLOWEST;
  return 0;
}

/* ---- messages by type per name --------------------------------------------------------------- */

int report_type_cmp(const void *x, const void *y)
{
  const struct rm_name_type *a = x, *b = y;
  if (a->sum != b->sum)
    return a->sum < b->sum ? 1 : -1;
  return strcmp(strtab_text(&report_sort_model->strings, a->type),
                strtab_text(&report_sort_model->strings, b->type));
}

int report_name_by_messages(const void *x, const void *y)
{
  const struct rm_name *a = *(const struct rm_name *const *)x,
                       *b = *(const struct rm_name *const *)y;
  if (a->messages != b->messages)
    return a->messages < b->messages ? 1 : -1;
  return strcmp(strtab_text(&report_sort_model->strings, a->name),
                strtab_text(&report_sort_model->strings, b->name));
}

/* One actor received far more of a type than the others of its name did on average. */
int report_outlier(const struct rm_name *agg, const struct rm_name_type *t, double *others)
{
  if (agg->spawned < 3 || t->max <= 0)
    return 0;
  *others = (double)(t->sum - t->max) / (double)(agg->spawned - 1);
  return (double)t->max > 4.0 * *others && (double)t->max - *others >= 10.0;
}

/* ---- the end state -------------------------------------------------------------------------- */

const char *report_alive_heading(const struct recording *m, char *buf, size_t len)
{
  switch (m->end) {
  case RM_END_FINAL: return "Alive at the end";
  case RM_END_SIGNAL: return "Alive when the process died";
  case RM_END_EXEC: return "Alive when the program replaced itself";
  case RM_END_DETACH:
    return "Alive when the tracer was detached (the process ran on: not called leaks)";
  case RM_END_NO_FINAL: return "Alive at the last snapshot (no final snapshot: not called leaks)";
  default: snprintf(buf, len, "Alive at snapshot %lld", (long long)m->at_seq); return buf;
  }
}

int report_reasons(const struct report *r, struct report_reason **out, size_t *n)
{
  const struct recording *m = r->m;
  *out = NULL;
  *n = 0;
  /* Each reason's row + 1 by its interned index: one pass however many actors and reasons. */
  size_t *row = calloc(m->strings.n + 1, sizeof *row);
  struct report_reason *rows = NULL;
  size_t cap = 0;
  if (!row)
    return -1;
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (!recording_visible(m, a) || a->reason == RM_NONE || a->reason >= m->strings.n)
      continue;
    if (!row[a->reason]) {
      if (*n == cap) {
        cap = cap ? 2 * cap : 8;
        struct report_reason *grown = reallocarray(rows, cap, sizeof *grown);
        if (!grown) {
          free(rows);
          free(row);
          *n = 0;
          return -1;
        }
        rows = grown;
      }
      rows[*n] = (struct report_reason){a->reason, 0};
      row[a->reason] = ++*n;
    }
    rows[row[a->reason] - 1].count++;
  }
  free(row);
  *out = rows;
  return 0;
}

int cmd_report(int argc, char **argv)
{
  static const struct option options[] = {{"at", required_argument, NULL, 'a'},
                                          {"now", no_argument, NULL, 'n'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"all", no_argument, NULL, 'A'},
                                          {"internal", no_argument, NULL, 'I'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  long long at = -1;
  int as_json = 0, all = 0, internal = 0, now = 0, opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    char *end = NULL;
    switch (opt) {
    case 'a':
      at = strtoll(optarg, &end, 10);
      if (!*optarg || *end || at < 0 || at == LLONG_MAX) {
        fprintf(stderr, "actorscope report: --at takes a snapshot number, not '%s'\n", optarg);
        return CMD_USAGE;
      }
      break;
    case 'n': now = 1; break;
    case 'j': as_json = 1; break;
    case 'A': all = 1; break;
    case 'I': internal = 1; break;
    case 'h': fputs(report_usage, stdout); return CMD_OK;
    default: fputs(report_usage, stderr); return CMD_USAGE;
    }
  }
  if (optind != argc - 1 || (now && at >= 0)) {
    fputs(report_usage, stderr);
    return CMD_USAGE;
  }
  if (now)
    at = RECORDING_AT_NOW;
  struct recording model;
  if (recording_read(&model, argv[optind], at, internal, "report") < 0)
    return CMD_USAGE;
  struct report r = {.m = &model, .lines_per_section = all ? (size_t)-1 : REPORT_LINES_PER_SECTION};
  int status = CMD_OK;
  if (recording_names(&model, &r.names) < 0 || recording_tree(&model, &r.tree) < 0 ||
      report_find_slowest(&r) < 0) {
    fprintf(stderr, "actorscope report: out of memory\n");
    status = CMD_USAGE;
  } else if (as_json) {
    int rc = report_json_print(&r, all);
    if (rc < 0) {
      fprintf(stderr, "actorscope report: %s\n",
              rc == -1 ? "out of memory" : "cannot write the output");
      status = CMD_USAGE;
    }
  } else {
    report_print_text(&r, all, now);
  }
  recording_names_free(&r.names);
  recording_tree_free(&r.tree);
  free(r.slowest);
  recording_free(&model);
  return status;
}
