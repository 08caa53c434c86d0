/* The metric families and their exposition (metrics.h). */
#include "metrics.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "histogram.h"

struct render {
  FILE *out;
  int om; /* OpenMetrics */
};

enum family_type { COUNTER, GAUGE, HISTOGRAM };

/* HELP and TYPE (and UNIT) lines. NAME is the family's name: without "_total" for a counter,
 * which the text format 0.0.4 names with it. */
static void family(const struct render *r, const char *name, enum family_type type,
                   const char *unit, const char *help)
{
  const char *suffix = type == COUNTER && !r->om ? "_total" : "";
  fprintf(r->out, "# HELP %s%s %s\n", name, suffix, help);
  fprintf(r->out, "# TYPE %s%s %s\n", name, suffix,
          type == COUNTER ? "counter"
          : type == GAUGE ? "gauge"
                          : "histogram");
  if (unit && r->om)
    fprintf(r->out, "# UNIT %s %s\n", name, unit);
}

/* A sample's name and labels: NAME{pid="..",program="..",KEY="VALUE"...} (a NULL key ends). */
static void labels_open(const struct render *r, const char *name, enum family_type type,
                        const struct metrics_process *p)
{
  fprintf(r->out, "%s%s{", name, type == COUNTER ? "_total" : "");
  if (p) {
    fprintf(r->out, "pid=\"%" PRId64 "\",program=\"", p->pid);
    escape_label_value(r->out, p->program);
    fputc('"', r->out);
  }
}

static void label(const struct render *r, const char *key, const char *value)
{
  fprintf(r->out, ",%s=\"", key);
  escape_label_value(r->out, value);
  fputc('"', r->out);
}

static void name_labels(const struct render *r, const char *name, enum family_type type,
                        const struct metrics_process *p, const struct metrics_name *n)
{
  labels_open(r, name, type, p);
  label(r, "runtime", n->runtime);
  label(r, "name", n->name);
}

static void value_int(const struct render *r, int64_t v) { fprintf(r->out, "} %" PRId64 "\n", v); }

/* Nanoseconds as seconds, exactly. */
static void value_seconds(const struct render *r, int64_t ns)
{
  fprintf(r->out, "} %" PRId64 ".%09" PRId64 "\n", ns / 1000000000, ns % 1000000000);
}

/* ---- process-wide families ------------------------------------------------------------------ */

typedef int64_t (*process_value_fn)(const struct metrics_process *p);
static int64_t p_alive(const struct metrics_process *p) { return p->alive; }
static int64_t p_spawned(const struct metrics_process *p) { return p->spawned; }
static int64_t p_stopped(const struct metrics_process *p) { return p->stopped; }
static int64_t p_received(const struct metrics_process *p) { return p->received; }
static int64_t p_deadlocks(const struct metrics_process *p) { return p->deadlocks; }
static int64_t p_snapshots(const struct metrics_process *p) { return p->snapshots; }
static int64_t p_lost(const struct metrics_process *p) { return p->lines_lost; }
static int64_t p_exited(const struct metrics_process *p) { return p->exited; }
static int64_t p_bytes(const struct metrics_process *p) { return p->cost_bytes; }
static int64_t p_started(const struct metrics_process *p) { return p->started_at_ns; }
static int64_t p_captured(const struct metrics_process *p) { return p->captured_at_ns; }

struct process_family {
  const char *name;
  enum family_type type;
  const char *unit;
  const char *help;
  process_value_fn value;
  int seconds; /* the value is nanoseconds, shown as seconds */
};

