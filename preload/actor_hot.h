/* The hooks' hot path: what a message, a handler or a wait changes in an actor's record.
 * Inline, relaxed atomics on the actor's own record only: no lock, no allocation (registry.h
 * says the rules). */
#ifndef AS_ACTOR_HOT_H
#define AS_ACTOR_HOT_H

#include "record.h"

#include <stdatomic.h>
#include <stdint.h>

/* The message path's helpers are folded into their hooks: a call costs more than most do.
 * The _quiet variants leave the record's change bit to their caller, which sets it once for
 * the hook (as_changes_touch_ref) after or before the stores: the collector reads a record
 * whose bit it took once more at its next look, so one touch covers a hook's stores. */
#define AS_HOT static inline __attribute__((always_inline))

static inline void as_counter_add(_Atomic uint64_t *counter, int64_t delta)
{
  atomic_fetch_add_explicit(counter, (uint64_t)delta, memory_order_relaxed);
}

/* For a counter only one thread writes at a time: a plain load and store, no locked
 * instruction. */
static inline void as_counter_bump(_Atomic uint64_t *counter, int64_t delta)
{
  atomic_store_explicit(counter,
                        atomic_load_explicit(counter, memory_order_relaxed) + (uint64_t)delta,
                        memory_order_relaxed);
}

static inline void as_counter_bump32(_Atomic uint32_t *counter, uint32_t delta)
{
  atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + delta,
                        memory_order_relaxed);
}

/* Messages ever put into the actor's mailbox, by other senders and by itself: with
 * as_actor_received, a first-in, first-out mailbox's sequence numbers (mailwait.h). */
static inline uint64_t as_actor_enqueued(const struct as_actor *actor)
{
  return atomic_load_explicit(&actor->enqueued, memory_order_relaxed) +
         atomic_load_explicit(&actor->enqueued_own, memory_order_relaxed);
}

static inline void as_actor_mailbox_max_update(struct as_actor *a, uint64_t queued)
{
  uint64_t taken = atomic_load_explicit(&a->received, memory_order_relaxed);
  uint32_t max = atomic_load_explicit(&a->mailbox_max, memory_order_relaxed);
  /* Most messages leave the high-water mark alone: one compare (counts stay below 2^63). */
  if (__builtin_expect(queued <= taken + max, 1))
    return;
  uint64_t depth = queued - taken;
  uint32_t len = depth < UINT32_MAX ? (uint32_t)depth : UINT32_MAX;
  while (len > max && !atomic_compare_exchange_weak_explicit(
                          &a->mailbox_max, &max, len, memory_order_relaxed, memory_order_relaxed))
    ;
}

/* A message was put into the actor's mailbox (call before the real send so that a fast
 * receiver never sees a negative depth; undo if the send fails). From any thread. */
/* Returns the message's sequence number among those other senders put in (0, 1, 2 ...). The
 * depth it makes counts the messages the actor sent itself too: those it took are in
 * `received`. */
static inline uint64_t as_actor_enqueue_quiet(struct as_actor *a)
{
  uint64_t seq = atomic_fetch_add_explicit(&a->enqueued, 1, memory_order_relaxed);
  as_actor_mailbox_max_update(a, seq + 1 +
                                     atomic_load_explicit(&a->enqueued_own, memory_order_relaxed));
  return seq;
}
static inline uint64_t as_actor_enqueue(struct as_actor *a)
{
  as_changes_touch(a);
  return as_actor_enqueue_quiet(a);
}

/* The same from the thread running the actor's handler (it sends itself a message): no
 * locked add. Returns the message's number among those it sent itself (0, 1, 2 ...: numbered
 * apart from the other senders', mailwait.h). */
static inline uint64_t as_actor_enqueue_own_quiet(struct as_actor *a)
{
  uint64_t seq = atomic_load_explicit(&a->enqueued_own, memory_order_relaxed);
  atomic_store_explicit(&a->enqueued_own, seq + 1, memory_order_relaxed);
  as_actor_mailbox_max_update(a,
                              atomic_load_explicit(&a->enqueued, memory_order_relaxed) + seq + 1);
  return seq;
}

