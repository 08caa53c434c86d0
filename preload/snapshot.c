#include "snapshot.h"
#include "jsonw.h"
#include "peers.h"
#include "mailwait.h"
#include "stuck.h"
#include "symcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


void as_snapshot_format_time(uint64_t wall_ns, char out[32])
{
  time_t secs = (time_t)(wall_ns / 1000000000u);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char date[24];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, 32, "%s.%03uZ", date, (unsigned)(wall_ns / 1000000u % 1000u));
}

/* The header goes through the same writer as snapshots: a program path or argument that is not
 * UTF-8 is written with U+FFFD like any name, never dropped. */
char *as_snapshot_encode_header(const struct as_header_info *h)
{
  struct as_jsonw w;
  as_jsonw_init(&w, 512);
  as_jsonw_lit(&w, "{" AS_KEY(AS_M_TYPE) "\"" AS_LINE_HEADER "\"," AS_KEY(AS_M_FORMAT));
  as_jsonw_str(&w, AS_FORMAT_NAME);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_VERSION), AS_FORMAT_VERSION);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_PID), (uint64_t)h->pid);
  as_jsonw_lit(&w, "," AS_KEY(AS_M_PROGRAM));
  as_jsonw_str(&w, h->program ? h->program : "");
  as_jsonw_lit(&w, "," AS_KEY(AS_M_ARGV) "[");
  for (size_t i = 0; i < h->argc; i++) {
    if (i > 0)
      as_jsonw_lit(&w, ",");
    as_jsonw_str(&w, h->argv[i]);
  }
  char started[32];
  as_snapshot_format_time(h->started_wall_ns, started);
  as_jsonw_lit(&w, "]," AS_KEY(AS_M_STARTED_AT));
  as_jsonw_str(&w, started);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_STARTED_AT_NS), h->started_wall_ns);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_CONFIG) "{" AS_KEY(AS_M_INTERVAL_MS), h->interval_ms);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_GRAVE_MS), h->grave_ms);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_STACK_DEPTH), h->stack_depth);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_MAILBOX_WAIT_EVERY), as_mailwait_every());
  as_jsonw_lit(&w, "}}");
  return as_jsonw_finish(&w);
}

/* The symbol of the actor's code when it has one (the most specific name), else the name the
 * runtime gave it, else the function that spawned it ("<task in CALLER>"). */
static const char *snapshot_actor_name(const struct as_actor_view *v)
{
  /* The collector thread only: most actors of a line share their code with the one before. */
  static const void *last_addr;
  static const char *last_function;
  const char *name = NULL;
  if (v->name_addr && v->name_addr == last_addr) {
    name = last_function;
  } else if (v->name_addr) {
    name = as_symcache_function(v->name_addr);
    last_addr = v->name_addr;
    last_function = name;
  }
  if (name)
    return name;
  if (v->name && v->name[0])
    return v->name;
  name = v->unnamed_after_spawner && v->spawn_frame_count ? as_symcache_task_in(v->spawn_frames[0])
                                                           : NULL;
  return name ? name : "<unknown>";
}

/* The runtime's longer name, when the name shown is the runtime's shortened one. */
static const char *snapshot_actor_full_name(const struct as_actor_view *v)
{
  if (!v->full_name || (v->name_addr && as_symcache_function(v->name_addr)))
    return NULL;
  return v->full_name;
}

/* The last string of a kind written, escaped: a keyframe names 100k actors with a handful of
 * names, runtimes and reasons, each escaped once rather than once an actor. Keyed by pointer
 * (interned and cached strings do not change while a line is written). */
struct snapshot_str_cache {
  const char *src;
  size_t len;
  char text[160];
};
struct snapshot_strs {
  struct snapshot_str_cache name, runtime, reason;
};

static void snapshot_str(struct as_jsonw *w, struct snapshot_str_cache *cache, const char *text)
{
  if (text && text == cache->src) {
    as_jsonw_raw(w, cache->text, cache->len);
    return;
  }
  size_t flushed = w->flushed, at = w->len;
  as_jsonw_str(w, text);
  cache->src = NULL;
  if (text && !w->failed && w->flushed == flushed && w->len - at <= sizeof cache->text) {
    memcpy(cache->text, w->buf + at, w->len - at);
    cache->len = w->len - at;
    cache->src = text;
  }
}

/* Nanoseconds from `then` to `now`, both in clock ticks. */
static uint64_t snapshot_since(uint64_t now, uint64_t then)
{
  return now > then ? as_clock_ticks_to_ns(now - then) : 0;
}

