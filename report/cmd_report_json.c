/* actorscope report --json: the account as one JSON object (cmd_report.h), streamed as it is
 * walked (report/lib/jsonout.h): a 100k-actor run is never held as a document. */
#define _GNU_SOURCE
#include "cmd_report.h"
#include "actor_model.h"
#include "jsonout.h"
#include "pairs.h"
#include "waits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An interned text, or null. */
static void report_json_str(struct jsonout *j, const struct report *r, const char *key, uint32_t i)
{
  jsonout_str(j, key, i == RM_NONE ? NULL : report_str(r, i));
}

static void report_json_actor(struct jsonout *j, const struct report *r, const struct rm_actor *a)
{
  uint32_t type;
  int running;
  int64_t longest = recording_handler_max(a, &type, &running);
  jsonout_object_begin(j, NULL);
  jsonout_int(j, "id", a->id);
  report_json_str(j, r, "name", a->name);
  if (a->full_name != RM_NONE) /* the whole name the tracer shortened; check takes either */
    report_json_str(j, r, "full_name", a->full_name);
  report_json_str(j, r, "runtime", a->runtime);
  if (a->has_runtime_id) {
    jsonout_int(j, "runtime_id", a->runtime_id);
    jsonout_int(j, "runtime_scope", a->runtime_scope);
  } else {
    jsonout_null(j, "runtime_id");
    jsonout_null(j, "runtime_scope");
  }
  jsonout_bool(j, "internal", a->internal);
  jsonout_str(j, "status", as_status_name(a->status));
  if (a->has_parent)
    jsonout_int(j, "parent", a->parent);
  else
    jsonout_null(j, "parent");
  report_json_str(j, r, "exit_reason", a->reason);
  jsonout_int(j, "messages_received", a->received);
  jsonout_int(j, "messages_sent", a->sent);
  jsonout_int(j, "exceptions", a->exceptions);
  jsonout_int(j, "mailbox_max", a->mailbox_max);
  jsonout_int(j, "handler_max_ns", longest);
  report_json_str(j, r, "handler_max_type", type);
  jsonout_bool(j, "handler_running", running);
  jsonout_array_begin(j, "message_types");
  for (size_t k = 0; k < a->n_types; k++) {
    jsonout_object_begin(j, NULL);
    report_json_str(j, r, "name", a->types[k].type);
    jsonout_int(j, "count", a->types[k].count);
    jsonout_object_end(j);
  }
  jsonout_array_end(j);
  jsonout_object_end(j);
}

/* KEY: {"p50_ns", "p90_ns", "p99_ns", "max_ns", "finished"} of a histogram; nothing without one. */
static void report_json_finished(struct jsonout *j, const char *key, const struct recording *m,
                                 const struct as_histogram_bin *bins, size_t n, int64_t max_ns)
{
  struct rm_finished f;
  if (recording_finished(m, bins, n, max_ns, &f) == 0)
    waits_json_percentiles(j, key, &f, "finished");
}

/* The actor's longest stuck handler run, as the tracer kept it. */
static void report_json_stuck(struct jsonout *j, const struct report *r, const struct rm_actor *a)
{
  jsonout_object_begin(j, "stuck");
  jsonout_int(j, "handler_ns", a->stuck_ns);
  report_json_str(j, r, "type", a->stuck_type);
  jsonout_bool(j, "stack_complete", a->stuck_complete);
  jsonout_bool(j, "on_cpu", a->stuck_on_cpu);
  jsonout_int(j, "cpu_ns", a->stuck_cpu_ns);
  jsonout_int(j, "cpu_window_ns", a->stuck_cpu_window_ns);
  if (a->stuck_source != RM_NONE)
    report_json_str(j, r, "stack_source", a->stuck_source);
  if (a->stuck_end != RM_NONE)
    report_json_str(j, r, "stack_end", a->stuck_end);
  jsonout_object_end(j);
}

static void report_json_slowest(struct jsonout *j, const struct report *r)
{
  const struct recording *m = r->m;
  jsonout_array_begin(j, "slowest_handlers");
  for (size_t i = 0; i < r->n_slowest; i++) {
    const struct rm_actor *a = &m->actors[r->slowest[i]];
    uint32_t type;
    int running;
    int64_t ns = recording_handler_max(a, &type, &running);
    jsonout_object_begin(j, NULL);
    jsonout_int(j, "id", a->id);
    report_json_str(j, r, "name", a->name);
    jsonout_int(j, "handler_max_ns", ns);
    report_json_str(j, r, "type", type);
    jsonout_bool(j, "running", running);
    /* Present only where the snapshots carry them (histograms, stuck stacks). */
    report_json_finished(j, "finished_handlers", m, a->hist, a->n_hist, a->handler_max_ns);
    waits_json(j, "mailbox_wait", m, a->wait_hist, a->n_wait_hist);
    if (a->n_stack) {
      jsonout_array_begin(j, "stuck_stack");
      for (uint8_t k = 0; k < a->n_stack; k++)
        report_json_str(j, r, NULL, a->stack[k]);
      jsonout_array_end(j);
    }
    if (a->has_stuck)
      report_json_stuck(j, r, a);
    jsonout_object_end(j);
  }
  jsonout_array_end(j);
}

