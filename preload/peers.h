/* Who talks to whom: per actor, the messages it sent to each peer, exactly, in a small table
 * of AS_PEERS_SLOTS peers (the first distinct ones it meets) and one count for every later peer.
 * A peer is another actor, or a thread that runs no actor (the main thread, a Python thread):
 * such a thread has no table of its own, so what it sends to an actor is kept with the actor as
 * "from that thread": the first such thread in the actor's record (its spawner's first message
 * to each new actor then touches no table), any later one in the table.
 *
 * The table lives beside the record, not in it: a pointer per record block in an array per
 * record pool (the mailbox waits' scheme, mailwait.h), to a block from a lock-free pool taken
 * at the first message of the block's first actor (never malloc). The table stays with the
 * record block: as the record is freed its table is emptied and left unowned (owner 0), and
 * the next actor in the block claims it at its first message with one compare-and-swap (no
 * pool, no zeroing on the message path: a spawner's first message to each new actor is on the
 * critical path of spawn-heavy programs). The record keeps its size; an actor that sends
 * nothing costs 8 bytes of address space, touched only when a neighbour's is.
 *
 * Hot path: a load of the pointer, a scan of 8 keys (one cache line), one add to the count. A
 * slot may be counted by several threads at once (a CAF forwarder hands on a message with its
 * sender's name while the sender sends to the same peer; a CZMQ reply is counted by its reader),
 * so each slot has two counts: one only the thread running the owner adds to (a plain load and
 * store, as the record's own counters), one that any thread adds to atomically. A slot is
 * claimed with a compare-and-swap: lock-free. */
#ifndef AS_PEERS_H
#define AS_PEERS_H

#include "changes.h"
#include "registry.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define AS_PEERS_SLOTS 8
/* The pairs a copy lists at most: the record's thread sender and the table's. */
#define AS_PEERS_LISTED (AS_PEERS_SLOTS + 1)
/* A key: an actor's id (< 2^62), or an interned thread name's address tagged with one of these. */
#define AS_PEERS_TO_THREAD (1ull << 63)
#define AS_PEERS_FROM_THREAD ((1ull << 63) | (1ull << 62))
#define AS_PEERS_TAG_MASK ((1ull << 63) | (1ull << 62))

struct as_peers {
  /* The record's id: a table a former record in the same place left is not its; 0 while the
   * table waits for the next record of its block (all counts zero). */
  _Atomic uint64_t owner;
  _Atomic uint64_t key[AS_PEERS_SLOTS];   /* 0: free */
  _Atomic uint64_t count[AS_PEERS_SLOTS]; /* counted by any thread: atomic adds */
  _Atomic uint64_t mine[AS_PEERS_SLOTS];  /* by the thread running the owner: load and store */
  _Atomic uint64_t other;                 /* messages to peers past the slots (atomic adds) */
};

/* One pointer per record block of each pool; NULL until the first table is needed. */
extern struct as_peers *_Atomic *_Atomic as__peers_tables[AS_RECORD_SPACES]
    __attribute__((visibility("hidden")));

static inline struct as_peers *_Atomic *as__peers_slot(const void *record)
{
  size_t small = (size_t)((const char *)record - as__record_spaces[0].region);
  if (__builtin_expect(small < AS_RECORD_REGION_SMALL, 1)) {
    struct as_peers *_Atomic *t = atomic_load_explicit(&as__peers_tables[0], memory_order_relaxed);
    return t ? t + small / AS_RECORD_STRIDE_SMALL : NULL;
  }
  size_t large = (size_t)((const char *)record - as__record_spaces[1].region);
  struct as_peers *_Atomic *t = atomic_load_explicit(&as__peers_tables[1], memory_order_relaxed);
  return t && large < AS_RECORD_REGION_LARGE ? t + large / AS_RECORD_STRIDE_LARGE : NULL;
}

/* The actor's table, claimed or taken now if it has none (NULL when none can be had), for a
 * message to KEY (OWN: as as__peers_add's). A table taken fresh from the pool has the message
 * counted already, before other threads can see the table (no atomic claim or add): *COUNTED
 * is then set. */
struct as_peers *as__peers_take(struct as_actor *actor, uint64_t key, int own, int *counted);
static inline int as__peers_owned_by(const struct as_peers *p, const struct as_actor *actor)
{
  return atomic_load_explicit(&p->owner, memory_order_acquire) == actor->id;
}
/* This thread's name as a peer (interned; "main" for the main thread), found at its first
 * message; 0 until then. */
extern __thread uint64_t as__peers_thread __attribute__((tls_model("initial-exec")));
uint64_t as__peers_thread_fetch(void);
static inline uint64_t as__peers_thread_key(uint64_t tag)
{
  uint64_t name = as__peers_thread;
  if (__builtin_expect(name == 0, 0))
    name = as__peers_thread_fetch();
  return name ? name | tag : 0;
}

