/* actorscope report: a human-readable account of one recorded run, or the same as JSON. Both
 * are rendered from the run model (report/lib/recording.c), read one snapshot at a time. */
#define _GNU_SOURCE
#include "commands.h"
#include "waits.h"
#include "recording.h"
#include "show.h"

#include <getopt.h>
#include <limits.h>
#include <jansson.h>
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

#define REPORT_TIMELINE_ROWS 10
#define REPORT_SLOWEST 10
#define REPORT_LINES_PER_SECTION 200
#define REPORT_NAME_WIDTH 48
#define REPORT_TYPES_PER_LINE 6
#define REPORT_MAX_INDENT 24

struct report {
  const struct recording *m;
  struct rm_names names;
  size_t *order;      /* visible actors' indexes, grouped then tree-ordered */
  size_t *depth;      /* their depth in the tree */
  unsigned char *cyclic; /* printed as a root only because its parents form a cycle */
  size_t n_order;
  size_t *slowest;
  size_t n_slowest;
  size_t lines_per_section;
};

static const char *report_str(const struct report *r, uint32_t i)
{
  return strtab_text(&r->m->strings, i);
}

/* ---- grouping and the tree ----------------------------------------------------------------- */

/* Actors group by runtime, CAF ones by actor system. */
static int report_group_cmp(const struct recording *m, const struct rm_actor *a,
                            const struct rm_actor *b)
{
  int c = strcmp(strtab_text(&m->strings, a->runtime), strtab_text(&m->strings, b->runtime));
  if (c)
    return c;
  int64_t sa = a->has_runtime_id ? a->runtime_scope : -1;
  int64_t sb = b->has_runtime_id ? b->runtime_scope : -1;
  return sa < sb ? -1 : sa > sb;
}

static const struct recording *report_sort_model;

static int report_tree_cmp(const void *x, const void *y)
{
  const struct recording *m = report_sort_model;
  const struct rm_actor *a = &m->actors[*(const size_t *)x], *b = &m->actors[*(const size_t *)y];
  int c = report_group_cmp(m, a, b);
  if (c)
    return c;
  /* then by parent (roots first), then by id: each actor's children form one run */
  int64_t pa = a->has_parent ? a->parent : 0, pb = b->has_parent ? b->parent : 0;
  if (pa != pb)
    return pa < pb ? -1 : 1;
  return a->id < b->id ? -1 : a->id > b->id;
}

/* The children of actor index P: a run in BY_PARENT (sorted by group, parent, id). */
static size_t report_children(const struct recording *m, const size_t *by_parent, size_t n,
                              const struct rm_actor *p, size_t *first)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct rm_actor *a = &m->actors[by_parent[mid]];
    int c = report_group_cmp(m, a, p);
    int64_t pa = a->has_parent ? a->parent : 0;
    if (c < 0 || (c == 0 && pa < p->id))
      lo = mid + 1;
    else
      hi = mid;
  }
  *first = lo;
  size_t k = lo;
  while (k < n && m->actors[by_parent[k]].has_parent && m->actors[by_parent[k]].parent == p->id &&
         report_group_cmp(m, &m->actors[by_parent[k]], p) == 0)
    k++;
  return k - lo;
}

/* Every visible actor once, depth first from the roots of each group; actors whose parent
 * chain loops are printed as roots, marked. No recursion: trees may be deep. */
static int report_order(struct report *r)
{
  const struct recording *m = r->m;
  size_t n = 0;
  size_t *by_parent = malloc((m->n_actors + 1) * sizeof *by_parent);
  unsigned char *done = calloc(m->n_actors + 1, 1);
  size_t *stack = malloc((m->n_actors + 1) * sizeof *stack);
  r->order = malloc((m->n_actors + 1) * sizeof *r->order);
  r->depth = malloc((m->n_actors + 1) * sizeof *r->depth);
  r->cyclic = calloc(m->n_actors + 1, 1);
  if (!by_parent || !done || !stack || !r->order || !r->depth || !r->cyclic) {
    free(by_parent);
    free(done);
    free(stack);
    return -1;
  }
  for (size_t i = 0; i < m->n_actors; i++)
    if (recording_visible(m, &m->actors[i]))
      by_parent[n++] = i;
  report_sort_model = m;
  qsort(by_parent, n, sizeof *by_parent, report_tree_cmp);
  size_t *depth_of = malloc((m->n_actors + 1) * sizeof *depth_of);
  if (!depth_of) {
    free(by_parent);
    free(done);
    free(stack);
    return -1;
  }
  /* Per group: roots first (no parent, a parent not listed or hidden, or in another group);
   * then, in a second pass, whatever is left hangs from a parent cycle. */
  for (size_t gs = 0, ge; gs < n; gs = ge) {
    for (ge = gs + 1; ge < n && report_group_cmp(m, &m->actors[by_parent[gs]],
                                                  &m->actors[by_parent[ge]]) == 0;)
      ge++;
    for (int pass = 0; pass < 2; pass++) {
      for (size_t i = gs; i < ge; i++) {
        size_t idx = by_parent[i];
        const struct rm_actor *a = &m->actors[idx];
        if (done[idx])
          continue;
        if (pass == 0 && a->has_parent) {
          const struct rm_actor *p = recording_find(m, a->parent);
          if (p && p != a && recording_visible(m, p) && report_group_cmp(m, a, p) == 0)
            continue;
        }
        if (pass == 1)
          r->cyclic[r->n_order] = 1;
        size_t top = 0;
        stack[top++] = idx;
        depth_of[idx] = 0;
        done[idx] = 1;
        while (top) {
          size_t cur = stack[--top];
          r->depth[r->n_order] = depth_of[cur];
          r->order[r->n_order++] = cur;
          size_t first, count = report_children(m, by_parent, n, &m->actors[cur], &first);
          /* pushed in reverse so the smallest id comes out first */
          for (size_t k = count; k-- > 0;) {
            size_t child = by_parent[first + k];
            if (done[child])
              continue;
            done[child] = 1;
            depth_of[child] = depth_of[cur] + 1;
            stack[top++] = child;
          }
        }
      }
    }
  }
  free(depth_of);
  free(by_parent);
  free(done);
  free(stack);
  return 0;
}

