#include "forklock.h"

#include <stddef.h>

static pthread_mutex_t forklocks_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *forklocks[AS_FORKLOCKS_MAX];
static size_t forklocks_count;

/* Listed under forklocks_lock, which prepare holds while it takes the listed locks: a lock
 * is listed either before prepare looks (and taken by it) or after the fork. */
static __attribute__((noinline)) void forklock_list(pthread_mutex_t *lock, _Atomic int *listed)
{
  pthread_mutex_lock(&forklocks_lock);
  if (!atomic_load_explicit(listed, memory_order_relaxed) && forklocks_count < AS_FORKLOCKS_MAX) {
    forklocks[forklocks_count++] = lock;
    atomic_store_explicit(listed, 1, memory_order_release);
  }
  pthread_mutex_unlock(&forklocks_lock);
}

void as_forklock_lock(pthread_mutex_t *lock, _Atomic int *listed)
{
  if (__builtin_expect(!atomic_load_explicit(listed, memory_order_acquire), 0))
    forklock_list(lock, listed);
  pthread_mutex_lock(lock);
}

void as_forklocks_prepare(void)
{
  pthread_mutex_lock(&forklocks_lock);
  for (size_t i = 0; i < forklocks_count; i++)
    pthread_mutex_lock(forklocks[i]);
}

void as_forklocks_parent(void)
{
  for (size_t i = forklocks_count; i-- > 0;)
    pthread_mutex_unlock(forklocks[i]);
  pthread_mutex_unlock(&forklocks_lock);
}

/* The child's only thread holds them all: made new rather than unlocked (its thread id is not
 * the one that took them). */
void as_forklocks_child(void)
{
  for (size_t i = 0; i < forklocks_count; i++)
    pthread_mutex_init(forklocks[i], NULL);
  pthread_mutex_init(&forklocks_lock, NULL);
}
