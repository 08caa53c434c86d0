/* actorscope report: the account as text (cmd_report.h). */
#define _GNU_SOURCE
#include "cmd_report.h"
#include "actor_model.h"
#include "pairs.h"
#include "waits.h"
#include "show.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text ----------------------------------------------------------------------------------- */

static void report_print_group_heading(const struct report *r, const struct rm_actor *a)
{
  struct actor_group g;
  char label[300];
  recording_group(r->m, a, &g);
  actor_group_label(label, sizeof label, &g);
  printf("  %s:\n", label);
}

static void report_print_tree(const struct report *r)
{
  const struct recording *m = r->m;
  struct show_budget budget = {r->lines_per_section, 0};
  const struct rm_actor *group = NULL;
  char name[REPORT_NAME_WIDTH + 8];
  printf("\nActor tree:\n");
  for (size_t i = 0; i < r->tree.n; i++) {
    const struct rm_actor *a = &m->actors[r->tree.order[i]];
    if (!group || recording_group_cmp(m, group, a) != 0) {
      group = a;
      report_print_group_heading(r, a);
    }
    if (!show_spend(&budget))
      continue;
    size_t depth = r->tree.depth[i];
    int indent = (int)(depth < REPORT_MAX_INDENT ? depth : REPORT_MAX_INDENT) * 2;
    char caf_id[48] = "", deep[32] = "";
    if (a->has_runtime_id)
      snprintf(caf_id, sizeof caf_id, " (caf id %lld)", (long long)a->runtime_id);
    if (depth > REPORT_MAX_INDENT)
      snprintf(deep, sizeof deep, "[depth %zu] ", depth);
    const char *reason = a->reason != RM_NONE ? report_str(r, a->reason) : NULL;
    printf("    %*s%s#%lld %s%s%s %s%s%s%s%s  received %lld, sent %lld, mailbox max %lld\n", indent,
           "", deep, (long long)a->id,
           show_name(report_str(r, a->name), REPORT_NAME_WIDTH, name, sizeof name), caf_id,
           r->tree.cyclic[i] ? " (its parents form a cycle)" : "", as_status_name(a->status),
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
    printf("  %s (%lld actor%s):",
           show_name(report_str(r, agg->name), REPORT_NAME_WIDTH, name, sizeof name),
           (long long)agg->spawned, agg->spawned == 1 ? "" : "s");
    size_t shown = all ? agg->n_types : REPORT_TYPES_PER_LINE;
    for (size_t k = 0; k < agg->n_types && k < shown; k++)
      printf("%s %s %lld", k ? "," : "",
             show_name(report_str(r, agg->types[k].type), 40, name, sizeof name),
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
  char p50[SHOW_DURATION_MAX], p90[SHOW_DURATION_MAX], p99[SHOW_DURATION_MAX],
      max[SHOW_DURATION_MAX];
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
  if (a->has_stuck &&
      (a->stuck_ns < longest - longest / 100 || a->stuck_ns > longest + longest / 100))
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

static int report_reason_cmp(const void *x, const void *y)
{
  const struct report_reason *a = x, *b = y;
  return strcmp(strtab_text(&report_sort_model->strings, a->reason),
                strtab_text(&report_sort_model->strings, b->reason));
}

static void report_print_end(const struct report *r)
{
  const struct recording *m = r->m;
  struct show_budget budget = {r->lines_per_section, 0};
  char name[REPORT_NAME_WIDTH + 8], heading[64];
  int64_t exceptions = 0;
  size_t alive = 0;
  struct report_reason *reasons = NULL;
  size_t n_reasons = 0;
  if (report_reasons(r, &reasons, &n_reasons) < 0)
    fprintf(stderr, "actorscope report: out of memory: exit reasons left out\n");
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (recording_visible(m, a)) {
      exceptions = as_sat_add(exceptions, a->exceptions);
      alive += recording_alive_at_end(m, a);
    }
  }
  printf("\nExit reasons:");
  if (n_reasons == 0)
    printf(" none");
  report_sort_model = m;
  if (n_reasons)
    qsort(reasons, n_reasons, sizeof *reasons, report_reason_cmp);
  for (size_t i = 0; i < n_reasons; i++)
    printf(" %s %lld", report_str(r, reasons[i].reason), (long long)reasons[i].count);
  free(reasons);
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
    long long alive = (long long)recording_point_alive(m, i);
    if (i == 0 || p->uptime_ns <= m->timeline[prev].uptime_ns)
      printf("  %10.3f %8lld %14s\n", (double)p->uptime_ns / 1e9, alive, "-");
    else
      printf("  %10.3f %8lld %14.0f\n", (double)p->uptime_ns / 1e9, alive,
             (double)(recording_point_messages(m, i) - recording_point_messages(m, prev)) * 1e9 /
                 (double)(p->uptime_ns - m->timeline[prev].uptime_ns));
    prev = i;
    if (i == last)
      break;
  }
}

void report_print_text(struct report *r, int all, int now)
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
  printf("state at snapshot seq %lld (%zu snapshot%s %s)%s, uptime %s%s\n", (long long)m->at_seq,
         m->n_points, m->n_points == 1 ? "" : "s", m->end == RM_END_AT ? "read" : "in all",
         m->at_final ? " (final)" : "", show_duration(m->at_uptime_ns, 0, uptime, sizeof uptime),
         m->truncated ? "; the file's last line was cut short" : "");
  if (now && !m->at_final)
    printf("%s\n", m->live ? "the state now: the program is running"
                           : "the last snapshot so far (no final one yet: the program may still "
                             "be running)");
  else if (recording_end_note(m, note, sizeof note))
    printf("%s\n", note);
  if (recording_gaps_note(m, note, sizeof note))
    printf("missing snapshots: %s\n", note);
  struct rm_counts counts;
  recording_counts(m, &counts);
  printf("actors: %lld spawned, %lld stopped, %lld alive (at most %lld at once); %lld messages "
         "received\n",
         (long long)counts.spawned, (long long)counts.stopped, (long long)counts.alive,
         (long long)counts.max_alive, (long long)counts.messages);
  if (counts.found_at_attach)
    printf("of these, %lld were already running at the attach (their spawn was not seen)\n",
           (long long)counts.found_at_attach);
  if (m->at_running.known)
    printf("%s\n", as_rec_running_note(&m->at_running, note, sizeof note));
  if (counts.hidden)
    printf("runtime-internal actors left out: %zu (--internal includes them)\n", counts.hidden);
  /* What the tracer said about itself changes how the numbers read (events dropped, actors it
   * could not trace): before them, as run and top say it. */
  for (size_t k = 0; k < m->n_diagnostics; k++) {
    printf("the tracer said: ");
    show_clean(report_str(r, m->diagnostics[2 * k]), stdout);
    printf(": ");
    show_clean(report_str(r, m->diagnostics[2 * k + 1]), stdout);
    printf("\n");
  }
  report_print_tree(r);
  report_print_messages(r, all);
  report_pairs_print(m, all, r->lines_per_section);
  report_print_slowest(r);
  report_print_end(r);
  report_print_timeline(m);
}