/* ---- slowest handlers ---------------------------------------------------------------------- */

static int report_slow_cmp(const void *x, const void *y)
{
  const struct recording *m = report_sort_model;
  const struct rm_actor *a = &m->actors[*(const size_t *)x], *b = &m->actors[*(const size_t *)y];
  int64_t ta = recording_handler_max(a, NULL, NULL), tb = recording_handler_max(b, NULL, NULL);
  if (ta != tb)
    return ta < tb ? 1 : -1;
  return a->id < b->id ? -1 : a->id > b->id;
}

static int report_find_slowest(struct report *r)
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

static int report_type_cmp(const void *x, const void *y)
{
  const struct rm_name_type *a = x, *b = y;
  if (a->sum != b->sum)
    return a->sum < b->sum ? 1 : -1;
  return strcmp(strtab_text(&report_sort_model->strings, a->type),
                strtab_text(&report_sort_model->strings, b->type));
}

static int report_name_by_messages(const void *x, const void *y)
{
  const struct rm_name *a = *(const struct rm_name *const *)x, *b = *(const struct rm_name *const *)y;
  if (a->messages != b->messages)
    return a->messages < b->messages ? 1 : -1;
  return strcmp(strtab_text(&report_sort_model->strings, a->name),
                strtab_text(&report_sort_model->strings, b->name));
}

/* One actor received far more of a type than the others of its name did on average. */
static int report_outlier(const struct rm_name *agg, const struct rm_name_type *t, double *others)
{
  if (agg->spawned < 3 || t->max <= 0)
    return 0;
  *others = (double)(t->sum - t->max) / (double)(agg->spawned - 1);
  return (double)t->max > 4.0 * *others && (double)t->max - *others >= 10.0;
}

/* ---- the end state -------------------------------------------------------------------------- */

static const char *report_alive_heading(const struct recording *m, char *buf, size_t len)
{
  switch (m->end) {
  case RM_END_FINAL: return "Alive at the end";
  case RM_END_SIGNAL: return "Alive when the process died";
  case RM_END_EXEC: return "Alive when the program replaced itself";
  case RM_END_NO_FINAL: return "Alive at the last snapshot (no final snapshot: not called leaks)";
  default:
    snprintf(buf, len, "Alive at snapshot %lld", (long long)m->at_seq);
    return buf;
  }
}

/* Exit reason -> how many visible actors stopped with it. */
static json_t *report_reasons(const struct report *r)
{
  const struct recording *m = r->m;
  json_t *reasons = json_object();
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (recording_visible(m, a) && a->reason != RM_NONE) {
      const char *reason = report_str(r, a->reason);
      json_object_set_new(reasons, reason,
                          json_integer(json_integer_value(json_object_get(reasons, reason)) + 1));
    }
  }
  return reasons;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static json_t *report_json_str(const struct report *r, uint32_t i)
{
  return i == RM_NONE ? json_null() : json_string(report_str(r, i));
}