/* The same where one thread at a time sends to this actor (a CZMQ pipe end is a zmq socket,
 * which only one thread may use at a time). */
static inline void as_actor_enqueue_exclusive(struct as_actor *a)
{
  as_changes_touch(a);
  as_counter_bump(&a->enqueued, 1);
  as_actor_mailbox_max_update(a, as_actor_enqueued(a));
}

static inline void as_actor_enqueue_undo(struct as_actor *a)
{
  as_changes_touch(a);
  atomic_fetch_sub_explicit(&a->enqueued, 1, memory_order_relaxed);
}

static inline void as_actor_enqueue_own_undo(struct as_actor *a)
{
  as_changes_touch(a);
  as_counter_bump(&a->enqueued_own, -1);
}

static inline void as__counter_bump_maybe_shared(_Atomic uint64_t *counter, uint64_t delta,
                                                 int shared)
{
  if (shared)
    atomic_fetch_add_explicit(counter, delta, memory_order_relaxed);
  else
    as_counter_bump(counter, (int64_t)delta);
}

/* Counts a message of this type in one of these slots; returns 0 when each holds another. */
AS_HOT int as__tally_slots(_Atomic uint64_t *slots, int count, uint32_t type, int shared)
{
  /* The common case first: the first slot holds the type (an actor's messages are mostly of
   * one type, and a type is never 0, so neither is the word). */
  uint64_t first = atomic_load_explicit(&slots[0], memory_order_relaxed);
  if (__builtin_expect(first >> AS_TALLY_COUNT_BITS == type, 1)) {
    as__counter_bump_maybe_shared(&slots[0], 1, shared);
    return 1;
  }
  uint64_t claimed = ((uint64_t)type << AS_TALLY_COUNT_BITS) | 1;
  for (int i = 0; i < count; i++) {
    uint64_t word = atomic_load_explicit(&slots[i], memory_order_relaxed);
    /* Claim a free slot; another thread may claim it first with the same or another type. */
    if (word == 0 &&
        (shared ? atomic_compare_exchange_strong_explicit(
                      &slots[i], &word, claimed, memory_order_relaxed, memory_order_relaxed)
                : (atomic_store_explicit(&slots[i], claimed, memory_order_relaxed), 1)))
      return 1;
    if (word >> AS_TALLY_COUNT_BITS == type) {
      as__counter_bump_maybe_shared(&slots[i], 1, shared);
      return 1;
    }
  }
  return 0;
}

/* The record's slots are full: the pool's block takes the type. */
void as__actor_tally_more(struct as_actor *actor, uint32_t type, int shared);

AS_HOT void as__actor_tally_type_quiet(struct as_actor *actor, uint32_t type, int shared)
{
  if (__builtin_expect(type != AS_TYPE_NONE, 1) &&
      !as__tally_slots(actor->type_tally, AS_ACTOR_TYPE_SLOTS_INLINE, type, shared))
    as__actor_tally_more(actor, type, shared);
}

static inline void as__actor_tally_type(struct as_actor *actor, uint32_t type, int shared)
{
  as_changes_touch(actor);
  as__actor_tally_type_quiet(actor, type, shared);
}

AS_HOT void as__actor_tally(struct as_actor *actor, uint32_t type, int shared)
{
  as__counter_bump_maybe_shared(&actor->received, 1, shared);
  as__actor_tally_type(actor, type, shared);
}

/* The actor's thread took a message of this type from elsewhere than its mailbox (a CZMQ
 * actor's other socket): tallied by type, not counted in messages_received (the mailbox's).
 * The caller sets the record's change bit. */
AS_HOT void as_actor_count_type_quiet(struct as_actor *actor, uint32_t type)
{
  as__actor_tally_type_quiet(actor, type, 0);
}

