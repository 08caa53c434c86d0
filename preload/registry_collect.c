/* The collector's copies of the records: views, change tracking, the grave window, reaping. */
#include "registry.h"
#include "registry_internal.h"
#include "mailwait.h"
#include "peers.h"
#include "testpause.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* How many records ahead the collector prefetches. */
#define REGISTRY_PREFETCH_AHEAD 8

uint64_t *registry_pool_grow(struct as_registry_collection *c, size_t n)
{
  if (c->id_count + n <= c->id_capacity)
    return c->ids + c->id_count;
  if (c->id_count + n > UINT32_MAX)
    return NULL; /* views hold 32-bit offsets into the pool */
  size_t capacity = c->id_capacity ? c->id_capacity : 256;
  while (capacity < c->id_count + n)
    capacity *= 2;
  uint64_t *grown = realloc(c->ids, capacity * sizeof *grown);
  if (!grown)
    return NULL;
  c->ids = grown;
  c->id_capacity = capacity;
  return c->ids + c->id_count;
}

/* Copies an id list into the collection's pool; returns where it starts. */
size_t registry_pool_ids(struct as_registry_collection *c, const uint64_t *ids, uint32_t count,
                         uint32_t *copied)
{
  size_t at = c->id_count;
  *copied = 0;
  if (count == 0)
    return at;
  uint64_t *room = registry_pool_room(c, count);
  if (!room)
    return at;
  memcpy(room, ids, count * sizeof *ids);
  c->id_count += count;
  *copied = count;
  return at;
}

/* Tally slots fill in order, so the first empty one ends the list. */
static void registry_view_tally(struct as_registry_collection *c, struct as_actor_view *v,
                                const struct as_actor *a)
{
  const struct as_tally_more *more =
      atomic_load_explicit(&a->type_tally_more, memory_order_acquire);
  v->types_at = c->id_count;
  v->type_count = 0;
  v->other_types = more ? atomic_load_explicit(&more->other, memory_order_relaxed) : 0;
  uint64_t *words = registry_pool_room(c, AS_ACTOR_TYPE_SLOTS);
  if (!words)
    return;
  uint32_t n = 0;
  for (int i = 0; i < AS_ACTOR_TYPE_SLOTS; i++) {
    const _Atomic uint64_t *slot = i < AS_ACTOR_TYPE_SLOTS_INLINE ? &a->type_tally[i]
                                   : more ? &more->slots[i - AS_ACTOR_TYPE_SLOTS_INLINE]
                                          : NULL;
    uint64_t word = slot ? atomic_load_explicit(slot, memory_order_relaxed) : 0;
    if (word == 0)
      break;
    words[n++] = word;
  }
  c->id_count += n;
  v->type_count = n;
}

/* The runtime's channels of an actor, into the collection's pool. */
static void registry_view_channels(struct as_registry_collection *c, struct as_actor_view *v,
                                   const struct as_actor *a, const struct as_runtime *runtime)
{
  struct as_channel channels[AS_CHANNELS_MAX];
  size_t n = runtime->channels(a, channels, AS_CHANNELS_MAX);
  uint64_t words[AS_CHANNELS_MAX * AS_CHANNEL_WORDS];
  for (size_t i = 0; i < n; i++) {
    uint64_t *w = words + i * AS_CHANNEL_WORDS;
    w[0] = (uintptr_t)channels[i].kind;
    w[1] = (uintptr_t)channels[i].endpoint;
    w[2] = channels[i].received;
    w[3] = channels[i].sent;
    w[4] = (uint64_t)channels[i].depth;
    w[5] = (uint64_t)channels[i].max;
  }
  uint32_t copied;
  v->channels_at = registry_pool_ids(c, words, (uint32_t)(n * AS_CHANNEL_WORDS), &copied);
  v->channel_count = copied / AS_CHANNEL_WORDS;
}

/* The actor's peers (peers.h) into the collection's pool: the pairs, then the rest's count. */
static void registry_view_peers(struct as_registry_collection *c, struct as_actor_view *v,
                                const struct as_actor *a)
{
  uint64_t *words = registry_pool_room(c, 2 * AS_PEERS_LISTED + 1);
  v->peer_count = 0;
  v->peers_at = SIZE_MAX; /* no room: none listed */
  if (!words)
    return;
  uint32_t n = as_peers_copy(a, words, &words[2 * AS_PEERS_LISTED]);
  words[2 * n] = words[2 * AS_PEERS_LISTED];
  v->peers_at = c->id_count;
  v->peer_count = n;
  c->id_count += 2 * n + 1;
}

