/* The process's threads as glibc knows them: each one's start routine and argument, for
 * finding actors that were running before the library was attached. Read through the layout
 * descriptors glibc exports for debuggers (_thread_db_*), never by dereferencing: every read
 * goes through process_vm_readv on our own pid, so a thread exiting meanwhile costs a failed
 * read, never a fault. */
#ifndef AS_THREADLIST_H
#define AS_THREADLIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct as_thread_info {
  pid_t tid;
  uintptr_t start_routine, arg;
};

/* Fills out with up to max threads that still exist (/proc/self/task). The caller's own
 * thread must have been created by pthread_create(start, arg): the layout is trusted only if
 * its entry reads back exactly so. Returns how many, or -ENOTSUP (no descriptors, or a
 * layout that does not read back), -ENOMEM. */
int as_threadlist_read(struct as_thread_info *out, size_t max, uintptr_t own_start,
                       uintptr_t own_arg);

/* Reads len bytes at addr of our own memory without faulting: 0, or -EFAULT. */
int as_threadlist_peek(uintptr_t addr, void *buf, size_t len);

#endif