static json_t *report_json_actor(const struct report *r, const struct rm_actor *a)
{
  json_t *types = json_array();
  for (size_t k = 0; k < a->n_types; k++)
    json_array_append_new(types, json_pack("{s:o, s:I}", "name", report_json_str(r, a->types[k].type),
                                           "count", (json_int_t)a->types[k].count));
  uint32_t type;
  int running;
  int64_t longest = recording_handler_max(a, &type, &running);
  return json_pack("{s:I, s:o, s:o, s:o, s:o, s:b, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, "
                   "s:b, s:o}",
                   "id", (json_int_t)a->id, "name", report_json_str(r, a->name), "runtime",
                   report_json_str(r, a->runtime), "runtime_id",
                   a->has_runtime_id ? json_integer(a->runtime_id) : json_null(), "runtime_scope",
                   a->has_runtime_id ? json_integer(a->runtime_scope) : json_null(), "internal",
                   a->internal, "status", as_status_name(a->status), "parent",
                   a->has_parent ? json_integer(a->parent) : json_null(), "exit_reason",
                   report_json_str(r, a->reason), "messages_received", (json_int_t)a->received,
                   "messages_sent", (json_int_t)a->sent, "exceptions", (json_int_t)a->exceptions,
                   "mailbox_max", (json_int_t)a->mailbox_max, "handler_max_ns", (json_int_t)longest,
                   "handler_max_type", report_json_str(r, type), "handler_running", running,
                   "message_types", types);
}

/* {"p50_ns", "p90_ns", "p99_ns", "max_ns", "finished"} of a histogram, or NULL without one. */
static json_t *report_json_finished(const struct recording *m, const struct as_histogram_bin *bins,
                                    size_t n, int64_t max_ns)
{
  struct rm_finished f;
  if (recording_finished(m, bins, n, max_ns, &f) < 0)
    return NULL;
  return json_pack("{s:I, s:I, s:I, s:I, s:I}", "p50_ns", (json_int_t)f.p50, "p90_ns",
                   (json_int_t)f.p90, "p99_ns", (json_int_t)f.p99, "max_ns", (json_int_t)f.max,
                   "finished", (json_int_t)f.count);
}

/* The actor's longest stuck handler run, as the tracer kept it. */
static json_t *report_json_stuck(struct report *r, const struct rm_actor *a)
{
  json_t *stuck = json_pack("{s:I, s:o, s:b, s:b, s:I, s:I}", "handler_ns", (json_int_t)a->stuck_ns,
                            "type", report_json_str(r, a->stuck_type), "stack_complete",
                            a->stuck_complete, "on_cpu", a->stuck_on_cpu, "cpu_ns",
                            (json_int_t)a->stuck_cpu_ns, "cpu_window_ns",
                            (json_int_t)a->stuck_cpu_window_ns);
  if (!stuck)
    return json_null();
  if (a->stuck_source != RM_NONE)
    json_object_set_new(stuck, "stack_source", report_json_str(r, a->stuck_source));
  if (a->stuck_end != RM_NONE)
    json_object_set_new(stuck, "stack_end", report_json_str(r, a->stuck_end));
  return stuck;
}