/* A histogram with nothing counted (most actors' mailbox waits), or with one bucket inline (a
 * short-lived actor's one handler and one wait), without a call: the first slot of word 0 holds
 * it and the second is empty, so word 1 (filled only after) does not count and one load of
 * word 0 is a state the actor's thread stored (record.h, AS_HISTOGRAM_INLINE_SLOTS). */
static inline void registry_view_histogram_of(struct as_registry_collection *c, uint32_t *count,
                                              _Atomic uint64_t *histogram)
{
  const uint64_t slot_mask = (1u << AS_HISTOGRAM_SLOT_BITS) - 1;
  uint64_t w0 = histogram ? atomic_load_explicit(&histogram[0], memory_order_acquire) : 0;
  uint64_t first = w0 >> 1 & slot_mask;
  uint64_t *word;
  *count = 0;
  if (!w0)
    return;
  if (!(w0 & 1) || (w0 >> (1 + AS_HISTOGRAM_SLOT_BITS) & slot_mask) || !first) {
    registry_view_histogram(c, count, histogram);
  } else if ((word = registry_pool_room(c, 1))) {
    *word = as_histogram_slot_word(first);
    c->id_count++;
    *count = 1;
  }
}

/* A mailbox's counts as of one moment: a collector preempted between its two loads (a loaded
 * VM) read a busy actor's mailbox as hundreds queued that never were (put in 876 307, taken
 * 876 089, for a mailbox that holds one). Taken is read again after put in: unchanged, the
 * pair held together. After a few tries, the last pair: taken read before put in, so never
 * more taken than put in. */
static void registry_view_mailbox(struct as_actor_view *v, const struct as_actor *a)
{
  uint64_t received = atomic_load_explicit(&a->received, memory_order_relaxed);
  for (int tries = 0;; tries++) {
    v->enqueued = as_actor_enqueued(a);
    uint64_t again = atomic_load_explicit(&a->received, memory_order_relaxed);
    if (again == received || tries == 3)
      break;
    received = again;
  }
  v->received = received;
}

/* relations: the lock is held, and its links and monitors are read (host threads change them
 * under it); without it the record's are left out (registry_pick says which records have any). */
static void registry_view_fill(struct as_registry_collection *c, struct as_actor_view *v,
                               struct as_actor *a, int relations)
{
  const struct as_runtime *runtime = registry_runtime_of(a);
  v->actor = a;
  v->runtime_id = a->runtime_id;
  v->runtime_scope = a->runtime_scope;
  /* The views array is kept from line to line: nothing of the slot's last actor may stay. */
  v->has_refs = 0;
  v->strong_refs = v->weak_refs = 0;
  const struct as_actor_side *side = as_actor_side_peek(a);
  const struct as_relations *r = relations && side ? side->relations : NULL;
  if (r) {
    v->links_at = registry_pool_ids(c, r->links, r->link_count, &v->link_count);
    v->monitors_at = registry_pool_ids(c, r->monitors, r->monitor_count, &v->monitor_count);
  } else { /* nearly every copy: no call to pool nothing */
    v->links_at = v->monitors_at = (uint32_t)c->id_count;
    v->link_count = v->monitor_count = 0;
  }
  v->id = a->id;
  v->parent_id = a->parent_id;
  v->runtime = runtime->name;
  v->unnamed_after_spawner = runtime->unnamed_after_spawner;
  v->attached_late = runtime->attached_late;
  v->name_addr = a->origin ? a->origin->name_addr : NULL;
  const struct as_actor_name *name = atomic_load_explicit(&a->name, memory_order_acquire);
  v->name = name ? name->text : NULL;
  v->full_name = name ? name->full : NULL;
  v->internal = name ? (int)name->internal : 0;
  v->spawned_at = a->spawned_at;
  v->spawn_frames = a->origin ? a->origin->frames : NULL;
  v->spawn_frame_count = a->origin ? a->origin->count : 0;
  v->status = atomic_load_explicit(&a->status, memory_order_acquire);
  if (v->status == AS_STATUS_STOPPED) {
    v->stopped_at = atomic_load_explicit(&a->stopped_at, memory_order_relaxed);
    v->stop_reason = a->stop_reason ? a->stop_reason : "";
  } else {
    v->stopped_at = 0;
    v->stop_reason = "";
  }
  registry_view_mailbox(v, a);
  v->mailbox_max = atomic_load_explicit(&a->mailbox_max, memory_order_relaxed);
  v->sent = atomic_load_explicit(&a->sent, memory_order_relaxed);
  v->replies = side ? atomic_load_explicit(&side->replies, memory_order_relaxed) : 0;
  /* Acquired: the peers entry of the last reply taken is copied below (as_actor_reply_taken). */
  v->replies_taken = side ? atomic_load_explicit(&side->replies_taken, memory_order_acquire) : 0;
  v->exceptions = atomic_load_explicit(&a->exceptions, memory_order_relaxed);
  v->handling_type = atomic_load_explicit(&a->handling_type, memory_order_acquire);
  v->handling_since = atomic_load_explicit(&a->handling_since, memory_order_relaxed);
  v->handled = atomic_load_explicit(&a->handled, memory_order_relaxed);
  v->handler_ticks_total = atomic_load_explicit(&a->handler_ticks_total, memory_order_relaxed);
  v->handler_ticks_max = atomic_load_explicit(&a->handler_ticks_max, memory_order_relaxed);
  v->handler_tid = atomic_load_explicit(&a->handler_tid, memory_order_relaxed);
  v->wait_seq = side ? atomic_load_explicit(&side->wait_seq, memory_order_relaxed) : 0;
  v->wait_target = side ? atomic_load_explicit(&side->wait_target, memory_order_acquire) : 0;
  v->wait_kind = side ? atomic_load_explicit(&side->wait_kind, memory_order_relaxed) : 0;
  v->wait_since = side ? atomic_load_explicit(&side->wait_since, memory_order_relaxed) : 0;
  registry_view_tally(c, v, a);
  if (runtime->channels) {
    registry_view_channels(c, v, a, runtime);
  } else {
    v->channel_count = 0;
    v->channels_at = c->id_count;
  }
  /* The handler histogram right after the channels, the mailbox waits right after it. */
  registry_view_histogram_of(c, &v->histogram_count, a->handler_histogram);
  registry_view_histogram_of(c, &v->wait_histogram_count, as_mailwait_words(a));
  registry_view_peers(c, v, a);
}

