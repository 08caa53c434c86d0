/* An actor's object in a snapshot line: the full one of the actors array and the compact one
 * of the ended array (FORMAT.md), and the parts they share. */
#include "snapshot_internal.h"
#include "jsonw.h"
#include "peers.h"
#include "stuck.h"
#include "symcache.h"

#include <stdlib.h>
#include <string.h>

/* The most bytes a member written through a cursor takes: its key (comma, quotes and colon
 * included; snapshot_put_u64 checks it at compile time) and a number. */
#define SNAPSHOT_KEY_MAX 28
#define SNAPSHOT_MEMBER_MAX (SNAPSHOT_KEY_MAX + AS_JSONW_U64_MAX)
#define snapshot_put_u64(p, key, value)                                                            \
  ((void)sizeof(char[sizeof(key) - 1 <= SNAPSHOT_KEY_MAX ? 1 : -1]),                               \
   as_jsonw_put_lit_u64((p), key, (value)))
/* Room for a cached string at a cursor (snapshot_put_str copies whole 16-byte parts). */
#define SNAPSHOT_STR_ROOM sizeof(((struct snapshot_str_cache *)0)->text)
/* A message type's or a peer's object in its array, its string counted as a cached one. */
#define SNAPSHOT_ROW_ROOM (2 * SNAPSHOT_MEMBER_MAX + SNAPSHOT_STR_ROOM)
/* A histogram's [bucket,count] pair and its comma. */
#define SNAPSHOT_PAIR_ROOM (4 + 2 * AS_JSONW_U64_MAX)

/* The symbol of the actor's code when it has one (the most specific name), else the name the
 * runtime gave it, else the function that spawned it ("<task in CALLER>"). */
const char *snapshot_actor_name(const struct as_actor_view *v)
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

void snapshot_str_miss(struct as_jsonw *w, struct snapshot_str_cache *cache, const char *text)
{
  size_t flushed = w->flushed, at = w->len;
  as_jsonw_str(w, text);
  cache->src = NULL;
  if (text && !w->failed && w->flushed == flushed && w->len - at <= sizeof cache->text) {
    memcpy(cache->text, w->buf + at, w->len - at);
    cache->len = w->len - at;
    cache->src = text;
  }
}

struct snapshot_type_row {
  const char *name;
  uint64_t count;
  uint32_t type; /* AS_TYPE_NONE for the rest's count */
};

static int snapshot_type_row_cmp(const void *a, const void *b)
{
  const struct snapshot_type_row *x = a, *y = b;
  if (x->count != y->count)
    return x->count < y->count ? 1 : -1;
  return strcmp(x->name, y->name);
}

/* The cursor, past a string the cache holds (room: as cursors go, what is reserved again after a
 * miss, which writes it the slow way); NULL when the writer failed. */
static inline char *snapshot_put_str(struct as_jsonw *w, char *p, size_t room,
                                     struct snapshot_str_cache *cache, const char *text)
{
  if (text && text == cache->src) {
    memcpy(p, cache->text, 32); /* most names: one move (within the room and the cache) */
    for (size_t at = 32; at < cache->len; at += 16)
      memcpy(p + at, cache->text + at, 16);
    return p + cache->len;
  }
  as_jsonw_put_end(w, p);
  snapshot_str_miss(w, cache, text);
  return as_jsonw_put_begin(w, room);
}

/* What an actor's histograms, message types and peers take at most (their strings as cached
 * ones): one reservation for them, rather than one a piece. */
static size_t snapshot_lists_room(const struct as_actor_view *v)
{
  return 4 * SNAPSHOT_MEMBER_MAX +
         (size_t)(v->histogram_count + v->wait_histogram_count) * SNAPSHOT_PAIR_ROOM +
         (size_t)(v->type_count + 1 + v->peer_count) * SNAPSHOT_ROW_ROOM;
}

/* Member "message_types" (with its comma), by count descending then name; absent when the
 * actor received none (version 5). A cursor with snapshot_lists_room's room in; the same out,
 * or NULL. */
