/* Which actors changed since the collector last looked, without walking the idle ones: one bit
 * per record (or so), set at an actor's first change after each look. Records live in one of
 * two block pools (small and large runtime state), so a record's bit comes from its offset in
 * its pool's region; the hot path pays one relaxed load of a bitmap word per event, and one
 * atomic OR only for the first event of an actor in an interval. */
#ifndef AS_CHANGES_H
#define AS_CHANGES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define AS_RECORD_SPACES 2
/* Block strides (record, runtime state, the pool's 8-byte link) and region sizes: constants,
 * so the hot path divides by a constant. */
#define AS_RECORD_STRIDE_SMALL 248u
#define AS_RECORD_STRIDE_LARGE 496u
#define AS_RECORD_REGION_SMALL (1ull << 30) /* 4.3M records */
#define AS_RECORD_REGION_LARGE (1ull << 29) /* 1.1M records */

struct as__record_space {
  char *region;            /* the pool's region; NULL until reserved */
  _Atomic uint64_t *dirty; /* a bit per block */
};
/* Hidden (as every extern the hot path reads): one RIP-relative load, no GOT entry first. */
extern struct as__record_space as__record_spaces[AS_RECORD_SPACES]
    __attribute__((visibility("hidden")));

static inline void as__changes_mark(_Atomic uint64_t *dirty, size_t block)
{
  _Atomic uint64_t *word = &dirty[block >> 6];
  uint64_t bit = 1ull << (block & 63);
  if (!(atomic_load_explicit(word, memory_order_relaxed) & bit))
    atomic_fetch_or_explicit(word, bit, memory_order_relaxed);
}

/* A bit stands for 2^shift bytes of its pool's region, a power of two just above the block
 * stride, so the hot path shifts rather than divides; a bit may then cover parts of two
 * records, and the collector reads both (one it finds unchanged costs it a copy, not a line). */
#define AS_CHANGES_SHIFT_SMALL 8u /* 256 >= AS_RECORD_STRIDE_SMALL */
#define AS_CHANGES_SHIFT_LARGE 9u /* 512 >= AS_RECORD_STRIDE_LARGE */

/* The record changed: the collector copies it at its next look (and the one after, for a
 * change whose store it could not yet see). */
static inline void as_changes_touch(const void *record)
{
  size_t small = (size_t)((const char *)record - as__record_spaces[0].region);
  if (__builtin_expect(small < AS_RECORD_REGION_SMALL, 1)) {
    as__changes_mark(as__record_spaces[0].dirty, small >> AS_CHANGES_SHIFT_SMALL);
    return;
  }
  size_t large = (size_t)((const char *)record - as__record_spaces[1].region);
  if (large < AS_RECORD_REGION_LARGE)
    as__changes_mark(as__record_spaces[1].dirty, large >> AS_CHANGES_SHIFT_LARGE);
}

/* A record's change bit, found once for a hook that changes the record before and after the
 * runtime's call (a CAF handler): the bit's word and mask. */
struct as_changes_ref {
  _Atomic uint64_t *word;
  uint64_t bit;
};

static inline struct as_changes_ref as_changes_ref_of(const void *record)
{
  /* A record outside both pools has no bit: a word with every bit set is never written. */
  static _Atomic uint64_t none = UINT64_MAX;
  size_t small = (size_t)((const char *)record - as__record_spaces[0].region);
  if (__builtin_expect(small < AS_RECORD_REGION_SMALL, 1)) {
    small >>= AS_CHANGES_SHIFT_SMALL;
    return (struct as_changes_ref){&as__record_spaces[0].dirty[small >> 6], 1ull << (small & 63)};
  }
  size_t large = (size_t)((const char *)record - as__record_spaces[1].region);
  if (large < AS_RECORD_REGION_LARGE) {
    large >>= AS_CHANGES_SHIFT_LARGE;
    return (struct as_changes_ref){&as__record_spaces[1].dirty[large >> 6], 1ull << (large & 63)};
  }
  return (struct as_changes_ref){&none, 1};
}

/* as_changes_touch through a ref: one load and a branch while the bit is set. */
static inline void as_changes_touch_ref(struct as_changes_ref ref)
{
  if (!(atomic_load_explicit(ref.word, memory_order_relaxed) & ref.bit))
    atomic_fetch_or_explicit(ref.word, ref.bit, memory_order_relaxed);
}

#endif
