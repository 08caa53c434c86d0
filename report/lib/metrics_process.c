/* A traced process's metric numbers, folded in snapshot by snapshot (metrics_process.h). */
#define _GNU_SOURCE
#include "metrics_process.h"
#include "histogram.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "grow.h"
#include "intern.h"
#include "recording.h"

/* ---- counts under a text key ------------------------------------------------------------- */

static struct metrics_count *counts_find(struct metrics_counts *counts, const char *key)
{
  for (size_t i = 0; i < counts->n; i++)
    if (strcmp(counts->items[i].key, key) == 0)
      return &counts->items[i];
  return NULL;
}

static struct metrics_count *counts_get(struct metrics_counts *counts, const char *key)
{
  struct metrics_count *c = counts_find(counts, key);
  if (c)
    return c;
  if (grow_array((void **)&counts->items, &counts->cap, counts->n, sizeof *counts->items) < 0)
    return NULL;
  char *copy = strdup(key);
  if (!copy)
    return NULL;
  c = &counts->items[counts->n++];
  c->key = copy;
  c->count = 0;
  return c;
}

static void counts_free(struct metrics_counts *counts)
{
  for (size_t i = 0; i < counts->n; i++)
    free(counts->items[i].key);
  free(counts->items);
  memset(counts, 0, sizeof *counts);
}

/* ---- names: (runtime, name) -> struct metrics_name, by hash ---------------------------------- */

static uint64_t name_hash(const char *runtime, const char *name)
{
  /* A separator byte no UTF-8 text holds keeps ("ab", "c") apart from ("a", "bc"). */
  return intern_fnv1a(intern_fnv1a(intern_fnv1a(INTERN_HASH_SEED, runtime), "\xff"), name);
}

static int names_reindex(struct metrics_process *p, size_t cap)
{
  size_t *index = calloc(cap, sizeof *index);
  if (!index)
    return -ENOMEM;
  for (size_t i = 0; i < p->n_names; i++) {
    size_t slot = name_hash(p->names[i]->runtime, p->names[i]->name) & (cap - 1);
    while (index[slot])
      slot = (slot + 1) & (cap - 1);
    index[slot] = i + 1;
  }
  free(p->index);
  p->index = index;
  p->index_cap = cap;
  return 0;
}

static struct metrics_name *names_get(struct metrics_process *p, const char *runtime,
                                      const char *name)
{
  if (p->index_cap) {
    size_t slot = name_hash(runtime, name) & (p->index_cap - 1);
    for (; p->index[slot]; slot = (slot + 1) & (p->index_cap - 1)) {
      struct metrics_name *n = p->names[p->index[slot] - 1];
      if (strcmp(n->name, name) == 0 && strcmp(n->runtime, runtime) == 0)
        return n;
    }
  }
  if (grow_array((void **)&p->names, &p->cap_names, p->n_names, sizeof *p->names) < 0)
    return NULL;
  struct metrics_name *n = calloc(1, sizeof *n);
  if (!n || !(n->runtime = strdup(runtime)) || !(n->name = strdup(name))) {
    if (n)
      free(n->runtime);
    free(n);
    return NULL;
  }
  p->names[p->n_names++] = n;
  /* Kept at most half full. */
  if (p->n_names * 2 > p->index_cap) {
    if (names_reindex(p, p->index_cap ? p->index_cap * 2 : 64) < 0) {
      p->n_names--;
      free(n->runtime);
      free(n->name);
      free(n);
      return NULL;
    }
  } else {
    size_t slot = name_hash(runtime, name) & (p->index_cap - 1);
    while (p->index[slot])
      slot = (slot + 1) & (p->index_cap - 1);
    p->index[slot] = p->n_names;
  }
  return n;
}

static void name_free(struct metrics_name *n)
{
  free(n->runtime);
  free(n->name);
  counts_free(&n->stopped);
  counts_free(&n->received);
  free(n->handler_buckets);
  free(n->wait_buckets);
  free(n);
}

/* ---- the process --------------------------------------------------------------------------- */

