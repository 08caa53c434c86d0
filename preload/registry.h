/* The monitor registry: one record per actor, whatever its runtime. Hooks translate runtime
 * events into the calls below; the collector copies records into views for snapshots.
 *
 * Hot-path calls (enqueue, receive, handler, wait) touch only the actor's own relaxed atomics:
 * no lock, no allocation. Spawn and reap take the registry lock. */
#ifndef AS_REGISTRY_H
#define AS_REGISTRY_H

#include "changes.h"
#include "format.h"
#include "clock.h"
#include "histogram.h"
#include "mailwait.h"
#include "typetab.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define AS_ACTOR_REASON_MAX 48 /* longest stop reason kept */
/* Distinct message types tallied per actor: a few in the record, the rest in a block taken
 * from a pool when needed (as_tally_more); further types count under "<other>". */
#define AS_ACTOR_TYPE_SLOTS_INLINE 4
#define AS_TALLY_MORE_SLOTS 12
#define AS_ACTOR_TYPE_SLOTS (AS_ACTOR_TYPE_SLOTS_INLINE + AS_TALLY_MORE_SLOTS)
#define AS_TALLY_COUNT_BITS 48
#define AS_TALLY_COUNT_MASK ((1ull << AS_TALLY_COUNT_BITS) - 1)
_Static_assert(AS_TYPETAB_CAPACITY < (1u << (64 - AS_TALLY_COUNT_BITS)),
               "type ids must fit the tally's 16 bits");

struct as_actor;

/* An actor's name as the runtime gave it, interned: what a person reads, the longer name it
 * shortens (e.g. a class template's full name), and whether the actor is the runtime's own. */
struct as_actor_name {
  const char *full; /* interned; NULL when text is not shortened */
  uint32_t internal;
  char text[];
};

/* What the registry knows of a runtime: its name and, optionally, how to read an actor's
 * reference counts from the runtime's object (returns 0 or -ENOENT). */
/* A way into or out of an actor besides its mailbox (e.g. a CZMQ actor's other sockets), as
 * the runtime reports it for a snapshot. */
struct as_channel {
  const char *kind;     /* static or interned */
  const char *endpoint; /* interned; NULL when unknown */
  uint64_t received, sent;
  int64_t depth; /* messages waiting in it, -1 when unknown */
  int64_t max;   /* the highest depth it had, -1 when unknown */
};
#define AS_CHANNELS_MAX 16
#define AS_CHANNEL_WORDS 6 /* kind, endpoint, received, sent, depth, max: in the collection's pool */

struct as_runtime {
  const char *name;
  int (*probe_refs)(const struct as_actor *actor, uint64_t *strong, uint64_t *weak);
  /* An actor with neither a symbol nor a name is named after the function that spawned it
   * ("<task in CALLER>"): its code is a task the spawner handed over. */
  int unnamed_after_spawner;
  /* Optional: the actor's channels, from the runtime's state after the record (called by the
   * collector, under the registry lock; it must only read). Returns how many. */
  size_t (*channels)(const struct as_actor *actor, struct as_channel *out, size_t max);
  /* Optional: called once, as the record is freed, to give back what the runtime's state
   * after it holds (e.g. a block taken from a pool). */
  void (*release)(struct as_actor *actor);
  /* Its actors existed before the library was attached to the running process: seen from
   * then on only (a runtime registers such actors under a second as_runtime of the same name). */
  int attached_late;
};

/* Where an actor comes from, interned: actors spawned by the same code from the same place
 * share it. */
struct as_origin {
  const void *name_addr; /* code whose symbol names the actor, resolved by the collector */
  uint32_t count;        /* spawning call stack, innermost first */
  void *frames[];
};

/* Message-type slots past the record's, taken on the hot path from a pool (never malloc). */
struct as_tally_more {
  _Atomic uint64_t slots[AS_TALLY_MORE_SLOTS]; /* as the record's type_tally */
  _Atomic uint64_t other;                      /* messages of types beyond every slot */
};