static json_t *report_json(struct report *r)
{
  const struct recording *m = r->m;
  /* "actors" and "alive_at_end" hold one row per actor: report_json_print streams them. */
  json_t *actors = json_null(), *alive = json_null(), *reasons = report_reasons(r);
  json_t *slowest = json_array(), *deadlocks = json_array(), *timeline = json_array();
  json_t *by_name = json_array();
  int64_t exceptions = 0;
  for (size_t i = 0; i < m->n_actors; i++)
    if (recording_visible(m, &m->actors[i]))
      exceptions = as_sat_add(exceptions, m->actors[i].exceptions);
  for (size_t i = 0; i < r->n_slowest; i++) {
    const struct rm_actor *a = &m->actors[r->slowest[i]];
    uint32_t type;
    int running;
    int64_t ns = recording_handler_max(a, &type, &running);
    json_t *row = json_pack("{s:I, s:o, s:I, s:o, s:b}", "id", (json_int_t)a->id, "name",
                            report_json_str(r, a->name), "handler_max_ns", (json_int_t)ns, "type",
                            report_json_str(r, type), "running", running);
    /* Present only where the snapshots carry them (histograms, stuck stacks). */
    json_t *finished = report_json_finished(m, a->hist, a->n_hist, a->handler_max_ns);
    if (finished)
      json_object_set_new(row, "finished_handlers", finished);
    json_t *waits = waits_json(m, a->wait_hist, a->n_wait_hist);
    if (waits)
      json_object_set_new(row, "mailbox_wait", waits);
    if (a->n_stack) {
      json_t *stack = json_array();
      for (uint8_t k = 0; k < a->n_stack; k++)
        json_array_append_new(stack, report_json_str(r, a->stack[k]));
      json_object_set_new(row, "stuck_stack", stack);
    }
    if (a->has_stuck)
      json_object_set_new(row, "stuck", report_json_stuck(r, a));
    json_array_append_new(slowest, row);
  }
  for (size_t i = 0; i < r->names.n; i++) {
    const struct rm_name *agg = &r->names.items[i];
    json_t *types = json_array();
    for (size_t k = 0; k < agg->n_types; k++) {
      const struct rm_name_type *t = &agg->types[k];
      double others;
      json_t *row = json_pack("{s:o, s:I, s:I, s:I}", "type", report_json_str(r, t->type),
                              "count", (json_int_t)t->sum, "max", (json_int_t)t->max, "max_id",
                              (json_int_t)t->max_id);
      json_object_set_new(row, "outlier", json_boolean(report_outlier(agg, t, &others)));
      json_array_append_new(types, row);
    }
    json_t *row = json_pack("{s:o, s:I, s:I, s:I, s:o}", "name", report_json_str(r, agg->name),
                            "actors", (json_int_t)agg->spawned, "alive_at_end",
                            (json_int_t)agg->alive_at_end, "messages_received",
                            (json_int_t)agg->messages, "messages", types);
    json_t *sockets = agg->n_sockets ? json_array() : NULL;
    for (size_t k = 0; k < agg->n_sockets; k++)
      json_array_append_new(sockets, json_pack("{s:o, s:I, s:I}", "kind",
                                               report_json_str(r, agg->sockets[k].kind),
                                               "received", (json_int_t)agg->sockets[k].received,
                                               "sent", (json_int_t)agg->sockets[k].sent));
    if (sockets)
      json_object_set_new(row, "sockets", sockets);
    json_t *finished = report_json_finished(m, agg->hist, agg->n_hist, agg->finished_max_ns);
    if (finished)
      json_object_set_new(row, "finished_handlers", finished);
    json_t *waits = waits_json(m, agg->wait_hist, agg->n_wait_hist);
    if (waits)
      json_object_set_new(row, "mailbox_wait", waits);
    json_array_append_new(by_name, row);
  }
  for (size_t i = 0; i < m->n_cycles; i++) {
    json_t *ids = json_array(), *names = json_array();
    for (size_t k = 0; k < m->cycles[i].n; k++) {
      json_array_append_new(ids, json_integer(m->cycles[i].ids[k]));
      json_array_append_new(names, report_json_str(r, m->cycles[i].names[k]));
    }
    json_array_append_new(deadlocks, json_pack("{s:I, s:o, s:o}", "first_seq",
                                               (json_int_t)m->cycles[i].first_seq, "actors", ids,
                                               "names", names));
  }
  for (size_t i = 0; i < m->n_points; i++) {
    const struct rm_point *p = &m->timeline[i];
    json_t *rate = json_null();
    if (i > 0 && p->uptime_ns > m->timeline[i - 1].uptime_ns)
      rate = json_real((double)(p->messages - m->timeline[i - 1].messages) * 1e9 /
                       (double)(p->uptime_ns - m->timeline[i - 1].uptime_ns));
    json_array_append_new(timeline, json_pack("{s:I, s:I, s:I, s:I, s:o}", "seq", (json_int_t)p->seq,
                                              "uptime_ns", (json_int_t)p->uptime_ns, "alive",
                                              (json_int_t)p->alive, "messages_received",
                                              (json_int_t)p->messages, "messages_per_s", rate));
  }
  static const char *const ends[] = {"final", "signal", "exec", "no_final_snapshot", "at_seq"};
  json_t *program = report_json_str(r, m->program);
  json_t *account = json_pack("{s:s, s:o, s:o, s:I, s:I, s:I, s:b, s:s, s:o, s:b, s:I, s:{s:I, s:I, s:I, s:I}, "
                   "s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o}",
                   "file", m->source, "program", program, "name", report_json_str(r, m->name),
                   "pid", (json_int_t)m->pid, "snapshots",
                   (json_int_t)m->n_points, "seq", (json_int_t)m->at_seq, "final", m->at_final,
                   "ended", ends[m->end], "signal", report_json_str(r, m->at_signal), "truncated",
                   m->truncated, "uptime_ns", (json_int_t)m->at_uptime_ns, "totals", "alive",
                   (json_int_t)m->at_alive, "total_spawned", (json_int_t)m->at_spawned,
                   "total_stopped", (json_int_t)m->at_stopped, "messages_received",
                   (json_int_t)m->at_messages, "max_alive", (json_int_t)recording_max_alive(m),
                   "internal_hidden", (json_int_t)recording_hidden(m), "actors", actors,
                   "messages_by_name", by_name, "slowest_handlers", slowest, "exit_reasons",
                   reasons, "exceptions", (json_int_t)exceptions, "alive_at_end", alive,
                   "deadlocks", deadlocks, "timeline", timeline);
  /* Only a reading that lacks lines says so (every seq from 0 on: nothing is said). */
  if (account && m->n_gaps) {
    json_t *gaps = json_array();
    for (size_t i = 0; i < m->n_gaps; i++)
      json_array_append_new(gaps, json_pack("{s:I, s:I}", "first", (json_int_t)m->gaps[i].first,
                                            "last", (json_int_t)m->gaps[i].last));
    json_object_set_new(account, "missing_seqs", gaps);
    json_object_set_new(account, "missing_seq_count", json_integer(m->seqs_missing));
  }
  return account;
}