struct metrics_process *metrics_process_new(const struct as_rec_header *header)
{
  struct metrics_process *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->pid = header->pid;
  p->started_at_ns = header->started_at_ns;
  p->program = strdup(header->name);
  if (!p->program) {
    free(p);
    return NULL;
  }
  p->last_seq = -1;
  actor_table_init(&p->actors, sizeof(struct metrics_actor));
  return p;
}

static int actor_free(void *state, void *ctx)
{
  free(((struct metrics_actor *)state)->types);
  free(((struct metrics_actor *)state)->histogram);
  free(((struct metrics_actor *)state)->wait_histogram);
  metrics_pairs_seen_free(&((struct metrics_actor *)state)->peers);
  return 0;
}

void metrics_process_free(struct metrics_process *p)
{
  if (!p)
    return;
  actor_table_each(&p->actors, actor_free, NULL);
  actor_table_free(&p->actors);
  actor_model_view_free(&p->view);
  for (size_t i = 0; i < p->n_names; i++)
    name_free(p->names[i]);
  free(p->names);
  free(p->index);
  counts_free(&p->diagnostics);
  metrics_pairs_free(&p->pairs);
  free(p->program);
  free(p);
}

static int metrics_actor_empty(void *state, void *ctx)
{
  (void)ctx;
  ((struct metrics_actor *)state)->mailbox_len = 0;
  return 0;
}

void metrics_process_gone(struct metrics_process *p)
{
  for (size_t i = 0; i < p->n_names; i++) {
    memset(p->names[i]->by_status, 0, sizeof p->names[i]->by_status);
    p->names[i]->mailbox_depth = p->names[i]->running_max_ns = p->names[i]->deadlocked = 0;
  }
  p->alive = p->deadlocks = 0;
  p->exited = 1;
  actor_table_each(&p->actors, metrics_actor_empty, NULL);
}

int metrics_process_is(const struct metrics_process *p, const struct as_rec_header *header)
{
  return p->pid == header->pid && p->started_at_ns == header->started_at_ns;
}

/* The growth of a counter that should only grow (0 if a writer ever made it shrink). */
static int64_t growth(int64_t now, int64_t before) { return now > before ? now - before : 0; }

static int count_stop(struct metrics_actor *s, const char *reason)
{
  struct metrics_count *c = counts_get(&s->name->stopped, reason);
  if (!c)
    return -ENOMEM;
  c->count = as_sat_add(c->count, 1);
  s->stop_counted = 1;
  return 0;
}

/* Adds the growth of each message type's count since the last snapshot to the name's totals,
 * and remembers the counts. Per name a type is counted without its socket's endpoint (each
 * instance of a CZMQ actor may bind its own), so an actor's types that differ only there add
 * up into one. */
static int fold_types(struct metrics_actor *s, const struct as_rec_actor *a)
{
  struct metrics_count *now = NULL;
  size_t n = 0;
  if (a->n_message_types) {
    now = calloc(a->n_message_types, sizeof *now);
    if (!now)
      return -ENOMEM;
  }
  for (size_t i = 0; i < a->n_message_types; i++) {
    const struct as_rec_msgtype *t = &a->message_types[i];
    char buf[AS_TYPE_NAME_MAX + 8];
    struct metrics_count *total =
        counts_get(&s->name->received, as_type_without_endpoint(t->name, buf, sizeof buf));
    if (!total) {
      free(now);
      return -ENOMEM;
    }
    size_t k = 0;
    while (k < n && now[k].key != total->key)
      k++;
    if (k == n)
      now[n++] = (struct metrics_count){total->key, 0};
    now[k].count = as_sat_add(now[k].count, t->count);
  }
  for (size_t k = 0; k < n; k++) {
    struct metrics_count *total = counts_find(&s->name->received, now[k].key);
    int64_t before = 0;
    for (size_t j = 0; j < s->n_types; j++)
      if (s->types[j].key == now[k].key) {
        before = s->types[j].count;
        break;
      }
    total->count = as_sat_add(total->count, growth(now[k].count, before));
  }
  free(s->types);
  s->types = now;
  s->n_types = n;
  return 0;
}