struct snapshot_type_row {
  const char *name;
  uint64_t count;
};

static int snapshot_type_row_cmp(const void *a, const void *b)
{
  const struct snapshot_type_row *x = a, *y = b;
  if (x->count != y->count)
    return x->count < y->count ? 1 : -1;
  return strcmp(x->name, y->name);
}

static void snapshot_message_types(struct as_jsonw *w, const struct as_actor_view *v,
                                   const struct as_registry_collection *c)
{
  struct snapshot_type_row rows[AS_ACTOR_TYPE_SLOTS + 1];
  size_t n = 0;
  const uint64_t *words = as_view_type_words(c, v);
  for (uint32_t i = 0; i < v->type_count && i < AS_ACTOR_TYPE_SLOTS; i++)
    if (as_tally_word_count(words[i]))
      rows[n++] = (struct snapshot_type_row){as_typetab_name(as_tally_word_type(words[i])),
                                             as_tally_word_count(words[i])};
  if (v->other_types)
    rows[n++] = (struct snapshot_type_row){AS_TYPE_OVERFLOW_NAME, v->other_types};
  if (n > 1)
    qsort(rows, n, sizeof rows[0], snapshot_type_row_cmp);
  as_jsonw_lit(w, "[");
  for (size_t i = 0; i < n; i++) {
    if (i)
      as_jsonw_lit(w, ",");
    as_jsonw_lit(w, "{" AS_KEY(AS_M_NAME));
    as_jsonw_str(w, rows[i].name);
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_COUNT), rows[i].count);
    as_jsonw_lit(w, "}");
  }
  as_jsonw_lit(w, "]");
}

static void snapshot_ids(struct as_jsonw *w, const uint64_t *ids, size_t count)
{
  as_jsonw_lit(w, "[");
  for (size_t i = 0; i < count; i++) {
    if (i)
      as_jsonw_lit(w, ",");
    as_jsonw_u64(w, ids[i]);
  }
  as_jsonw_lit(w, "]");
}

/* Each actor's children: (parent, child) pairs sorted, and per actor (in id order) where its
 * run of pairs starts — found in one merge pass, not a search per actor through the views. */
struct snapshot_edge {
  uint64_t parent, child;
};

struct snapshot_family {
  struct snapshot_edge *edges; /* sorted by parent, then child */
  size_t *first;               /* by view index in id order */
  size_t count;
};

static int snapshot_edge_cmp(const void *a, const void *b)
{
  const struct snapshot_edge *x = a, *y = b;
  if (x->parent != y->parent)
    return x->parent < y->parent ? -1 : 1;
  return x->child < y->child ? -1 : x->child > y->child;
}

static int snapshot_family_build(struct snapshot_family *f, const struct as_actor_view **by_id,
                                 size_t n)
{
  f->edges = malloc((n + 1) * sizeof *f->edges);
  f->first = malloc((n + 1) * sizeof *f->first);
  f->count = n;
  if (!f->edges || !f->first)
    return -1;
  int sorted = 1;
  for (size_t i = 0; i < n; i++) {
    f->edges[i] = (struct snapshot_edge){by_id[i]->parent_id, by_id[i]->id};
    sorted &= i == 0 || snapshot_edge_cmp(&f->edges[i - 1], &f->edges[i]) < 0;
  }
  if (!sorted)
    qsort(f->edges, n, sizeof *f->edges, snapshot_edge_cmp);
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    while (at < n && f->edges[at].parent < by_id[i]->id)
      at++;
    f->first[i] = at;
  }
  return 0;
}

static void snapshot_family_free(struct snapshot_family *f)
{
  free(f->edges);
  free(f->first);
}