/* The actor took a message of this type from its mailbox. Called from the thread running the
 * actor (one thread at a time, the runtime's hand-over ordering successive threads), as are the
 * handler calls below: its own counters take a plain load and store, no locked instruction. */
static inline void as_actor_receive(struct as_actor *actor, uint32_t type)
{
  as__actor_tally(actor, type, 0);
}
AS_HOT void as_actor_receive_quiet(struct as_actor *actor, uint32_t type)
{
  as_counter_bump(&actor->received, 1);
  as__actor_tally_type_quiet(actor, type, 0);
}

/* The same, from any thread at any time (e.g. forwarders counting at enqueue). */
static inline void as_actor_receive_shared(struct as_actor *actor, uint32_t type)
{
  as__actor_tally(actor, type, 1);
}
/* Tally and histogram blocks taken and not given back (for tests). */
uint64_t as_registry_histogram_blocks_in_use(void);
/* Finished handlers left out of histograms because the histogram pool was used up. */
uint64_t as_registry_histogram_lost(void);
/* Tally blocks taken and not given back (for tests). */
uint64_t as_registry_tally_blocks_in_use(void);
/* Side blocks (as_actor_side) taken and not given back (for tests). */
uint64_t as_registry_side_blocks_in_use(void);
/* Takes back an as_actor_receive: the runtime left the message in the mailbox after all. */
void as_actor_receive_undo(struct as_actor *actor, uint32_t type);
/* This thread's kernel id, cached (initial-exec TLS; reset in a fork child). */
extern __thread uint32_t as__registry_tid __attribute__((tls_model("initial-exec")));
uint32_t as__registry_tid_fetch(void);
static inline uint32_t as_registry_thread_tid(void)
{
  uint32_t tid = as__registry_tid;
  return __builtin_expect(tid != 0, 1) ? tid : as__registry_tid_fetch();
}

AS_HOT void as_actor_handler_begin_quiet(struct as_actor *actor, uint32_t type, uint64_t now)
{
  atomic_store_explicit(&actor->handler_tid, as_registry_thread_tid(), memory_order_relaxed);
  atomic_store_explicit(&actor->handling_since, now, memory_order_relaxed);
  atomic_store_explicit(&actor->handling_type, (uint16_t)type, memory_order_release);
}
static inline void as_actor_handler_begin(struct as_actor *actor, uint32_t type, uint64_t now)
{
  as_changes_touch(actor);
  as_actor_handler_begin_quiet(actor, type, now);
}

/* ---- counters and state a hook changes or reads (inline: one load and store each) ---------- */

/* Something the runtime reports about the actor changed outside its record (e.g. a count in
 * its channels, as_runtime.channels): the next snapshot copies the actor. */
static inline void as_actor_touch(const struct as_actor *actor) { as_changes_touch(actor); }

/* The actor sent a message to another actor: from its own thread, or (shared) from any. */
static inline void as_actor_count_sent_quiet(struct as_actor *actor)
{
  as_counter_bump(&actor->sent, 1);
}
static inline void as_actor_count_sent(struct as_actor *actor)
{
  as_changes_touch(actor);
  as_actor_count_sent_quiet(actor);
}
static inline void as_actor_count_sent_shared(struct as_actor *actor)
{
  as_changes_touch(actor);
  as_counter_add(&actor->sent, 1);
}
/* An exception escaped one of the actor's handlers (or its initial behaviour). */
static inline void as_actor_count_exception(struct as_actor *actor)
{
  as_changes_touch(actor);
  as_counter_bump32(&actor->exceptions, 1);
}
/* The actor's side block (record.h), taken from its pool at the first use; NULL only if the
 * pool could not be reserved. From any thread. */