/* Links and monitors, allocated at an actor's first (most actors have none). */
struct as_relations {
  uint64_t *links;    /* ids of linked actors (links are symmetric) */
  uint64_t *monitors; /* ids of actors this one monitors */
  uint32_t link_count, link_capacity, monitor_count, monitor_capacity;
};

/* A busy actor's handler-time histogram (histogram.h), from a pool: counts by bucket, and a bit
 * per bucket ever counted, so the collector reads only those. Written by the actor's thread. */
struct as_histogram_block {
  _Atomic uint64_t used[(AS_HISTOGRAM_BUCKETS + 63) / 64];
  _Atomic uint64_t counts[AS_HISTOGRAM_BUCKETS];
};
/* The record's two histogram words: while an actor has finished few handlers they hold them
 * exactly, 8 slots of 15 bits (bucket + 1 in the top 9, count in the low 6) at bit 1 + 15 * (i %
 * 4) of word i / 4, bit 0 of word 0 set; once a slot would overflow or a 9th bucket is needed,
 * word 0 points to an as_histogram_block holding them all (bit 0 clear). */
#define AS_HISTOGRAM_INLINE_SLOTS 8
#define AS_HISTOGRAM_SLOT_BITS 15
#define AS_HISTOGRAM_SLOT_COUNT_BITS 6

/* One record per actor, 240 bytes: with 8 bytes of a runtime's own state and the pool's link it
 * takes 256 bytes, so 100k actors take 25.6 MB. Counters that cannot reach 2^32 (exceptions, a
 * mailbox's high-water mark) are 32-bit, small fields one byte; the runtime's state, if any,
 * follows the record in the same allocation. */
struct as_actor {
  /* Identity: written before the record is published, read-only afterwards. */
  uint64_t id;
  uint64_t parent_id;             /* 0 = spawned outside any actor */
  const struct as_actor_name *_Atomic name; /* interned; NULL until the runtime names it */
  const struct as_origin *origin; /* interned; NULL when neither code nor stack is known */
  uint64_t spawned_at;
  uint64_t runtime_id; /* the runtime's own id, 0 when it has none */
  _Atomic uint64_t stopped_at;
  const char *stop_reason; /* interned; written before status turns STOPPED */

  /* Written by senders. */
  _Atomic uint64_t enqueued;
  _Atomic uint64_t replies_taken;

  /* Written by the actor's own thread. */
  _Atomic uint64_t received;
  _Atomic uint64_t sent;
  _Atomic uint64_t replies;
  _Atomic uint64_t handled;
  _Atomic uint64_t handling_since;
  _Atomic uint64_t handler_ticks_total;
  _Atomic uint64_t handler_ticks_max;
  _Atomic uint64_t handler_histogram[2]; /* see AS_HISTOGRAM_INLINE_SLOTS */
  _Atomic uint64_t wait_target;
  _Atomic uint64_t wait_since;
  /* Per slot: the type id in the top 16 bits, its count in the low 48 (0 = free slot). */
  _Atomic uint64_t type_tally[AS_ACTOR_TYPE_SLOTS_INLINE];
  struct as_tally_more *_Atomic type_tally_more; /* from the tally pool once the above are full */

  struct as_relations *relations; /* NULL until the first link or monitor; registry lock */

  _Atomic uint32_t mailbox_max; /* by senders; saturates */
  _Atomic uint32_t exceptions;
  _Atomic uint32_t handler_tid; /* the thread running the handler in progress (stuck stacks) */
  _Atomic uint32_t wait_seq; /* bumped at every wait start: tells a steady wait from a new one */
  uint8_t runtime;           /* index into the registry's runtimes */
  uint8_t runtime_scope;     /* where runtime_id is unique (e.g. CAF's actor system), 0 = none */
  _Atomic uint8_t status;    /* enum as_status */
  _Atomic uint8_t probing;   /* the runtime object may be sampled (as_runtime.probe_refs) */
  _Atomic uint8_t wait_kind;
  _Atomic uint8_t refs;      /* the registry's and the spawner's */
  _Atomic uint16_t handling_type; /* type ids fit 16 bits (typetab.h) */
};
_Static_assert(AS_TYPETAB_CAPACITY <= 0xffff, "handling_type holds a type id");
_Static_assert(sizeof(struct as_actor) <= 240, "a record and 8 bytes must fit a 256-byte block");
_Static_assert(sizeof(struct as_actor) % 8 == 0, "the runtime's state after it stays aligned");

