/* Time waiting in the mailbox: from a message's enqueue to the start of the handler that takes
 * it, per actor, as a histogram in the handler times' scheme (histogram.h).
 *
 * A sender stamps the message in a table shared by the process, at a slot chosen by a key
 * that names the message while it is queued: the mailbox's enqueue sequence number where the
 * mailbox is first in, first out (CZMQ's pipe: the consumer's own receive count tells it
 * which number it takes), else the runtime's message object (CAF's mailbox element, which
 * lives until its handler is done) with its receiver's id: an object's address is reused once
 * it is freed, and a stamp never taken (a message to an actor that quit) then names a message
 * to that actor alone, which no actor receives again (ids are never reused). The consumer finds
 * its stamp by the same key, takes it and counts the wait. A slot holds one word, a tag of the key and the time in ticks, so a
 * stamp is one store and a lookup one load; a stamp overwritten by another key's (two queued
 * messages meeting in one of the 8,192 slots: never two of one first-in, first-out mailbox)
 * leaves that message not measured rather than measured wrong. Waits are counted modulo 2^44
 * ticks (about an hour at 5 GHz).
 *
 * The histogram's two words live beside the record, not in it: an array per record pool
 * indexed by the record's place in its pool (address space reserved once, touched as used),
 * so the record keeps its size. */
#ifndef AS_MAILWAIT_H
#define AS_MAILWAIT_H

#include "changes.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define AS_MAILWAIT_SLOT_BITS 13 /* 64 KB of stamps: a consumer's look-up stays in cache */
#define AS_MAILWAIT_TICK_BITS 44
#define AS_MAILWAIT_TICK_MASK ((1ull << AS_MAILWAIT_TICK_BITS) - 1)

extern _Atomic uint64_t as__mailwait_stamps[1u << AS_MAILWAIT_SLOT_BITS]
    __attribute__((visibility("hidden")));
/* ACTORSCOPE_MAILBOX_WAIT_EVERY - 1: past a mailbox's first EVERY messages, a message is timed
 * when its sequence number in its mailbox (0, 1, 2 ...) has these bits clear. */
extern uint64_t as__mailwait_mask __attribute__((visibility("hidden")));
/* log2(ACTORSCOPE_MAILBOX_WAIT_EVERY). */
extern unsigned as__mailwait_shift __attribute__((visibility("hidden")));

/* Whether the message a mailbox holds as its SEQ-th (from 0) is timed: each of its first
 * EVERY, then one in EVERY. A short burst, or an actor that takes few messages, is timed
 * whole; a busy mailbox costs one timed message in EVERY. */
static inline int as_mailwait_sampled(uint64_t seq)
{
  return seq <= as__mailwait_mask || (seq & as__mailwait_mask) == 0;
}
/* How many of a mailbox's first N messages are timed (numbers 0 .. N-1, as_mailwait_sampled):
 * a consumer that counts the stamps it took knows without a look-up whether one can be in
 * flight (modulo 2^32, as its count). */
static inline uint32_t as_mailwait_timed_of(uint64_t n)
{
  if (n <= as__mailwait_mask + 1)
    return (uint32_t)n;
  /* The first EVERY, then the multiples of EVERY from EVERY on. */
  return (uint32_t)(as__mailwait_mask + ((n + as__mailwait_mask) >> as__mailwait_shift));
}
/* Sets the sampling (a power of two, from the configuration; every message until then). */
void as_mailwait_configure(unsigned every);
unsigned as_mailwait_every(void);
/* Two histogram words per record block of each pool; NULL until reserved. */
extern _Atomic uint64_t *_Atomic as__mailwait_words[AS_RECORD_SPACES]
    __attribute__((visibility("hidden")));

#define AS_MAILWAIT_SLOT_SHIFT (64 - AS_MAILWAIT_SLOT_BITS)
/* Two odd 64-bit multipliers (MurmurHash3's finaliser, the golden ratio's): the keys' mixing. */
#define AS_MAILWAIT_MIX_A 0xff51afd7ed558ccdull
#define AS_MAILWAIT_MIX_B 0x9e3779b97f4a7c15ull

/* The key of the message a mailbox (a record's address) holds as its N-th (a sequence number):
 * its top bits pick the slot, the next 20 are the tag. A mailbox's messages take consecutive
 * slots from one its address picks, so that no two of the 8,192 it may hold queued at once
 * meet in a slot (hashed, a burst of 10 had one chance in 180 to lose a stamp); the tag is a
 * hash of both. */
static inline uint64_t as_mailwait_key(const void *mailbox, uint64_t n)
{
  uint64_t hash = ((uint64_t)(uintptr_t)mailbox ^ n * AS_MAILWAIT_MIX_A) * AS_MAILWAIT_MIX_B;
  uint64_t slot = (uint64_t)(uintptr_t)mailbox * AS_MAILWAIT_MIX_B + (n << AS_MAILWAIT_SLOT_SHIFT);
  return (slot & ~((1ull << AS_MAILWAIT_SLOT_SHIFT) - 1)) |
         (hash & ((1ull << AS_MAILWAIT_SLOT_SHIFT) - 1));
}