/* The growth of one of the actor's histograms (PAIRS, as now listed) since it was last seen
 * (*SEEN) goes to its name's buckets (*BUCKETS, allocated at the first). */
static int fold_histogram(const int64_t *pairs, size_t n_pairs, int64_t **seen, size_t *n_seen,
                          uint64_t **buckets)
{
  if (!n_pairs)
    return 0;
  if (!*buckets && !(*buckets = calloc(AS_HISTOGRAM_BUCKETS, sizeof(uint64_t))))
    return -ENOMEM;
  int64_t *now = malloc(n_pairs * 2 * sizeof *now);
  if (!now)
    return -ENOMEM;
  memcpy(now, pairs, n_pairs * 2 * sizeof *now);
  size_t k = 0;
  for (size_t i = 0; i < n_pairs; i++) {
    int64_t bucket = now[2 * i], before = 0;
    while (k < *n_seen && (*seen)[2 * k] < bucket)
      k++;
    if (k < *n_seen && (*seen)[2 * k] == bucket)
      before = (*seen)[2 * k + 1];
    (*buckets)[bucket] += (uint64_t)growth(now[2 * i + 1], before);
  }
  free(*seen);
  *seen = now;
  *n_seen = n_pairs;
  return 0;
}

/* An actor is counted under the name it has: a runtime may name it only after a while (a CAF
 * scoped actor is <unknown> at first). Its earlier counts stay with the earlier name (counters
 * never go down); from now on its growth goes to the new one. */
static int actor_name(struct metrics_process *p, struct metrics_actor *s,
                      const struct as_rec_actor *a)
{
  if (s->name && strcmp(s->name->name, a->name) == 0 && strcmp(s->name->runtime, a->runtime) == 0)
    return 0;
  struct metrics_name *n = names_get(p, a->runtime, a->name);
  if (!n)
    return -ENOMEM;
  /* The counts it has so far, keyed by the new name's type strings. */
  for (size_t k = 0; k < s->n_types; k++) {
    struct metrics_count *c = counts_get(&n->received, s->types[k].key);
    if (!c)
      return -ENOMEM;
    s->types[k].key = c->key;
  }
  s->name = n;
  n->spawned = as_sat_add(n->spawned, 1);
  return 0;
}

/* A peer's name when the snapshot no longer lists it: as it was last listed. */
static const char *actor_name_by_id(int64_t id, void *ctx)
{
  const struct metrics_actor *s = actor_table_find(&((struct metrics_process *)ctx)->actors, id);
  return s && s->name ? s->name->name : NULL;
}

static int actor_seen(void *state, const struct as_rec_actor *a, int is_new, void *ctx)
{
  struct metrics_process *p = ctx;
  struct metrics_actor *s = state;
  if (actor_name(p, s, a) < 0)
    return -ENOMEM;
  struct metrics_name *n = s->name;
  n->sent = as_sat_add(n->sent, growth(a->sent_all, s->sent));
  n->exceptions = as_sat_add(n->exceptions, growth(a->exceptions, s->exceptions));
  n->handler_ns = as_sat_add(n->handler_ns, growth(a->handler_total_ns, s->handler_ns));
  s->received = a->received_all;
  s->sent = a->sent_all;
  s->exceptions = a->exceptions;
  s->handler_ns = a->handler_total_ns;
  s->mailbox_len = a->queued_all;
  if (fold_types(s, a) < 0 ||
      metrics_pairs_fold(&p->pairs, &s->peers, n->name, a, actor_name_by_id, p) < 0 ||
      fold_histogram(a->histogram, a->n_histogram, &s->histogram, &s->n_histogram,
                     &n->handler_buckets) < 0 ||
      fold_histogram(a->wait_histogram, a->n_wait_histogram, &s->wait_histogram,
                     &s->n_wait_histogram, &n->wait_buckets) < 0)
    return -ENOMEM;
  if (a->handler_max_ns > n->handler_max_ns)
    n->handler_max_ns = a->handler_max_ns;
  if (a->queued_all_max > n->mailbox_max)
    n->mailbox_max = a->queued_all_max;
  if (a->status != AS_STATUS_STOPPED)
    n->by_status[a->status]++;
  n->mailbox_depth = as_sat_add(n->mailbox_depth, a->queued_all);
  if (a->has_handling && a->handling_elapsed_ns > n->running_max_ns)
    n->running_max_ns = a->handling_elapsed_ns;
  if (a->status == AS_STATUS_STOPPED && !s->stop_counted)
    return count_stop(s, a->stop_reason ? a->stop_reason : "");
  return 0;
}