int as_registry_wait_unchanged(const struct as_actor_view *view)
{
  const struct as_actor_side *side = as_actor_side_peek(view->actor);
  uint64_t target = side ? atomic_load_explicit(&side->wait_target, memory_order_acquire) : 0;
  uint64_t seq = side ? atomic_load_explicit(&side->wait_seq, memory_order_relaxed) : 0;
  return target == view->wait_target && seq == view->wait_seq;
}

/* Collector only (see registry_probing_now). */
static void registry_view_sample_refs(struct as_actor_view *v, const struct as_actor *a)
{
  /* Once cleared, the flag stays clear: no handshake for actors already let go. */
  if (!atomic_load_explicit(&a->probing, memory_order_relaxed))
    return;
  atomic_store(&registry_probing_now, a);
  if (atomic_load(&a->probing) &&
      registry_runtime_of(a)->probe_refs(a, &v->strong_refs, &v->weak_refs) == 0)
    v->has_refs = 1;
}

/* Fetches a record ahead of its copy: all of its cache lines and the runtime state after it. */
static void registry_prefetch(const struct as_actor *a)
{
  for (size_t at = 0; at < sizeof *a + 32; at += 64)
    __builtin_prefetch((const char *)a + at);
}

/* Under the registry lock. A full queue grows; when it cannot, the actor is simply reaped at a
 * later full collection. */
static void registry_grave_push(struct as_actor *a, uint64_t stopped_at, uint64_t replies_taken)
{
  if (registry_grave_count == registry_grave_capacity) {
    size_t capacity = registry_grave_capacity ? registry_grave_capacity * 2 : 256;
    struct registry_grave *grown = malloc(capacity * sizeof *grown);
    if (!grown)
      return;
    for (size_t i = 0; i < registry_grave_count; i++)
      grown[i] = registry_graves[(registry_grave_first + i) % registry_grave_capacity];
    free(registry_graves);
    registry_graves = grown;
    registry_grave_first = 0;
    registry_grave_capacity = capacity;
  }
  registry_graves[(registry_grave_first + registry_grave_count++) % registry_grave_capacity] =
      (struct registry_grave){a, stopped_at, replies_taken};
}

static int registry_is_listed(int space, size_t block)
{
  const struct registry_space *sp = &registry_spaces[space];
  return block < sp->blocks && (sp->listed[block / 64] >> (block % 64) & 1);
}

/* Takes a record off the lists: it leaves the spawn-ordered array (and is let go) at the
 * array's next compaction. Under the registry lock. */
static void registry_unlist(int space, size_t block)
{
  registry_spaces[space].listed[block / 64] &= ~(1ull << (block % 64));
  registry_actor_holes++;
}

static int registry_reaped_add(struct as_registry_collection *out, uint64_t id)
{
  if (out->reaped_count == out->reaped_capacity) {
    size_t capacity = out->reaped_capacity ? out->reaped_capacity * 2 : 64;
    uint64_t *grown = realloc(out->reaped, capacity * sizeof *grown);
    if (!grown)
      return -ENOMEM;
    out->reaped = grown;
    out->reaped_capacity = capacity;
  }
  out->reaped[out->reaped_count++] = id;
  return 0;
}