/* VALUE as JSON_INDENT(2) text, every line after the first indented by INDENT more. */
static int report_json_emit(json_t *value, int indent)
{
  char *text = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
  if (!text)
    return -1;
  for (const char *c = text; *c; c++) {
    putchar(*c);
    if (*c == '\n')
      printf("%*s", indent, "");
  }
  free(text);
  return 0;
}

/* Row I of a streamed array (NULL when the actor has none), built and freed one at a time. */
static json_t *report_json_row(struct report *r, const char *key, size_t i)
{
  const struct recording *m = r->m;
  if (strcmp(key, "actors") == 0)
    return report_json_actor(r, &m->actors[r->order[i]]);
  const struct rm_actor *a = &m->actors[i];
  if (!recording_visible(m, a) || !recording_alive_at_end(m, a))
    return NULL;
  return json_pack("{s:I, s:o}", "id", (json_int_t)a->id, "name", report_json_str(r, a->name));
}

/* The account as the single JSON object report_json describes, with its per-actor arrays
 * written row by row: a 100k-actor run never holds them whole. */
static int report_json_print(struct report *r, json_t *account)
{
  const char *key;
  json_t *value;
  size_t left = json_object_size(account);
  printf("{\n");
  json_object_foreach(account, key, value) {
    printf("  \"%s\": ", key);
    if (json_is_null(value) && (strcmp(key, "actors") == 0 || strcmp(key, "alive_at_end") == 0)) {
      size_t n = strcmp(key, "actors") == 0 ? r->n_order : r->m->n_actors, rows = 0;
      for (size_t i = 0; i < n; i++) {
        json_t *row = report_json_row(r, key, i);
        if (!row)
          continue;
        printf(rows++ ? ",\n    " : "[\n    ");
        int rc = report_json_emit(row, 4);
        json_decref(row);
        if (rc < 0)
          return -1;
      }
      printf(rows ? "\n  ]" : "[]");
    } else if (report_json_emit(value, 2) < 0) {
      return -1;
    }
    printf(--left ? ",\n" : "\n");
  }
  printf("}\n");
  return 0;
}

/* ---- text ----------------------------------------------------------------------------------- */

static void report_print_group_heading(const struct report *r, const struct rm_actor *a)
{
  if (a->has_runtime_id)
    printf("  %s, actor system %lld:\n", report_str(r, a->runtime), (long long)a->runtime_scope);
  else
    printf("  %s:\n", report_str(r, a->runtime));
}

static void report_print_tree(const struct report *r)
{
  const struct recording *m = r->m;
  struct show_budget budget = {r->lines_per_section, 0};
  const struct rm_actor *group = NULL;
  char name[REPORT_NAME_WIDTH + 8];
  printf("\nActor tree:\n");
  for (size_t i = 0; i < r->n_order; i++) {
    const struct rm_actor *a = &m->actors[r->order[i]];
    if (!group || report_group_cmp(m, group, a) != 0) {
      group = a;
      report_print_group_heading(r, a);
    }
    if (!show_spend(&budget))
      continue;
    size_t depth = r->depth[i];
    int indent = (int)(depth < REPORT_MAX_INDENT ? depth : REPORT_MAX_INDENT) * 2;
    char caf_id[48] = "", deep[32] = "";
    if (a->has_runtime_id)
      snprintf(caf_id, sizeof caf_id, " (caf id %lld)", (long long)a->runtime_id);
    if (depth > REPORT_MAX_INDENT)
      snprintf(deep, sizeof deep, "[depth %zu] ", depth);
    const char *reason = a->reason != RM_NONE ? report_str(r, a->reason) : NULL;
    printf("    %*s%s#%lld %s%s%s %s%s%s%s%s  received %lld, sent %lld, mailbox max %lld\n",
           indent, "", deep, (long long)a->id,
           show_name(report_str(r, a->name), REPORT_NAME_WIDTH, name, sizeof name), caf_id,
           r->cyclic[i] ? " (its parents form a cycle)" : "", as_status_name(a->status),
           reason ? " (" : "", reason ? reason : "", reason ? ")" : "",
           a->attached_late ? " [running before attach: counted since]" : "",
           (long long)a->received, (long long)a->sent, (long long)a->mailbox_max);
  }
  show_skipped(&budget, "actors");
}