struct as_actor_side *as__actor_side_take(struct as_actor *actor);
static inline struct as_actor_side *as_actor_side(struct as_actor *actor)
{
  struct as_actor_side *side = atomic_load_explicit(&actor->side, memory_order_acquire);
  return __builtin_expect(side != NULL, 1) ? side : as__actor_side_take(actor);
}
/* The side block if the actor has one (readers: nothing there yet means all zero). */
static inline const struct as_actor_side *as_actor_side_peek(const struct as_actor *actor)
{
  return atomic_load_explicit(&((struct as_actor *)actor)->side, memory_order_acquire);
}

/* The actor sent a reply to its parent over their pipe (undo: the send failed), and the parent
 * took one: pending replies = sent - taken. From the one thread using each end. */
static inline void as_actor_reply_sent(struct as_actor *actor)
{
  as_changes_touch(actor);
  struct as_actor_side *side = as_actor_side(actor);
  if (side)
    as_counter_bump(&side->replies, 1);
}
static inline void as_actor_reply_sent_undo(struct as_actor *actor)
{
  as_changes_touch(actor);
  struct as_actor_side *side = as_actor_side(actor);
  if (side)
    as_counter_bump(&side->replies, -1);
}
/* Released: whatever the taker counted before (its peers entry) is in place when the collector
 * sees the reply taken, and with it the actor free to be reaped. */
static inline void as_actor_reply_taken(struct as_actor *actor)
{
  as_changes_touch(actor);
  struct as_actor_side *side = as_actor_side(actor);
  if (side)
    atomic_store_explicit(&side->replies_taken,
                          atomic_load_explicit(&side->replies_taken, memory_order_relaxed) + 1,
                          memory_order_release);
}
/* The pipe's owner end is closed: replies never taken leave with it, none is pending. Either
 * end's thread may call it as it closes (never on the message path): taken only grows. */
static inline void as_actor_replies_discard(struct as_actor *actor)
{
  struct as_actor_side *side = as_actor_side(actor);
  if (!side)
    return;
  as_changes_touch(actor);
  uint64_t sent = atomic_load_explicit(&side->replies, memory_order_relaxed);
  uint64_t taken = atomic_load_explicit(&side->replies_taken, memory_order_relaxed);
  while (taken < sent &&
         !atomic_compare_exchange_weak_explicit(&side->replies_taken, &taken, sent,
                                                memory_order_release, memory_order_relaxed))
    ;
}
static inline int as_actor_replies_pending(const struct as_actor *actor)
{
  const struct as_actor_side *side = as_actor_side_peek(actor);
  return side && atomic_load_explicit(&side->replies, memory_order_relaxed) >
                     atomic_load_explicit(&side->replies_taken, memory_order_relaxed);
}
static inline uint64_t as_actor_id(const struct as_actor *actor) { return actor->id; }
/* Messages ever taken from the actor's mailbox. */
static inline uint64_t as_actor_received(const struct as_actor *actor)
{
  return atomic_load_explicit(&actor->received, memory_order_relaxed);
}
static inline int as_actor_is_starting(const struct as_actor *actor)
{
  return atomic_load_explicit(&actor->status, memory_order_relaxed) == AS_STATUS_STARTING;
}
/* The id of the actor this one waits on, 0 when it waits on none. */
static inline uint64_t as_actor_waiting_on(const struct as_actor *actor)
{
  const struct as_actor_side *side = as_actor_side_peek(actor);
  return side ? atomic_load_explicit(&side->wait_target, memory_order_relaxed) : 0;
}
static inline int as_actor_is_handling(const struct as_actor *actor)
{
  return atomic_load_explicit(&actor->handling_type, memory_order_relaxed) != AS_TYPE_NONE;
}

/* The handler in progress, to be resumed after a nested one (as_actor_handler_resume). */
struct as_handler_mark {
  uint32_t type;
  uint64_t since;
};
static inline struct as_handler_mark as_actor_handler_mark(const struct as_actor *actor)
{
  struct as_handler_mark m = {atomic_load_explicit(&actor->handling_type, memory_order_relaxed),
                              atomic_load_explicit(&actor->handling_since, memory_order_relaxed)};
  return m;
}