static void report_json_by_name(struct jsonout *j, const struct report *r)
{
  const struct recording *m = r->m;
  jsonout_array_begin(j, "messages_by_name");
  for (size_t i = 0; i < r->names.n; i++) {
    const struct rm_name *agg = &r->names.items[i];
    jsonout_object_begin(j, NULL);
    report_json_str(j, r, "name", agg->name);
    jsonout_int(j, "actors", agg->spawned);
    jsonout_int(j, "alive_at_end", agg->alive_at_end);
    jsonout_int(j, "messages_received", agg->messages);
    jsonout_array_begin(j, "messages");
    for (size_t k = 0; k < agg->n_types; k++) {
      const struct rm_name_type *t = &agg->types[k];
      double others;
      jsonout_object_begin(j, NULL);
      report_json_str(j, r, "type", t->type);
      jsonout_int(j, "count", t->sum);
      jsonout_int(j, "max", t->max);
      jsonout_int(j, "max_id", t->max_id);
      jsonout_bool(j, "outlier", report_outlier(agg, t, &others));
      jsonout_object_end(j);
    }
    jsonout_array_end(j);
    if (agg->n_sockets) {
      jsonout_array_begin(j, "sockets");
      for (size_t k = 0; k < agg->n_sockets; k++) {
        jsonout_object_begin(j, NULL);
        report_json_str(j, r, "kind", agg->sockets[k].kind);
        jsonout_int(j, "received", agg->sockets[k].received);
        jsonout_int(j, "sent", agg->sockets[k].sent);
        jsonout_object_end(j);
      }
      jsonout_array_end(j);
    }
    report_json_finished(j, "finished_handlers", m, agg->hist, agg->n_hist, agg->finished_max_ns);
    waits_json(j, "mailbox_wait", m, agg->wait_hist, agg->n_wait_hist);
    jsonout_object_end(j);
  }
  jsonout_array_end(j);
}

static int report_json_reasons(struct jsonout *j, const struct report *r)
{
  struct report_reason *reasons;
  size_t n;
  if (report_reasons(r, &reasons, &n) < 0)
    return -1;
  jsonout_object_begin(j, "exit_reasons");
  for (size_t i = 0; i < n; i++)
    jsonout_int(j, report_str(r, reasons[i].reason), reasons[i].count);
  jsonout_object_end(j);
  free(reasons);
  return 0;
}

static void report_json_end(struct jsonout *j, const struct report *r)
{
  const struct recording *m = r->m;
  jsonout_array_begin(j, "alive_at_end");
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (!recording_visible(m, a) || !recording_alive_at_end(m, a))
      continue;
    jsonout_object_begin(j, NULL);
    jsonout_int(j, "id", a->id);
    report_json_str(j, r, "name", a->name);
    jsonout_object_end(j);
  }
  jsonout_array_end(j);
  jsonout_array_begin(j, "deadlocks");
  for (size_t i = 0; i < m->n_cycles; i++) {
    jsonout_object_begin(j, NULL);
    jsonout_int(j, "first_seq", m->cycles[i].first_seq);
    jsonout_array_begin(j, "actors");
    for (size_t k = 0; k < m->cycles[i].n; k++)
      jsonout_int(j, NULL, m->cycles[i].ids[k]);
    jsonout_array_end(j);
    jsonout_array_begin(j, "names");
    for (size_t k = 0; k < m->cycles[i].n; k++)
      report_json_str(j, r, NULL, m->cycles[i].names[k]);
    jsonout_array_end(j);
    jsonout_object_end(j);
  }
  jsonout_array_end(j);
  jsonout_array_begin(j, "timeline");
  for (size_t i = 0; i < m->n_points; i++) {
    const struct rm_point *p = &m->timeline[i];
    jsonout_object_begin(j, NULL);
    jsonout_int(j, "seq", p->seq);
    jsonout_int(j, "uptime_ns", p->uptime_ns);
    jsonout_int(j, "alive", recording_point_alive(m, i));
    jsonout_int(j, "messages_received", recording_point_messages(m, i));
    if (i > 0 && p->uptime_ns > m->timeline[i - 1].uptime_ns)
      jsonout_real(j, "messages_per_s",
                   (double)(recording_point_messages(m, i) - recording_point_messages(m, i - 1)) *
                       1e9 / (double)(p->uptime_ns - m->timeline[i - 1].uptime_ns));
    else
      jsonout_null(j, "messages_per_s");
    jsonout_object_end(j);
  }
  jsonout_array_end(j);
  /* Only a reading that lacks lines says so (every seq from 0 on: nothing is said). */
  if (m->n_gaps) {
    jsonout_array_begin(j, "missing_seqs");
    for (size_t i = 0; i < m->n_gaps; i++) {
      jsonout_object_begin(j, NULL);
      jsonout_int(j, "first", m->gaps[i].first);
      jsonout_int(j, "last", m->gaps[i].last);
      jsonout_object_end(j);
    }
    jsonout_array_end(j);
    jsonout_int(j, "missing_seq_count", m->seqs_missing);
  }
}