static char *snapshot_put_message_types(struct as_jsonw *w, char *p, size_t room,
                                        const struct as_actor_view *v,
                                        const struct as_registry_collection *c,
                                        struct snapshot_strs *strs)
{
  struct snapshot_type_row rows[AS_ACTOR_TYPE_SLOTS + 1];
  size_t n = 0;
  const uint64_t *words = as_view_type_words(c, v);
  for (uint32_t i = 0; i < v->type_count && i < AS_ACTOR_TYPE_SLOTS; i++)
    if (as_tally_word_count(words[i]))
      rows[n++] =
          (struct snapshot_type_row){as_typetab_name(as_tally_word_type(words[i])),
                                     as_tally_word_count(words[i]), as_tally_word_type(words[i])};
  if (v->other_types)
    rows[n++] = (struct snapshot_type_row){AS_TYPE_OVERFLOW_NAME, v->other_types, AS_TYPE_NONE};
  if (n == 0)
    return p; /* version 5: absent is none */
  if (n > 1)
    qsort(rows, n, sizeof rows[0], snapshot_type_row_cmp);
  p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_MESSAGE_TYPES) "[");
  for (size_t i = 0; i < n; i++) {
    if (i)
      *p++ = ',';
    p = as_jsonw_put_lit(p, "{" AS_KEY(AS_M_NAME));
    /* Interned names: the same few all through a line, each escaped once. */
    if (!(p = snapshot_put_str(w, p, room, &strs->types[rows[i].type % SNAPSHOT_TYPE_CACHE],
                               rows[i].name)))
      return NULL;
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_COUNT), rows[i].count);
    p = as_jsonw_put_lit(p, "}");
  }
  return as_jsonw_put_lit(p, "]");
}

void snapshot_ids(struct as_jsonw *w, const uint64_t *ids, size_t count)
{
  as_jsonw_lit(w, "[");
  for (size_t i = 0; i < count; i++) {
    if (i)
      as_jsonw_lit(w, ",");
    as_jsonw_u64(w, ids[i]);
  }
  as_jsonw_lit(w, "]");
}

/* A histogram as [bucket, count] pairs (histogram.h), after its key (with its comma): the
 * handler times' or the mailbox waits'. Absent before the first time. */
static inline char *snapshot_put_histogram(char *p, int waits, const uint64_t *words,
                                           uint32_t count)
{
  if (!count || !words)
    return p;
  if (waits)
    p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_MAILBOX_WAIT_HISTOGRAM) "[[");
  else
    p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_HANDLER_HISTOGRAM) "[[");
  /* Most have one pair (a short-lived actor's one handler and wait): no loop for it. */
  p = as_jsonw__put_u64(p, as_tally_word_type(words[0]));
  p = as_jsonw_put_lit_u64(p, ",", as_tally_word_count(words[0]));
  for (uint32_t i = 1; i < count; i++) {
    p = as_jsonw_put_lit_u64(p, "],[", as_tally_word_type(words[i]));
    p = as_jsonw_put_lit_u64(p, ",", as_tally_word_count(words[i]));
  }
  return as_jsonw_put_lit(p, "]]");
}

/* An actor's members "peers" and "peers_other" (FORMAT.md) from its COUNT pairs in WORDS (as
 * as_peers_copy left them, the rest's count after them); nothing when it has none. A thread's
 * name is escaped once a line (most short-lived actors hear from the same thread). */