/* Counts one message of OWNER's to KEY. OWN: the caller runs on the thread running OWNER (its
 * count needs no locked add). Inline always: a call would cost more than the count. */
static inline __attribute__((always_inline)) void as__peers_add(struct as_actor *owner,
                                                                uint64_t key, int own)
{
  struct as_peers *_Atomic *slot = as__peers_slot(owner);
  struct as_peers *p = slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
  if (__builtin_expect(!p || !as__peers_owned_by(p, owner), 0)) {
    int counted = 0;
    if (!(p = as__peers_take(owner, key, own, &counted)) || counted)
      return;
  }
  for (int i = 0; i < AS_PEERS_SLOTS; i++) {
    uint64_t k = atomic_load_explicit(&p->key[i], memory_order_relaxed);
    /* Claim a free slot; on a lost race k holds the winner's peer, maybe this one. */
    if (k == 0 && atomic_compare_exchange_strong_explicit(&p->key[i], &k, key, memory_order_relaxed,
                                                          memory_order_relaxed))
      k = key;
    if (k == key) {
      if (own)
        as_counter_bump(&p->mine[i], 1);
      else
        atomic_fetch_add_explicit(&p->count[i], 1, memory_order_relaxed);
      return;
    }
  }
  atomic_fetch_add_explicit(&p->other, 1, memory_order_relaxed);
}

/* One message to TO from this thread (KEY), which runs no actor: in TO's record if this thread
 * is the first such to send to it (the claim counts its first message: one locked instruction
 * for a spawner's first message to a new actor), else in its table. */
static inline __attribute__((always_inline)) void as__peers_add_from_thread(struct as_actor *to,
                                                                            uint64_t key)
{
  uint64_t held = atomic_load_explicit(&to->thread_sender, memory_order_relaxed);
  if (held == 0 && atomic_compare_exchange_strong_explicit(
                       &to->thread_sender, &held, key, memory_order_relaxed, memory_order_relaxed))
    return;
  if (held == key)
    atomic_fetch_add_explicit(&to->thread_sent_more, 1, memory_order_relaxed);
  else
    as__peers_add(to, key, 0);
}

/* One message from FROM to TO (NULL: this thread, which runs no actor), from any thread. A
 * message to oneself is not a message between actors. The table's owner is FROM, or TO when
 * FROM is NULL: the caller sets the owner's change bit in the same hook (its enqueue, sent or
 * reply count does), so the collector's next look copies the table. */
static inline __attribute__((always_inline)) void as_peers_count(struct as_actor *from,
                                                                 struct as_actor *to)
{
  if (from == to)
    return;
  if (from && to) {
    as__peers_add(from, to->id, 0);
    return;
  }
  uint64_t key = as__peers_thread_key(from ? AS_PEERS_TO_THREAD : AS_PEERS_FROM_THREAD);
  if (!key)
    return;
  if (from)
    as__peers_add(from, key, 0);
  else
    as__peers_add_from_thread(to, key);
}

/* The same where nothing else in the hook changes FROM's record (a CAF message without a
 * sender, from the actor running here). */
static inline void as_peers_count_touch(struct as_actor *from, struct as_actor *to)
{
  if (from && from != to)
    as_changes_touch(from);
  as_peers_count(from, to);
}

/* The message path's common case: actor FROM sends to another actor TO, and the caller sets
 * FROM's change bit in the same hook (as_actor_count_sent does). OWN: this thread runs FROM. */
static inline void as_peers_count_sent(struct as_actor *from, struct as_actor *to, int own)
{
  if (own)
    as__peers_add(from, to->id, 1);
  else
    as__peers_add(from, to->id, 0);
}

/* The collector's copy of an actor's peers: up to AS_PEERS_LISTED (key, count) word pairs with
 * a count (the record's thread sender first, then the table's), into WORDS (2 *
 * AS_PEERS_LISTED), and the messages to peers past the table. Returns the pairs. */
uint32_t as_peers_copy(const struct as_actor *actor, uint64_t *words, uint64_t *other);
/* Empties the table and leaves it to the record block's next actor, as the record is freed. */
void as_peers_release(struct as_actor *actor);
/* A key's thread name (for keys with a tag), or NULL. */
static inline const char *as_peers_key_thread(uint64_t key)
{
  return key & AS_PEERS_TAG_MASK ? (const char *)(uintptr_t)(key & ~AS_PEERS_TAG_MASK) : NULL;
}
/* Tables taken (each stays with its record block; for tests and the bench). */
uint64_t as_peers_in_use(void);

#endif