static void report_print_messages(const struct report *r, int all)
{
  const struct recording *m = r->m;
  struct show_budget budget = {r->lines_per_section, 0};
  char name[REPORT_NAME_WIDTH + 8];
  printf("\nMessages by type, per actor name:\n");
  const struct rm_name **sorted = calloc(r->names.n + 1, sizeof *sorted);
  if (!sorted)
    return;
  size_t n = 0;
  for (size_t i = 0; i < r->names.n; i++)
    if (r->names.items[i].n_types)
      sorted[n++] = &r->names.items[i];
  report_sort_model = m;
  qsort(sorted, n, sizeof *sorted, report_name_by_messages);
  if (n == 0)
    printf("  none received\n");
  for (size_t i = 0; i < n; i++) {
    struct rm_name *agg = (struct rm_name *)sorted[i];
    qsort(agg->types, agg->n_types, sizeof *agg->types, report_type_cmp);
    if (!show_spend(&budget))
      continue;
    printf("  %s (%lld actor%s):", show_name(report_str(r, agg->name), REPORT_NAME_WIDTH, name,
                                              sizeof name),
           (long long)agg->spawned, agg->spawned == 1 ? "" : "s");
    size_t shown = all ? agg->n_types : REPORT_TYPES_PER_LINE;
    for (size_t k = 0; k < agg->n_types && k < shown; k++)
      printf("%s %s %lld", k ? "," : "", show_name(report_str(r, agg->types[k].type), 40, name,
                                                   sizeof name),
             (long long)agg->types[k].sum);
    if (agg->n_types > shown)
      printf(", and %zu more types", agg->n_types - shown);
    printf("\n");
    /* CZMQ: its sockets besides the pipe, by kind and direction. */
    for (size_t k = 0; k < agg->n_sockets; k++) {
      const struct rm_socket *so = &agg->sockets[k];
      printf("%s %s", k ? ";" : "    sockets:", report_str(r, so->kind));
      if (so->received || !so->sent)
        printf(" %lld received", (long long)so->received);
      if (so->sent)
        printf(" %lld sent", (long long)so->sent);
      printf("%s", k + 1 == agg->n_sockets ? "\n" : "");
    }
    for (size_t k = 0; k < agg->n_types; k++) {
      double others;
      if (report_outlier(agg, &agg->types[k], &others) && show_spend(&budget))
        printf("    outlier: #%lld received %lld %s (the others %.1f on average)\n",
               (long long)agg->types[k].max_id, (long long)agg->types[k].max,
               show_name(report_str(r, agg->types[k].type), 40, name, sizeof name), others);
    }
  }
  show_skipped(&budget, "names");
  free(sorted);
}

/* "p50 4.10 µs, p90 10.2 µs, p99 101 ms, max 101 ms of 24 finished" and a newline, after
 * INDENT, when the histogram exists. Returns whether it printed. */
static int report_print_finished(const struct recording *m, const char *indent,
                                 const struct as_histogram_bin *bins, size_t n, int64_t max_ns)
{
  struct rm_finished f;
  if (recording_finished(m, bins, n, max_ns, &f) < 0)
    return 0;
  char p50[SHOW_DURATION_MAX], p90[SHOW_DURATION_MAX], p99[SHOW_DURATION_MAX], max[SHOW_DURATION_MAX];
  printf("%sp50 %s, p90 %s, p99 %s, max %s of %llu finished\n", indent,
         show_duration(f.p50, 0, p50, sizeof p50), show_duration(f.p90, 0, p90, sizeof p90),
         show_duration(f.p99, 0, p99, sizeof p99), show_duration(f.max, 0, max, sizeof max),
         (unsigned long long)f.count);
  return 1;
}

/* Handler-time percentiles per actor name (the names of the slowest actors), and where each of
 * those actors' stuck handlers was. */
static void report_print_by_name(const struct report *r)
{
  const struct recording *m = r->m;
  char name[REPORT_NAME_WIDTH + 8];
  int heading = 0;
  for (size_t i = 0; i < r->names.n; i++) {
    const struct rm_name *agg = &r->names.items[i];
    if (!agg->n_hist)
      continue;
    if (!heading++)
      printf("  by name (finished handlers, every actor of the name):\n");
    char lead[REPORT_NAME_WIDTH + 48];
    snprintf(lead, sizeof lead, "    %s (%lld actor%s): ",
             show_name(report_str(r, agg->name), REPORT_NAME_WIDTH, name, sizeof name),
             (long long)agg->spawned, agg->spawned == 1 ? "" : "s");
    report_print_finished(m, lead, agg->hist, agg->n_hist, agg->finished_max_ns);
  }
}

/* ", stuck in zclock_sleep <- napper <- ..." closing the slowest-handler line, then its
 * percentiles and mailbox waits, the whole stack and how it was read. */