static char *snapshot_put_peers(struct as_jsonw *w, char *p, size_t room, const uint64_t *words,
                                uint32_t count, struct snapshot_strs *strs)
{
  if (!words || (count == 0 && words[0] == 0))
    return p;
  /* By count, highest first (insertion sort of at most AS_PEERS_LISTED indices). */
  uint32_t order[AS_PEERS_LISTED];
  for (uint32_t i = 0; i < count && i < AS_PEERS_LISTED; i++) {
    uint32_t k = i;
    for (; k > 0 && words[2 * order[k - 1] + 1] < words[2 * i + 1]; k--)
      order[k] = order[k - 1];
    order[k] = i;
  }
  p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_PEERS) "[");
  for (uint32_t i = 0; i < count && i < AS_PEERS_LISTED; i++) {
    uint64_t key = words[2 * order[i]];
    const char *thread = as_peers_key_thread(key);
    if (i)
      *p++ = ',';
    if (!thread) {
      p = snapshot_put_u64(p, "{" AS_KEY(AS_M_TO), key);
    } else {
      if ((key & AS_PEERS_TAG_MASK) == AS_PEERS_FROM_THREAD)
        p = as_jsonw_put_lit(p, "{" AS_KEY(AS_M_FROM_THREAD));
      else
        p = as_jsonw_put_lit(p, "{" AS_KEY(AS_M_TO_THREAD));
      if (!(p = snapshot_put_str(w, p, room, &strs->thread, thread)))
        return NULL;
    }
    p = as_jsonw_put_lit(snapshot_put_u64(p, "," AS_KEY(AS_M_COUNT), words[2 * order[i] + 1]), "}");
  }
  p = as_jsonw_put_lit(p, "]");
  if (words[2 * count])
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_PEERS_OTHER), words[2 * count]);
  return p;
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
 * of it begins. A cursor with SNAPSHOT_IDENTITY_ROOM in (room: what to take again after a
 * string written the slow way); the same out, or NULL. */
#define SNAPSHOT_IDENTITY_ROOM (2 * SNAPSHOT_MEMBER_MAX + SNAPSHOT_STR_ROOM)
static char *snapshot_put_names(struct as_jsonw *w, char *p, size_t room,
                                const struct as_actor_view *v, struct snapshot_strs *strs)
{
  p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_NAME));
  if (!(p = snapshot_put_str(w, p, room, &strs->name, snapshot_actor_name(v))))
    return NULL;
  const char *full_name = snapshot_actor_full_name(v);
  if (full_name) { /* a few actors: the slow way */
    as_jsonw_put_end(w, as_jsonw_put_lit(p, "," AS_KEY(AS_M_FULL_NAME)));
    as_jsonw_str(w, full_name);
    if (!(p = as_jsonw_put_begin(w, room)))
      return NULL;
  }
  if (v->internal)
    p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_INTERNAL) "true");
  return p;
}
static char *snapshot_put_identity(struct as_jsonw *w, char *p, size_t room,
                                   const struct as_actor_view *v, struct snapshot_strs *strs)
{
  return snapshot_put_names(w, snapshot_put_u64(p, "{" AS_KEY(AS_M_ID), v->id), room, v, strs);
}

/* Its runtime: SNAPSHOT_RUNTIME_ROOM in, as snapshot_put_identity. */
#define SNAPSHOT_RUNTIME_ROOM (2 * SNAPSHOT_MEMBER_MAX + SNAPSHOT_STR_ROOM)
static char *snapshot_put_runtime(struct as_jsonw *w, char *p, size_t room,
                                  const struct as_actor_view *v, struct snapshot_strs *strs)
{
  p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_RUNTIME));
  if (!(p = snapshot_put_str(w, p, room, &strs->runtime, v->runtime)))
    return NULL;
  if (v->attached_late)
    p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_ATTACHED_LATE) "true");
  return p;
}

/* Its handler-time and mailbox-wait histograms and its longest stuck run (rare: written the
 * slow way, between a cursor handed back and one taken again with `room`). */
static inline __attribute__((always_inline)) char *
snapshot_put_measures(struct as_jsonw *w, char *p, size_t room, const struct as_actor_view *v,
                      const struct as_registry_collection *c, const struct as_snapshot_info *info)
{
  p = snapshot_put_histogram(p, 0, as_view_histogram_words(c, v), v->histogram_count);
  p = snapshot_put_histogram(p, 1, as_view_wait_histogram_words(c, v), v->wait_histogram_count);
  const struct as_stuck_stack *stuck = as_stuck_longest(v->id);
  if (!stuck)
    return p;
  as_jsonw_put_end(w, p);
  snapshot_stuck(w, stuck, info);
  return as_jsonw_put_begin(w, room);
}