struct as_spawn {
  const struct as_runtime *runtime; /* static: records point at it */
  const char *name;        /* optional explicit name */
  const void *name_addr;   /* optional: code address whose symbol names the actor */
  struct as_actor *parent; /* NULL = spawned outside any actor */
  unsigned stack_depth;    /* spawn-site frames to capture */
  uint64_t runtime_id;     /* optional */
  uint8_t runtime_scope;   /* optional */
  int probe;               /* whether runtime->probe_refs may read this actor from now on */
  uint32_t private_bytes;  /* zeroed bytes for the runtime after the record */
};

/* The runtime's own state after the record (as_spawn.private_bytes), and back. */
static inline void *as_actor_private(struct as_actor *actor) { return actor + 1; }
static inline const void *as_actor_private_const(const struct as_actor *actor)
{
  return actor + 1;
}
static inline struct as_actor *as_actor_of_private(void *state)
{
  return (struct as_actor *)state - 1;
}

/* Creates a record the collector cannot see yet: the runtime fills its private bytes (all the
 * collector may read through as_runtime.probe_refs), then publishes it. NULL on ENOMEM. */
struct as_actor *as_registry_prepare(const struct as_spawn *spawn);
/* Makes a prepared record visible to the collector and gives it its id. Returns 0, or -ENOMEM
 * after freeing the record. The caller holds one reference (release it with as_actor_release);
 * the registry keeps its own until the actor is reaped. */
int as_registry_publish(struct as_actor *actor);
/* as_registry_prepare then as_registry_publish, for a runtime with nothing to fill in. */
struct as_actor *as_registry_spawn(const struct as_spawn *spawn);
/* Whether p is the start of a record block (published or not, live or given back): such a
 * pointer is always safe to read. For a runtime that finds a pointer of unknown origin where it
 * keeps its record's (attach mode). */
int as_registry_owns_record(const void *p);
/* Actors left untraced for lack of memory: the failed prepares and publishes, plus those a
 * runtime's hooks report (as_registry_count_untraced) when their own state cannot be had. */
void as_registry_count_untraced(void);
uint64_t as_registry_untraced_count(void);
void as_actor_release(struct as_actor *actor);
/* One more reference to a record (e.g. a runtime handle map's entry); at most 250 at once. */
void as_actor_retain(struct as_actor *actor);

void as_actor_mark_running(struct as_actor *actor);
void as_actor_mark_stopping(struct as_actor *actor);
/* reason is copied. Ends any handler and wait still open. Idempotent. */
void as_actor_mark_stopped(struct as_actor *actor, const char *reason);

/* Names an actor after spawn (a runtime may learn the name only later): a plain name (copied
 * into the intern table), or one made by as_actor_name_intern. */
void as_actor_set_name(struct as_actor *actor, const char *name);
void as_actor_set_interned_name(struct as_actor *actor, const struct as_actor_name *interned);
/* An interned name (the same pointer for the same three values); NULL on ENOMEM. full: the
 * runtime's own longer name when text shortens it (NULL or equal to text: none); internal:
 * the runtime made this actor for its own use. */
const struct as_actor_name *as_actor_name_intern(const char *text, const char *full, int internal);
/* Links (symmetric) and monitors (a watches b), by record. Not for the hot path. */
void as_registry_link(struct as_actor *a, struct as_actor *b);
void as_registry_unlink(struct as_actor *a, struct as_actor *b);
void as_registry_monitor(struct as_actor *watcher, struct as_actor *watched);
/* Stops the collector sampling reference counts (set at spawn, as_spawn.probe): call it
 * before the runtime object goes away; it waits for a sample in progress. */
