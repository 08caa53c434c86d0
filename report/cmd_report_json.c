/* actorscope report --json: the account as one JSON object (cmd_report.h). */
#define _GNU_SOURCE
#include "cmd_report.h"
#include "actor_model.h"
#include "waits.h"
#include "show.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

json_t *report_json(struct report *r)
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
  /* The runtime's own count (CAF), beside the CAF actors seen, when the file says it. */
  json_t *totals = account ? json_object_get(account, "totals") : NULL;
  if (totals && m->at_running.known) {
    json_object_set_new(totals, "runtime_running", json_integer(m->at_running.running));
    json_object_set_new(totals, "caf_seen", json_integer(m->at_running.seen));
  }
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
    return report_json_actor(r, &m->actors[r->tree.order[i]]);
  const struct rm_actor *a = &m->actors[i];
  if (!recording_visible(m, a) || !recording_alive_at_end(m, a))
    return NULL;
  return json_pack("{s:I, s:o}", "id", (json_int_t)a->id, "name", report_json_str(r, a->name));
}

/* The account as the single JSON object report_json describes, with its per-actor arrays
 * written row by row: a 100k-actor run never holds them whole. */
int report_json_print(struct report *r, json_t *account)
{
  const char *key;
  json_t *value;
  size_t left = json_object_size(account);
  printf("{\n");
  json_object_foreach(account, key, value) {
    printf("  \"%s\": ", key);
    if (json_is_null(value) && (strcmp(key, "actors") == 0 || strcmp(key, "alive_at_end") == 0)) {
      size_t n = strcmp(key, "actors") == 0 ? r->tree.n : r->m->n_actors, rows = 0;
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