static const struct process_family process_families[] = {
    {"actorscope_process_actors_alive", GAUGE, NULL,
     "Actors of the process that have not stopped, at the latest snapshot.", p_alive, 0},
    {"actorscope_process_actors_spawned", COUNTER, NULL,
     "Actors the process ever spawned (exact, reaped ones included).", p_spawned, 0},
    {"actorscope_process_actors_stopped", COUNTER, NULL,
     "Actors of the process that ever stopped (exact, reaped ones included).", p_stopped, 0},
    {"actorscope_process_messages_received", COUNTER, NULL,
     "Messages the process's actors ever received on any of their sockets: mailboxes, and a CZMQ "
     "actor's other sockets (exact; the sum of actorscope_messages_received_total over types).",
     p_received, 0},
    {"actorscope_deadlocks", GAUGE, NULL,
     "Wait-for cycles between actors present at the latest snapshot.", p_deadlocks, 0},
    {"actorscope_process_start_time_seconds", GAUGE, "seconds",
     "When tracing of the process started, seconds since the Unix epoch.", p_started, 1},
    {"actorscope_last_snapshot_timestamp_seconds", GAUGE, "seconds",
     "When the latest snapshot read was captured, seconds since the Unix epoch.", p_captured, 1},
    {"actorscope_process_exited", GAUGE, NULL,
     "1 once the process's final snapshot was read and it exited, or, in serve, once it is "
     "gone without one (0 after a detach or an exec: the process ran on).",
     p_exited, 0},
    {"actorscope_tracer_snapshots", COUNTER, NULL, "Snapshot lines read from the process.",
     p_snapshots, 0},
    {"actorscope_tracer_lines_lost", COUNTER, NULL,
     "Snapshot lines the tracer produced that this reader never received (gaps in seq: a slow "
     "reader's lines are skipped whole).",
     p_lost, 0},
    {"actorscope_tracer_snapshot_bytes", GAUGE, "bytes",
     "Length of the tracer's previous snapshot line.", p_bytes, 0},
};

static void render_process_families(const struct render *r, struct metrics_process *const *ps,
                                    size_t n)
{
  for (size_t f = 0; f < sizeof process_families / sizeof process_families[0]; f++) {
    const struct process_family *pf = &process_families[f];
    family(r, pf->name, pf->type, pf->unit, pf->help);
    for (size_t i = 0; i < n; i++) {
      if (!ps[i]->have_snapshot || (pf->value == p_bytes && !ps[i]->have_cost))
        continue;
      labels_open(r, pf->name, pf->type, ps[i]);
      if (pf->seconds)
        value_seconds(r, pf->value(ps[i]));
      else
        value_int(r, pf->value(ps[i]));
    }
  }
  static const char *const phases[3] = {"collect", "encode", "write"};
  family(r, "actorscope_tracer_snapshot_seconds", GAUGE, "seconds",
         "What the tracer's previous snapshot line cost its collector thread, by phase.");
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 3 && ps[i]->have_cost; k++) {
      labels_open(r, "actorscope_tracer_snapshot_seconds", GAUGE, ps[i]);
      label(r, "phase", phases[k]);
      value_seconds(r, ps[i]->cost_ns[k]);
    }
  family(r, "actorscope_tracer_snapshot_cpu_seconds", COUNTER, "seconds",
         "Collector time of every snapshot line read from the process, by phase.");
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 3 && ps[i]->have_snapshot; k++) {
      labels_open(r, "actorscope_tracer_snapshot_cpu_seconds", COUNTER, ps[i]);
      label(r, "phase", phases[k]);
      value_seconds(r, ps[i]->cost_total_ns[k]);
    }
  family(r, "actorscope_tracer_diagnostic", GAUGE, NULL,
         "Problems the tracer reported in the process (by code), at the latest snapshot.");
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < ps[i]->diagnostics.n; k++) {
      labels_open(r, "actorscope_tracer_diagnostic", GAUGE, ps[i]);
      label(r, "code", ps[i]->diagnostics.items[k].key);
      value_int(r, ps[i]->diagnostics.items[k].count);
    }
}

/* ---- per-name families ---------------------------------------------------------------------- */

typedef int64_t (*name_value_fn)(const struct metrics_name *n);
static int64_t n_spawned(const struct metrics_name *n) { return n->spawned; }
static int64_t n_sent(const struct metrics_name *n) { return n->sent; }
static int64_t n_exceptions(const struct metrics_name *n) { return n->exceptions; }
static int64_t n_handler(const struct metrics_name *n) { return n->handler_ns; }
static int64_t n_handler_max(const struct metrics_name *n) { return n->handler_max_ns; }
static int64_t n_running_max(const struct metrics_name *n) { return n->running_max_ns; }
static int64_t n_depth(const struct metrics_name *n) { return n->mailbox_depth; }
static int64_t n_depth_max(const struct metrics_name *n) { return n->mailbox_max; }
static int64_t n_deadlocked(const struct metrics_name *n) { return n->deadlocked; }

struct name_family {
  const char *name;
  enum family_type type;
  const char *unit;
  const char *help;
  name_value_fn value;
  int seconds;
};

