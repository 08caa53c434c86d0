#define _GNU_SOURCE
#include "recording.h"
#include "pairs.h"
#include "actor_model.h"
#include "destination.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RM_MAX_CYCLES 1000

struct rm_ingest {
  struct recording *m;
  int nomem;
};

static uint32_t rm_intern(struct rm_ingest *in, const char *text)
{
  if (!text)
    return RM_NONE;
  uint32_t i = strtab_intern(&in->m->strings, text);
  if (i == UINT32_MAX)
    in->nomem = 1;
  return i;
}

/* Where ID is or would go in the model's id-sorted actors. New ids are mostly the largest. */
static size_t rm_lower_bound(const struct recording *m, int64_t id)
{
  size_t lo = 0, hi = m->n_actors;
  if (hi && m->actors[hi - 1].id < id)
    return hi;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->actors[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* The model's record for ID, inserted in id order when new. */
static struct rm_actor *rm_slot(struct rm_ingest *in, int64_t id)
{
  struct recording *m = in->m;
  size_t lo = rm_lower_bound(m, id);
  if (lo < m->n_actors && m->actors[lo].id == id)
    return &m->actors[lo];
  if (m->n_actors == m->cap_actors) {
    size_t cap = m->cap_actors ? m->cap_actors * 2 : 256;
    struct rm_actor *grown = reallocarray(m->actors, cap, sizeof *grown);
    if (!grown) {
      in->nomem = 1;
      return NULL;
    }
    m->actors = grown;
    m->cap_actors = cap;
  }
  memmove(&m->actors[lo + 1], &m->actors[lo], (m->n_actors - lo) * sizeof *m->actors);
  m->n_actors++;
  struct rm_actor *a = &m->actors[lo];
  memset(a, 0, sizeof *a);
  a->id = id;
  a->max_type = a->running_type = a->reason = a->full_name = RM_NONE;
  return a;
}

/* The handler that set a new longest time ran between the two captures: the one seen running
 * at the earlier capture when it had already run that long or more is it; otherwise, when
 * exactly one message type was counted in between, that was its type. */
static uint32_t rm_grown_type(const struct rm_actor *old, int64_t new_max,
                              const struct rm_type *now, size_t n)
{
  if (old->handling_now && old->now_elapsed_ns <= new_max)
    return old->now_type;
  uint32_t found = RM_NONE;
  for (size_t i = 0; i < n; i++) {
    int64_t before = 0;
    for (size_t k = 0; k < old->n_types; k++)
      if (old->types[k].type == now[i].type)
        before = old->types[k].count;
    if (now[i].count > before) {
      if (found != RM_NONE)
        return RM_NONE;
      found = now[i].type;
    }
  }
  return found;
}

/* An actor's histogram (handler times or mailbox waits) as its last listing has it. */
static void rm_update_histogram(struct rm_ingest *in, struct as_histogram_bin **hist,
                                uint16_t *n_hist, const int64_t *pairs, size_t n_pairs)
{
  if (!n_pairs)
    return;
  size_t n = n_pairs < AS_HISTOGRAM_BUCKETS ? n_pairs : AS_HISTOGRAM_BUCKETS;
  if (n != *n_hist) {
    struct as_histogram_bin *grown = reallocarray(*hist, n, sizeof *grown);
    if (!grown) {
      in->nomem = 1;
      return;
    }
    *hist = grown;
    *n_hist = (uint16_t)n;
  }
  for (size_t i = 0; i < n; i++)
    (*hist)[i] = (struct as_histogram_bin){(uint32_t)pairs[2 * i], (uint64_t)pairs[2 * i + 1]};
}

static void rm_update_sockets(struct rm_ingest *in, struct rm_actor *a,
                              const struct as_rec_actor *r)
{
  size_t n = r->n_sockets < 255 ? r->n_sockets : 255;
  if (n != a->n_sockets) {
    struct rm_socket *grown = reallocarray(a->sockets, n ? n : 1, sizeof *grown);
    if (!grown) {
      in->nomem = 1;
      return;
    }
    a->sockets = grown;
    a->n_sockets = (uint8_t)n;
  }
  for (size_t i = 0; i < n; i++)
    a->sockets[i] = (struct rm_socket){rm_intern(in, r->sockets[i].kind), r->sockets[i].received,
                                       r->sockets[i].sent};
}

static void rm_update_stack(struct rm_ingest *in, struct rm_actor *a, const char *const *frames,
                            size_t count)
{
  size_t n = count < 255 ? count : 255;
  uint32_t *stack = reallocarray(a->stack, n ? n : 1, sizeof *stack);
  if (!stack) {
    in->nomem = 1;
    return;
  }
  for (size_t i = 0; i < n; i++)
    stack[i] = rm_intern(in, frames[i]);
  a->stack = stack;
  a->n_stack = (uint8_t)n;
}

/* The tracer keeps each actor's longest stuck run; a later listing without it (the tracer had
 * to let it go for others) or with a shorter one keeps what was read before. Files from before
 * the `stuck` member: the stack of the longest handler seen running with one. */
static void rm_update_stuck(struct rm_ingest *in, struct rm_actor *a, const struct as_rec_actor *r)
{
  if (r->has_stuck && (!a->has_stuck || r->stuck_handler_ns >= a->stuck_ns)) {
    rm_update_stack(in, a, r->stuck_stack, r->n_stuck_stack);
    a->has_stuck = 1;
    a->stuck_ns = r->stuck_handler_ns;
    a->stuck_type = rm_intern(in, r->stuck_type);
    a->stuck_source = r->stuck_source ? rm_intern(in, r->stuck_source) : RM_NONE;
    a->stuck_end = r->stuck_end ? rm_intern(in, r->stuck_end) : RM_NONE;
    a->stuck_complete = (uint8_t)r->stuck_complete;
    a->stuck_on_cpu = (uint8_t)r->stuck_on_cpu;
    a->stuck_cpu_ns = r->stuck_cpu_ns;
    a->stuck_cpu_window_ns = r->stuck_cpu_window_ns;
  } else if (!a->has_stuck && r->has_handling && r->n_handling_stack &&
             r->handling_elapsed_ns >= a->running_max_ns) {
    rm_update_stack(in, a, r->handling_stack, r->n_handling_stack);
  }
}

/* Durations closer than this are one measurement restated. */
#define RM_SAME_DURATION_NS 1000

static void rm_update_actor(struct rm_ingest *in, struct rm_actor *a, const struct as_rec_actor *r,
                            int64_t seq)
{
  struct rm_type types[AS_TYPES_PER_ACTOR_MAX + 8];
  size_t n = r->n_message_types < sizeof types / sizeof types[0] ? r->n_message_types
                                                                 : sizeof types / sizeof types[0];
  for (size_t i = 0; i < n; i++) {
    const char *name = r->message_types[i].name;
    char buf[AS_TYPE_NAME_MAX + 8];
    const char *group = as_type_without_endpoint(name, buf, sizeof buf);
    uint32_t type = rm_intern(in, name);
    types[i] = (struct rm_type){type, group == name ? type : rm_intern(in, group),
                                r->message_types[i].count};
  }
  /* A longest handler restated by a few nanoseconds (the tracer's clock rate settles in its
   * first seconds, FORMAT.md) is the same handler, not a new one of another type. */
  if (r->handler_max_ns > a->handler_max_ns &&
      (a->handler_max_ns == 0 || r->handler_max_ns > a->handler_max_ns + RM_SAME_DURATION_NS)) {
    uint32_t t = rm_grown_type(a, r->handler_max_ns, types, n);
    a->max_type = t;
    a->handler_max_ns = r->handler_max_ns;
  } else if (r->handler_max_ns > a->handler_max_ns) {
    a->handler_max_ns = r->handler_max_ns;
  }
  if (n != a->n_types) {
    struct rm_type *grown = realloc(a->types, (n ? n : 1) * sizeof *grown);
    if (!grown) {
      in->nomem = 1;
      return;
    }
    a->types = grown;
    a->n_types = (uint8_t)n;
  }
  if (n)
    memcpy(a->types, types, n * sizeof *types);
  a->name = rm_intern(in, r->name);
  a->full_name = rm_intern(in, r->full_name);
  a->runtime = rm_intern(in, r->runtime);
  a->internal = (uint8_t)r->internal;
  a->attached_late = (uint8_t)r->attached_late;
  a->has_runtime_id = (uint8_t)r->has_runtime_id;
  a->runtime_id = r->runtime_id;
  a->runtime_scope = r->runtime_scope;
  a->status = (uint8_t)r->status;
  a->has_parent = (uint8_t)r->has_parent;
  a->parent = r->parent;
  a->spawned_at_ns = r->spawned_at_ns;
  a->has_stopped = (uint8_t)r->has_stopped;
  a->stopped_at_ns = r->stopped_at_ns;
  a->reason = r->has_stopped ? rm_intern(in, r->stop_reason) : RM_NONE;
  /* Every socket's traffic and queues (as_rec_actor_derive): the one definition every view uses. */
  for (int k = 0; k < 2; k++)
    if (k || !r->internal)
      in->m->received_seen[k] = as_sat_add(in->m->received_seen[k], r->received_all - a->received);
  a->received = r->received_all;
  a->sent = r->sent_all;
  a->exceptions = r->exceptions;
  a->mailbox_max = r->queued_all_max;
  rm_update_histogram(in, &a->hist, &a->n_hist, r->histogram, r->n_histogram);
  rm_update_histogram(in, &a->wait_hist, &a->n_wait_hist, r->wait_histogram, r->n_wait_histogram);
  if (r->n_sockets || a->n_sockets)
    rm_update_sockets(in, a, r);
  if (rm_peers_update(in->m, a, r) < 0)
    in->nomem = 1;
  /* The stack of its longest stuck handler so far (a later, shorter one keeps it). */
  rm_update_stuck(in, a, r);
  a->handling_now = (uint8_t)r->has_handling;
  if (r->has_handling) {
    a->now_type = rm_intern(in, r->handling_type);
    a->now_elapsed_ns = r->handling_elapsed_ns;
    if (r->handling_elapsed_ns >= a->running_max_ns) {
      a->running_max_ns = r->handling_elapsed_ns;
      a->running_type = a->now_type;
    }
  }
  a->last_seq = seq;
}

static void rm_add_cycle(struct rm_ingest *in, const struct as_rec_cycle *c, int64_t seq)
{
  struct recording *m = in->m;
  for (size_t i = 0; i < m->n_cycles; i++)
    if (m->cycles[i].n == c->n_actors &&
        memcmp(m->cycles[i].ids, c->actors, c->n_actors * sizeof *c->actors) == 0)
      return;
  if (m->n_cycles == RM_MAX_CYCLES)
    return;
  struct rm_cycle *grown = reallocarray(m->cycles, m->n_cycles + 1, sizeof *grown);
  if (!grown) {
    in->nomem = 1;
    return;
  }
  m->cycles = grown;
  struct rm_cycle *cy = &m->cycles[m->n_cycles];
  cy->first_seq = seq;
  cy->n = c->n_actors;
  cy->ids = malloc((c->n_actors + 1) * sizeof *cy->ids);
  cy->names = malloc((c->n_actors + 1) * sizeof *cy->names);
  if (!cy->ids || !cy->names) {
    free(cy->ids);
    free(cy->names);
    in->nomem = 1;
    return;
  }
  memcpy(cy->ids, c->actors, c->n_actors * sizeof *cy->ids);
  for (size_t i = 0; i < c->n_actors; i++)
    cy->names[i] = i < c->n_names ? rm_intern(in, c->names[i]) : RM_NONE;
  m->n_cycles++;
}

/* A keyframe lists every actor: those it leaves out are gone. */
static int rm_keyframe(struct rm_ingest *in, const struct as_rec_snapshot *s)
{
  struct recording *m = in->m;
  int64_t listed_alive[2] = {0, 0}; /* runtime-internal actors left out, counted */
  for (size_t i = 0; i < s->n_actors; i++) {
    const struct as_rec_actor *r = &s->actors[i];
    struct rm_actor *a = rm_slot(in, r->id);
    if (!a)
      return -ENOMEM;
    rm_update_actor(in, a, r, s->seq);
    a->gone = 0;
    if (r->status != AS_STATUS_STOPPED) {
      listed_alive[0] += !a->internal;
      listed_alive[1]++;
    }
  }
  for (size_t i = 0; i < m->n_actors; i++)
    if (m->actors[i].last_seq != s->seq)
      m->actors[i].gone = 1;
  for (int k = 0; k < 2; k++)
    if (listed_alive[k] > m->max_alive_listed[k]) {
      m->max_alive_listed[k] = listed_alive[k];
      m->max_alive_listed_at[k] = s->uptime_ns;
    }
  return 0;
}

/* A delta: only what it listed changed (and the elapsed time of running handlers). */
static int rm_delta(struct rm_ingest *in, const struct as_rec_snapshot *s)
{
  struct recording *m = in->m;
  for (size_t k = 0; k < s->n_listed; k++) {
    const struct as_rec_actor *r = &s->actors[s->listed[k]];
    struct rm_actor *a = rm_slot(in, r->id);
    if (!a)
      return -ENOMEM;
    rm_update_actor(in, a, r, s->seq);
  }
  for (size_t i = 0; i < s->n_actors; i++) {
    const struct as_rec_actor *r = &s->actors[i];
    if (!r->has_handling)
      continue;
    struct rm_actor *a = (struct rm_actor *)recording_find(m, r->id);
    if (a && r->handling_elapsed_ns > a->running_max_ns) {
      a->running_max_ns = r->handling_elapsed_ns;
      a->running_type = a->now_type;
    }
    if (a)
      a->now_elapsed_ns = r->handling_elapsed_ns;
  }
  for (size_t k = 0; k < s->n_reaped; k++) {
    struct rm_actor *a = (struct rm_actor *)recording_find(m, s->reaped[k]);
    if (a)
      a->gone = 1;
  }
  return 0;
}

/* The snapshot's diagnostics replace the last one's (the reader restates a delta's). */
static int rm_diagnostics(struct rm_ingest *in, const struct as_rec_snapshot *s)
{
  struct recording *m = in->m;
  if (s->n_diagnostics > m->cap_diagnostics) {
    uint32_t *grown = reallocarray(m->diagnostics, s->n_diagnostics, 2 * sizeof *grown);
    if (!grown)
      return -ENOMEM;
    m->diagnostics = grown;
    m->cap_diagnostics = s->n_diagnostics;
  }
  for (size_t k = 0; k < s->n_diagnostics; k++) {
    m->diagnostics[2 * k] = rm_intern(in, s->diagnostics[k].code);
    m->diagnostics[2 * k + 1] = rm_intern(in, s->diagnostics[k].message);
  }
  m->n_diagnostics = s->n_diagnostics;
  return 0;
}

enum rm_end recording_snapshot_end(const struct as_rec_snapshot *s)
{
  return !s->final                                      ? RM_END_NO_FINAL
         : s->signal                                    ? RM_END_SIGNAL
         : !s->ended_by                                 ? RM_END_FINAL
         : strcmp(s->ended_by, AS_ENDED_BY_EXEC) == 0   ? RM_END_EXEC
         : strcmp(s->ended_by, AS_ENDED_BY_DETACH) == 0 ? RM_END_DETACH
                                                        : RM_END_FINAL;
}

void recording_finish(struct recording *m) { m->end = m->at_ended; }

int recording_end_exited(enum rm_end end) { return end == RM_END_FINAL || end == RM_END_SIGNAL; }

int recording_add(struct recording *m, const struct as_rec_snapshot *s)
{
  struct rm_ingest ingest = {m, 0}, *in = &ingest;
  int rc = s->listed ? rm_delta(in, s) : rm_keyframe(in, s);
  if (rc < 0)
    return rc;
  for (size_t i = 0; i < s->n_deadlocks; i++)
    rm_add_cycle(in, &s->deadlocks[i], s->seq);
  if (m->n_points == m->cap_points) {
    size_t cap = m->cap_points ? m->cap_points * 2 : 64;
    struct rm_point *grown = reallocarray(m->timeline, cap, sizeof *grown);
    if (!grown)
      return -ENOMEM;
    m->timeline = grown;
    m->cap_points = cap;
  }
  int64_t expected = m->n_points ? m->at_seq + 1 : 0;
  /* A stream joined late starts past 0 by design: only later gaps are missing lines. */
  if (s->seq > expected && !(m->live && m->n_points == 0)) {
    if (m->n_gaps < RM_GAPS_MAX)
      m->gaps[m->n_gaps++] = (struct rm_gap){expected, s->seq - 1};
    m->seqs_missing += s->seq - expected;
  }
  struct rm_point *p = &m->timeline[m->n_points++];
  *p = (struct rm_point){.seq = s->seq, .uptime_ns = s->uptime_ns};
  for (size_t i = 0; i < s->n_actors; i++)
    if (s->actors[i].status != AS_STATUS_STOPPED) {
      p->alive[0] += !s->actors[i].internal;
      p->alive[1]++;
    }
  int64_t hidden_received = m->received_seen[1] - m->received_seen[0];
  p->messages[0] = actor_model_total(s->received_all, hidden_received, m->received_seen[0]);
  p->messages[1] = actor_model_total(s->received_all, 0, m->received_seen[1]);
  m->at_seq = s->seq;
  m->at_uptime_ns = s->uptime_ns;
  if (s->tick_fs)
    m->tick_fs = s->tick_fs;
  m->at_alive = s->alive;
  m->at_spawned = s->total_spawned;
  m->at_stopped = s->total_stopped;
  m->at_messages = s->received_all;
  as_rec_running_of(s, &m->at_running);
  m->at_final = s->final;
  m->at_signal = s->signal ? rm_intern(in, s->signal) : RM_NONE;
  if (rm_diagnostics(in, s) < 0)
    return -ENOMEM;
  m->at_ended = recording_snapshot_end(s);
  return in->nomem ? -ENOMEM : 0;
}

int recording_start(struct recording *m, const char *source, const struct as_rec_header *h,
                    int include_internal)
{
  memset(m, 0, sizeof *m);
  m->source = strdup(source ? source : "");
  m->include_internal = include_internal;
  m->at_signal = RM_NONE;
  m->program = m->name = RM_NONE;
  m->mailbox_wait_every = -1;
  m->live = source && as_dest_is_socket(source);
  struct rm_ingest in = {m, 0};
  if (h) {
    m->pid = h->pid;
    m->program = h->program ? rm_intern(&in, h->program) : RM_NONE;
    m->name = *h->name ? rm_intern(&in, h->name) : RM_NONE;
    m->mailbox_wait_every = h->mailbox_wait_every;
  }
  return m->source && !in.nomem ? 0 : -ENOMEM;
}

int recording_read(struct recording *m, const char *source, long long at_seq, int include_internal,
                   const char *command)
{
  struct as_reader_error err;
  struct as_reader *r;
  struct as_reader_options opt = AS_READER_OPTIONS_DEFAULT;
  int found = 0;
  memset(m, 0, sizeof *m);
  int rc = as_reader_open(&r, source, &opt, &err);
  if (rc == 0) {
    rc = recording_start(m, source, as_reader_header(r), include_internal);
    const struct as_rec_snapshot *s;
    while (rc == 0 && (rc = as_reader_next(r, &s, &err)) > 0) {
      if ((rc = recording_add(m, s)) < 0)
        break;
      if ((at_seq >= 0 && s->seq == at_seq) || (at_seq == RECORDING_AT_NOW && m->live)) {
        found = 1;
        rc = -ECANCELED; /* the state asked for: read no further */
        break;
      }
    }
    m->truncated = as_reader_truncated(r);
    as_reader_close(r);
  }
  if (rc == -ENOMEM)
    snprintf(err.text, sizeof err.text, "%s: out of memory after %zu actors", source, m->n_actors);
  if (rc < 0 && rc != -ECANCELED) {
    fprintf(stderr, "actorscope %s: %s\n", command, err.text);
    recording_free(m);
    return -1;
  }
  if (m->truncated)
    fprintf(stderr, "actorscope %s: %s: the last line is cut short and was skipped\n", command,
            source);
  if (at_seq >= 0 && !found) {
    char why[400];
    fprintf(stderr, "actorscope %s: %s has no snapshot %lld%s%s\n", command, source, at_seq,
            recording_gaps_note(m, why, sizeof why) ? "; " : "", m->n_gaps ? why : "");
    recording_free(m);
    return -1;
  }
  if (m->n_points == 0) {
    fprintf(stderr, "actorscope %s: %s holds no snapshot\n", command, source);
    recording_free(m);
    return -1;
  }
  m->end = (at_seq >= 0 || (at_seq == RECORDING_AT_NOW && m->live)) && !m->at_final ? RM_END_AT
                                                                                    : m->at_ended;
  return 0;
}

void recording_free(struct recording *m)
{
  for (size_t i = 0; i < m->n_actors; i++) {
    free(m->actors[i].types);
    free(m->actors[i].sockets);
    free(m->actors[i].peers);
    free(m->actors[i].hist);
    free(m->actors[i].wait_hist);
    free(m->actors[i].stack);
  }
  for (size_t i = 0; i < m->n_cycles; i++) {
    free(m->cycles[i].ids);
    free(m->cycles[i].names);
  }
  free(m->actors);
  free(m->cycles);
  free(m->timeline);
  free(m->diagnostics);
  free(m->source);
  strtab_free(&m->strings);
  memset(m, 0, sizeof *m);
}

/* Histogram percentiles in ns: ticks converted with the run's tick length, clamped to the
 * longest finished handler. */
static int64_t rm_percentile(const struct recording *m, const struct as_histogram_bin *bins,
                             size_t n, double p, int64_t max_ns)
{
  if (!n || m->tick_fs <= 0)
    return -1;
  /* MAX_NS 0: no exact longest (mailbox waits); the buckets alone tell. */
  uint64_t max_ticks = max_ns > 0 ? as_histogram_ns_to_ticks(max_ns, m->tick_fs) : UINT64_MAX;
  uint64_t ticks = as_histogram_percentile(bins, n, p, max_ticks < UINT64_MAX ? max_ticks + 1 : 0);
  int64_t ns = as_histogram_ticks_to_ns(ticks, m->tick_fs);
  return max_ns > 0 && ns > max_ns ? max_ns : ns;
}

int recording_finished(const struct recording *m, const struct as_histogram_bin *bins, size_t n,
                       int64_t max_ns, struct rm_finished *out)
{
  out->p50 = rm_percentile(m, bins, n, 50, max_ns);
  out->p90 = rm_percentile(m, bins, n, 90, max_ns);
  out->p99 = rm_percentile(m, bins, n, 99, max_ns);
  out->max = max_ns;
  out->count = 0;
  for (size_t i = 0; i < n; i++)
    out->count += bins[i].count;
  return out->p50 < 0 ? -1 : 0;
}

int64_t recording_name_percentile(const struct recording *m, const struct rm_name *agg, double p)
{
  return agg ? rm_percentile(m, agg->hist, agg->n_hist, p, agg->finished_max_ns) : -1;
}

int recording_waits(const struct recording *m, const struct as_histogram_bin *bins, size_t n,
                    struct rm_finished *out)
{
  /* No exact longest wait is kept: the top bucket's middle stands for it. */
  int rc = recording_finished(m, bins, n, 0, out);
  out->max = rm_percentile(m, bins, n, 100, 0);
  return rc;
}

int64_t recording_name_wait_percentile(const struct recording *m, const struct rm_name *agg,
                                       double p)
{
  return agg ? rm_percentile(m, agg->wait_hist, agg->n_wait_hist, p, 0) : -1;
}

int recording_visible(const struct recording *m, const struct rm_actor *a)
{
  return actor_model_visible(a->internal, m->include_internal);
}

int recording_alive_at_end(const struct recording *m, const struct rm_actor *a)
{
  return !a->gone && a->status != AS_STATUS_STOPPED;
}

int64_t recording_handler_max(const struct rm_actor *a, uint32_t *type, int *running)
{
  int is_running = a->running_max_ns > a->handler_max_ns;
  if (type)
    *type = is_running ? a->running_type : a->max_type;
  if (running)
    *running = is_running;
  return is_running ? a->running_max_ns : a->handler_max_ns;
}

static int rm_event_cmp(const void *x, const void *y)
{
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  /* instant * 2, +0 for a stop, +1 for a spawn: at one instant stops come first */
  return a < b ? -1 : a > b;
}

int64_t recording_max_alive(const struct recording *m) { return recording_max_alive_at(m, NULL); }

int64_t recording_max_alive_at(const struct recording *m, int64_t *at_ns)
{
  int k = m->include_internal != 0;
  int64_t *events = malloc((2 * m->n_actors + 1) * sizeof *events);
  int64_t best = m->max_alive_listed[k], best_at = m->max_alive_listed_at[k];
  if (at_ns)
    *at_ns = best_at;
  if (!events)
    return best;
  size_t n = 0;
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (!recording_visible(m, a))
      continue;
    events[n++] = as_sat_mul(a->spawned_at_ns, 2) + 1;
    if (a->has_stopped)
      events[n++] = as_sat_mul(a->stopped_at_ns, 2);
  }
  qsort(events, n, sizeof *events, rm_event_cmp);
  int64_t alive = 0;
  for (size_t i = 0; i < n; i++) {
    alive += events[i] & 1 ? 1 : -1;
    if (alive > best) {
      best = alive;
      best_at = (events[i] - 1) / 2;
    }
  }
  free(events);
  if (at_ns)
    *at_ns = best_at;
  return best;
}

void recording_counts(const struct recording *m, struct rm_counts *out)
{
  memset(out, 0, sizeof *out);
  int64_t hidden_stopped = 0, hidden_messages = 0, messages = 0;
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    int stopped = a->has_stopped || a->status == AS_STATUS_STOPPED;
    if (!recording_visible(m, a)) {
      out->hidden++;
      hidden_stopped += stopped;
      hidden_messages = as_sat_add(hidden_messages, a->received);
      continue;
    }
    out->spawned++;
    out->found_at_attach += a->attached_late;
    out->stopped += stopped;
    out->alive += recording_alive_at_end(m, a);
    messages = as_sat_add(messages, a->received);
  }
  /* The totals also know the actors reaped before any snapshot listed them. */
  out->spawned = actor_model_total(m->at_spawned, (int64_t)out->hidden, out->spawned);
  out->stopped = actor_model_total(m->at_stopped, hidden_stopped, out->stopped);
  out->messages = actor_model_total(m->at_messages, hidden_messages, messages);
  out->max_alive = recording_max_alive_at(m, &out->max_alive_at_ns);
}