/* Its mailbox, outbox, counters and handler times: each number only when not 0, each object
 * only when it holds one (version 5, FORMAT.md "Defaults"); a handler_ns.max equal to its total
 * is left out too. A cursor with SNAPSHOT_NUMBERS_ROOM in; the same out. */
#define SNAPSHOT_NUMBERS_ROOM (14 * SNAPSHOT_MEMBER_MAX)
static char *snapshot_put_numbers(char *p, const struct as_actor_view *v)
{
  uint64_t len = v->enqueued > v->received ? v->enqueued - v->received : 0;
  /* An object's members each after a comma; the first comma becomes its brace (the object is
   * written only when it holds a member). */
  char *open;
  if (len | v->mailbox_max | v->enqueued) {
    open = p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_MAILBOX));
    if (len)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_LEN), len);
    if (v->mailbox_max)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_MAX), v->mailbox_max);
    if (v->enqueued)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_ENQUEUED), v->enqueued);
    *open = '{';
    p = as_jsonw_put_lit(p, "}");
  }
  if (v->replies > v->replies_taken)
    p = as_jsonw_put_lit(snapshot_put_u64(p, "," AS_KEY(AS_M_OUTBOX) "{" AS_KEY(AS_M_LEN),
                                          v->replies - v->replies_taken),
                         "}");
  if (v->received | v->sent | v->replies | v->handled | v->exceptions) {
    open = p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_COUNTERS));
    if (v->received)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_MESSAGES_RECEIVED), v->received);
    if (v->sent)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_MESSAGES_SENT), v->sent);
    if (v->replies)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_REPLIES), v->replies);
    if (v->handled)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_HANDLED), v->handled);
    if (v->exceptions)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_EXCEPTIONS), v->exceptions);
    *open = '{';
    p = as_jsonw_put_lit(p, "}");
  }
  if (v->handler_ticks_total | v->handler_ticks_max) {
    uint64_t total_ns = as_clock_ticks_to_ns(v->handler_ticks_total);
    uint64_t max_ns = v->handler_ticks_max == v->handler_ticks_total
                          ? total_ns
                          : as_clock_ticks_to_ns(v->handler_ticks_max);
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_HANDLER_NS) "{" AS_KEY(AS_M_TOTAL), total_ns);
    if (max_ns != total_ns)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_MAX), max_ns);
    p = as_jsonw_put_lit(p, "}");
  }
  return p;
}

/* The memo's text at the cursor: the first 64 bytes at once (most runs fit), the rest in whole
 * 32-byte parts (SNAPSHOT_MEMO_SLACK past it). */
#define SNAPSHOT_MEMO_SLACK 64
static inline char *snapshot_memo_put(char *p, const struct snapshot_memo *m)
{
  memcpy(p, m->text, 64);
  for (size_t at = 64; at < m->len; at += 32)
    memcpy(p + at, m->text + at, 32);
  return p + m->len;
}

/* Keeps the text from offset FROM of the buffer to the cursor, when none of it was handed to
 * flush meanwhile (FLUSHED: w->flushed at FROM) and it fits. */
static void snapshot_memo_keep(struct snapshot_memo *m, const struct as_jsonw *w, size_t from,
                               size_t flushed, const char *p)
{
  size_t len = (size_t)(p - w->buf) - from;
  m->kept = w->flushed == flushed && len <= sizeof m->text;
  if (m->kept) {
    memcpy(m->text, w->buf + from, len);
    m->len = len;
  }
}

/* Whether the runs of ended actor V read as those of L, the one before: head (names, runtime),
 * middle (reason and counts), tail (message types, peers, runtime ids; from the pooled words). */
