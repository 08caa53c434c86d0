#include "typetab.h"
#include "forklock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing over a fixed table: entries are only ever added, so readers need no lock. */
#define TYPETAB_SLOTS (AS_TYPETAB_CAPACITY * 2u)

struct typetab_slot {
  _Atomic uint32_t id; /* 0 = empty; published last */
  uint32_t len;
  uint64_t hash;
  const char *name;
};

static struct typetab_slot typetab_slots[TYPETAB_SLOTS];
static const char *_Atomic typetab_names[AS_TYPETAB_CAPACITY + 1];
static uint32_t typetab_count;
static _Atomic uint32_t typetab_overflow_id;
static pthread_mutex_t typetab_lock AS_FORK_TOUCHED = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int typetab_lock_listed; /* forklock.h */

static uint64_t typetab_hash(const char *s, size_t len)
{
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ULL;
  }
  return h;
}

static uint32_t typetab_find(const char *name, size_t len, uint64_t hash, size_t *free_slot)
{
  for (size_t i = hash % TYPETAB_SLOTS, n = 0; n < TYPETAB_SLOTS;
       i = (i + 1) % TYPETAB_SLOTS, n++) {
    uint32_t id = atomic_load_explicit(&typetab_slots[i].id, memory_order_acquire);
    if (id == 0) {
      if (free_slot)
        *free_slot = i;
      return 0;
    }
    const struct typetab_slot *s = &typetab_slots[i];
    if (s->hash == hash && s->len == len && memcmp(s->name, name, len) == 0)
      return id;
  }
  return 0;
}

static uint32_t typetab_insert_locked(const char *name, size_t len, uint64_t hash)
{
  size_t slot = 0;
  uint32_t id = typetab_find(name, len, hash, &slot);
  if (id)
    return id;
  if (typetab_count >= AS_TYPETAB_CAPACITY)
    return 0;
  char *copy = malloc(len + 1);
  if (!copy)
    return 0;
  memcpy(copy, name, len);
  copy[len] = '\0';
  id = ++typetab_count;
  atomic_store_explicit(&typetab_names[id], copy, memory_order_release);
  typetab_slots[slot].len = (uint32_t)len;
  typetab_slots[slot].hash = hash;
  typetab_slots[slot].name = copy;
  atomic_store_explicit(&typetab_slots[slot].id, id, memory_order_release);
  return id;
}

static uint32_t typetab_overflow(void)
{
  return atomic_load_explicit(&typetab_overflow_id, memory_order_acquire);
}

uint32_t as_typetab_intern(const char *name, size_t len)
{
  if (len > AS_TYPE_NAME_MAX)
    len = AS_TYPE_NAME_MAX;
  uint64_t hash = typetab_hash(name, len);
  uint32_t id = typetab_find(name, len, hash, NULL);
  if (id)
    return id;
  as_forklock_lock(&typetab_lock, &typetab_lock_listed);
  if (!atomic_load_explicit(&typetab_overflow_id, memory_order_relaxed)) {
    /* Reserved up front so it always has a slot, whatever the program sends. */
    const char *o = AS_TYPE_OVERFLOW_NAME;
    atomic_store_explicit(&typetab_overflow_id,
                          typetab_insert_locked(o, strlen(o), typetab_hash(o, strlen(o))),
                          memory_order_release);
  }
  id = typetab_insert_locked(name, len, hash);
  pthread_mutex_unlock(&typetab_lock);
  return id ? id : typetab_overflow();
}

const char *as_typetab_name(uint32_t id)
{
  if (id == AS_TYPE_NONE || id > AS_TYPETAB_CAPACITY)
    return "";
  const char *name = atomic_load_explicit(&typetab_names[id], memory_order_acquire);
  return name ? name : "";
}