static const struct name_family name_families[] = {
    {"actorscope_actors_spawned", COUNTER, NULL,
     "Actors seen in snapshots under this name (one spawned and reaped between two snapshots is "
     "counted only in actorscope_process_actors_spawned_total; one the runtime names later, "
     "under each name it had).",
     n_spawned, 0},
    {"actorscope_messages_sent", COUNTER, NULL,
     "Messages actors of this name sent: to other actors' mailboxes, up their own pipe, and on a "
     "CZMQ actor's other sockets.",
     n_sent, 0},
    {"actorscope_exceptions", COUNTER, NULL,
     "Exceptions thrown out of message handlers of actors of this name (CAF).", n_exceptions, 0},
    {"actorscope_handler_seconds", COUNTER, "seconds",
     "Time actors of this name spent in finished message handlers.", n_handler, 1},
    {"actorscope_handler_max_seconds", GAUGE, "seconds",
     "The longest finished handler of any actor of this name.", n_handler_max, 1},
    {"actorscope_handler_running_max_seconds", GAUGE, "seconds",
     "The longest handler in progress at the latest snapshot (0: none).", n_running_max, 1},
    {"actorscope_mailbox_depth", GAUGE, NULL,
     "Messages waiting for actors of this name, summed, at the latest snapshot: mailboxes, and "
     "CZMQ side pipes (libzmq does not tell what waits in its other sockets).",
     n_depth, 0},
    {"actorscope_mailbox_depth_max", GAUGE, NULL,
     "The deepest queue any actor of this name ever had: its mailbox's or a side pipe's "
     "high-water mark, or all of them at a snapshot.",
     n_depth_max, 0},
    {"actorscope_actors_deadlocked", GAUGE, NULL,
     "Actors of this name in a wait-for cycle at the latest snapshot.", n_deadlocked, 0},
};

static void render_name_families(const struct render *r, struct metrics_process *const *ps,
                                 size_t n)
{
  family(r, "actorscope_actors", GAUGE, NULL,
         "Actors of this name that have not stopped, by status, at the latest snapshot.");
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < ps[i]->n_names; k++)
      for (int st = 0; st < AS_STATUS_STOPPED; st++) {
        name_labels(r, "actorscope_actors", GAUGE, ps[i], ps[i]->names[k]);
        label(r, "status", as_status_name((enum as_status)st));
        value_int(r, ps[i]->names[k]->by_status[st]);
      }
  for (size_t f = 0; f < sizeof name_families / sizeof name_families[0]; f++) {
    const struct name_family *nf = &name_families[f];
    family(r, nf->name, nf->type, nf->unit, nf->help);
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < ps[i]->n_names; k++) {
        name_labels(r, nf->name, nf->type, ps[i], ps[i]->names[k]);
        if (nf->seconds)
          value_seconds(r, nf->value(ps[i]->names[k]));
        else
          value_int(r, nf->value(ps[i]->names[k]));
      }
  }
  family(r, "actorscope_actors_stopped", COUNTER, NULL,
         "Actors of this name that stopped, by exit reason (<not seen>: reaped before a "
         "snapshot showed it stopped).");
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < ps[i]->n_names; k++)
      for (size_t s = 0; s < ps[i]->names[k]->stopped.n; s++) {
        name_labels(r, "actorscope_actors_stopped", COUNTER, ps[i], ps[i]->names[k]);
        label(r, "reason", ps[i]->names[k]->stopped.items[s].key);
        value_int(r, ps[i]->names[k]->stopped.items[s].count);
      }
  family(r, "actorscope_messages_received", COUNTER, NULL,
         "Messages actors of this name received, by message type (a CZMQ socket's messages under "
         "TYPE (KIND), whatever the endpoint).");
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < ps[i]->n_names; k++)
      for (size_t t = 0; t < ps[i]->names[k]->received.n; t++) {
        name_labels(r, "actorscope_messages_received", COUNTER, ps[i], ps[i]->names[k]);
        label(r, "type", ps[i]->names[k]->received.items[t].key);
        value_int(r, ps[i]->names[k]->received.items[t].count);
      }
}

/* Finished handlers' times per name as a Prometheus histogram, from the tracer's buckets: a
 * bucket counts under the first bound its upper end does not pass, so a time up to 12.5 %
 * below a bound may count under the next one. */
