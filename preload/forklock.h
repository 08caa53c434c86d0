/* Short locks a fork child may need: fork() takes them all first (init.c's prepare handler),
 * so a child never inherits one held by a thread it does not have (it would wait for it
 * forever: a hang of the host's child, or its collector stuck and no file written). Only locks
 * held for a few stores or a malloc, never across I/O or another lock, qualify: fork waits for
 * them. A lock held across I/O is instead forgotten by the child (e.g. elfsym.c's). */
#ifndef AS_FORKLOCK_H
#define AS_FORKLOCK_H

#include <pthread.h>
#include <stdatomic.h>

/* On every lock fork() takes or a child makes new, and what a child resets with them: kept
 * together in one section, as after a fork each page either process writes is copied at its
 * first write (a page fault, some 20 us on a VM), and a prefork server pays them at every fork. */
#define AS_FORK_TOUCHED __attribute__((section("as_fork_touched")))

/* pthread_mutex_lock, after listing the lock at its first use (`listed` is its flag, zero
 * at first). A lock that cannot be listed (more than AS_FORKLOCKS_MAX) is still taken. */
#define AS_FORKLOCKS_MAX 64
void as_forklock_lock(pthread_mutex_t *lock, _Atomic int *listed);

/* dl_iterate_phdr with fork() held off until the walk ends. glibc (2.36) does not make the
 * loader's lock new in a fork child: a child forked while a walk of ours held it waits for it
 * forever at its own first walk (helper-69: an attached daemon's forked worker hung in its
 * first hook, which looked up its real function). Every walk of the tracer's goes through here;
 * a callback takes no other listed lock. */
struct dl_phdr_info;
int as_forklock_dl_iterate_phdr(int (*callback)(struct dl_phdr_info *, size_t, void *), void *data);

/* fork's handlers: take every listed lock, then release them in the parent and make them new
 * in the child. fork() waits for them at most a bounded time in all (forklock.c). */
void as_forklocks_prepare(void);
void as_forklocks_parent(void);
void as_forklocks_child(void);

#endif