int64_t recording_point_alive(const struct recording *m, size_t i)
{
  return m->timeline[i].alive[m->include_internal != 0];
}

int64_t recording_point_messages(const struct recording *m, size_t i)
{
  return m->timeline[i].messages[m->include_internal != 0];
}

const struct rm_actor *recording_find(const struct recording *m, int64_t id)
{
  size_t lo = rm_lower_bound(m, id);
  return lo < m->n_actors && m->actors[lo].id == id ? &m->actors[lo] : NULL;
}

const char *recording_gaps_note(const struct recording *m, char *buf, size_t len)
{
  if (!m->n_gaps)
    return NULL;
  size_t used = 0;
  for (size_t i = 0; i < m->n_gaps && used < len; i++) {
    const struct rm_gap *g = &m->gaps[i];
    char range[64];
    if (g->first == g->last)
      snprintf(range, sizeof range, "seq %lld", (long long)g->first);
    else
      snprintf(range, sizeof range, "seq %lld to %lld", (long long)g->first, (long long)g->last);
    const char *why = g->first > 0 ? "missed by this reading (lines skipped, or their rotated file "
                                     "was removed before it was read)"
                      : m->live    ? "sent before this reader connected"
                                   : "not in this recording: the rotated files that held them "
                                     "were removed (ACTORSCOPE_KEEP), or it was recorded from a "
                                     "stream joined late";
    used += (size_t)snprintf(buf + used, len - used, "%s%s %s", i ? "; " : "", range, why);
  }
  if (m->n_gaps == RM_GAPS_MAX && used < len)
    snprintf(buf + used, len - used, "; %lld seqs missing in all", (long long)m->seqs_missing);
  return buf;
}

const char *recording_end_note(const struct recording *m, char *buf, size_t len)
{
  switch (m->end) {
  case RM_END_NO_FINAL:
    /* Not "the program died": a full disk stops the snapshots of a program that ends well. */
    snprintf(buf, len,
             "no final snapshot: the run did not end normally (last snapshot at %.3f s): the "
             "process was killed without a chance to write one (SIGKILL), is still running, or "
             "its tracer stopped writing (a full disk)",
             (double)m->at_uptime_ns / 1e9);
    return buf;
  case RM_END_SIGNAL:
    snprintf(buf, len, "the process died of %s at %.3f s; the final snapshot shows its state then",
             strtab_text(&m->strings, m->at_signal), (double)m->at_uptime_ns / 1e9);
    return buf;
  case RM_END_EXEC:
    snprintf(buf, len,
             "the program replaced itself (exec) at %.3f s; the final snapshot shows "
             "its state then",
             (double)m->at_uptime_ns / 1e9);
    return buf;
  case RM_END_DETACH:
    snprintf(buf, len,
             "the tracer was detached at %.3f s and the process ran on: the final snapshot "
             "shows its state then, not at its exit",
             (double)m->at_uptime_ns / 1e9);
    return buf;
  default: return NULL;
  }
}
