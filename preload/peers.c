#define _GNU_SOURCE
#include "peers.h"

#include "blockpool.h"
#include "format.h"
#include "intern.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

struct as_peers *_Atomic *_Atomic as__peers_tables[AS_RECORD_SPACES];
__thread uint64_t as__peers_thread __attribute__((tls_model("initial-exec")));

/* 1M tables of 208 bytes and the pool's link (address space, touched as used), one at most per
 * record block: an actor past them counts no peers. */
static struct as_blockpool peers_pool =
    AS_BLOCKPOOL_INIT_POPULATED(sizeof(struct as_peers), 224u << 20);

static const size_t peers_blocks[AS_RECORD_SPACES] = {
    AS_RECORD_REGION_SMALL / AS_RECORD_STRIDE_SMALL,
    AS_RECORD_REGION_LARGE / AS_RECORD_STRIDE_LARGE,
};

/* One pointer a record block: 32 MB and 8.6 MB of address space, touched as records are. */
static struct as_peers *_Atomic *peers_table_reserve(int space)
{
  struct as_peers *_Atomic *t =
      atomic_load_explicit(&as__peers_tables[space], memory_order_acquire);
  if (t)
    return t;
  size_t bytes = peers_blocks[space] * sizeof *t;
  void *fresh =
      mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (fresh == MAP_FAILED)
    return NULL;
  if (!atomic_compare_exchange_strong_explicit(&as__peers_tables[space], &t, fresh,
                                               memory_order_acq_rel, memory_order_acquire)) {
    munmap(fresh, bytes); /* another thread reserved it first */
    return t;
  }
  return fresh;
}

/* The first table of all: the pointer tables and the pool reserved (mmap may set errno). */
static __attribute__((noinline)) void peers_reserve(void)
{
  int saved = errno;
  for (int space = 0; space < AS_RECORD_SPACES; space++)
    if (as__record_spaces[space].region)
      peers_table_reserve(space);
  as_blockpool_reserve(&peers_pool);
  errno = saved;
}

/* The block has no table yet (or a fork child's former record holds it): one from the pool.
 * Nothing here touches errno once the pool is reserved (the pool's populating keeps it). */
static __attribute__((noinline)) struct as_peers *
peers_take_fresh(struct as_actor *actor, uint64_t key, int own, int *counted)
{
  struct as_peers *_Atomic *slot = as__peers_slot(actor);
  if (__builtin_expect(!slot || !atomic_load_explicit(&peers_pool.region, memory_order_acquire),
                       0)) {
    peers_reserve();
    slot = as__peers_slot(actor);
    if (!slot)
      return NULL;
  }
  struct as_peers *old = atomic_load_explicit(slot, memory_order_acquire);
  if (old && as__peers_owned_by(old, actor))
    return old;
  /* Zero: cut from the region, or given back by a lost race below, unused. NULL also when the
   * pool could not be reserved. */
  struct as_peers *fresh = as_blockpool_take(&peers_pool);
  if (!fresh)
    return NULL;
  atomic_store_explicit(&fresh->owner, actor->id, memory_order_relaxed);
  atomic_store_explicit(&fresh->key[0], key, memory_order_relaxed);
  atomic_store_explicit(own ? &fresh->mine[0] : &fresh->count[0], 1, memory_order_relaxed);
  /* OLD, when set, is a former record's that was never given back (a fork child's records):
   * left where it is rather than risk another thread still reading it. */
  if (atomic_compare_exchange_strong_explicit(slot, &old, fresh, memory_order_acq_rel,
                                              memory_order_acquire)) {
    *counted = 1;
    return fresh;
  }
  atomic_store_explicit(&fresh->owner, 0, memory_order_relaxed);
  atomic_store_explicit(&fresh->key[0], 0, memory_order_relaxed);
  atomic_store_explicit(own ? &fresh->mine[0] : &fresh->count[0], 0, memory_order_relaxed);
  as_blockpool_give(&peers_pool, fresh); /* another sender was first */
  return old && as__peers_owned_by(old, actor) ? old : NULL;
}

struct as_peers *as__peers_take(struct as_actor *actor, uint64_t key, int own, int *counted)
{
  /* The common case: the table a former actor of this record block left, emptied, claimed by
   * the first of its senders (another may claim it at the same moment for the same actor). */
  struct as_peers *_Atomic *slot = as__peers_slot(actor);
  struct as_peers *p = slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
  if (p) {
    uint64_t owner = 0;
    if (atomic_compare_exchange_strong_explicit(&p->owner, &owner, actor->id, memory_order_acq_rel,
                                                memory_order_acquire) ||
        owner == actor->id)
      return p;
  }
  return peers_take_fresh(actor, key, own, counted);
}

uint64_t as__peers_thread_fetch(void)
{
  int saved = errno;
  char name[17] = "main";
  if (gettid() != getpid() && prctl(PR_GET_NAME, name, 0, 0, 0) < 0)
    strcpy(name, "thread");
  name[16] = '\0';
  const char *interned = as_intern_string(name);
  as__peers_thread = (uint64_t)(uintptr_t)interned;
  errno = saved;
  return as__peers_thread;
}

uint32_t as_peers_copy(const struct as_actor *actor, uint64_t *words, uint64_t *other)
{
  *other = 0;
  uint32_t n = 0;
  uint64_t sender = atomic_load_explicit(&actor->thread_sender, memory_order_relaxed);
  if (sender) {
    words[0] = sender;
    words[1] = 1 + atomic_load_explicit(&actor->thread_sent_more, memory_order_relaxed);
    n = 1;
  }
  struct as_peers *_Atomic *slot = as__peers_slot(actor);
  const struct as_peers *p = slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
  if (!p || !as__peers_owned_by(p, actor))
    return n;
  for (int i = 0; i < AS_PEERS_SLOTS; i++) {
    uint64_t key = atomic_load_explicit(&p->key[i], memory_order_relaxed);
    /* Slots are claimed in order (as__peers_add moves on only past a claimed one): the first
     * free one ends them. A claim this read misses is one a moment later, for the next look. */
    if (key == 0)
      break;
    uint64_t count = atomic_load_explicit(&p->count[i], memory_order_relaxed) +
                     atomic_load_explicit(&p->mine[i], memory_order_relaxed);
    if (count != 0) { /* a slot claimed a moment before its first count */
      words[2 * n] = key;
      words[2 * n + 1] = count;
      n++;
    }
  }
  *other = atomic_load_explicit(&p->other, memory_order_relaxed);
  return n;
}

void as_peers_release(struct as_actor *actor)
{
  struct as_peers *_Atomic *slot = as__peers_slot(actor);
  struct as_peers *p = slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
  if (!p || !as__peers_owned_by(p, actor))
    return;
  /* Nothing counts for this actor any more (its record is being freed): emptied here, off the
   * message path, then left unowned for the next record of the block. */
  /* Slots are claimed in order and counted only once claimed (as__peers_add): past the first
   * free one all are zero already (most short-lived actors use one or two). */
  for (int i = 0; i < AS_PEERS_SLOTS && atomic_load_explicit(&p->key[i], memory_order_relaxed);
       i++) {
    atomic_store_explicit(&p->key[i], 0, memory_order_relaxed);
    atomic_store_explicit(&p->count[i], 0, memory_order_relaxed);
    atomic_store_explicit(&p->mine[i], 0, memory_order_relaxed);
  }
  atomic_store_explicit(&p->other, 0, memory_order_relaxed);
  atomic_store_explicit(&p->owner, 0, memory_order_release);
}

uint64_t as_peers_in_use(void) { return as_blockpool_in_use(&peers_pool); }