static int snapshot_by_id_cmp(const void *a, const void *b)
{
  const struct as_actor_view *x = *(const struct as_actor_view *const *)a;
  const struct as_actor_view *y = *(const struct as_actor_view *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void snapshot_children(struct as_jsonw *w, const struct snapshot_family *f, size_t index,
                              uint64_t id)
{
  as_jsonw_lit(w, "[");
  size_t start = f->first[index];
  for (size_t k = start; k < f->count && f->edges[k].parent == id; k++) {
    if (k > start)
      as_jsonw_lit(w, ",");
    as_jsonw_u64(w, f->edges[k].child);
  }
  as_jsonw_lit(w, "]");
}

/* Spawn sites, each distinct call stack once per snapshot: a loop spawning 100k actors has
 * one site, not 100k copies of it. */
struct snapshot_sites {
  const struct as_actor_view **first; /* by site number: the view that introduced it */
  uint32_t *numbers;                  /* by view index in by_id order: site number + 1, or 0 */
  size_t count;
};

static uint64_t snapshot_site_hash(const struct as_actor_view *v)
{
  uint64_t h = 1469598103934665603ULL ^ v->spawn_frame_count;
  for (uint32_t i = 0; i < v->spawn_frame_count; i++)
    h = (h ^ (uint64_t)(uintptr_t)v->spawn_frames[i]) * 1099511628211ULL;
  return h;
}

static int snapshot_site_equal(const struct as_actor_view *a, const struct as_actor_view *b)
{
  return a->spawn_frame_count == b->spawn_frame_count &&
         memcmp(a->spawn_frames, b->spawn_frames, a->spawn_frame_count * sizeof(void *)) == 0;
}

/* Whether a line says where an actor comes from: always, but in a delta line for an actor an
 * earlier line described (its runtime, spawn time and site, parent and runtime id cannot have
 * changed). */
static int snapshot_says_origin(const struct as_actor_view *v, const struct as_snapshot_info *info)
{
  return !info->delta || !v->known;
}

static int snapshot_sites_build(struct snapshot_sites *sites, const struct as_actor_view **by_id,
                                size_t n, const struct as_snapshot_info *info)
{
  size_t slots = 64;
  while (slots < n * 2)
    slots *= 2;
  uint32_t *table = calloc(slots, sizeof *table); /* site number + 1 */
  sites->first = malloc((n + 1) * sizeof *sites->first);
  sites->numbers = calloc(n + 1, sizeof *sites->numbers);
  sites->count = 0;
  if (!table || !sites->first || !sites->numbers) {
    free(table);
    return -1;
  }
  const struct as_actor_view *last = NULL; /* the last actor given a site, and its number */
  uint32_t last_number = 0;
  for (size_t i = 0; i < n; i++) {
    const struct as_actor_view *v = by_id[i];
    if (v->spawn_frame_count == 0 || !snapshot_says_origin(v, info))
      continue;
    /* Actors from one place share their interned frames: no hash for a run of them. */
    if (last && v->spawn_frames == last->spawn_frames &&
        v->spawn_frame_count == last->spawn_frame_count) {
      sites->numbers[i] = last_number;
      continue;
    }
    size_t at = snapshot_site_hash(v) & (slots - 1);
    while (table[at] && !snapshot_site_equal(sites->first[table[at] - 1], v))
      at = (at + 1) & (slots - 1);
    if (!table[at]) {
      sites->first[sites->count] = v;
      table[at] = (uint32_t)++sites->count;
    }
    sites->numbers[i] = table[at];
    last = v;
    last_number = table[at];
  }
  free(table);
  return 0;
}

static void snapshot_sites_write(struct as_jsonw *w, const struct snapshot_sites *sites)
{
  as_jsonw_lit(w, "[");
  for (size_t s = 0; s < sites->count; s++) {
    const struct as_actor_view *v = sites->first[s];
    if (s)
      as_jsonw_lit(w, ",");
    as_jsonw_lit(w, "[");
    for (uint32_t i = 0; i < v->spawn_frame_count; i++) {
      if (i)
        as_jsonw_lit(w, ",");
      as_jsonw_str(w, as_symcache_frame(v->spawn_frames[i]));
    }
    as_jsonw_lit(w, "]");
  }
  as_jsonw_lit(w, "]");
}

/* A histogram as [bucket, count] pairs (histogram.h) after `key` (with its comma); absent
 * before the first time. */
static void snapshot_histogram(struct as_jsonw *w, const char *key, const uint64_t *words,
                               uint32_t count)
{
  if (!count || !words)
    return;
  as_jsonw_raw(w, key, strlen(key));
  as_jsonw_lit(w, "[");
  for (uint32_t i = 0; i < count; i++) {
    if (i)
      as_jsonw_lit(w, ",");
    as_jsonw_lit(w, "[");
    as_jsonw_u64(w, as_tally_word_type(words[i]));
    as_jsonw_lit(w, ",");
    as_jsonw_u64(w, as_tally_word_count(words[i]));
    as_jsonw_lit(w, "]");
  }
  as_jsonw_lit(w, "]");
}

/* Where a handler past ACTORSCOPE_STUCK_MS was stuck when looked at, innermost first (the
 * first frame is where the thread was, as a return address is: the symbol cache looks up the
 * byte before). Absent when none was read. */
static void snapshot_stack_frames(struct as_jsonw *w, const struct as_stuck_stack *r)
{
  if (!r->probe.count)
    return;
  as_jsonw_lit(w, "," AS_KEY(AS_M_STACK) "[");
  for (uint32_t i = 0; i < r->probe.count; i++) {
    if (i)
      as_jsonw_lit(w, ",");
    as_jsonw_str(w, as_symcache_frame(r->frames[i]));
  }
  as_jsonw_lit(w, "]");
}

static void snapshot_bool(struct as_jsonw *w, int value)
{
  if (value)
    as_jsonw_lit(w, "true");
  else
    as_jsonw_lit(w, "false");
}

static void snapshot_stack_source(struct as_jsonw *w, const struct as_stuck_stack *r)
{
  const char *source = as_stack_source_name(r->probe.source);
  if (!source)
    return;
  as_jsonw_lit(w, "," AS_KEY(AS_M_STACK_SOURCE));
  as_jsonw_str(w, source);
  as_jsonw_lit(w, "," AS_KEY(AS_M_STACK_COMPLETE));
  snapshot_bool(w, r->probe.count && r->probe.end == AS_STUCK_END_OUTERMOST);
}

/* handling: the stack of the run in progress, as version 2 readers know it. */
static void snapshot_handling_stack(struct as_jsonw *w, const struct as_stuck_stack *r)
{
  if (!r)
    return;
  snapshot_stack_frames(w, r);
  snapshot_stack_source(w, r);
}

/* The actor's longest stuck run, kept after it ended: where its slowest handler was. */
static void snapshot_stuck(struct as_jsonw *w, const struct as_stuck_stack *r,
                           const struct as_snapshot_info *info)
{
  if (!r)
    return;
  as_jsonw_lit(w, "," AS_KEY(AS_M_STUCK) "{" AS_KEY(AS_M_TYPE));
  as_jsonw_str(w, as_typetab_name(r->type));
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_SINCE_NS), snapshot_since(r->since, info->start_ticks));
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_HANDLER_NS), as_clock_ticks_to_ns(r->handler_ticks));
  as_jsonw_lit(w, "," AS_KEY(AS_M_RUNNING));
  snapshot_bool(w, r->running);
  as_jsonw_lit(w, "," AS_KEY(AS_M_ON_CPU));
  snapshot_bool(w, r->probe.on_cpu);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_CPU_NS), r->cpu_ns);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_CPU_WINDOW_NS), as_clock_ticks_to_ns(r->cpu_window_ticks));
  snapshot_stack_source(w, r);
  if (r->probe.count) {
    as_jsonw_lit(w, "," AS_KEY(AS_M_STACK_END));
    as_jsonw_str(w, as_stuck_end_name(r->probe.end));
  }
  snapshot_stack_frames(w, r);
  as_jsonw_lit(w, "}");
}

