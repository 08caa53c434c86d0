/* Attach mode: the zactors running when the library arrived. Each one's thread was started by
 * CZMQ's thread shim with a {handler, pipe, args} block as its argument; glibc's thread list
 * gives every thread's start routine and argument (preload/threadlist.h). Everything is read
 * through as_threadlist_peek: a thread ending meanwhile costs a failed read, never a fault. */
#define _GNU_SOURCE
#include "attach.h"
#include "forklock.h"
#include "czmq_adopt.h"
#include "resolve.h"

#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* zsock_t's first member, its tag (czmq's zsock.c); the libzmq handle follows it. */
#define CZMQ_ZSOCK_TAG 0xcafe0004u

struct czmq_attach_range {
  uintptr_t base, lo, hi;
};

static int czmq_attach_range_of(struct dl_phdr_info *info, size_t size, void *data)
{
  struct czmq_attach_range *r = data;
  if (info->dlpi_addr != r->base)
    return 0;
  for (size_t i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
      continue;
    r->lo = info->dlpi_addr + ph->p_vaddr;
    r->hi = r->lo + ph->p_memsz;
  }
  return 1;
}

/* What a zactor thread's argument points to, read now: 0 when it is no such block. */
static int czmq_attach_read(uintptr_t arg, uintptr_t shim[3], void **handle)
{
  struct {
    uint32_t tag;
    void *handle;
  } zsock;
  if (!arg || as_threadlist_peek(arg, shim, 3 * sizeof *shim) < 0 || !shim[0] || !shim[1] ||
      as_threadlist_peek(shim[1], &zsock, sizeof zsock) < 0 || zsock.tag != CZMQ_ZSOCK_TAG ||
      !zsock.handle)
    return 0;
  *handle = zsock.handle;
  return 1;
}

static int czmq_attach_alive(pid_t tid)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
  return access(path, F_OK) == 0;
}

static void czmq_attach_adopt(const struct as_thread_info *threads, size_t count)
{
  Dl_info info;
  void *zactor_new_real = as_resolve_real("zactor_new");
  if (!zactor_new_real || !dladdr(zactor_new_real, &info) || !info.dli_fbase)
    return; /* no libczmq in this process */
  struct czmq_attach_range r = {(uintptr_t)info.dli_fbase, 0, 0};
  as_forklock_dl_iterate_phdr(czmq_attach_range_of, &r);
  size_t adopted = 0;
  for (size_t i = 0; i < count; i++) {
    const struct as_thread_info *t = &threads[i];
    uintptr_t shim[3];
    void *handle;
    /* Started by CZMQ's shim (in libczmq's code) with a block whose pipe is a zsock_t. */
    if (t->start_routine < r.lo || t->start_routine >= r.hi ||
        !czmq_attach_read(t->arg, shim, &handle))
      continue;
    Dl_info task;
    if (!dladdr((void *)shim[0], &task))
      continue; /* the handler must be code of a loaded object */
    if (czmq_adopt((as_zactor_fn *)shim[0], (void *)shim[2], handle) != 1)
      continue;
    /* It may have ended while being registered: then its handle may be reused. */
    uintptr_t again[3];
    void *handle_again;
    if (!czmq_attach_alive(t->tid) || !czmq_attach_read(t->arg, again, &handle_again) ||
        handle_again != handle || again[0] != shim[0]) {
      czmq_adopt_undo(handle);
      continue;
    }
    adopted++;
  }
  as_attach_note_adopted(adopted);
}

__attribute__((constructor)) static void czmq_attach_register(void)
{
  as_attach_on_adopt(czmq_attach_adopt);
  as_attach_on_forget(czmq_forget_for_attach);
}