void as_actor_probe_forget(struct as_actor *actor);

/* The actor whose code runs on this thread, or NULL. */
struct as_actor *as_registry_current(void);
void as_registry_current_set(struct as_actor *actor);

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

static inline void as_actor_mailbox_max_update(struct as_actor *a, uint64_t queued)
{
  uint64_t taken = atomic_load_explicit(&a->received, memory_order_relaxed);
  uint64_t depth = queued > taken ? queued - taken : 0;
  uint32_t len = depth < UINT32_MAX ? (uint32_t)depth : UINT32_MAX;
  uint32_t max = atomic_load_explicit(&a->mailbox_max, memory_order_relaxed);
  while (len > max &&
         !atomic_compare_exchange_weak_explicit(&a->mailbox_max, &max, len, memory_order_relaxed,
                                                memory_order_relaxed))
    ;
}

/* A message was put into the actor's mailbox (call before the real send so that a fast
 * receiver never sees a negative depth; undo if the send fails). From any thread. */
/* Returns the message's sequence number in the mailbox (0, 1, 2 ...). */
static inline uint64_t as_actor_enqueue(struct as_actor *a)
{
  as_changes_touch(a);
  uint64_t seq = atomic_fetch_add_explicit(&a->enqueued, 1, memory_order_relaxed);
  as_actor_mailbox_max_update(a, seq + 1);
  return seq;
}

/* The same where one thread at a time sends to this actor (a CZMQ pipe end is a zmq socket,
 * which only one thread may use at a time). */
static inline void as_actor_enqueue_exclusive(struct as_actor *a)
{
  as_changes_touch(a);
  as_counter_bump(&a->enqueued, 1);
  as_actor_mailbox_max_update(a, atomic_load_explicit(&a->enqueued, memory_order_relaxed));
}