/* Unlists the actors whose grave window has passed, and the oldest beyond
 * AS_REGISTRY_GRAVE_MAX (each was listed stopped by the line that pushed it). Their records
 * leave the spawn-ordered array (and are let go) at its next compaction, so reaping one actor
 * does not move all the others. Unless the queue is full, one whose owner has yet to take a
 * reply up its pipe (CZMQ's final signal, counted in its peers as it is taken) waits another
 * window, and so does one that took one since it was last kept: this line lists that first. */
static int registry_reap(struct as_registry_collection *out, uint64_t now, uint64_t grave_ns)
{
  int rc = 0;
  for (size_t looked = 0, queued = registry_grave_count; looked < queued; looked++) {
    struct registry_grave g = registry_graves[registry_grave_first];
    int over = registry_grave_count > AS_REGISTRY_GRAVE_MAX;
    if (!over && (now < g.stopped_at || now - g.stopped_at < grave_ns))
      break;
    registry_grave_first = (registry_grave_first + 1) % registry_grave_capacity;
    registry_grave_count--;
    const struct as_actor_side *side = as_actor_side_peek(g.actor);
    uint64_t taken = side ? atomic_load_explicit(&side->replies_taken, memory_order_acquire) : 0;
    if (!over && (as_actor_replies_pending(g.actor) || taken != g.replies_taken)) {
      registry_grave_push(g.actor, now, taken); /* into the slot just freed */
      continue;
    }
    int space = registry_space_of(g.actor);
    size_t block = registry_block_of(space, g.actor);
    registry_unlist(space, block);
    if (registry_reaped_add(out, g.actor->id) < 0)
      rc = -ENOMEM;
  }
  return rc;
}

/* The records a compaction took off the array, let go once the collection has let go of the
 * lock (as_actor_release needs none: hooks call it too). Giving back thousands of records and
 * their blocks took a storm's spawning threads' lock for a millisecond or more. The collector's. */
static struct as_actor **registry_unheld;
static size_t registry_unheld_count, registry_unheld_capacity;

static void registry_release_later(struct as_actor *a)
{
  if (registry_unheld_count == registry_unheld_capacity) {
    size_t capacity = registry_unheld_capacity ? registry_unheld_capacity * 2 : 1024;
    struct as_actor **grown = realloc(registry_unheld, capacity * sizeof *grown);
    if (!grown) {
      as_actor_release(a); /* without memory: now, under the lock, as before */
      return;
    }
    registry_unheld = grown;
    registry_unheld_capacity = capacity;
  }
  registry_unheld[registry_unheld_count++] = a;
}

/* Without the registry lock: lets go of what the compaction took off. */
static void registry_release_unheld(void)
{
  for (size_t i = 0; i < registry_unheld_count; i++)
    as_actor_release(registry_unheld[i]);
  if (registry_unheld_count)
    as_test_pause("unheld_released"); /* a fork here: registry_unheld_forget_after_fork */
  registry_unheld_count = 0;
  /* A storm's burst is not kept: a few thousand pointers are. */
  if (registry_unheld_capacity > 8192) {
    free(registry_unheld);
    registry_unheld = NULL;
    registry_unheld_capacity = 0;
  }
}

/* The collector lets go of them without the registry lock, which fork's prepare handler takes:
 * a fork may come in the middle, and a child that let go of them again would release records
 * the parent had freed already, some of them its own new actors' by then (the first blocks its
 * pool hands out): freed while listed, its last line read them zeroed (id 0). The list (and
 * the array, maybe freed as the fork came) is the parent's: left to it. */
void registry_unheld_forget_after_fork(void)
{
  registry_unheld = NULL;
  registry_unheld_count = registry_unheld_capacity = 0;
}

/* Drops the reaped records from the spawn-ordered array; they are let go after the lock. */
static void registry_compact(void)
{
  size_t kept = 0;
  for (size_t i = 0; i < registry_actor_count; i++) {
    struct as_actor *a = registry_actors[i];
    int space = registry_space_of(a);
    size_t block = registry_block_of(space, a);
    if (registry_is_listed(space, block))
      registry_actors[kept++] = a;
    else
      registry_release_later(a);
  }
  registry_actor_count = kept;
  registry_actor_holes = 0;
}

/* Whether a stopped actor's first copy is also its last: no earlier collection copied it, and
 * it holds nothing the compact form leaves out (links, monitors, sockets, a handler or wait). */
static _Atomic int registry_compact_ended = 1;

void as_registry_compact_ended(int allowed)
{
  atomic_store_explicit(&registry_compact_ended, allowed != 0, memory_order_relaxed);
}

