/* What registry.c (records, their lifetime), registry_collect.c (the collector's copies) and
 * registry_hist.c (message-type tallies and histograms) share. Not for hooks. */
#ifndef AS_REGISTRY_INTERNAL_H
#define AS_REGISTRY_INTERNAL_H

#include "blockpool.h"
#include "changes.h"
#include "registry.h"
#include "registry_view.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

extern pthread_mutex_t registry_lock;
extern _Atomic uint32_t registry_stops_unseen;
/* The record whose runtime object the collector may be reading (registry.c says the protocol). */
extern const struct as_actor *_Atomic registry_probing_now;
/* Every listed record, in spawn (id) order (registry.c says why an array). */
extern struct as_actor **registry_actors;
extern size_t registry_actor_count, registry_actor_capacity, registry_actor_holes;
extern struct as_blockpool registry_records[AS_RECORD_SPACES];
extern uint64_t registry_next_id;

/* What the collector last saw of the record in each block: its received count (for the
 * process's total) and what a line said of it; 16 bytes an actor. Whether it was copied at all
 * and seen stopped (for the stopped total and the grave) are bits beside it, cleared when a
 * reused block is published again. Under the registry lock. */
struct registry_shadow {
  uint64_t received;
  uint64_t signature; /* of everything a line says of the actor but times of capture */
};
struct registry_space {
  uint64_t *listed;  /* a bit per block: a published record not yet reaped */
  uint64_t *recheck; /* the bits the previous collection took: read once more */
  uint64_t *known;   /* the record was copied by a collection (its shadow is its own) */
  uint64_t *stopped; /* ... and seen stopped */
  struct registry_shadow *shadow;
  /* Per block, its channels' received, summed (for the all-socket total): made at the space's
   * first actor with channels (CZMQ's other sockets), so a CAF actor does not pay for it. */
  uint64_t *channel_received;
  size_t blocks; /* how many of the arrays above exist */
};
extern struct registry_space registry_spaces[AS_RECORD_SPACES];

static inline int registry_bit(const uint64_t *bits, size_t block)
{
  return bits[block / 64] >> (block % 64) & 1;
}
static inline void registry_bit_set(uint64_t *bits, size_t block)
{
  bits[block / 64] |= 1ull << (block % 64);
}
static inline void registry_bit_clear(uint64_t *bits, size_t block)
{
  bits[block / 64] &= ~(1ull << (block % 64));
}

/* Actors seen stopped, oldest first: reaped from the front once their grave window passed. */
struct registry_grave {
  struct as_actor *actor;
  uint64_t stopped_at;    /* or when it was last kept for a reply up its pipe */
  uint64_t replies_taken; /* as the line that listed it last saw them */
};
extern struct registry_grave *registry_graves;
extern size_t registry_grave_first, registry_grave_count, registry_grave_capacity;
/* Totals as the collector saw them, so that every snapshot's totals agree with its actors. */
extern uint64_t registry_seen_stopped, registry_seen_received, registry_seen_channel_received;

/* Pools of message-type tallies and histograms (registry_hist.c). */
extern struct as_blockpool registry_tallies, registry_histograms;

const struct as_runtime *registry_runtime_of(const struct as_actor *a);
unsigned registry_change_shift(int space);
/* How many blocks a space's pool can cut. */
size_t registry_space_blocks(int space);
/* A record's pool (space), block and address, by changes.h's regions and strides: inline,
 * since compaction, reaping and the collection loops ask it of every record they meet, and the
 * compiler multiplies rather than divides by a constant stride. */
static inline size_t registry_stride(int space)
{
  return space == 0 ? AS_RECORD_STRIDE_SMALL : AS_RECORD_STRIDE_LARGE;
}
static inline int registry_space_of(const struct as_actor *a)
{
  const char *small_region = as__record_spaces[0].region;
  return small_region && (size_t)((const char *)a - small_region) < AS_RECORD_REGION_SMALL ? 0 : 1;
}
static inline size_t registry_block_of(int space, const struct as_actor *a)
{
  size_t offset = (size_t)((const char *)a - as__record_spaces[space].region);
  return space == 0 ? offset / AS_RECORD_STRIDE_SMALL : offset / AS_RECORD_STRIDE_LARGE;
}
static inline struct as_actor *registry_record_at(int space, size_t block)
{
  return (struct as_actor *)(as__record_spaces[space].region + block * registry_stride(space));
}
/* Gives back a histogram's block, if it has one, and empties it (the record is freed). */
void registry_histogram_free(_Atomic uint64_t *histogram);
/* Collector: the histogram as sparse words in the collection's pool. */
void registry_view_histogram(struct as_registry_collection *c, uint32_t *count,
                             _Atomic uint64_t *histogram);
/* Copies an id list into the collection's pool; returns where it starts. */
size_t registry_pool_ids(struct as_registry_collection *c, const uint64_t *ids, uint32_t count,
                         uint32_t *copied);
uint64_t *registry_pool_grow(struct as_registry_collection *c, size_t n);
/* Room for up to n more words at the end of the collection's pool, to be filled in place and
 * taken by adding their count to id_count; NULL without memory (nothing is then listed). */
static inline uint64_t *registry_pool_room(struct as_registry_collection *c, size_t n)
{
  if (__builtin_expect(c->id_count + n <= c->id_capacity, 1))
    return c->ids + c->id_count;
  return registry_pool_grow(c, n);
}
/* Words of a space's bitmap of changes. */
size_t registry_change_words(int space);
/* In a fork child: forgets the records the parent's collector was letting go of as it forked
 * (registry_collect.c), which the parent frees (or has freed) itself. */
void registry_unheld_forget_after_fork(void);

#endif
