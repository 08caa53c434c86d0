/* A pointer-keyed hash map whose lookups take no lock and never allocate, for hooks on the
 * hot path. Insertions and removals (spawn, close) take a mutex, which fork() takes first
 * (forklock.h): a map lives as long as the process. Tables are never freed while the map
 * lives, so a reader racing a rebuild reads valid memory; a sequence counter tells it to
 * retry. */
#ifndef AS_PTRMAP_H
#define AS_PTRMAP_H

#include "forklock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct as_ptrmap_table;

#define AS_PTRMAP_RETIRED_MAX 48

struct as_ptrmap {
  pthread_mutex_t lock;
  _Atomic unsigned seq;
  struct as_ptrmap_table *_Atomic table;
  struct as_ptrmap_table *spare;
  size_t live;
  size_t used; /* live entries plus tombstones */
  struct as_ptrmap_table *retired[AS_PTRMAP_RETIRED_MAX];
  size_t retired_count;
  _Atomic unsigned removals; /* bumped after every removal: lets callers cache hits */
  _Atomic int lock_listed;   /* forklock.h: fork takes the lock first */
};

#define AS_PTRMAP_INIT                                                                             \
  {                                                                                                \
    PTHREAD_MUTEX_INITIALIZER, 0, NULL, NULL, 0, 0, {NULL}, 0, 0, 0                                \
  }

/* key must not be 0 or 1. Returns 0, or -ENOMEM (the entry is then not stored). */
int as_ptrmap_put(struct as_ptrmap *map, uintptr_t key, void *value);
void *as_ptrmap_get(struct as_ptrmap *map, uintptr_t key);
/* Returns the removed value, or NULL. */
void *as_ptrmap_remove(struct as_ptrmap *map, uintptr_t key);
size_t as_ptrmap_count(struct as_ptrmap *map);
/* Changes whenever an entry is removed: a hit cached together with it stays valid while it
 * is unchanged. */
static inline unsigned as_ptrmap_generation(struct as_ptrmap *map)
{
  return atomic_load_explicit(&map->removals, memory_order_acquire);
}
/* Forgets every entry; for a fork child, whose inherited entries name the parent's objects. */
void as_ptrmap_reset_after_fork(struct as_ptrmap *map);
/* Forgets every entry of a map other threads may be reading (their values are not released):
 * for a new attach, whose entries named objects that may have gone while it was detached. */
void as_ptrmap_clear(struct as_ptrmap *map);

#endif