static inline int snapshot_same_head(const struct as_actor_view *v, const char *name,
                                     const char *full_name, const struct as_actor_view *l,
                                     const struct snapshot_strs *strs)
{
  return (((uintptr_t)name ^ (uintptr_t)strs->last_name) |
          ((uintptr_t)full_name ^ (uintptr_t)strs->last_full_name) |
          ((uintptr_t)v->runtime ^ (uintptr_t)l->runtime) | (uint64_t)(v->internal ^ l->internal) |
          (uint64_t)(v->attached_late ^ l->attached_late)) == 0;
}

static inline int snapshot_same_middle(const struct as_actor_view *v, const struct as_actor_view *l)
{
  return (((uintptr_t)v->stop_reason ^ (uintptr_t)l->stop_reason) | (v->enqueued ^ l->enqueued) |
          (v->mailbox_max ^ l->mailbox_max) | (v->replies ^ l->replies) |
          (v->replies_taken ^ l->replies_taken) | (v->received ^ l->received) |
          (v->sent ^ l->sent) | (v->exceptions ^ l->exceptions) | (v->handled ^ l->handled)) == 0;
}

/* 0 none, 1 the same as the id, 2 another (written). */
static inline uint64_t snapshot_runtime_id_kind(const struct as_actor_view *v)
{
  return !v->runtime_id ? 0 : v->runtime_id == v->id ? 1 : 2;
}

/* Whether V's message types and peers read as L's (from the pooled words). */
static inline int snapshot_same_lists(const struct as_actor_view *v, const struct as_actor_view *l,
                                      const struct as_registry_collection *c)
{
  const uint64_t *vp = as_view_peer_words(c, v), *lp = as_view_peer_words(c, l);
  if (v->type_count != l->type_count || v->other_types != l->other_types || !vp != !lp ||
      (vp && v->peer_count != l->peer_count) || !c->ids)
    return 0;
  const uint64_t *vt = as_view_type_words(c, v), *lt = as_view_type_words(c, l);
  uint64_t diff = 0;
  for (uint32_t i = 0; i < v->type_count; i++)
    diff |= vt[i] ^ lt[i];
  for (size_t i = 0; vp && i < 2 * (size_t)v->peer_count + 1; i++)
    diff |= vp[i] ^ lp[i];
  return diff == 0;
}

static int snapshot_same_tail(const struct as_actor_view *v, const struct as_actor_view *l,
                              const struct as_registry_collection *c)
{
  uint64_t kind = snapshot_runtime_id_kind(v);
  return v->runtime_scope == l->runtime_scope && kind == snapshot_runtime_id_kind(l) &&
         (kind != 2 || v->runtime_id == l->runtime_id) && snapshot_same_lists(v, l, c);
}

/* Version 5 leaves out every member at its default (FORMAT.md "Defaults"): status running (or
 * stopped, beside "stopped"), null spawn_site, parent, stopped, handling and waiting_on, zero
 * numbers, empty arrays. */
