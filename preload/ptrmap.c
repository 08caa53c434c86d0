#include "ptrmap.h"
#include "forklock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PTRMAP_EMPTY ((uintptr_t)0)
#define PTRMAP_TOMBSTONE ((uintptr_t)1)
#define PTRMAP_MIN_CAPACITY 64u

struct ptrmap_slot {
  _Atomic uintptr_t key;
  void *_Atomic value;
};

struct as_ptrmap_table {
  size_t mask;
  struct ptrmap_slot slots[];
};

static size_t ptrmap_hash(uintptr_t key)
{
  uint64_t h = (uint64_t)key;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return (size_t)h;
}

static struct as_ptrmap_table *ptrmap_table_new(size_t capacity)
{
  struct as_ptrmap_table *t = calloc(1, sizeof *t + capacity * sizeof t->slots[0]);
  if (t)
    t->mask = capacity - 1;
  return t;
}

static void *ptrmap_table_find(const struct as_ptrmap_table *t, uintptr_t key)
{
  for (size_t i = ptrmap_hash(key) & t->mask, n = 0; n <= t->mask; i = (i + 1) & t->mask, n++) {
    uintptr_t k = atomic_load_explicit(&t->slots[i].key, memory_order_acquire);
    if (k == key)
      return atomic_load_explicit(&t->slots[i].value, memory_order_relaxed);
    if (k == PTRMAP_EMPTY)
      return NULL;
  }
  return NULL;
}

void *as_ptrmap_get(struct as_ptrmap *map, uintptr_t key)
{
  for (;;) {
    unsigned before = atomic_load_explicit(&map->seq, memory_order_acquire);
    if (before & 1u)
      continue; /* a rebuild is copying entries; it takes microseconds */
    struct as_ptrmap_table *t = atomic_load_explicit(&map->table, memory_order_acquire);
    void *value = t ? ptrmap_table_find(t, key) : NULL;
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&map->seq, memory_order_relaxed) == before)
      return value;
  }
}

static void ptrmap_table_insert(struct as_ptrmap_table *t, uintptr_t key, void *value)
{
  size_t i = ptrmap_hash(key) & t->mask;
  while (atomic_load_explicit(&t->slots[i].key, memory_order_relaxed) > PTRMAP_TOMBSTONE)
    i = (i + 1) & t->mask;
  atomic_store_explicit(&t->slots[i].value, value, memory_order_relaxed);
  atomic_store_explicit(&t->slots[i].key, key, memory_order_release);
}

static void ptrmap_retire(struct as_ptrmap *map, struct as_ptrmap_table *t)
{
  /* Growth is geometric, so the retired tables add up to less than the live one; the array
   * only overflows past 2^48 entries. */
  if (t && map->retired_count < AS_PTRMAP_RETIRED_MAX)
    map->retired[map->retired_count++] = t;
}

/* Copies the live entries into a clean table (dropping tombstones), growing when needed. */
static int ptrmap_rebuild(struct as_ptrmap *map)
{
  struct as_ptrmap_table *old = atomic_load_explicit(&map->table, memory_order_relaxed);
  size_t old_capacity = old ? old->mask + 1 : 0;
  size_t capacity = old_capacity ? old_capacity : PTRMAP_MIN_CAPACITY;
  while ((map->live + 1) * 4 > capacity)
    capacity *= 2;

  struct as_ptrmap_table *dest = NULL;
  if (map->spare && map->spare->mask + 1 == capacity) {
    dest = map->spare;
  } else {
    dest = ptrmap_table_new(capacity);
    if (!dest)
      return -ENOMEM;
    ptrmap_retire(map, map->spare);
    map->spare = NULL;
  }

  atomic_fetch_add_explicit(&map->seq, 1, memory_order_acq_rel);
  atomic_thread_fence(memory_order_release);
  if (dest == map->spare)
    for (size_t i = 0; i <= dest->mask; i++)
      atomic_store_explicit(&dest->slots[i].key, PTRMAP_EMPTY, memory_order_relaxed);
  for (size_t i = 0; old && i <= old->mask; i++) {
    uintptr_t k = atomic_load_explicit(&old->slots[i].key, memory_order_relaxed);
    if (k > PTRMAP_TOMBSTONE)
      ptrmap_table_insert(dest, k,
                          atomic_load_explicit(&old->slots[i].value, memory_order_relaxed));
  }
  atomic_store_explicit(&map->table, dest, memory_order_release);
  atomic_fetch_add_explicit(&map->seq, 1, memory_order_release);

  if (old && old->mask + 1 == capacity) {
    map->spare = old;
  } else {
    ptrmap_retire(map, old);
    if (map->spare == dest)
      map->spare = NULL;
  }
  map->used = map->live;
  return 0;
}

