#include "recent.h"

#include <stdatomic.h>

/* 4096 slots of 32 bytes: 128 KiB of address space, touched as slots are used. */
#define RECENT_SLOTS 4096

/* A seqlock per slot: odd while a writer, which won it by compare-and-swap, fills it in. */
struct recent_slot {
  _Atomic uint64_t version;
  _Atomic uintptr_t owner;
  _Atomic uint64_t id;
  _Atomic uint64_t value;
};

static struct recent_slot recent_slots[RECENT_SLOTS];

static struct recent_slot *recent_slot_of(const void *owner, uint64_t id)
{
  /* splitmix64's finaliser: every bit of owner and id moves the slot. */
  uint64_t h = (uint64_t)(uintptr_t)owner ^ (id * 0x9e3779b97f4a7c15ull);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return &recent_slots[(h ^ (h >> 31)) & (RECENT_SLOTS - 1)];
}

void as_recent_put(const void *owner, uint64_t id, uint64_t value)
{
  struct recent_slot *s = recent_slot_of(owner, id);
  uint64_t version = atomic_load_explicit(&s->version, memory_order_relaxed);
  if ((version & 1) ||
      !atomic_compare_exchange_strong_explicit(&s->version, &version, version + 1,
                                               memory_order_acquire, memory_order_relaxed))
    return;
  atomic_thread_fence(memory_order_release);
  atomic_store_explicit(&s->owner, (uintptr_t)owner, memory_order_relaxed);
  atomic_store_explicit(&s->id, id, memory_order_relaxed);
  atomic_store_explicit(&s->value, value, memory_order_relaxed);
  atomic_store_explicit(&s->version, version + 2, memory_order_release);
}

uint64_t as_recent_get(const void *owner, uint64_t id)
{
  struct recent_slot *s = recent_slot_of(owner, id);
  uint64_t before = atomic_load_explicit(&s->version, memory_order_acquire);
  if (before & 1)
    return 0;
  uintptr_t seen_owner = atomic_load_explicit(&s->owner, memory_order_relaxed);
  uint64_t seen_id = atomic_load_explicit(&s->id, memory_order_relaxed);
  uint64_t value = atomic_load_explicit(&s->value, memory_order_relaxed);
  atomic_thread_fence(memory_order_acquire);
  if (atomic_load_explicit(&s->version, memory_order_relaxed) != before)
    return 0;
  return seen_owner == (uintptr_t)owner && seen_id == id ? value : 0;
}
