#include "intern.h"
#include "forklock.h"
#include "testpause.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* Interned are names and spawn sites: a few hundred in a large program. Two pages of buckets, as
 * every page touched costs the process a fault at its start. */
#define INTERN_BUCKETS 1024

struct intern_entry {
  struct intern_entry *next;
  uint64_t hash;
  size_t len;
  /* Aligned for the pointer arrays spawn sites keep here. */
  _Alignas(void *) unsigned char data[];
};

static struct intern_entry *intern_buckets[INTERN_BUCKETS];
static pthread_mutex_t intern_lock AS_FORK_TOUCHED = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int intern_lock_listed; /* forklock.h */

static uint64_t intern_hash(const unsigned char *p, size_t len)
{
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

const void *as_intern_bytes(const void *data, size_t len)
{
  uint64_t hash = intern_hash(data, len);
  struct intern_entry **bucket = &intern_buckets[hash % INTERN_BUCKETS];
  as_forklock_lock(&intern_lock, &intern_lock_listed);
  as_test_pause("intern_locked");
  for (struct intern_entry *e = *bucket; e; e = e->next) {
    if (e->hash == hash && e->len == len && memcmp(e->data, data, len) == 0) {
      pthread_mutex_unlock(&intern_lock);
      return e->data;
    }
  }
  struct intern_entry *e = malloc(sizeof *e + len + 1);
  if (e) {
    e->hash = hash;
    e->len = len;
    memcpy(e->data, data, len);
    e->data[len] = '\0';
    e->next = *bucket;
    *bucket = e;
  }
  pthread_mutex_unlock(&intern_lock);
  return e ? e->data : NULL;
}