int as_ptrmap_put(struct as_ptrmap *map, uintptr_t key, void *value)
{
  as_forklock_lock(&map->lock, &map->lock_listed);
  struct as_ptrmap_table *t = atomic_load_explicit(&map->table, memory_order_relaxed);
  if (t) {
    for (size_t i = ptrmap_hash(key) & t->mask, n = 0; n <= t->mask; i = (i + 1) & t->mask, n++) {
      uintptr_t k = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
      if (k == key) {
        atomic_store_explicit(&t->slots[i].value, value, memory_order_release);
        pthread_mutex_unlock(&map->lock);
        return 0;
      }
      if (k == PTRMAP_EMPTY)
        break;
    }
  }
  if (!t || (map->used + 1) * 2 > t->mask + 1) {
    if (ptrmap_rebuild(map) < 0) {
      pthread_mutex_unlock(&map->lock);
      return -ENOMEM;
    }
    t = atomic_load_explicit(&map->table, memory_order_relaxed);
  }
  ptrmap_table_insert(t, key, value);
  map->live++;
  map->used++;
  pthread_mutex_unlock(&map->lock);
  return 0;
}

void *as_ptrmap_remove(struct as_ptrmap *map, uintptr_t key)
{
  void *value = NULL;
  as_forklock_lock(&map->lock, &map->lock_listed);
  struct as_ptrmap_table *t = atomic_load_explicit(&map->table, memory_order_relaxed);
  for (size_t i = t ? ptrmap_hash(key) & t->mask : 0, n = 0; t && n <= t->mask;
       i = (i + 1) & t->mask, n++) {
    uintptr_t k = atomic_load_explicit(&t->slots[i].key, memory_order_relaxed);
    if (k == key) {
      value = atomic_load_explicit(&t->slots[i].value, memory_order_relaxed);
      atomic_store_explicit(&t->slots[i].key, PTRMAP_TOMBSTONE, memory_order_release);
      atomic_fetch_add_explicit(&map->removals, 1, memory_order_release);
      map->live--;
      break;
    }
    if (k == PTRMAP_EMPTY)
      break;
  }
  pthread_mutex_unlock(&map->lock);
  return value;
}

size_t as_ptrmap_count(struct as_ptrmap *map)
{
  as_forklock_lock(&map->lock, &map->lock_listed);
  size_t n = map->live;
  pthread_mutex_unlock(&map->lock);
  return n;
}

/* Without the lock: a reader racing it finds an entry or none, never a torn one. */
static void ptrmap_empty(struct as_ptrmap *map)
{
  struct as_ptrmap_table *t = atomic_load_explicit(&map->table, memory_order_relaxed);
  /* Only the slots in use are written: in a fork child each page written is copied first. */
  for (size_t i = 0; t && i <= t->mask; i++)
    if (atomic_load_explicit(&t->slots[i].key, memory_order_relaxed) != PTRMAP_EMPTY)
      atomic_store_explicit(&t->slots[i].key, PTRMAP_EMPTY, memory_order_relaxed);
  map->live = 0;
  map->used = 0;
  atomic_fetch_add(&map->removals, 1);
}

void as_ptrmap_reset_after_fork(struct as_ptrmap *map)
{
  pthread_mutex_init(&map->lock, NULL);
  ptrmap_empty(map);
}

void as_ptrmap_clear(struct as_ptrmap *map)
{
  as_forklock_lock(&map->lock, &map->lock_listed);
  ptrmap_empty(map);
  pthread_mutex_unlock(&map->lock);
}