/* Counts a time in a histogram's two words (as_actor.handler_histogram's scheme): in the
 * inline slots or a new block. */
void as__histogram_words_add_slow(_Atomic uint64_t *words, unsigned bucket);

/* One more time of this many ticks in a histogram's two words: in a busy actor's block one
 * load and store (and a second store the first time a bucket is used). Written by the actor's
 * thread alone. */
AS_HOT void as__histogram_words_add(_Atomic uint64_t *words, uint64_t ticks)
{
  unsigned bucket = as_histogram_bucket(ticks);
  uint64_t word = atomic_load_explicit(&words[0], memory_order_relaxed);
  struct as_histogram_block *block = as_histogram_word_block(word);
  if (__builtin_expect(block != NULL, 1)) {
    uint64_t count = atomic_load_explicit(&block->counts[bucket], memory_order_relaxed);
    if (__builtin_expect(count == 0, 0))
      atomic_store_explicit(&block->used[bucket / 64],
                            atomic_load_explicit(&block->used[bucket / 64], memory_order_relaxed) |
                                1ull << (bucket % 64),
                            memory_order_relaxed);
    atomic_store_explicit(&block->counts[bucket], count + 1, memory_order_relaxed);
    return;
  }
  if (word == 0) {
    /* An actor's first time (a short-lived actor's only one): inline slot 0, count 1, without
     * the call. */
    atomic_store_explicit(&words[0],
                          (uint64_t)((bucket + 1) << AS_HISTOGRAM_SLOT_COUNT_BITS | 1) << 1 | 1,
                          memory_order_release);
    return;
  }
  as__histogram_words_add_slow(words, bucket);
}

/* One more finished handler of this many ticks in the actor's histogram. */
AS_HOT void as_actor_histogram_add(struct as_actor *actor, uint64_t ticks)
{
  as__histogram_words_add(actor->handler_histogram, ticks);
}

/* A wait of this many ticks in the mailbox (mailwait.h) in the wait histogram WORDS (NULL:
 * none). From the actor's thread. */
AS_HOT void as_mailwait_words_add(_Atomic uint64_t *words, uint64_t ticks)
{
  if (__builtin_expect(words != NULL, 1))
    as__histogram_words_add(words, ticks);
}

/* The actor's handler for a message begins after it waited this many ticks in the mailbox
 * (mailwait.h): its wait histogram, beside the record. From the actor's thread. */
AS_HOT void as_actor_mailbox_wait_add(struct as_actor *actor, uint64_t ticks)
{
  as_mailwait_words_add(as_mailwait_words(actor), ticks);
}

/* The actor's wait histogram words (NULL: none), written once as they are (only the actor's
 * thread writes them), for a consumer that reads the clock ending its message's wait next and
 * adds the wait after: the first write to a page of the reserved array faults (35 us to 0.7 ms
 * measured on the 2-vCPU VM, an actor's first timed message), and that delay of the handler
 * belongs inside the wait measured, not between its end and the handler's start, where
 * it_mailwait saw a CZMQ first wait of 1.3 ms timed 0.15 ms. */
AS_HOT _Atomic uint64_t *as_actor_mailbox_wait_words_ready(struct as_actor *actor)
{
  _Atomic uint64_t *words = as_mailwait_words(actor);
  if (__builtin_expect(words != NULL, 1))
    atomic_store_explicit(&words[0], atomic_load_explicit(&words[0], memory_order_relaxed),
                          memory_order_relaxed);
  return words;
}

/* Timed messages (mailwait.h) ever put into the actor's mailbox, modulo 2^32: other senders'
 * and its own numbered apart, each numbering sampled alike. */
AS_HOT uint32_t as__actor_mailwait_timed(const struct as_actor *actor)
{
  return as_mailwait_timed_of(atomic_load_explicit(&actor->enqueued, memory_order_relaxed)) +
         as_mailwait_timed_of(atomic_load_explicit(&actor->enqueued_own, memory_order_relaxed));
}