/* A CZMQ actor's other sockets (registry channels); absent when it has none. */
static void snapshot_sockets(struct as_jsonw *w, const struct as_actor_view *v,
                             const struct as_registry_collection *c)
{
  if (!v->channel_count || !c->ids)
    return;
  as_jsonw_lit(w, "," AS_KEY(AS_M_SOCKETS) "[");
  for (uint32_t i = 0; i < v->channel_count; i++) {
    struct as_channel ch = as_view_channel(c, v, i);
    if (i)
      as_jsonw_lit(w, ",");
    as_jsonw_lit(w, "{" AS_KEY(AS_M_KIND));
    as_jsonw_str(w, ch.kind ? ch.kind : "?");
    as_jsonw_lit(w, "," AS_KEY(AS_M_ENDPOINT));
    if (ch.endpoint)
      as_jsonw_str(w, ch.endpoint);
    else
      as_jsonw_lit(w, "null");
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_RECEIVED), ch.received);
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_SENT), ch.sent);
    if (ch.depth >= 0)
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_DEPTH), (uint64_t)ch.depth);
    if (ch.max >= 0)
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_MAX), (uint64_t)ch.max);
    as_jsonw_lit(w, "}");
  }
  as_jsonw_lit(w, "]");
}

/* An actor's id, name (and full name) and whether it is the runtime's own: how every listing
 * of it begins. */