/* Reaped: it stopped, though maybe between two snapshots we saw. */
static int actor_gone(void *state, void *ctx)
{
  struct metrics_actor *s = state;
  int rc = s->stop_counted ? 0 : count_stop(s, "<not seen>");
  actor_free(state, ctx);
  return rc;
}

static int fold_cost(struct metrics_process *p, const struct as_rec_snapshot *snap)
{
  p->have_cost = snap->has_last_cost;
  if (!snap->has_last_cost)
    return 0;
  int64_t cost[3] = {snap->cost_collect_ns, snap->cost_encode_ns, snap->cost_write_ns};
  for (int i = 0; i < 3; i++) {
    p->cost_ns[i] = cost[i];
    p->cost_total_ns[i] = as_sat_add(p->cost_total_ns[i], cost[i]);
  }
  p->cost_bytes = snap->cost_bytes;
  return 0;
}

int metrics_process_update(struct metrics_process *p, const struct as_rec_snapshot *snap)
{
  /* The actors every view shows: runtime-internal ones only with --internal. */
  struct as_rec_snapshot visible;
  snap = actor_model_snapshot(snap, p->include_internal, &p->view, &visible);
  if (!snap)
    return -ENOMEM;
  if (snap->tick_fs)
    p->tick_fs = snap->tick_fs;
  for (size_t i = 0; i < p->n_names; i++) {
    struct metrics_name *n = p->names[i];
    memset(n->by_status, 0, sizeof n->by_status);
    n->mailbox_depth = n->running_max_ns = n->deadlocked = 0;
  }
  p->pairs.snapshot = snap;
  p->pairs.view = &p->view;
  int rc = actor_table_update(&p->actors, snap, actor_seen, actor_gone, p);
  p->pairs.snapshot = NULL;
  p->pairs.view = NULL;
  if (rc < 0)
    return rc;
  for (size_t i = 0; i < snap->n_deadlocks; i++)
    for (size_t k = 0; k < snap->deadlocks[i].n_actors; k++) {
      struct metrics_actor *s = actor_table_find(&p->actors, snap->deadlocks[i].actors[k]);
      if (s)
        s->name->deadlocked++;
    }
  counts_free(&p->diagnostics);
  for (size_t i = 0; i < snap->n_diagnostics; i++) {
    struct metrics_count *c = counts_get(&p->diagnostics, snap->diagnostics[i].code);
    if (!c)
      return -ENOMEM;
    c->count++;
  }
  /* A jump in seq is lines the tracer produced that this reader never got (a slow client's
   * lines are skipped whole); a seq that goes back is a fork child's stream or a restart. */
  if (p->last_seq >= 0 && snap->seq > p->last_seq + 1)
    p->lines_lost = as_sat_add(p->lines_lost, snap->seq - p->last_seq - 1);
  p->last_seq = snap->seq;
  p->snapshots = as_sat_add(p->snapshots, 1);
  p->have_snapshot = 1;
  p->exited = recording_end_exited(recording_snapshot_end(snap));
  p->alive = snap->alive;
  p->spawned = snap->total_spawned;
  p->stopped = snap->total_stopped;
  p->received = snap->received_all;
  p->deadlocks = (int64_t)snap->n_deadlocks;
  p->captured_at_ns = snap->captured_at_ns;
  return fold_cost(p, snap);
}