static void report_print_stuck(const struct report *r, const struct rm_actor *a)
{
  char line[512], frame[256], how[256], took[SHOW_DURATION_MAX];
  const char **frames = a->n_stack ? calloc(a->n_stack, sizeof *frames) : NULL;
  for (uint8_t k = 0; frames && k < a->n_stack; k++)
    frames[k] = report_str(r, a->stack[k]);
  if (frames && show_stack_line(frames, a->n_stack, line, sizeof line)[0])
    printf(", stuck in %s", line);
  else if (a->has_stuck && a->stuck_on_cpu)
    printf(", spinning on a CPU");
  free(frames);
  printf("\n");
  report_print_finished(r->m, "      ", a->hist, a->n_hist, a->handler_max_ns);
  waits_print_line(r->m, "      ", a->wait_hist, a->n_wait_hist);
  /* The stuck run is normally the longest one above; when another was longer, it says which. */
  int64_t longest = recording_handler_max(a, NULL, NULL);
  if (a->has_stuck && (a->stuck_ns < longest - longest / 100 || a->stuck_ns > longest + longest / 100))
    printf("      (the stuck one: %s handling %s)\n",
           show_duration(a->stuck_ns, 0, took, sizeof took),
           show_name(report_str(r, a->stuck_type), 40, frame, sizeof frame));
  if (a->has_stuck && (a->n_stack || a->stuck_source != RM_NONE))
    printf("      %s\n",
           show_stack_source(a->stuck_source != RM_NONE ? report_str(r, a->stuck_source) : NULL,
                             a->stuck_complete,
                             a->stuck_end != RM_NONE ? report_str(r, a->stuck_end) : NULL,
                             a->stuck_cpu_ns, a->stuck_cpu_window_ns, how, sizeof how));
  if (a->n_stack)
    printf("      stuck in (innermost first):\n");
  for (uint8_t k = 0; k < a->n_stack; k++)
    printf("        %s\n", show_name(report_str(r, a->stack[k]), 240, frame, sizeof frame));
}

static void report_print_slowest(const struct report *r)
{
  const struct recording *m = r->m;
  char name[REPORT_NAME_WIDTH + 8], type_name[48], took[SHOW_DURATION_MAX];
  printf("\nSlowest handlers:\n");
  if (r->n_slowest == 0)
    printf("  none recorded\n");
  for (size_t i = 0; i < r->n_slowest; i++) {
    const struct rm_actor *a = &m->actors[r->slowest[i]];
    uint32_t type;
    int running;
    int64_t ns = recording_handler_max(a, &type, &running);
    printf("  #%lld %s: %s", (long long)a->id,
           show_name(report_str(r, a->name), REPORT_NAME_WIDTH, name, sizeof name),
           show_duration(ns, 0, took, sizeof took));
    if (type != RM_NONE)
      printf(" handling %s", show_name(report_str(r, type), 40, type_name, sizeof type_name));
    else
      printf(" (message type not known: several arrived between two snapshots)");
    if (running && recording_alive_at_end(m, a) && a->handling_now)
      printf(", still running at snapshot %lld", (long long)m->at_seq);
    else if (running)
      printf(", seen running at a snapshot");
    report_print_stuck(r, a);
  }
  report_print_by_name(r);
  waits_print_section(r->m, &r->names, r->lines_per_section);
}

static void report_print_end(const struct report *r)
{
  const struct recording *m = r->m;
  struct show_budget budget = {r->lines_per_section, 0};
  char name[REPORT_NAME_WIDTH + 8], heading[64];
  int64_t exceptions = 0;
  size_t alive = 0;
  json_t *reasons = report_reasons(r);
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (recording_visible(m, a)) {
      exceptions = as_sat_add(exceptions, a->exceptions);
      alive += recording_alive_at_end(m, a);
    }
  }
  printf("\nExit reasons:");
  if (json_object_size(reasons) == 0)
    printf(" none");
  const char **keys = calloc(json_object_size(reasons) + 1, sizeof *keys);
  size_t nk = 0;
  const char *key;
  json_t *count;
  json_object_foreach(reasons, key, count) if (keys) keys[nk++] = key;
  for (size_t i = 0; i + 1 < nk; i++)
    for (size_t k = i + 1; k < nk; k++)
      if (strcmp(keys[k], keys[i]) < 0) {
        const char *t = keys[i];
        keys[i] = keys[k];
        keys[k] = t;
      }
  for (size_t i = 0; i < nk; i++)
    printf(" %s %lld", keys[i], (long long)json_integer_value(json_object_get(reasons, keys[i])));
  free(keys);
  json_decref(reasons);
  printf("\nExceptions: %lld\n", (long long)exceptions);
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (recording_visible(m, a) && a->exceptions > 0 && show_spend(&budget))
      printf("  #%lld %s: %lld\n", (long long)a->id,
             show_name(report_str(r, a->name), REPORT_NAME_WIDTH, name, sizeof name),
             (long long)a->exceptions);
  }
  show_skipped(&budget, "actors");
  printf("%s: %zu%s\n", report_alive_heading(m, heading, sizeof heading), alive,
         alive && m->end == RM_END_FINAL ? " (never stopped: possible leaks)" : "");
  budget = (struct show_budget){r->lines_per_section, 0};
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (recording_visible(m, a) && recording_alive_at_end(m, a) && show_spend(&budget))
      printf("  #%lld %s\n", (long long)a->id,
             show_name(report_str(r, a->name), REPORT_NAME_WIDTH, name, sizeof name));
  }
  show_skipped(&budget, "actors");
  printf("Deadlocks: %zu\n", m->n_cycles);
  for (size_t i = 0; i < m->n_cycles; i++) {
    const struct rm_cycle *c = &m->cycles[i];
    printf("  first seen at snapshot %lld:", (long long)c->first_seq);
    for (size_t k = 0; k < c->n; k++)
      printf(" #%lld %s ->", (long long)c->ids[k],
             show_name(report_str(r, c->names[k]), 40, name, sizeof name));
    printf(" #%lld\n", c->n ? (long long)c->ids[0] : 0LL);
  }
}