static void snapshot_identity(struct as_jsonw *w, const struct as_actor_view *v,
                              struct snapshot_strs *strs)
{
  as_jsonw_lit_u64(w, "{" AS_KEY(AS_M_ID), v->id);
  as_jsonw_lit(w, "," AS_KEY(AS_M_NAME));
  snapshot_str(w, &strs->name, snapshot_actor_name(v));
  const char *full_name = snapshot_actor_full_name(v);
  if (full_name) {
    as_jsonw_lit(w, "," AS_KEY(AS_M_FULL_NAME));
    as_jsonw_str(w, full_name);
  }
  if (v->internal)
    as_jsonw_lit(w, "," AS_KEY(AS_M_INTERNAL) "true");
}

static void snapshot_runtime(struct as_jsonw *w, const struct as_actor_view *v,
                             struct snapshot_strs *strs)
{
  as_jsonw_lit(w, "," AS_KEY(AS_M_RUNTIME));
  snapshot_str(w, &strs->runtime, v->runtime);
  if (v->attached_late)
    as_jsonw_lit(w, "," AS_KEY(AS_M_ATTACHED_LATE) "true");
}

/* Its handler-time and mailbox-wait histograms and its longest stuck run. */
static void snapshot_measures(struct as_jsonw *w, const struct as_actor_view *v,
                              const struct as_registry_collection *c,
                              const struct as_snapshot_info *info)
{
  snapshot_histogram(w, "," AS_KEY(AS_M_HANDLER_HISTOGRAM), as_view_histogram_words(c, v),
                     v->histogram_count);
  snapshot_histogram(w, "," AS_KEY(AS_M_MAILBOX_WAIT_HISTOGRAM),
                     as_view_wait_histogram_words(c, v), v->wait_histogram_count);
  snapshot_stuck(w, as_stuck_longest(v->id), info);
}