static const char *const handler_le[] = {"0.00001", "0.0001", "0.001", "0.01", "0.1",
                                         "1",       "10",     "100",   "+Inf"};
#define HANDLER_LE_COUNT (sizeof handler_le / sizeof handler_le[0])

/* One name's histogram FAMILY from its BUCKETS: _bucket per bound, _sum (SUM_NS, or, when it
 * is negative, the buckets' middles: within 6.25 %) and _count. */
static void render_histogram(const struct render *r, const char *family_name,
                             const struct metrics_process *p, const struct metrics_name *nm,
                             const uint64_t *buckets, int64_t sum_ns)
{
  uint64_t per_le[HANDLER_LE_COUNT] = {0}, total = 0;
  double middles_ns = 0;
  for (unsigned b = 0; b < AS_HISTOGRAM_BUCKETS; b++) {
    if (!buckets[b])
      continue;
    uint64_t low = as_histogram_bucket_low(b), high = as_histogram_bucket_high(b);
    double seconds = high == UINT64_MAX ? 1e300 : (double)high * (double)p->tick_fs / 1e15;
    size_t at = 0;
    while (at + 1 < HANDLER_LE_COUNT && seconds > strtod(handler_le[at], NULL))
      at++;
    per_le[at] += buckets[b];
    total += buckets[b];
    double middle = high == UINT64_MAX ? (double)low : (double)low + (double)(high - low) / 2;
    middles_ns += (double)buckets[b] * middle * (double)p->tick_fs / 1e6;
  }
  char sample[128];
  uint64_t cumulative = 0;
  for (size_t k = 0; k < HANDLER_LE_COUNT; k++) {
    cumulative += per_le[k];
    snprintf(sample, sizeof sample, "%s_bucket", family_name);
    name_labels(r, sample, GAUGE, p, nm);
    label(r, "le", handler_le[k]);
    value_int(r, (int64_t)cumulative);
  }
  snprintf(sample, sizeof sample, "%s_sum", family_name);
  name_labels(r, sample, GAUGE, p, nm);
  value_seconds(r, sum_ns >= 0 ? sum_ns : middles_ns < 9e18 ? (int64_t)middles_ns : INT64_MAX);
  snprintf(sample, sizeof sample, "%s_count", family_name);
  name_labels(r, sample, GAUGE, p, nm);
  value_int(r, (int64_t)total);
}

/* Who talks to whom, by name: bounded (metrics_pairs.h). */
static void render_pairs(const struct render *r, struct metrics_process *const *ps, size_t n)
{
  static const char *const name = "actorscope_messages_between";
  family(r, name, COUNTER, NULL,
         "Messages actors (or threads that run none, e.g. main) named from sent to those named "
         "to; the first 100 pairs a process, the rest under <other>.");
  _Static_assert(METRICS_PAIRS_MAX == 100, "the help text says 100");
  for (size_t i = 0; i < n; i++) {
    const struct metrics_pairs *pairs = &ps[i]->pairs;
    for (size_t k = 0; k <= pairs->n; k++) {
      if (k == pairs->n && !pairs->other)
        break;
      labels_open(r, name, COUNTER, ps[i]);
      label(r, "from", k < pairs->n ? pairs->items[k].from : METRICS_PAIRS_OTHER);
      label(r, "to", k < pairs->n ? pairs->items[k].to : METRICS_PAIRS_OTHER);
      value_int(r, k < pairs->n ? pairs->items[k].count : pairs->other);
    }
  }
}

static void render_handler_histograms(const struct render *r, struct metrics_process *const *ps,
                                      size_t n)
{
  family(r, "actorscope_handler_duration_seconds", HISTOGRAM, "seconds",
         "Finished message handlers of actors of this name by duration (from the tracer's "
         "log-linear buckets, within 12.5 %).");
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < ps[i]->n_names && ps[i]->tick_fs > 0; k++)
      if (ps[i]->names[k]->handler_buckets)
        render_histogram(r, "actorscope_handler_duration_seconds", ps[i], ps[i]->names[k],
                         ps[i]->names[k]->handler_buckets, ps[i]->names[k]->handler_ns);
  family(r, "actorscope_mailbox_wait_seconds", HISTOGRAM, "seconds",
         "Messages to actors of this name by the time they waited in the mailbox, from enqueue "
         "to the start of their handler (the tracer's log-linear buckets, within 12.5 %; _sum "
         "from the buckets' middles).");
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < ps[i]->n_names && ps[i]->tick_fs > 0; k++)
      if (ps[i]->names[k]->wait_buckets)
        render_histogram(r, "actorscope_mailbox_wait_seconds", ps[i], ps[i]->names[k],
                         ps[i]->names[k]->wait_buckets, -1);
}