void snapshot_actor(struct as_jsonw *w, const struct as_actor_view *v, size_t index, uint32_t site,
                    const struct snapshot_family *family, const struct as_registry_collection *c,
                    const struct as_snapshot_info *info, struct snapshot_strs *strs)
{
  uint64_t now = info->now_ticks;
  int status = v->status >= 0 && v->status <= AS_STATUS_STOPPED ? v->status : AS_STATUS_RUNNING;

  size_t room = SNAPSHOT_IDENTITY_ROOM + SNAPSHOT_RUNTIME_ROOM + 4 * SNAPSHOT_MEMBER_MAX;
  char *p = as_jsonw_put_begin(w, room);
  if (!p || !(p = snapshot_put_identity(w, p, room, v, strs)))
    return;
  int origin = snapshot_says_origin(v, info);
  if (origin && !(p = snapshot_put_runtime(w, p, room, v, strs)))
    return;
  if (status != AS_STATUS_RUNNING && status != AS_STATUS_STOPPED) { /* "stopped" says stopped */
    const char *status_name = as_status_name((enum as_status)status);
    size_t n = strlen(status_name); /* a vocabulary word: a few bytes */
    p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_STATUS) "\"");
    memcpy(p, status_name, n);
    p = as_jsonw_put_lit(p + n, "\"");
  }
  if (origin) {
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_SPAWNED_AT_NS),
                         snapshot_since(v->spawned_at, info->start_ticks));
    if (site)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_SPAWN_SITE), site - 1);
    if (v->parent_id)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_PARENT), v->parent_id);
  }
  as_jsonw_put_end(w, p);
  /* A delta line lists some actors only: readers derive children from parent links. */
  if (!info->delta && snapshot_has_children(family, index, v->id)) {
    as_jsonw_lit(w, "," AS_KEY(AS_M_CHILDREN));
    snapshot_children(w, family, index, v->id);
  }
  /* Its stop, numbers and measures after one reservation (the numbers after the peers too). */
  size_t lists = 2 * SNAPSHOT_MEMBER_MAX + SNAPSHOT_STR_ROOM + SNAPSHOT_NUMBERS_ROOM +
                 snapshot_lists_room(v) + 4 * SNAPSHOT_MEMBER_MAX;
  if (!(p = as_jsonw_put_begin(w, lists)))
    return;
  if (v->status == AS_STATUS_STOPPED) {
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_STOPPED) "{" AS_KEY(AS_M_AT_NS),
                         snapshot_since(v->stopped_at, info->start_ticks));
    p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_REASON));
    if (!(p = snapshot_put_str(w, p, lists, &strs->reason, v->stop_reason)))
      return;
    p = as_jsonw_put_lit(p, "}");
  }
  p = snapshot_put_numbers(p, v);
  if (!(p = snapshot_put_measures(w, p, lists, v, c, info)))
    return;
  as_jsonw_put_end(w, p);
  if (v->handling_type != AS_TYPE_NONE) {
    as_jsonw_lit(w, "," AS_KEY(AS_M_HANDLING) "{" AS_KEY(AS_M_TYPE));
    as_jsonw_str(w, as_typetab_name(v->handling_type));
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_ELAPSED_NS), snapshot_since(now, v->handling_since));
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_SINCE_NS),
                     snapshot_since(v->handling_since, info->start_ticks));
    snapshot_handling_stack(w, as_stuck_find(v->id, v->handling_since));
    as_jsonw_lit(w, "}");
  }
  if (v->wait_target) {
    int kind = v->wait_kind >= 0 && v->wait_kind <= AS_WAIT_SIGNAL ? v->wait_kind : AS_WAIT_NONE;
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_WAITING_ON) "{" AS_KEY(AS_M_TARGET), v->wait_target);
    as_jsonw_lit(w, "," AS_KEY(AS_M_KIND));
    const char *kind_name = as_wait_kind_name((enum as_wait_kind)kind);
    as_jsonw_str(w, kind_name ? kind_name : "none");
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_ELAPSED_NS), snapshot_since(now, v->wait_since));
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_SINCE_NS),
                     snapshot_since(v->wait_since, info->start_ticks));
    as_jsonw_lit(w, "}");
  }
  if (!(p = as_jsonw_put_begin(w, lists + SNAPSHOT_MEMO_SLACK)))
    return;
  /* Its message types and peers: copied when the last full actor's read the same (in a storm's
   * lines, most of these are short-lived actors stopped after one message from one thread). */
  const struct as_actor_view *last = strs->last_full;
  strs->last_full = v;
  if (last && strs->lists.kept && snapshot_same_lists(v, last, c)) {
    p = snapshot_memo_put(p, &strs->lists);
  } else {
    size_t from = (size_t)(p - w->buf), flushed = w->flushed;
    strs->lists.kept = 0;
    if (!(p = snapshot_put_message_types(w, p, lists, v, c, strs)) ||
        !(p = snapshot_put_peers(w, p, lists, as_view_peer_words(c, v), v->peer_count, strs)))
      return;
    snapshot_memo_keep(&strs->lists, w, from, flushed, p);
  }
  /* Members only some runtimes fill: CZMQ actors carry none of these. A runtime_id equal to
   * the id is left out beside its runtime_scope. */
  if (v->runtime_id && origin) {
    if (v->runtime_id != v->id)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_RUNTIME_ID), v->runtime_id);
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_RUNTIME_SCOPE), v->runtime_scope);
  }
  if (v->has_refs) {
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_REFS) "{" AS_KEY(AS_M_STRONG), v->strong_refs);
    p = as_jsonw_put_lit(snapshot_put_u64(p, "," AS_KEY(AS_M_WEAK), v->weak_refs), "}");
  }
  as_jsonw_put_end(w, p);
  if (v->link_count && c->ids) {
    as_jsonw_lit(w, "," AS_KEY(AS_M_LINKS));
    snapshot_ids(w, c->ids + v->links_at, v->link_count);
  }
  if (v->monitor_count && c->ids) {
    as_jsonw_lit(w, "," AS_KEY(AS_M_MONITORS));
    snapshot_ids(w, c->ids + v->monitors_at, v->monitor_count);
  }
  snapshot_sockets(w, v, c);
  as_jsonw_lit(w, "}");
}