static int registry_view_ends(const struct as_actor_view *v)
{
  return atomic_load_explicit(&registry_compact_ended, memory_order_relaxed) && !v->known &&
         v->link_count == 0 && v->monitor_count == 0 && v->channel_count == 0 &&
         v->handling_type == AS_TYPE_NONE && v->wait_target == 0 && v->replies == v->replies_taken;
}

/* One FNV-1a step (a 64-bit word at a time). */
static inline uint64_t registry_mix(uint64_t h, uint64_t word)
{
  return (h ^ word) * 1099511628211ull;
}

/* A number for what a line would say of the actor (times of capture aside): a record read
 * again only to catch a late store is left out when it is unchanged. Four lanes, folded at the
 * end: a copy's 30 fields hash in a quarter of one chain's latency, with no array built first.
 * Its pooled words (links, monitors, types, channels, histograms, peers) lie one after the other
 * from links_at to the pool's end, the counts above saying where each part ends. */
static uint64_t registry_view_signature(const struct as_registry_collection *c,
                                        const struct as_actor_view *v)
{
  uint64_t a = 1469598103934665603ull, b = a ^ 1, d = a ^ 2, e = a ^ 3;
  a = registry_mix(a, (uint64_t)(uintptr_t)v->name);
  b = registry_mix(b, (uint64_t)v->status);
  d = registry_mix(d, v->stopped_at);
  e = registry_mix(e, (uint64_t)(uintptr_t)v->stop_reason);
  a = registry_mix(a, v->enqueued);
  b = registry_mix(b, v->received);
  d = registry_mix(d, v->mailbox_max);
  e = registry_mix(e, v->sent);
  a = registry_mix(a, v->replies);
  b = registry_mix(b, v->replies_taken);
  d = registry_mix(d, v->exceptions);
  e = registry_mix(e, v->handling_type);
  a = registry_mix(a, v->handling_since);
  b = registry_mix(b, v->handled);
  d = registry_mix(d, v->handler_ticks_total);
  e = registry_mix(e, v->handler_ticks_max);
  a = registry_mix(a, v->wait_target);
  b = registry_mix(b, v->wait_since);
  d = registry_mix(d, v->wait_seq);
  e = registry_mix(e, (uint64_t)v->wait_kind);
  a = registry_mix(a, v->other_types);
  b = registry_mix(b, v->strong_refs);
  d = registry_mix(d, v->weak_refs);
  e = registry_mix(e, (uint64_t)v->link_count << 32 | v->monitor_count);
  a = registry_mix(a, (uint64_t)v->type_count << 32 | v->channel_count);
  b = registry_mix(b, (uint64_t)v->histogram_count << 32 | v->wait_histogram_count);
  d = registry_mix(d, v->peer_count);
  if (c->ids)
    for (size_t i = v->links_at; i < c->id_count; i++)
      e = registry_mix(e, c->ids[i]);
  return registry_mix(registry_mix(registry_mix(a, b), d), e);
}

/* A starting actor whose runtime names it only once it runs (as_runtime.named_once_running)
 * is left out of lines until then, for at most `wait` ticks: listed earlier, it would show a
 * name it does not keep, and not as the runtime's own. Its change bit is set again, so that
 * every collection looks at it until it is listed. The status is read before the copy reads
 * the name: a name stored before the actor left STARTING is seen with it. */
static int registry_naming_pending(struct as_actor *a, int known, uint64_t now, uint64_t wait)
{
  if (known || !wait ||
      atomic_load_explicit(&a->status, memory_order_acquire) != AS_STATUS_STARTING ||
      !registry_runtime_of(a)->named_once_running ||
      (now > a->spawned_at && now - a->spawned_at >= wait))
    return 0;
  as_changes_touch(a);
  return 1;
}

static uint64_t registry_naming_wait(const struct as_registry_collection *out)
{
  return out->final ? 0 : as_clock_ns_to_ticks(AS_REGISTRY_NAMING_WAIT_MS * 1000000ull);
}

/* A collection copies records in batches: picked under the registry lock (which records, and
 * what the collector knew of each), copied without it, and settled under it again (the bits,
 * totals and graves). A spawn takes the lock (as_registry_publish), and used to wait for a whole
 * collection: 70-100 ms a run of 200k actor-per-request requests on the CAF worker threads,
 * 110-126 ms of main's spawning loop in a wide crowd's first delta (91k actors). Now it waits
 * at most for one batch's picking or settling. Records stay valid without the lock: only the
 * collector frees them (registry_compact). An actor spawned after a collection began is left
 * to the next one, so that a line's actors and its totals describe the same moment. */
#define REGISTRY_BATCH 128
/* A change word covers up to 67 records (64 bits of 256 bytes, 248-byte strides). */
#define REGISTRY_BATCH_ROOM (REGISTRY_BATCH + 80)