static void snapshot_actor(struct as_jsonw *w, const struct as_actor_view *v, size_t index,
                           uint32_t site, const struct snapshot_family *family,
                           const struct as_registry_collection *c,
                           const struct as_snapshot_info *info, struct snapshot_strs *strs)
{
  uint64_t now = info->now_ticks;
  int status = v->status >= 0 && v->status <= AS_STATUS_STOPPED ? v->status : AS_STATUS_RUNNING;

  snapshot_identity(w, v, strs);
  int origin = snapshot_says_origin(v, info);
  if (origin) {
    snapshot_runtime(w, v, strs);
  }
  as_jsonw_lit(w, "," AS_KEY(AS_M_STATUS) "\"");
  const char *status_name = as_status_name((enum as_status)status);
  as_jsonw_raw(w, status_name, strlen(status_name));
  as_jsonw_lit(w, "\"");
  if (origin) {
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_SPAWNED_AT_NS), snapshot_since(v->spawned_at, info->start_ticks));
    as_jsonw_lit(w, "," AS_KEY(AS_M_SPAWN_SITE));
    if (site)
      as_jsonw_u64(w, site - 1);
    else
      as_jsonw_lit(w, "null");
    as_jsonw_lit(w, "," AS_KEY(AS_M_PARENT));
    if (v->parent_id)
      as_jsonw_u64(w, v->parent_id);
    else
      as_jsonw_lit(w, "null");
  }
  /* A delta line lists some actors only: readers derive children from parent links. */
  if (!info->delta) {
    as_jsonw_lit(w, "," AS_KEY(AS_M_CHILDREN));
    snapshot_children(w, family, index, v->id);
  }
  as_jsonw_lit(w, "," AS_KEY(AS_M_STOPPED));
  if (v->status == AS_STATUS_STOPPED) {
    as_jsonw_lit_u64(w, "{" AS_KEY(AS_M_AT_NS), snapshot_since(v->stopped_at, info->start_ticks));
    as_jsonw_lit(w, "," AS_KEY(AS_M_REASON));
    snapshot_str(w, &strs->reason, v->stop_reason);
    as_jsonw_lit(w, "}");
  } else {
    as_jsonw_lit(w, "null");
  }
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_MAILBOX) "{" AS_KEY(AS_M_KIND) "\"unbounded\"," AS_KEY(AS_M_LEN), v->enqueued > v->received ? v->enqueued - v->received : 0);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_MAX), v->mailbox_max);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_ENQUEUED), v->enqueued);
  as_jsonw_lit_u64(w, "}," AS_KEY(AS_M_OUTBOX) "{" AS_KEY(AS_M_LEN), v->replies > v->replies_taken ? v->replies - v->replies_taken : 0);
  as_jsonw_lit_u64(w, "}," AS_KEY(AS_M_COUNTERS) "{" AS_KEY(AS_M_MESSAGES_RECEIVED), v->received);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_MESSAGES_SENT), v->sent);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_REPLIES), v->replies);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_HANDLED), v->handled);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_EXCEPTIONS), v->exceptions);
  as_jsonw_lit_u64(w, "}," AS_KEY(AS_M_HANDLER_NS) "{" AS_KEY(AS_M_TOTAL), as_clock_ticks_to_ns(v->handler_ticks_total));
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_MAX), as_clock_ticks_to_ns(v->handler_ticks_max));
  as_jsonw_lit(w, "}");
  snapshot_measures(w, v, c, info);
  as_jsonw_lit(w, "," AS_KEY(AS_M_HANDLING));
  if (v->handling_type != AS_TYPE_NONE) {
    as_jsonw_lit(w, "{" AS_KEY(AS_M_TYPE));
    as_jsonw_str(w, as_typetab_name(v->handling_type));
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_ELAPSED_NS), snapshot_since(now, v->handling_since));
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_SINCE_NS), snapshot_since(v->handling_since, info->start_ticks));
    snapshot_handling_stack(w, as_stuck_find(v->id, v->handling_since));
    as_jsonw_lit(w, "}");
  } else {
    as_jsonw_lit(w, "null");
  }
  as_jsonw_lit(w, "," AS_KEY(AS_M_WAITING_ON));
  if (v->wait_target) {
    int kind = v->wait_kind >= 0 && v->wait_kind <= AS_WAIT_SIGNAL ? v->wait_kind : AS_WAIT_NONE;
    as_jsonw_lit_u64(w, "{" AS_KEY(AS_M_TARGET), v->wait_target);
    as_jsonw_lit(w, "," AS_KEY(AS_M_KIND));
    const char *kind_name = as_wait_kind_name((enum as_wait_kind)kind);
    as_jsonw_str(w, kind_name ? kind_name : "none");
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_ELAPSED_NS), snapshot_since(now, v->wait_since));
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_SINCE_NS), snapshot_since(v->wait_since, info->start_ticks));
    as_jsonw_lit(w, "}");
  } else {
    as_jsonw_lit(w, "null");
  }
  as_jsonw_lit(w, "," AS_KEY(AS_M_MESSAGE_TYPES));
  snapshot_message_types(w, v, c);
  as_peers_write(w, as_view_peer_words(c, v), v->peer_count);
  /* Members only some runtimes fill: CZMQ actors carry none of these. */
  if (v->runtime_id && origin) {
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_RUNTIME_ID), v->runtime_id);
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_RUNTIME_SCOPE), v->runtime_scope);
  }
  if (v->has_refs) {
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_REFS) "{" AS_KEY(AS_M_STRONG), v->strong_refs);
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_WEAK), v->weak_refs);
    as_jsonw_lit(w, "}");
  }
  as_jsonw_lit(w, "," AS_KEY(AS_M_LINKS));
  snapshot_ids(w, c->ids ? c->ids + v->links_at : NULL, v->link_count);
  as_jsonw_lit(w, "," AS_KEY(AS_M_MONITORS));
  snapshot_ids(w, c->ids ? c->ids + v->monitors_at : NULL, v->monitor_count);
  snapshot_sockets(w, v, c);
  as_jsonw_lit(w, "}");
}

/* An actor that stopped before any line listed it (as_actor_view.ended), in the compact form of
 * FORMAT.md's "Ended actors": one flat object, what a stopped actor's full object would say
 * but the members whose value that form implies (status, mailbox kind and length, handling,
 * waiting_on, links, monitors, sockets: none) and refs; zero replies, exceptions and outbox
 * left out. Its histograms and longest stuck run are as in the full object. */
static void snapshot_ended(struct as_jsonw *w, const struct as_actor_view *v, uint32_t site,
                           const struct as_registry_collection *c,
                           const struct as_snapshot_info *info, struct snapshot_strs *strs)
{
  snapshot_identity(w, v, strs);
  snapshot_runtime(w, v, strs);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_SPAWNED_AT_NS), snapshot_since(v->spawned_at, info->start_ticks));
  if (site)
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_SPAWN_SITE), site - 1);
  if (v->parent_id)
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_PARENT), v->parent_id);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_STOPPED_AT_NS), snapshot_since(v->stopped_at, info->start_ticks));
  as_jsonw_lit(w, "," AS_KEY(AS_M_REASON));
  snapshot_str(w, &strs->reason, v->stop_reason);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_ENQUEUED), v->enqueued);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_MAILBOX_MAX), v->mailbox_max);
  if (v->replies > v->replies_taken)
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_OUTBOX_LEN), v->replies - v->replies_taken);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_MESSAGES_RECEIVED), v->received);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_MESSAGES_SENT), v->sent);
  if (v->replies)
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_REPLIES), v->replies);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_HANDLED), v->handled);
  if (v->exceptions)
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_EXCEPTIONS), v->exceptions);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_HANDLER_TOTAL_NS), as_clock_ticks_to_ns(v->handler_ticks_total));
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_HANDLER_MAX_NS), as_clock_ticks_to_ns(v->handler_ticks_max));
  snapshot_measures(w, v, c, info);
  as_jsonw_lit(w, "," AS_KEY(AS_M_MESSAGE_TYPES));
  snapshot_message_types(w, v, c);
  as_peers_write(w, as_view_peer_words(c, v), v->peer_count);
  if (v->runtime_id) {
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_RUNTIME_ID), v->runtime_id);
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_RUNTIME_SCOPE), v->runtime_scope);
  }
  as_jsonw_lit(w, "}");
}