/* The middle run of an ended actor: its stop reason and counts. */
static char *snapshot_put_ended_counts(struct as_jsonw *w, char *p, size_t room,
                                       const struct as_actor_view *v, struct snapshot_strs *strs)
{
  p = as_jsonw_put_lit(p, "," AS_KEY(AS_M_REASON));
  if (!(p = snapshot_put_str(w, p, room, &strs->reason, v->stop_reason)))
    return NULL;
  p = snapshot_put_u64(p, "," AS_KEY(AS_M_ENQUEUED), v->enqueued);
  p = snapshot_put_u64(p, "," AS_KEY(AS_M_MAILBOX_MAX), v->mailbox_max);
  if (v->replies > v->replies_taken)
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_OUTBOX_LEN), v->replies - v->replies_taken);
  p = snapshot_put_u64(p, "," AS_KEY(AS_M_MESSAGES_RECEIVED), v->received);
  if (v->sent)
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_MESSAGES_SENT), v->sent);
  if (v->replies)
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_REPLIES), v->replies);
  p = snapshot_put_u64(p, "," AS_KEY(AS_M_HANDLED), v->handled);
  if (v->exceptions)
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_EXCEPTIONS), v->exceptions);
  return p;
}

/* The last run of an ended actor: its message types, peers and runtime ids, and its end. */
static char *snapshot_put_ended_tail(struct as_jsonw *w, char *p, size_t room,
                                     const struct as_actor_view *v,
                                     const struct as_registry_collection *c,
                                     struct snapshot_strs *strs)
{
  if (!(p = snapshot_put_message_types(w, p, room, v, c, strs)) ||
      !(p = snapshot_put_peers(w, p, room, as_view_peer_words(c, v), v->peer_count, strs)))
    return NULL;
  if (v->runtime_id) {
    if (v->runtime_id != v->id)
      p = snapshot_put_u64(p, "," AS_KEY(AS_M_RUNTIME_ID), v->runtime_id);
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_RUNTIME_SCOPE), v->runtime_scope);
  }
  return as_jsonw_put_lit(p, "}");
}

/* An actor that stopped before any line listed it (as_actor_view.ended), in the compact form of
 * FORMAT.md's "Ended actors": one flat object, what a stopped actor's full object would say
 * but the members whose value that form implies (status, mailbox kind and length, handling,
 * waiting_on, links, monitors, sockets: none) and refs; zero replies, exceptions, outbox and
 * messages sent, a handler_max_ns equal to handler_total_ns and a runtime_id equal to the id
 * left out (version 4: a short-lived actor's most common values). Its histograms and longest
 * stuck run are as in the full object. */