/* The key of a message named by an object of the runtime's that lives, at one address in the
 * process, from its enqueue until its handler is done (CAF's mailbox element), sent to the
 * actor with this id. A message whose stamp is never taken leaves it under its receiver's id,
 * where no later message at that address finds it: untimed messages need not clear their
 * address's slot. Hashed twice, so that queued messages meet in a slot as seldom as random
 * keys would (about n/16,384 of n queued timed ones): a single multiplication of the address
 * turned some allocators' strides into a few slots used (one sender's 1,000 queued messages
 * kept 546 stamps), or several senders' arenas into many shared ones. */
static inline uint64_t as_mailwait_key_object(const void *object, uint64_t receiver_id)
{
  return ((uint64_t)(uintptr_t)object * AS_MAILWAIT_MIX_B ^ receiver_id * AS_MAILWAIT_MIX_A) *
         AS_MAILWAIT_MIX_B;
}

static inline _Atomic uint64_t *as__mailwait_slot(uint64_t key)
{
  return &as__mailwait_stamps[key >> AS_MAILWAIT_SLOT_SHIFT];
}

static inline uint64_t as__mailwait_tag(uint64_t key)
{
  /* Never 0, so a stamp is never an empty slot. */
  uint64_t tag = key >> (AS_MAILWAIT_SLOT_SHIFT - (64 - AS_MAILWAIT_TICK_BITS));
  return ((tag & ((1ull << (64 - AS_MAILWAIT_TICK_BITS)) - 1)) | 1) << AS_MAILWAIT_TICK_BITS;
}

/* The message with this key was put into its mailbox now (the sender, before the real
 * enqueue, so the consumer cannot look before the stamp is there). */
static inline void as_mailwait_stamp(uint64_t key, uint64_t now)
{
  atomic_store_explicit(as__mailwait_slot(key),
                        as__mailwait_tag(key) | (now & AS_MAILWAIT_TICK_MASK),
                        memory_order_relaxed);
}

/* The word in the slot of the message with this key if it is the message's stamp, else 0 (it
 * carries none: stamped before tracing began, or its slot was taken by another message). */
static inline uint64_t as_mailwait_stamp_of(uint64_t key)
{
  uint64_t word = atomic_load_explicit(as__mailwait_slot(key), memory_order_relaxed);
  return (word & ~AS_MAILWAIT_TICK_MASK) == as__mailwait_tag(key) ? word : 0;
}

/* Ticks from a stamp (as_mailwait_stamp_of) to now. */
static inline uint64_t as_mailwait_since(uint64_t stamp, uint64_t now)
{
  return (now - stamp) & AS_MAILWAIT_TICK_MASK;
}

/* How long the message with this key waited until now, in ticks; -1 when it carries no stamp.
 * Leaves the stamp: as_mailwait_take ends it once the message is really handled. */
static inline int64_t as_mailwait_peek(uint64_t key, uint64_t now)
{
  uint64_t stamp = as_mailwait_stamp_of(key);
  return stamp ? (int64_t)as_mailwait_since(stamp, now) : -1;
}

/* Frees the message's slot if it still holds STAMP (from as_mailwait_stamp_of): a stale stamp
 * could otherwise meet a later message with the same key (an object's address is reused). */
static inline void as_mailwait_take_stamp(uint64_t key, uint64_t stamp)
{
  _Atomic uint64_t *slot = as__mailwait_slot(key);
  if (atomic_load_explicit(slot, memory_order_relaxed) == stamp)
    atomic_store_explicit(slot, 0, memory_order_relaxed);
}

/* The same for whatever stamp of this key the slot holds. Leaves a newer message's alone. */
static inline void as_mailwait_take(uint64_t key)
{
  uint64_t stamp = as_mailwait_stamp_of(key);
  if (stamp)
    atomic_store_explicit(as__mailwait_slot(key), 0, memory_order_relaxed);
}

/* The record's two histogram words (the scheme of as_actor.handler_histogram), NULL when the
 * array could not be reserved. */
static inline _Atomic uint64_t *as_mailwait_words(const void *record)
{
  size_t small = (size_t)((const char *)record - as__record_spaces[0].region);
  if (__builtin_expect(small < AS_RECORD_REGION_SMALL, 1)) {
    _Atomic uint64_t *w = atomic_load_explicit(&as__mailwait_words[0], memory_order_relaxed);
    return w ? w + small / AS_RECORD_STRIDE_SMALL * 2 : NULL;
  }
  size_t large = (size_t)((const char *)record - as__record_spaces[1].region);
  _Atomic uint64_t *w = atomic_load_explicit(&as__mailwait_words[1], memory_order_relaxed);
  return w && large < AS_RECORD_REGION_LARGE ? w + large / AS_RECORD_STRIDE_LARGE * 2 : NULL;
}

/* Reserves the arrays of histogram words (idempotent; not on the hot path). 0 or -ENOMEM. */
int as_mailwait_reserve(void);

#endif