/* Cycle members wait, so their names come from the views of the waiting actors (sorted by id):
 * a delta line may not list them. */
static void snapshot_deadlocks(struct as_jsonw *w, const struct as_waitgraph_cycles *cycles,
                               const struct as_actor_view *waiting, size_t n)
{
  as_jsonw_lit(w, "[");
  for (size_t i = 0; cycles && i < cycles->cycle_count; i++) {
    if (i)
      as_jsonw_lit(w, ",");
    const uint64_t *members = cycles->members + cycles->starts[i];
    as_jsonw_lit(w, "{" AS_KEY(AS_M_ACTORS));
    snapshot_ids(w, members, cycles->lengths[i]);
    as_jsonw_lit(w, "," AS_KEY(AS_M_NAMES) "[");
    for (size_t k = 0; k < cycles->lengths[i]; k++) {
      const char *name = "<unknown>";
      size_t lo = 0, hi = n;
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (waiting[mid].id < members[k])
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo < n && waiting[lo].id == members[k])
        name = snapshot_actor_name(&waiting[lo]);
      if (k)
        as_jsonw_lit(w, ",");
      as_jsonw_str(w, name);
    }
    as_jsonw_lit(w, "]}");
  }
  as_jsonw_lit(w, "]");
}

static void snapshot_diagnostics(struct as_jsonw *w, const struct as_snapshot_info *info)
{
  as_jsonw_lit(w, "[");
  for (size_t i = 0; i < info->diagnostic_count; i++) {
    if (i)
      as_jsonw_lit(w, ",");
    as_jsonw_lit(w, "{" AS_KEY(AS_M_CODE));
    as_jsonw_str(w, info->diagnostics[i].code);
    as_jsonw_lit(w, "," AS_KEY(AS_M_MESSAGE));
    as_jsonw_str(w, info->diagnostics[i].text);
    as_jsonw_lit(w, "}");
  }
  as_jsonw_lit(w, "]");
}

static void snapshot_cost(struct as_jsonw *w, const struct as_snapshot_cost *cost)
{
  if (!cost) {
    as_jsonw_lit(w, "null");
    return;
  }
  as_jsonw_lit_u64(w, "{" AS_KEY(AS_M_COLLECT_NS), cost->collect_ns);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_ENCODE_NS), cost->encode_ns);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_WRITE_NS), cost->write_ns);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_BYTES), cost->bytes);
  as_jsonw_lit(w, "}");
}