struct registry_pick {
  struct as_actor *actor;
  uint32_t block;
  uint32_t view; /* its view in the collection once copied, else REGISTRY_NO_VIEW */
  uint8_t space;
  uint8_t known;     /* copied by an earlier collection */
  uint8_t stopped;   /* ... and seen stopped by it */
  uint8_t relations; /* it has links or monitors: copied under the lock */
};
#define REGISTRY_NO_VIEW UINT32_MAX

struct registry_batch {
  struct registry_pick picks[REGISTRY_BATCH_ROOM];
  size_t count;
  uint64_t id_limit; /* registry_next_id as the collection began */
  uint64_t first_id; /* as__registry_first_id then: a detach's forgetting changes it */
  size_t picked;     /* records picked by this collection so far */
  size_t pending;    /* actors left out while they wait for their name */
  uint64_t now;      /* the collection's time, and how long an actor may wait for its name */
  uint64_t naming_wait;
  int hold; /* keeps the lock all through (a keyframe) */
};
/* A collection that falls behind the spawns (more actors spawned since it began than half of
 * what it picked, and this many) keeps the lock for the rest of its copies: the spawning threads
 * then wait for it, as they always did, rather than leave each line more to copy than the one
 * before (four threads spawning bare records outrun one collector). */
#define REGISTRY_BEHIND_SLACK REGISTRY_BATCH
/* The collector's, one collection at a time (under its write lock). */
static struct registry_batch registry_batch;

static void registry_batch_begin(struct registry_batch *b, int hold, uint64_t naming_wait,
                                 uint64_t now)
{
  b->hold = hold;
  b->count = 0;
  b->picked = 0;
  b->pending = 0;
  b->now = now;
  b->naming_wait = naming_wait;
  b->id_limit = registry_next_id;
  b->first_id = atomic_load(&as__registry_first_id);
}

/* Under the registry lock: notes a listed record for the batch. Inline in the loops over the
 * changes: a storm picks every ended actor once, and the call cost a fifth of the pick. */
static inline __attribute__((always_inline)) void
registry_pick(struct registry_batch *b, struct as_actor *a, int space, size_t block)
{
  if (a->id >= b->id_limit) {
    as_changes_touch(a); /* spawned meanwhile: the next collection's */
    return;
  }
  const struct registry_space *sp = &registry_spaces[space];
  int known = registry_bit(sp->known, block) != 0;
  if (registry_naming_pending(a, known, b->now, b->naming_wait)) {
    b->pending++;
    return;
  }
  const struct as_actor_side *side = as_actor_side_peek(a);
  b->picks[b->count++] =
      (struct registry_pick){.actor = a,
                             .block = (uint32_t)block,
                             .view = REGISTRY_NO_VIEW,
                             .space = (uint8_t)space,
                             .known = (uint8_t)known,
                             .stopped = (uint8_t)registry_bit(sp->stopped, block),
                             .relations = side && side->relations};
}

/* Copies one picked record into out (with its links and monitors when the lock is held).
 * Looking for changes (`changes_only`), a record it already listed is dropped again when
 * nothing a line says of it changed: read once more for a late store, sharing a bit with a
 * busy neighbour, or changed and changed back. The shadow is the collector's alone. */
static int registry_copy(struct as_registry_collection *out, struct registry_pick *p, int locked,
                         int changes_only)
{
  if (out->count == out->capacity) {
    size_t capacity = out->capacity ? out->capacity * 2 : 256;
    struct as_actor_view *views = realloc(out->views, capacity * sizeof *views);
    if (!views)
      return -ENOMEM;
    out->views = views;
    out->capacity = capacity;
  }
  struct as_actor_view *v = &out->views[out->count++];
  registry_view_fill(out, v, p->actor, locked);
  registry_view_sample_refs(v, p->actor);
  v->known = p->known;
  /* An actor seen for the first time is listed whatever its signature, and one that ends with
   * this copy is never compared again: only the others need theirs (and a shadow). It ends (is
   * listed once, compactly, and reaped at once) when it lived and died since the last look. */
  v->ended = v->status == AS_STATUS_STOPPED && !p->stopped && registry_view_ends(v);
  if (!v->ended) {
    struct registry_shadow *seen = &registry_spaces[p->space].shadow[p->block];
    if (!v->known)
      *seen = (struct registry_shadow){0, 0};
    uint64_t signature = registry_view_signature(out, v);
    if (changes_only && v->known && signature == seen->signature) {
      out->count--;
      out->id_count = v->links_at; /* its links, monitors and types were pooled last */
      return 0;
    }
    seen->signature = signature;
  }
  p->view = (uint32_t)(out->count - 1);
  return 0;
}

