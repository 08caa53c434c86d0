/* One record per actor, whatever its runtime, and what it points at (names, origins, tally and
 * histogram blocks, relations): the layout the hooks' inline calls (actor_hot.h) and the
 * collector (registry_view.h) both read. Changed only through the registry (registry.h). */
#ifndef AS_RECORD_H
#define AS_RECORD_H

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
#define AS_CHANNEL_WORDS                                                                           \
  6 /* kind, endpoint, received, sent, depth, max: in the collection's pool */

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
  /* An actor's name, and whether it is the runtime's own, are known only once it leaves
   * AS_STATUS_STARTING (CAF: its record is made by a base class's constructor, its class is
   * final at launch): lines leave such a starting actor out until then, for at most
   * AS_REGISTRY_NAMING_WAIT_MS (docs/internals.md, "Naming"). */
  int named_once_running;
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

/* The block word 0 points to, or NULL while the words hold the slots (or nothing). */
static inline struct as_histogram_block *as_histogram_word_block(uint64_t w0)
{
  return w0 && !(w0 & 1) ? (struct as_histogram_block *)(uintptr_t)w0 : NULL;
}
/* An inline slot (not empty) as a sparse word: bucket << AS_TALLY_COUNT_BITS | count. */
static inline uint64_t as_histogram_slot_word(uint64_t slot)
{
  return ((slot >> AS_HISTOGRAM_SLOT_COUNT_BITS) - 1) << AS_TALLY_COUNT_BITS |
         (slot & ((1u << AS_HISTOGRAM_SLOT_COUNT_BITS) - 1));
}

/* What few actors use, in a block taken from a pool at the first use (on the hot path too:
 * never malloc) rather than in every record: a CZMQ actor's replies to its parent, a blocked
 * wait, links and monitors. The pool holds one block for every record the record pools can
 * hold, so a record always gets its block and these counts stay exact. Given back with the
 * record. */
struct as_actor_side {
  /* Written by the actor's thread (replies) and its parent's (replies_taken). */
  _Atomic uint64_t replies;
  _Atomic uint64_t replies_taken;
  /* Written by the actor's own thread. */
  _Atomic uint64_t wait_target;
  _Atomic uint64_t wait_since;
  _Atomic uint32_t wait_seq; /* bumped at every wait start: tells a steady wait from a new one */
  _Atomic uint8_t wait_kind;
  struct as_relations *relations; /* NULL until the first link or monitor; registry lock */
};

/* One record per actor, 232 bytes: with 8 bytes of a runtime's own state and the pool's link it
 * takes a 248-byte block, so 100k actors take 24.8 MB. Counters that cannot reach 2^32
 * (exceptions, a mailbox's high-water mark) are 32-bit, small fields one byte; what few actors
 * use is in the side block (as_actor_side); the runtime's state, if any, follows the record in
 * the same allocation. */
struct as_actor {
  /* Identity: written before the record is published, read-only afterwards. */
  uint64_t id;
  uint64_t parent_id;                       /* 0 = spawned outside any actor */
  const struct as_actor_name *_Atomic name; /* interned; NULL until the runtime names it */
  const struct as_origin *origin; /* interned; NULL when neither code nor stack is known */
  uint64_t spawned_at;
  uint64_t runtime_id; /* the runtime's own id, 0 when it has none */
  _Atomic uint64_t stopped_at;
  const char *stop_reason; /* interned; written before status turns STOPPED */

  /* Written by senders (a locked add: any thread may send). */
  _Atomic uint64_t enqueued;
  /* The first thread that runs no actor to send to it (its peers key, claimed once, with its
   * first message) and its messages after that: counted here, in a line its sender writes
   * anyway, rather than in a peers table (peers.h), whose lines a spawner's first message to
   * each new actor would fetch from the collector's core. */
  _Atomic uint64_t thread_sender;
  _Atomic uint64_t thread_sent_more;

  /* Written by the actor's own thread. */
  /* Messages its handlers sent to itself, on its thread: a plain load and store, where a
   * locked add costs a self-sent message some 2-3 % of its time (docs/performance.md). The
   * mailbox's count is both (as_actor_enqueued). */
  _Atomic uint64_t enqueued_own;
  _Atomic uint64_t received;
  _Atomic uint64_t sent;
  _Atomic uint64_t handled;
  _Atomic uint64_t handling_since;
  _Atomic uint64_t handler_ticks_total;
  _Atomic uint64_t handler_ticks_max;
  _Atomic uint64_t handler_histogram[2]; /* see AS_HISTOGRAM_INLINE_SLOTS */
  /* Per slot: the type id in the top 16 bits, its count in the low 48 (0 = free slot). */
  _Atomic uint64_t type_tally[AS_ACTOR_TYPE_SLOTS_INLINE];
  struct as_tally_more *_Atomic type_tally_more; /* from the tally pool once the above are full */
  struct as_actor_side *_Atomic side;            /* NULL until first needed (as_actor_side) */

  _Atomic uint32_t mailbox_max; /* by senders; saturates */
  _Atomic uint32_t exceptions;
  _Atomic uint32_t handler_tid; /* the thread running the handler in progress (stuck stacks) */
  uint8_t runtime;              /* index into the registry's runtimes */
  uint8_t runtime_scope;        /* where runtime_id is unique (e.g. CAF's actor system), 0 = none */
  _Atomic uint8_t status;       /* enum as_status */
  _Atomic uint8_t probing;      /* the runtime object may be sampled (as_runtime.probe_refs) */
  _Atomic uint8_t refs;         /* the registry's and the spawner's */
  _Atomic uint16_t handling_type; /* type ids fit 16 bits (typetab.h) */
  /* Stamped messages (mailwait.h) whose stamp the actor's thread took or gave up on, modulo
   * 2^32: with the count of stamped messages, known from `enqueued`, it tells the consumer
   * whether a stamp can be in flight, so that most messages skip the look-up. Only the actor's
   * thread reads or writes it; the collector never does. */
  uint32_t mailwait_taken;
};
_Static_assert(AS_TYPETAB_CAPACITY <= 0xffff, "handling_type holds a type id");
_Static_assert(sizeof(struct as_actor) <= 232, "a record and 8 bytes must fit a 248-byte block");
_Static_assert(sizeof(struct as_actor) % 8 == 0, "the runtime's state after it stays aligned");

struct as_spawn {
  const struct as_runtime *runtime; /* static: records point at it */
  const char *name;                 /* optional explicit name */
  const void *name_addr;            /* optional: code address whose symbol names the actor */
  struct as_actor *parent;          /* NULL = spawned outside any actor */
  unsigned stack_depth;             /* spawn-site frames to capture */
  uint64_t runtime_id;              /* optional */
  uint8_t runtime_scope;            /* optional */
  int probe;              /* whether runtime->probe_refs may read this actor from now on */
  uint32_t private_bytes; /* zeroed bytes for the runtime after the record */
};

/* The runtime's own state after the record (as_spawn.private_bytes), and back. */
static inline void *as_actor_private(struct as_actor *actor) { return actor + 1; }
static inline const void *as_actor_private_const(const struct as_actor *actor) { return actor + 1; }
static inline struct as_actor *as_actor_of_private(void *state)
{
  return (struct as_actor *)state - 1;
}

#endif