/* Whether a timed message of the actor's (mailwait.h) may still be queued: timed ones put in
 * (known from the enqueue counts) and not yet claimed by its thread. Most messages are not
 * timed: this spares them the stamp's look-up. From the actor's thread. */
AS_HOT int as_actor_mailwait_pending(const struct as_actor *actor)
{
  return as__actor_mailwait_timed(actor) != actor->mailwait_taken;
}

/* The stamp of the message with this key (0: none), claimed (as_actor_mailwait_pending no
 * longer counts it), for an actor with timed messages pending. Call after as_actor_receive.
 * Without a stamp, the timed messages pending are at most those still queued: more means a
 * stamp was lost to another message's (mailwait.h), given up on here, so that the actor does
 * not look every message up from then on. An unclaimed stamp is never counted: at worst a
 * message goes untimed, its wait never wrong. */
static inline uint64_t as_actor_mailwait_claim(struct as_actor *actor, uint64_t key)
{
  uint64_t stamp = as_mailwait_stamp_of(key);
  if (stamp) {
    actor->mailwait_taken++;
    return stamp;
  }
  uint64_t enqueued = as_actor_enqueued(actor);
  uint64_t received = atomic_load_explicit(&actor->received, memory_order_relaxed);
  uint64_t queued = enqueued > received ? enqueued - received : 0;
  uint32_t timed = as__actor_mailwait_timed(actor);
  if ((uint32_t)(timed - actor->mailwait_taken) > queued)
    actor->mailwait_taken = timed - (uint32_t)queued;
  return 0;
}

/* The message whose stamp was claimed stays queued after all (its handler skipped it). */
static inline void as_actor_mailwait_unclaim(struct as_actor *actor) { actor->mailwait_taken--; }

/* Ends the handler in progress, if any (returns whether there was one: a handler the actor's
 * stop ended already leaves the record alone, so that a stopped actor's record stays as the
 * stop left it). */
AS_HOT int as_actor_handler_end_quiet(struct as_actor *actor, uint64_t now)
{
  if (atomic_load_explicit(&actor->handling_type, memory_order_relaxed) == AS_TYPE_NONE)
    return 0;
  atomic_store_explicit(&actor->handling_type, AS_TYPE_NONE, memory_order_relaxed);
  uint64_t since = atomic_load_explicit(&actor->handling_since, memory_order_relaxed);
  uint64_t elapsed = now > since ? now - since : 0;
  as_counter_bump(&actor->handled, 1);
  as_counter_bump(&actor->handler_ticks_total, (int64_t)elapsed);
  as_actor_histogram_add(actor, elapsed);
  if (elapsed > atomic_load_explicit(&actor->handler_ticks_max, memory_order_relaxed))
    atomic_store_explicit(&actor->handler_ticks_max, elapsed, memory_order_relaxed);
  return 1;
}
static inline void as_actor_handler_end(struct as_actor *actor, uint64_t now)
{
  if (as_actor_is_handling(actor)) {
    as_changes_touch(actor);
    as_actor_handler_end_quiet(actor, now);
  }
}
static inline void as_actor_handler_resume(struct as_actor *actor, struct as_handler_mark mark)
{
  if (mark.type != AS_TYPE_NONE)
    as_actor_handler_begin(actor, mark.type, mark.since);
}
/* Ends the handler in progress, reading the clock only when there is one. */
static inline void as_actor_handler_end_now(struct as_actor *actor)
{
  if (as_actor_is_handling(actor))
    as_actor_handler_end(actor, as_clock_now());
}
/* Forgets the handler in progress without counting it (the message was not handled). */
void as_actor_handler_cancel(struct as_actor *actor);
void as_actor_wait_begin(struct as_actor *actor, uint64_t target_id, enum as_wait_kind kind,
                         uint64_t now);
void as_actor_wait_end(struct as_actor *actor);

#endif