/* Under the registry lock: notes what the collector saw of a copied record. */
static void registry_settle(struct as_registry_collection *out, const struct registry_pick *p)
{
  struct as_actor_view *v = &out->views[p->view];
  struct registry_space *sp = &registry_spaces[p->space];
  size_t block = p->block;
  if (v->ended) {
    /* Listed once and unlisted now: no bit nor shadow of its block is read again until the
     * block is published anew, which clears them (registry.c); only the totals take it in. */
    registry_seen_received += v->received;
    registry_seen_stopped++;
    registry_unlist(p->space, block);
    return;
  }
  struct registry_shadow *seen = &sp->shadow[block];
  if (!p->known) {
    if (sp->channel_received)
      sp->channel_received[block] = 0;
    registry_bit_set(sp->known, block);
  }
  /* Modular: a receive taken back makes the count smaller. */
  registry_seen_received += v->received - seen->received;
  seen->received = v->received;
  if (v->channel_count && !sp->channel_received)
    sp->channel_received = calloc(sp->blocks, sizeof *sp->channel_received);
  if (sp->channel_received) { /* without memory: the all-socket total lacks these channels */
    uint64_t channel_received = 0;
    for (uint32_t i = 0; i < v->channel_count; i++)
      channel_received += as_view_channel(out, v, i).received;
    registry_seen_channel_received += channel_received - sp->channel_received[block];
    sp->channel_received[block] = channel_received;
  }
  if (v->status == AS_STATUS_STOPPED && !p->stopped) {
    registry_bit_set(sp->stopped, block);
    registry_seen_stopped++;
    registry_grave_push(p->actor, v->stopped_at, v->replies_taken);
  }
}

/* Copies the batch's records and settles them. Called and returns with the registry lock held,
 * which it lets go while copying the records without links or monitors (nearly all). */
static int registry_batch_copy(struct as_registry_collection *out, struct registry_batch *b,
                               int changes_only)
{
  int rc = 0;
  b->picked += b->count;
  int behind = b->hold || registry_next_id - b->id_limit > b->picked / 2 + REGISTRY_BEHIND_SLACK;
  if (!behind)
    pthread_mutex_unlock(&registry_lock);
  for (size_t i = 0; i < b->count; i++) {
    if (i + REGISTRY_PREFETCH_AHEAD < b->count)
      registry_prefetch(b->picks[i + REGISTRY_PREFETCH_AHEAD].actor);
    if (!b->picks[i].relations && registry_copy(out, &b->picks[i], 0, changes_only) < 0)
      rc = -ENOMEM;
  }
  atomic_store(&registry_probing_now, NULL);
  if (!behind)
    pthread_mutex_lock(&registry_lock);
  /* A detach's forgetting came in between (registry_unlist_all): nothing is left to settle. */
  int forgotten = atomic_load(&as__registry_first_id) != b->first_id;
  for (size_t i = 0; i < b->count && !forgotten; i++) {
    struct registry_pick *p = &b->picks[i];
    if (p->relations && registry_copy(out, p, 1, changes_only) < 0)
      rc = -ENOMEM;
    if (p->view != REGISTRY_NO_VIEW)
      registry_settle(out, p);
  }
  atomic_store(&registry_probing_now, NULL);
  b->count = 0;
  return rc;
}

void as_registry_relist(struct as_actor *a)
{
  pthread_mutex_lock(&registry_lock);
  int space = registry_space_of(a);
  size_t block = registry_block_of(space, a);
  if (registry_is_listed(space, block))
    registry_spaces[space].shadow[block].signature ^= 1; /* no copy will match it */
  as_changes_touch(a);
  pthread_mutex_unlock(&registry_lock);
}

/* Takes the bits of one word of changes: what changed since the last look becomes what the
 * next look reads once more; returns those and the bits of the look before. */
static uint64_t registry_take_changes(int space, size_t word)
{
  _Atomic uint64_t *dirty = &as__record_spaces[space].dirty[word];
  uint64_t bits = atomic_load_explicit(dirty, memory_order_relaxed)
                      ? atomic_exchange_explicit(dirty, 0, memory_order_acq_rel)
                      : 0;
  uint64_t *recheck = &registry_spaces[space].recheck[word];
  uint64_t both = bits | *recheck;
  *recheck = bits;
  return both;
}

/* Words of the change bitmap that cover the blocks a space has lists for. */
size_t registry_change_words(int space)
{
  size_t bytes = registry_spaces[space].blocks * (registry_records[space].block_size + 8);
  size_t words = ((bytes >> registry_change_shift(space)) + 63) / 64;
  /* Within the bitmap, which covers the pool's region (registry_space_reserve). */
  size_t mapped =
      ((registry_records[space].region_bytes >> registry_change_shift(space)) + 63) / 64;
  if (words > mapped)
    words = mapped;
  return words < registry_spaces[space].blocks / 64 ? words : registry_spaces[space].blocks / 64;
}