static void report_print_timeline(const struct recording *m)
{
  printf("\nTimeline:\n  %10s %8s %14s\n", "uptime s", "alive", "messages/s");
  size_t last = m->n_points - 1, step = last / REPORT_TIMELINE_ROWS + 1, prev = 0;
  /* Every step-th snapshot, and always the last one; rates between the rows shown. */
  for (size_t i = 0;; i = i + step < last ? i + step : last) {
    const struct rm_point *p = &m->timeline[i];
    if (i == 0 || p->uptime_ns <= m->timeline[prev].uptime_ns)
      printf("  %10.3f %8lld %14s\n", (double)p->uptime_ns / 1e9, (long long)p->alive, "-");
    else
      printf("  %10.3f %8lld %14.0f\n", (double)p->uptime_ns / 1e9, (long long)p->alive,
             (double)(p->messages - m->timeline[prev].messages) * 1e9 /
                 (double)(p->uptime_ns - m->timeline[prev].uptime_ns));
    prev = i;
    if (i == last)
      break;
  }
}

static void report_print_text(struct report *r, int all, int now)
{
  const struct recording *m = r->m;
  char note[2048], uptime[SHOW_DURATION_MAX];
  printf("actorscope report: %s\nprogram: ", m->source);
  /* A compiled program by its path; a script by its name and interpreter's (format/program.h). */
  const char *path = m->program != RM_NONE ? report_str(r, m->program) : NULL;
  const char *name = m->name != RM_NONE ? report_str(r, m->name) : NULL;
  const char *base = path && strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  show_clean(path && (!name || strcmp(name, base) == 0) ? path : name ? name : "?", stdout);
  printf(" (pid %lld)\n", (long long)m->pid);
  printf("state at snapshot seq %lld (%zu snapshot%s %s)%s, uptime %s%s\n",
         (long long)m->at_seq, m->n_points, m->n_points == 1 ? "" : "s",
         m->end == RM_END_AT ? "read" : "in all", m->at_final ? " (final)" : "",
         show_duration(m->at_uptime_ns, 0, uptime, sizeof uptime),
         m->truncated ? "; the file's last line was cut short" : "");
  if (now && !m->at_final)
    printf("%s\n", m->live ? "the state now: the program is running"
                           : "the last snapshot so far (no final one yet: the program may still "
                             "be running)");
  else if (recording_end_note(m, note, sizeof note))
    printf("%s\n", note);
  if (recording_gaps_note(m, note, sizeof note))
    printf("missing snapshots: %s\n", note);
  printf("actors: %lld spawned, %lld stopped, %lld alive (at most %lld at once); %lld messages "
         "received\n",
         (long long)m->at_spawned, (long long)m->at_stopped, (long long)m->at_alive,
         (long long)recording_max_alive(m), (long long)m->at_messages);
  size_t hidden = recording_hidden(m);
  if (hidden)
    printf("runtime-internal actors left out: %zu (--internal includes them)\n", hidden);
  report_print_tree(r);
  report_print_messages(r, all);
  report_print_slowest(r);
  report_print_end(r);
  report_print_timeline(m);
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
    case 'h':
      fputs(report_usage, stdout);
      return CMD_OK;
    default:
      fputs(report_usage, stderr);
      return CMD_USAGE;
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
  if (recording_names(&model, &r.names) < 0 || report_order(&r) < 0 || report_find_slowest(&r) < 0) {
    fprintf(stderr, "actorscope report: out of memory\n");
    status = CMD_USAGE;
  } else if (as_json) {
    json_t *out = report_json(&r);
    if (!out || report_json_print(&r, out) < 0) {
      fprintf(stderr, "actorscope report: out of memory\n");
      status = CMD_USAGE;
    }
    json_decref(out);
  } else {
    report_print_text(&r, all, now);
  }
  recording_names_free(&r.names);
  free(r.order);
  free(r.depth);
  free(r.cyclic);
  free(r.slowest);
  recording_free(&model);
  return status;
}