/* ---- per-actor families (opt-in, capped) ----------------------------------------------------- */

struct actor_render {
  const struct render *r;
  const struct metrics_process *p;
  const char *family;
  int which; /* 0 depth, 1 received, 2 handler */
  long left;
};

static int render_actor(void *state, void *ctx)
{
  struct actor_render *ar = ctx;
  const struct metrics_actor *s = state;
  if (ar->left-- <= 0)
    return -1;
  char id[24];
  snprintf(id, sizeof id, "%" PRId64, s->id);
  name_labels(ar->r, ar->family, ar->which ? COUNTER : GAUGE, ar->p, s->name);
  label(ar->r, "id", id);
  if (ar->which == 2)
    value_seconds(ar->r, s->handler_ns);
  else
    value_int(ar->r, ar->which ? s->received : s->mailbox_len);
  return 0;
}

static void render_actor_families(const struct render *r, struct metrics_process *const *ps,
                                  size_t n, long cap)
{
  static const struct {
    const char *name;
    enum family_type type;
    const char *unit, *help;
  } families[3] = {
      {"actorscope_actor_mailbox_depth", GAUGE, NULL,
       "Messages waiting for one actor: its mailbox and CZMQ side pipes."},
      {"actorscope_actor_messages_received", COUNTER, NULL,
       "Messages one actor received on any of its sockets."},
      {"actorscope_actor_handler_seconds", COUNTER, "seconds",
       "Time one actor spent in finished handlers."},
  };
  for (int f = 0; f < 3; f++) {
    family(r, families[f].name, families[f].type, families[f].unit, families[f].help);
    for (size_t i = 0; i < n; i++) {
      struct actor_render ar = {r, ps[i], families[f].name, f, cap};
      actor_table_each(&ps[i]->actors, render_actor, &ar);
    }
  }
  family(r, "actorscope_actor_series_omitted", GAUGE, NULL,
         "Listed actors left without per-actor series by the --per-actor cap.");
  for (size_t i = 0; i < n; i++) {
    labels_open(r, "actorscope_actor_series_omitted", GAUGE, ps[i]);
    value_int(r, ps[i]->actors.n > (size_t)cap ? (int64_t)(ps[i]->actors.n - (size_t)cap) : 0);
  }
}

static void render_sources(const struct render *r, const struct metrics_source_stat *sources,
                           size_t n)
{
  if (!n)
    return;
  family(r, "actorscope_source_up", GAUGE, NULL,
         "1 while serve is connected to this snapshot stream.");
  for (size_t i = 0; i < n; i++) {
    if (sources[i].gone)
      continue;
    labels_open(r, "actorscope_source_up", GAUGE, NULL);
    fputs("source=\"", r->out);
    escape_label_value(r->out, sources[i].source);
    fputc('"', r->out);
    value_int(r, sources[i].up);
  }
  family(r, "actorscope_source_connections", COUNTER, NULL,
         "Connections serve made to this snapshot stream.");
  for (size_t i = 0; i < n; i++) {
    if (sources[i].gone)
      continue;
    labels_open(r, "actorscope_source_connections", COUNTER, NULL);
    fputs("source=\"", r->out);
    escape_label_value(r->out, sources[i].source);
    fputc('"', r->out);
    value_int(r, sources[i].connections);
  }
}

void metrics_render(FILE *out, struct metrics_process *const *processes, size_t n_processes,
                    const struct metrics_source_stat *sources, size_t n_sources,
                    const struct metrics_render_options *options)
{
  struct render r = {out, options->openmetrics};
  render_process_families(&r, processes, n_processes);
  render_name_families(&r, processes, n_processes);
  render_handler_histograms(&r, processes, n_processes);
  render_pairs(&r, processes, n_processes);
  if (options->per_actor_cap > 0)
    render_actor_families(&r, processes, n_processes, options->per_actor_cap);
  render_sources(&r, sources, n_sources);
  if (r.om)
    fputs("# EOF\n", out);
}