/* Every snapshot's totals come from what the collector saw, so they agree with its actors:
 * those still waiting for their name (the batch's `pending`) are not counted yet. */
static void registry_totals(struct as_registry_collection *out, const struct registry_batch *b)
{
  out->totals.total_spawned = b->id_limit - b->first_id - b->pending;
  out->totals.total_stopped = registry_seen_stopped;
  out->totals.alive = out->totals.total_spawned - out->totals.total_stopped;
  out->totals.messages_received = registry_seen_received;
  out->totals.received_all = registry_seen_received + registry_seen_channel_received;
}

static void registry_collection_reset(struct as_registry_collection *out)
{
  atomic_store_explicit(&registry_stops_unseen, 0, memory_order_relaxed);
  out->count = 0;
  out->id_count = 0;
  out->reaped_count = 0;
}

int as_registry_collect(struct as_registry_collection *out, uint64_t now, uint64_t grave_ns)
{
  struct registry_batch *b = &registry_batch;
  registry_collection_reset(out);
  pthread_mutex_lock(&registry_lock);
  int rc = registry_reap(out, now, grave_ns);
  /* The process's last collection lets no record go (the process is ending; should it live on
   * after a failed exec, the next collection compacts): it skips the unlisted ones instead. At
   * the exit of a storm of short-lived actors, letting go of the thousands it unlisted took a
   * tenth of the final line's cost. */
  if (!out->final)
    registry_compact();
  for (int space = 0; space < AS_RECORD_SPACES; space++)
    for (size_t word = 0; word < registry_change_words(space); word++)
      registry_take_changes(space, word);
  /* A keyframe (the first line, one a minute, the last) holds the lock all through, as it
   * always did: one that copied without it could be outrun by spawning threads (they would
   * append faster than it reaches the array's end). */
  registry_batch_begin(b, 1, registry_naming_wait(out), now);
  /* Spawns meanwhile only append to the array (only this thread compacts it). */
  for (size_t i = 0; i < registry_actor_count; i++) {
    struct as_actor *a = registry_actors[i];
    int space = registry_space_of(a);
    size_t block = registry_block_of(space, a);
    if (registry_is_listed(space, block))
      registry_pick(b, a, space, block);
    if (b->count >= REGISTRY_BATCH && registry_batch_copy(out, b, 0) < 0)
      rc = -ENOMEM;
  }
  if (b->count && registry_batch_copy(out, b, 0) < 0)
    rc = -ENOMEM;
  registry_totals(out, b);
  pthread_mutex_unlock(&registry_lock);
  registry_release_unheld();
  return rc;
}

int as_registry_collect_changes(struct as_registry_collection *out, uint64_t now, uint64_t grave_ns)
{
  struct registry_batch *b = &registry_batch;
  registry_collection_reset(out);
  pthread_mutex_lock(&registry_lock);
  int rc = registry_reap(out, now, grave_ns);
  if (registry_actor_holes * 2 > registry_actor_count)
    registry_compact();
  registry_batch_begin(b, 0, registry_naming_wait(out), now);
  for (int space = 0; space < AS_RECORD_SPACES; space++) {
    size_t stride = registry_stride(space), next = 0;
    unsigned shift = registry_change_shift(space);
    /* Under the lock at each test: a spawn may grow the space's arrays between batches. */
    for (size_t word = 0; word < registry_change_words(space); word++) {
      for (uint64_t bits = registry_take_changes(space, word); bits; bits &= bits - 1) {
        /* The blocks this bit's bytes overlap, each once (the previous bit may have had it). */
        size_t at = (word * 64 + (size_t)__builtin_ctzll(bits)) << shift;
        size_t first = at / stride, last = (at + ((size_t)1 << shift) - 1) / stride;
        for (size_t block = first > next ? first : next; block <= last; block++) {
          if (registry_is_listed(space, block))
            registry_pick(b, registry_record_at(space, block), space, block);
          next = block + 1;
        }
      }
      if (b->count >= REGISTRY_BATCH && registry_batch_copy(out, b, 1) < 0)
        rc = -ENOMEM;
    }
    if (b->count && registry_batch_copy(out, b, 1) < 0)
      rc = -ENOMEM;
  }
  registry_totals(out, b);
  pthread_mutex_unlock(&registry_lock);
  registry_release_unheld();
  return rc;
}

void as_registry_collection_free(struct as_registry_collection *c)
{
  free(c->views);
  free(c->ids);
  free(c->reaped);
  c->views = NULL;
  c->ids = NULL;
  c->reaped = NULL;
  c->count = c->capacity = c->id_count = c->id_capacity = 0;
  c->reaped_count = c->reaped_capacity = 0;
}
