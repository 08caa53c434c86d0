/* The collector's view of the registry: plain copies of the records (views) gathered into a
 * collection, all of them or only those that changed, and the grave window's reaping. */
#ifndef AS_REGISTRY_VIEW_H
#define AS_REGISTRY_VIEW_H

#include "record.h"

#include <stddef.h>
#include <stdint.h>

/* A plain copy of one record, taken by the collector. 296 bytes (was 360): a keyframe of 100k
 * actors writes, and faults in, 6 MB less. Words first, then 32-bit counts and offsets (the
 * record's own widths), then bytes, so that nothing is padding. */
struct as_actor_view {
  uint64_t id, parent_id;
  const char *runtime; /* its name */
  const void *name_addr;
  const char *name;      /* NULL when unnamed */
  const char *full_name; /* the runtime's longer name when `name` shortens it, else NULL */
  uint64_t spawned_at;
  /* Interned: never changed nor freed (snapshot_sites.c keeps their text by this address). */
  void *const *spawn_frames;
  uint64_t runtime_id;
  uint64_t strong_refs, weak_refs;
  uint64_t stopped_at;
  const char *stop_reason; /* "" unless stopped */
  uint64_t enqueued, received, sent, replies, replies_taken;
  uint64_t handling_since, handled, handler_ticks_total, handler_ticks_max;
  uint64_t wait_target, wait_since;
  uint64_t other_types;
  struct as_actor *actor; /* valid until the next as_registry_collect */
  /* Peers (peers.h): peer_count (key, count) word pairs at peers_at in the collection's id pool,
   * then one word, the messages to later peers (as_view_peer_words); SIZE_MAX: none copied. */
  size_t peers_at;
  uint32_t mailbox_max, exceptions; /* 32-bit in the record too */
  uint32_t wait_seq;
  uint32_t handler_tid;
  uint32_t spawn_frame_count;
  /* Handler-time histogram: histogram_count words (bucket << 48 | count), by bucket, in the
   * collection's id pool right after the channels (as_view_histogram_words); the mailbox-wait
   * histogram's (mailwait.h) wait_histogram_count words right after it
   * (as_view_wait_histogram_words). */
  uint32_t histogram_count, wait_histogram_count;
  uint32_t link_count, monitor_count, peer_count;
  /* Offsets into the collection's id pool (which never holds 2^32 words: registry_pool_grow):
   * links and monitors; type_count tally words (type id << 48 | count) at types_at
   * (as_view_type_words); channel_count × AS_CHANNEL_WORDS words at channels_at
   * (as_runtime.channels, as_view_channel). */
  uint32_t links_at, monitors_at, types_at, channels_at;
  uint32_t type_count, channel_count;
  uint16_t handling_type;
  uint8_t runtime_scope;
  int8_t status;                 /* enum as_status */
  int8_t wait_kind;              /* enum as_wait_kind */
  uint8_t internal;              /* the runtime made the actor for its own use */
  uint8_t unnamed_after_spawner; /* as_runtime.unnamed_after_spawner */
  uint8_t attached_late;         /* as_runtime.attached_late */
  uint8_t has_refs;
  /* Listed in an earlier collection: a delta line leaves out what cannot have changed since
   * (runtime, spawn time and site, parent, runtime id). */
  uint8_t known;
  /* Stopped, and copied for the first time: a line lists it compactly (FORMAT.md, "ended") and
   * the registry has reaped it already (no later line names it, not even as reaped). */
  uint8_t ended;
};

struct as_registry_totals {
  uint64_t alive, total_spawned, total_stopped, messages_received;
  uint64_t received_all; /* messages_received and every channel's received */
  /* The runtime's own count of its running actors (as_registry_on_runtime_running), when
   * runtime_running_known is 1; written as totals.runtime_running. */
  uint64_t runtime_running, runtime_running_known;
};

struct as_registry_collection {
  struct as_actor_view *views;
  size_t count, capacity;
  /* as_registry_collect_changes: ids of the actors reaped since the previous collection. */
  uint64_t *reaped;
  size_t reaped_count, reaped_capacity;
  uint64_t *ids; /* links, monitors and tally words of every view */
  size_t id_count, id_capacity;
  struct as_registry_totals totals;
  /* Set by the caller: the process's last collection, which lists every actor, named or not
   * (AS_REGISTRY_NAMING_WAIT_MS). */
  int final;
};

static inline const uint64_t *as_view_type_words(const struct as_registry_collection *c,
                                                 const struct as_actor_view *v)
{
  return c->ids ? c->ids + v->types_at : NULL;
}
static inline struct as_channel as_view_channel(const struct as_registry_collection *c,
                                                const struct as_actor_view *v, uint32_t i)
{
  const uint64_t *w = c->ids + v->channels_at + (size_t)i * AS_CHANNEL_WORDS;
  struct as_channel ch = {(const char *)(uintptr_t)w[0],
                          (const char *)(uintptr_t)w[1],
                          w[2],
                          w[3],
                          (int64_t)w[4],
                          (int64_t)w[5]};
  return ch;
}
static inline const uint64_t *as_view_histogram_words(const struct as_registry_collection *c,
                                                      const struct as_actor_view *v)
{
  return c->ids ? c->ids + v->channels_at + (size_t)v->channel_count * AS_CHANNEL_WORDS : NULL;
}
static inline const uint64_t *as_view_wait_histogram_words(const struct as_registry_collection *c,
                                                           const struct as_actor_view *v)
{
  const uint64_t *handler = as_view_histogram_words(c, v);
  return handler ? handler + v->histogram_count : NULL;
}
static inline const uint64_t *as_view_peer_words(const struct as_registry_collection *c,
                                                 const struct as_actor_view *v)
{
  return c->ids && v->peers_at != SIZE_MAX ? c->ids + v->peers_at : NULL;
}
static inline uint32_t as_tally_word_type(uint64_t word)
{
  return (uint32_t)(word >> AS_TALLY_COUNT_BITS);
}
static inline uint64_t as_tally_word_count(uint64_t word) { return word & AS_TALLY_COUNT_MASK; }

/* Reaps actors stopped for longer than grave_ns, then copies every remaining record.
 * Returns 0 or -ENOMEM (the collection then holds what fitted). */
int as_registry_collect(struct as_registry_collection *out, uint64_t now, uint64_t grave_ns);
/* The same, but copies only the records that changed since the previous collection (of either
 * kind), and those that changed in the one before it where they now differ from that copy (a
 * change whose store the previous one could not see yet), and lists the ids reaped since in
 * out->reaped. Totals are always the whole process's. The cost
 * follows the change: idle actors are not read at all. */
int as_registry_collect_changes(struct as_registry_collection *out, uint64_t now,
                                uint64_t grave_ns);
void as_registry_collection_free(struct as_registry_collection *c);
/* The next collection lists the actor even though its record did not change (the collector
 * learnt something of it from elsewhere, e.g. a stuck handler's stack). Not for the hot path. */
void as_registry_relist(struct as_actor *actor);
/* Whether a view's wait edge is still the very same wait (for deadlock confirmation). */
int as_registry_wait_unchanged(const struct as_actor_view *view);

#endif