int as_snapshot_write(struct as_jsonw *w, const struct as_registry_collection *c,
                      const struct as_waitgraph_cycles *deadlocks,
                      const struct as_snapshot_info *info)
{
  size_t n = c->count;
  const struct as_actor_view **by_id = malloc((n + 1) * sizeof *by_id);
  struct snapshot_family family = {NULL, NULL, 0};
  struct snapshot_sites sites = {NULL, NULL, 0};
  if (!by_id)
    w->failed = 1;
  if (!w->failed) {
    /* The registry lists actors in spawn order, so its views usually come sorted by id. */
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
      by_id[i] = &c->views[i];
      sorted &= i == 0 || c->views[i].id > c->views[i - 1].id;
    }
    if (!sorted)
      qsort(by_id, n, sizeof *by_id, snapshot_by_id_cmp);
    if ((!info->delta && snapshot_family_build(&family, by_id, n) < 0) ||
        snapshot_sites_build(&sites, by_id, n, info) < 0)
      w->failed = 1;
  }
  if (!w->failed) {
    char when[32];
    as_snapshot_format_time(info->wall_ns, when);
    if (info->delta)
      as_jsonw_lit_u64(w, "{" AS_KEY(AS_M_TYPE) "\"" AS_LINE_DELTA "\"," AS_KEY(AS_M_SEQ), info->seq);
    else
      as_jsonw_lit_u64(w, "{" AS_KEY(AS_M_TYPE) "\"" AS_LINE_SNAPSHOT "\"," AS_KEY(AS_M_SEQ), info->seq);
    /* A delta line leaves out what did not change since the line before (FORMAT.md): a line
     * in which nothing happened is a few dozen bytes. */
    int full = !info->delta;
    if (full) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_CAPTURED_AT));
      as_jsonw_str(w, when);
    }
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_CAPTURED_AT_NS), info->wall_ns);
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_UPTIME_NS), info->uptime_ns);
    if (info->final && info->ended_by) {
      /* How the process ended: the reader tells a crash from a normal exit. */
      as_jsonw_lit(w, "," AS_KEY(AS_M_ENDED_BY));
      as_jsonw_str(w, info->ended_by);
      if (info->signal_name) {
        as_jsonw_lit(w, "," AS_KEY(AS_M_SIGNAL));
        as_jsonw_str(w, info->signal_name);
      }
    }
    if (info->final)
      as_jsonw_lit(w, "," AS_KEY(AS_M_FINAL) "true");
    else if (full)
      as_jsonw_lit(w, "," AS_KEY(AS_M_FINAL) "false");
    if (full || info->totals_changed) {
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_TOTALS) "{" AS_KEY(AS_M_ALIVE), c->totals.alive);
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_TOTAL_SPAWNED), c->totals.total_spawned);
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_TOTAL_STOPPED), c->totals.total_stopped);
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_MESSAGES_RECEIVED), c->totals.messages_received);
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_RECEIVED_ALL), c->totals.received_all);
      if (c->totals.runtime_running_known)
        as_jsonw_lit_u64(w, "," AS_KEY(AS_M_RUNTIME_RUNNING), c->totals.runtime_running);
      as_jsonw_lit(w, "}");
    }
    if (full || info->deadlocks_changed) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_DEADLOCKS));
      snapshot_deadlocks(w, deadlocks, info->waiting, info->waiting_count);
    }
    if (full || info->diagnostics_changed) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_DIAGNOSTICS));
      snapshot_diagnostics(w, info);
    }
    as_jsonw_lit(w, "," AS_KEY(AS_M_LAST_COST));
    snapshot_cost(w, info->last_cost);
    if (full || n > 0) /* how long a histogram's tick is, for the actors of this line */
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_TICK_FS), as_clock_ticks_to_ns(1000000));
    if (full || n > 0) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_SPAWN_SITES));
      snapshot_sites_write(w, &sites);
    }
    struct snapshot_strs strs = {{NULL, 0, ""}, {NULL, 0, ""}, {NULL, 0, ""}};
    size_t ended = 0;
    for (size_t i = 0; i < n; i++)
      ended += by_id[i]->ended != 0;
    if (full || n > ended) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_ACTORS) "[");
      size_t k = 0;
      for (size_t i = 0; i < n; i++) {
        if (by_id[i]->ended)
          continue;
        if (k++)
          as_jsonw_lit(w, ",");
        snapshot_actor(w, by_id[i], i, sites.numbers[i], &family, c, info, &strs);
      }
      as_jsonw_lit(w, "]");
    }
    if (ended > 0) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_ENDED) "[");
      size_t k = 0;
      for (size_t i = 0; i < n; i++) {
        if (!by_id[i]->ended)
          continue;
        if (k++)
          as_jsonw_lit(w, ",");
        snapshot_ended(w, by_id[i], sites.numbers[i], c, info, &strs);
      }
      as_jsonw_lit(w, "]");
    }
    if (!full && c->reaped_count > 0) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_REAPED));
      snapshot_ids(w, c->reaped, c->reaped_count);
    }
    as_jsonw_lit(w, "}");
  }
  free(sites.first);
  free(sites.numbers);
  free(by_id);
  snapshot_family_free(&family);
  return w->failed ? -1 : as_jsonw_flush(w);
}

char *as_snapshot_encode(const struct as_registry_collection *c,
                         const struct as_waitgraph_cycles *deadlocks,
                         const struct as_snapshot_info *info)
{
  struct as_jsonw w;
  as_jsonw_init(&w, 1024 + c->count * 512);
  as_snapshot_write(&w, c, deadlocks, info);
  return as_jsonw_finish(&w);
}