int report_json_print(struct report *r, int all)
{
  static const char *const ends[] = {[RM_END_FINAL] = "final",
                                     [RM_END_SIGNAL] = "signal",
                                     [RM_END_EXEC] = "exec",
                                     [RM_END_DETACH] = "detach",
                                     [RM_END_NO_FINAL] = "no_final_snapshot",
                                     [RM_END_AT] = "at_seq"};
  const struct recording *m = r->m;
  struct jsonout j;
  jsonout_init(&j, stdout);
  jsonout_object_begin(&j, NULL);
  jsonout_str(&j, "file", m->source);
  report_json_str(&j, r, "program", m->program);
  report_json_str(&j, r, "name", m->name);
  jsonout_int(&j, "pid", m->pid);
  jsonout_int(&j, "snapshots", (int64_t)m->n_points);
  jsonout_int(&j, "seq", m->at_seq);
  jsonout_bool(&j, "final", m->at_final);
  jsonout_str(&j, "ended", ends[m->end]);
  report_json_str(&j, r, "signal", m->at_signal);
  jsonout_bool(&j, "truncated", m->truncated);
  jsonout_int(&j, "uptime_ns", m->at_uptime_ns);
  /* The text's header counts: runtime-internal actors left out unless --internal. */
  struct rm_counts counts;
  recording_counts(m, &counts);
  jsonout_object_begin(&j, "totals");
  jsonout_int(&j, "alive", counts.alive);
  jsonout_int(&j, "total_spawned", counts.spawned);
  if (counts.found_at_attach)
    jsonout_int(&j, "found_at_attach", counts.found_at_attach);
  jsonout_int(&j, "total_stopped", counts.stopped);
  jsonout_int(&j, "messages_received", counts.messages);
  /* The runtime's own count (CAF), beside the CAF actors seen, when the file says it. */
  if (m->at_running.known) {
    jsonout_int(&j, "runtime_running", m->at_running.running);
    jsonout_int(&j, "caf_seen", m->at_running.seen);
  }
  jsonout_object_end(&j);
  jsonout_int(&j, "max_alive", counts.max_alive);
  jsonout_int(&j, "internal_hidden", (int64_t)counts.hidden);
  if (m->n_diagnostics) {
    jsonout_array_begin(&j, "diagnostics");
    for (size_t k = 0; k < m->n_diagnostics; k++) {
      jsonout_object_begin(&j, NULL);
      report_json_str(&j, r, "code", m->diagnostics[2 * k]);
      report_json_str(&j, r, "message", m->diagnostics[2 * k + 1]);
      jsonout_object_end(&j);
    }
    jsonout_array_end(&j);
  }
  jsonout_array_begin(&j, "actors");
  for (size_t i = 0; i < r->tree.n; i++)
    report_json_actor(&j, r, &m->actors[r->tree.order[i]]);
  jsonout_array_end(&j);
  report_json_by_name(&j, r);
  if (report_pairs_json(&j, m, all) < 0)
    return -1;
  report_json_slowest(&j, r);
  if (report_json_reasons(&j, r) < 0)
    return -1;
  int64_t exceptions = 0;
  for (size_t i = 0; i < m->n_actors; i++)
    if (recording_visible(m, &m->actors[i]))
      exceptions = as_sat_add(exceptions, m->actors[i].exceptions);
  jsonout_int(&j, "exceptions", exceptions);
  report_json_end(&j, r);
  jsonout_object_end(&j);
  return jsonout_finish(&j) < 0 ? -2 : 0;
}