static inline void as_actor_enqueue_undo(struct as_actor *a)
{
  as_changes_touch(a);
  atomic_fetch_sub_explicit(&a->enqueued, 1, memory_order_relaxed);
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
static inline int as__tally_slots(_Atomic uint64_t *slots, int count, uint32_t type, int shared)
{
  uint64_t claimed = ((uint64_t)type << AS_TALLY_COUNT_BITS) | 1;
  for (int i = 0; i < count; i++) {
    uint64_t word = atomic_load_explicit(&slots[i], memory_order_relaxed);
    /* Claim a free slot; another thread may claim it first with the same or another type. */
    if (word == 0 &&
        (shared ? atomic_compare_exchange_strong_explicit(&slots[i], &word, claimed,
                                                          memory_order_relaxed, memory_order_relaxed)
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

static inline void as__actor_tally_type(struct as_actor *actor, uint32_t type, int shared)
{
  as_changes_touch(actor);
  if (type != AS_TYPE_NONE &&
      !as__tally_slots(actor->type_tally, AS_ACTOR_TYPE_SLOTS_INLINE, type, shared))
    as__actor_tally_more(actor, type, shared);
}

static inline void as__actor_tally(struct as_actor *actor, uint32_t type, int shared)
{
  as__counter_bump_maybe_shared(&actor->received, 1, shared);
  as__actor_tally_type(actor, type, shared);
}

/* The actor's thread took a message of this type from elsewhere than its mailbox (a CZMQ
 * actor's other socket): tallied by type, not counted in messages_received (the mailbox's). */
static inline void as_actor_count_type(struct as_actor *actor, uint32_t type)
{
  as__actor_tally_type(actor, type, 0);
}

/* The actor took a message of this type from its mailbox. Called from the thread running the
 * actor (one thread at a time, the runtime's hand-over ordering successive threads), as are the
 * handler calls below: its own counters take a plain load and store, no locked instruction. */
static inline void as_actor_receive(struct as_actor *actor, uint32_t type)
{
  as__actor_tally(actor, type, 0);
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

static inline void as_actor_handler_begin(struct as_actor *actor, uint32_t type, uint64_t now)
{
  as_changes_touch(actor);
  atomic_store_explicit(&actor->handler_tid, as_registry_thread_tid(), memory_order_relaxed);
  atomic_store_explicit(&actor->handling_since, now, memory_order_relaxed);
  atomic_store_explicit(&actor->handling_type, (uint16_t)type, memory_order_release);
}

/* ---- counters and state a hook changes or reads (inline: one load and store each) ---------- */

/* Something the runtime reports about the actor changed outside its record (e.g. a count in
 * its channels, as_runtime.channels): the next snapshot copies the actor. */
static inline void as_actor_touch(const struct as_actor *actor) { as_changes_touch(actor); }

/* The actor sent a message to another actor: from its own thread, or (shared) from any. */
static inline void as_actor_count_sent(struct as_actor *actor)
{
  as_changes_touch(actor);
  as_counter_bump(&actor->sent, 1);
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
/* The actor sent a reply to its parent over their pipe (undo: the send failed), and the parent
 * took one: pending replies = sent - taken. From the one thread using each end. */
static inline void as_actor_reply_sent(struct as_actor *actor)
{
  as_changes_touch(actor);
  as_counter_bump(&actor->replies, 1);
}
static inline void as_actor_reply_sent_undo(struct as_actor *actor)
{
  as_changes_touch(actor);
  as_counter_bump(&actor->replies, -1);
}
static inline void as_actor_reply_taken(struct as_actor *actor)
{
  as_changes_touch(actor);
  as_counter_bump(&actor->replies_taken, 1);
}
static inline int as_actor_replies_pending(const struct as_actor *actor)
{
  return atomic_load_explicit(&actor->replies, memory_order_relaxed) >
         atomic_load_explicit(&actor->replies_taken, memory_order_relaxed);
}
static inline uint64_t as_actor_id(const struct as_actor *actor) { return actor->id; }
/* Messages ever put into / taken from the actor's mailbox: a first-in, first-out mailbox's
 * sequence numbers (mailwait.h). */
static inline uint64_t as_actor_enqueued(const struct as_actor *actor)
{
  return atomic_load_explicit(&actor->enqueued, memory_order_relaxed);
}
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
  return atomic_load_explicit(&actor->wait_target, memory_order_relaxed);
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
static inline void as__histogram_words_add(_Atomic uint64_t *words, uint64_t ticks)
{
  unsigned bucket = as_histogram_bucket(ticks);
  uint64_t word = atomic_load_explicit(&words[0], memory_order_relaxed);
  if (__builtin_expect(word != 0 && !(word & 1), 1)) {
    struct as_histogram_block *block = (struct as_histogram_block *)(uintptr_t)word;
    uint64_t count = atomic_load_explicit(&block->counts[bucket], memory_order_relaxed);
    if (__builtin_expect(count == 0, 0))
      atomic_store_explicit(&block->used[bucket / 64],
                            atomic_load_explicit(&block->used[bucket / 64], memory_order_relaxed) |
                                1ull << (bucket % 64),
                            memory_order_relaxed);
    atomic_store_explicit(&block->counts[bucket], count + 1, memory_order_relaxed);
    return;
  }
  as__histogram_words_add_slow(words, bucket);
}

/* One more finished handler of this many ticks in the actor's histogram. */
static inline void as_actor_histogram_add(struct as_actor *actor, uint64_t ticks)
{
  as__histogram_words_add(actor->handler_histogram, ticks);
}

/* The actor's handler for a message begins after it waited this many ticks in the mailbox
 * (mailwait.h): its wait histogram, beside the record. From the actor's thread. */
static inline void as_actor_mailbox_wait_add(struct as_actor *actor, uint64_t ticks)
{
  _Atomic uint64_t *words = as_mailwait_words(actor);
  if (__builtin_expect(words != NULL, 1))
    as__histogram_words_add(words, ticks);
}

/* Ends the handler in progress, if any. */
static inline void as_actor_handler_end(struct as_actor *actor, uint64_t now)
{
  if (atomic_load_explicit(&actor->handling_type, memory_order_relaxed) == AS_TYPE_NONE)
    return;
  as_changes_touch(actor);
  atomic_store_explicit(&actor->handling_type, AS_TYPE_NONE, memory_order_relaxed);
  uint64_t since = atomic_load_explicit(&actor->handling_since, memory_order_relaxed);
  uint64_t elapsed = now > since ? now - since : 0;
  as_counter_bump(&actor->handled, 1);
  as_counter_bump(&actor->handler_ticks_total, (int64_t)elapsed);
  as_actor_histogram_add(actor, elapsed);
  if (elapsed > atomic_load_explicit(&actor->handler_ticks_max, memory_order_relaxed))
    atomic_store_explicit(&actor->handler_ticks_max, elapsed, memory_order_relaxed);
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

/* A plain copy of one record, taken by the collector. */
struct as_actor_view {
  uint64_t id, parent_id;
  const char *runtime; /* its name */
  const void *name_addr;
  const char *name; /* NULL when unnamed */
  const char *full_name; /* the runtime's longer name when `name` shortens it, else NULL */
  int internal;          /* the runtime made the actor for its own use */
  int unnamed_after_spawner; /* as_runtime.unnamed_after_spawner */
  int attached_late;         /* as_runtime.attached_late */
  uint64_t spawned_at;
  void *const *spawn_frames;
  uint32_t spawn_frame_count;
  /* Handler-time histogram: histogram_count words (bucket << 48 | count), by bucket, in the
   * collection's id pool right after the channels (as_view_histogram_words). */
  uint32_t histogram_count;
  uint64_t runtime_id;
  uint32_t runtime_scope;
  int has_refs;
  uint64_t strong_refs, weak_refs;
  /* Offsets into the collection's id pool. */
  size_t links_at, monitors_at;
  uint32_t link_count, monitor_count;
  int status;
  uint64_t stopped_at;
  const char *stop_reason; /* "" unless stopped */
  uint64_t enqueued, received, mailbox_max, sent, replies, replies_taken, exceptions;
  uint32_t handling_type;
  uint32_t handler_tid; /* (in what was padding: 100k views stay the size they were) */
  uint64_t handling_since, handled, handler_ticks_total, handler_ticks_max;
  uint64_t wait_target, wait_since, wait_seq;
  int wait_kind;
  /* Mailbox-wait histogram (mailwait.h): wait_histogram_count words in the same form, right
   * after the handler histogram's (as_view_wait_histogram_words); in what was padding. */
  uint32_t wait_histogram_count;
  uint64_t other_types;
  /* Tallied types: type_count tally words (type id << 48 | count) at types_at in the
   * collection's id pool (as_view_type_words). */
  size_t types_at;
  uint32_t type_count;
  /* Channels (as_runtime.channels): channel_count × AS_CHANNEL_WORDS words at channels_at in
   * the collection's id pool (as_view_channel). */
  size_t channels_at;
  uint32_t channel_count;
  /* Peers (peers.h): peer_count (key, count) word pairs at peers_at in the collection's id pool,
   * then one word, the messages to later peers (as_view_peer_words). */
  uint32_t peer_count;
  size_t peers_at;
  struct as_actor *actor; /* valid until the next as_registry_collect */
  /* Listed in an earlier collection: a delta line leaves out what cannot have changed since
   * (runtime, spawn time and site, parent, runtime id). */
  int known;
};

struct as_registry_totals {
  uint64_t alive, total_spawned, total_stopped, messages_received;
  uint64_t received_all; /* messages_received and every channel's received */
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
  struct as_channel ch = {(const char *)(uintptr_t)w[0], (const char *)(uintptr_t)w[1], w[2], w[3],
                          (int64_t)w[4], (int64_t)w[5]};
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

/* For a fork child: forget the parent's actors (their threads do not exist here). */
void as_registry_reset_after_fork(void);
void as_registry_lock_for_fork(void);
void as_registry_unlock_for_fork(void);

/* Called once, at the first spawn, to start the machinery that writes snapshots. */
void as_registry_on_first_spawn(void (*callback)(void));

#endif
