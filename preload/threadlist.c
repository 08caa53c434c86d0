#define _GNU_SOURCE
#include "threadlist.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* Threads walked at most per list: a list changing under the walk cannot loop us forever. */
#define THREADLIST_WALK_MAX 65536

/* glibc's descriptor of a member: {size in bits, count, offset} (nptl_db/structs.def). */
struct threadlist_desc {
  uint32_t bits, count, offset;
};

int as_threadlist_peek(uintptr_t addr, void *buf, size_t len)
{
  struct iovec local = {buf, len}, remote = {(void *)addr, len};
  ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  return n == (ssize_t)len ? 0 : -EFAULT;
}

static int threadlist_desc(const char *name, struct threadlist_desc *out)
{
  const void *sym = dlsym(RTLD_DEFAULT, name);
  if (!sym) {
    dlerror();
    return -ENOTSUP;
  }
  return as_threadlist_peek((uintptr_t)sym, out, sizeof *out) == 0 ? 0 : -ENOTSUP;
}

static int threadlist_alive(pid_t tid)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
  return access(path, F_OK) == 0;
}

struct threadlist_layout {
  struct threadlist_desc list, next, tid, start;
};

struct threadlist_out {
  struct as_thread_info *out;
  size_t max, count;
  int own_seen;
  pid_t own_tid;
  uintptr_t own_start, own_arg;
};

/* One of glibc's two lists (threads on stacks it allocated, on stacks the program gave). */
static void threadlist_walk(const struct threadlist_layout *l, uintptr_t head,
                            struct threadlist_out *o)
{
  uintptr_t node;
  if (as_threadlist_peek(head + l->next.offset, &node, sizeof node) < 0)
    return;
  for (int n = 0; node && node != head && n < THREADLIST_WALK_MAX; n++) {
    uintptr_t pd = node - l->list.offset;
    int32_t tid;
    uintptr_t routine[2]; /* start_routine, then arg: adjacent in struct pthread */
    if (as_threadlist_peek(pd + l->tid.offset, &tid, sizeof tid) < 0 ||
        as_threadlist_peek(pd + l->start.offset, routine, sizeof routine) < 0)
      return;
    if (tid == o->own_tid)
      o->own_seen = routine[0] == o->own_start && routine[1] == o->own_arg ? 1 : -1;
    else if (tid > 0 && o->count < o->max && threadlist_alive(tid))
      o->out[o->count++] = (struct as_thread_info){tid, routine[0], routine[1]};
    if (as_threadlist_peek(node + l->next.offset, &node, sizeof node) < 0)
      return;
  }
}

int as_threadlist_read(struct as_thread_info *out, size_t max, uintptr_t own_start,
                       uintptr_t own_arg)
{
  struct threadlist_layout l;
  struct threadlist_desc used, user;
  const char *rtld = dlsym(RTLD_DEFAULT, "_rtld_global");
  if (!rtld || threadlist_desc("_thread_db_pthread_list", &l.list) < 0 ||
      threadlist_desc("_thread_db_list_t_next", &l.next) < 0 ||
      threadlist_desc("_thread_db_pthread_tid", &l.tid) < 0 ||
      threadlist_desc("_thread_db_pthread_start_routine", &l.start) < 0 ||
      threadlist_desc("_thread_db_rtld_global__dl_stack_used", &used) < 0 ||
      threadlist_desc("_thread_db_rtld_global__dl_stack_user", &user) < 0) {
    dlerror();
    return -ENOTSUP;
  }
  if (l.tid.bits != 32 || l.start.bits != 8 * sizeof(uintptr_t))
    return -ENOTSUP;
  struct threadlist_out o = {out, max, 0, 0, (pid_t)syscall(SYS_gettid), own_start, own_arg};
  threadlist_walk(&l, (uintptr_t)rtld + used.offset, &o);
  threadlist_walk(&l, (uintptr_t)rtld + user.offset, &o);
  /* The caller's own entry is the proof that start_routine and arg are where we read them. */
  return o.own_seen == 1 ? (int)o.count : -ENOTSUP;
}
