#define _GNU_SOURCE /* pthread_mutex_clocklock */
#include "forklock.h"
#include "clock.h"

#include <link.h>
#include <stddef.h>
#include <time.h>

static pthread_mutex_t forklocks_lock AS_FORK_TOUCHED = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *forklocks[AS_FORKLOCKS_MAX] AS_FORK_TOUCHED;
static size_t forklocks_count AS_FORK_TOUCHED;
/* Which of them prepare took (the parent releases only those), and whether it took the list's. */
static volatile unsigned char forklocks_taken[AS_FORKLOCKS_MAX] AS_FORK_TOUCHED;
static volatile int forklocks_list_taken AS_FORK_TOUCHED;
/* How long fork() waits, in all, for locks held by other threads. They are held for a few
 * stores or a malloc, so this is reached only when the holder cannot go on: a thread stopped
 * in a signal handler that forks (a crash handler forking a dumper) or that crashed holding
 * one. fork() then goes on without it; the child makes every listed lock new anyway. */
#define FORKLOCKS_WAIT_MS 999u /* about a second, as exit waits at most */

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

static pthread_mutex_t forklock_walk_lock AS_FORK_TOUCHED = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int forklock_walk_listed AS_FORK_TOUCHED;

int as_forklock_dl_iterate_phdr(int (*callback)(struct dl_phdr_info *, size_t, void *), void *data)
{
  as_forklock_lock(&forklock_walk_lock, &forklock_walk_listed);
  int rc = dl_iterate_phdr(callback, data);
  pthread_mutex_unlock(&forklock_walk_lock);
  return rc;
}

static int forklock_take_by(pthread_mutex_t *lock, const struct timespec *deadline)
{
  return pthread_mutex_clocklock(lock, CLOCK_MONOTONIC, deadline) == 0;
}

void as_forklocks_prepare(void)
{
  struct timespec deadline;
  as_clock_deadline_after_ms(&deadline, FORKLOCKS_WAIT_MS);
  /* Marked as each is taken: a deadly signal on this thread meanwhile releases exactly those
   * (as_forklocks_parent from its handler, through init.c). */
  forklocks_list_taken = forklock_take_by(&forklocks_lock, &deadline);
  for (size_t i = 0; i < forklocks_count; i++)
    forklocks_taken[i] = (unsigned char)forklock_take_by(forklocks[i], &deadline);
}

void as_forklocks_parent(void)
{
  for (size_t i = forklocks_count; i-- > 0;)
    if (forklocks_taken[i]) {
      forklocks_taken[i] = 0;
      pthread_mutex_unlock(forklocks[i]);
    }
  if (forklocks_list_taken) {
    forklocks_list_taken = 0;
    pthread_mutex_unlock(&forklocks_lock);
  }
}

/* The child's only thread holds them all: made new rather than unlocked (its thread id is not
 * the one that took them). */
void as_forklocks_child(void)
{
  for (size_t i = 0; i < forklocks_count; i++) {
    forklocks_taken[i] = 0;
    pthread_mutex_init(forklocks[i], NULL);
  }
  forklocks_list_taken = 0;
  pthread_mutex_init(&forklocks_lock, NULL);
}