void snapshot_ended(struct as_jsonw *w, const struct as_actor_view *v, uint32_t site,
                    const struct as_registry_collection *c, const struct as_snapshot_info *info,
                    struct snapshot_strs *strs)
{
  /* One reservation for the whole object (the most a short-lived actor's few numbers, cached
   * strings and short lists take): a line of 20k of them appends some 400k pieces. Its three
   * runs that depend on a few fields each are copied when the last ended actor had the same. */
  size_t room = SNAPSHOT_IDENTITY_ROOM + SNAPSHOT_RUNTIME_ROOM + SNAPSHOT_STR_ROOM +
                18 * SNAPSHOT_MEMBER_MAX + snapshot_lists_room(v) + 3 * SNAPSHOT_MEMO_SLACK;
  char *p = as_jsonw_put_begin(w, room);
  if (!p)
    return;
  p = snapshot_put_u64(p, "{" AS_KEY(AS_M_ID), v->id);
  const struct as_actor_view *last = strs->last_ended;
  strs->last_ended = v; /* the runs kept below are V's (or none) */
  const char *name = snapshot_actor_name(v), *full_name = snapshot_actor_full_name(v);
  if (last && strs->head.kept && snapshot_same_head(v, name, full_name, last, strs)) {
    p = snapshot_memo_put(p, &strs->head);
  } else {
    size_t from = (size_t)(p - w->buf), flushed = w->flushed;
    strs->head.kept = 0;
    if (!(p = snapshot_put_names(w, p, room, v, strs)) ||
        !(p = snapshot_put_runtime(w, p, room, v, strs)))
      return;
    snapshot_memo_keep(&strs->head, w, from, flushed, p);
    strs->last_name = name;
    strs->last_full_name = full_name;
  }
  p = snapshot_put_u64(p, "," AS_KEY(AS_M_SPAWNED_AT_NS),
                       snapshot_since(v->spawned_at, info->start_ticks));
  if (site)
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_SPAWN_SITE), site - 1);
  if (v->parent_id)
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_PARENT), v->parent_id);
  p = snapshot_put_u64(p, "," AS_KEY(AS_M_STOPPED_AT_NS),
                       snapshot_since(v->stopped_at, info->start_ticks));
  if (last && strs->middle.kept && snapshot_same_middle(v, last)) {
    p = snapshot_memo_put(p, &strs->middle);
  } else {
    size_t from = (size_t)(p - w->buf), flushed = w->flushed;
    strs->middle.kept = 0;
    if (!(p = snapshot_put_ended_counts(w, p, room, v, strs)))
      return;
    snapshot_memo_keep(&strs->middle, w, from, flushed, p);
  }
  uint64_t total_ns = as_clock_ticks_to_ns(v->handler_ticks_total);
  uint64_t max_ns = v->handler_ticks_max == v->handler_ticks_total
                        ? total_ns
                        : as_clock_ticks_to_ns(v->handler_ticks_max);
  p = snapshot_put_u64(p, "," AS_KEY(AS_M_HANDLER_TOTAL_NS), total_ns);
  if (max_ns != total_ns)
    p = snapshot_put_u64(p, "," AS_KEY(AS_M_HANDLER_MAX_NS), max_ns);
  if (!(p = snapshot_put_measures(w, p, room, v, c, info)))
    return;
  if (last && strs->tail.kept && snapshot_same_tail(v, last, c)) {
    p = snapshot_memo_put(p, &strs->tail);
  } else {
    size_t from = (size_t)(p - w->buf), flushed = w->flushed;
    strs->tail.kept = 0;
    if (!(p = snapshot_put_ended_tail(w, p, room, v, c, strs)))
      return;
    snapshot_memo_keep(&strs->tail, w, from, flushed, p);
  }
  as_jsonw_put_end(w, p);
}
