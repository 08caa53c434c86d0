/* The actor systems' own count of running actors, for totals.runtime_running: CAF's
 * `system.registry().running()`. The tracer finds its actors one by one (attached to a running
 * program, only as they next send or receive); CAF counts every actor it runs that is not
 * hidden. Systems are the ones actors were seen in (caf.c keeps them); each registry's address
 * is what libcaf_core's exported actor_system::registry() says, and a registry is believed only
 * when its back reference to the system reads back as that system.
 *
 * A system's first read goes through process_vm_readv on our own pid: a system destroyed
 * meanwhile costs a failed or mismatched read, never a fault. But that call takes the kernel's
 * lock on the process's memory map, which a program whose threads allocate holds for writing
 * again and again: a read waited up to 280 ms there, and a snapshot in progress at exit then
 * left the final one unwritten (helper-58, session 20). A system whose registry read back is
 * read directly from then on (when the caller says so: not attached, where a system may end
 * through a call our hook does not see yet), for as long as its memory is known to be there:
 * its destructor (hooked: caf_running_system_ends as it returns, before the memory can be
 * freed) marks it ended and waits for a read of it in progress, two words long. During the
 * destructor the registry may be taken apart: what it reads then fails the back-reference
 * check. */
#define _GNU_SOURCE
#include "caf_running.h"
#include "caf_layout.h"
#include "clock.h"
#include "diag.h"
#include "threadlist.h"

#include <sched.h>
#include <stdatomic.h>

/* A count past this is no count of actors: what was read is not a registry. */
#define CAF_RUNNING_PLAUSIBLE_MAX (1ull << 40)

/* Systems whose registry read back once: the layout is known from then on. */
static _Atomic unsigned char caf_running_verified[CAF_RUNNING_SYSTEMS_MAX];
static _Atomic int caf_running_layout_known, caf_running_said;
/* Per system: its destructor has returned (until an actor of a new system at that address
 * is seen), and how many threads read it directly now (the collector's, and an exiting one's
 * final line if the collector's was given up on). */
static _Atomic unsigned char caf_running_ended[CAF_RUNNING_SYSTEMS_MAX];
static _Atomic unsigned caf_running_reading[CAF_RUNNING_SYSTEMS_MAX];

/* How long a destructor waits for a direct read of its system to end: a read is two loads, but
 * the collector may be preempted in it. Past this the object goes anyway (a read of freed heap
 * memory, still mapped, fails the back-reference check). */
#define CAF_RUNNING_END_WAIT_NS 20000000ull

static int caf_running_peek(uintptr_t registry, uintptr_t *back, uint64_t *running)
{
  return as_threadlist_peek(registry + CAF_REGISTRY_SYSTEM, back, sizeof *back) < 0 ||
                 as_threadlist_peek(registry + CAF_REGISTRY_RUNNING, running, sizeof *running) < 0
             ? -1
             : 0;
}

/* The two words of a live system, read in place (no system call, no lock): 0, or -1 when the
 * system has ended. The flags are sequentially consistent against caf_running_system_ends's:
 * either it sees this read in progress and waits, or this read sees the system ended. */
static int caf_running_read_live(size_t i, uintptr_t registry, uintptr_t *back, uint64_t *running)
{
  atomic_fetch_add(&caf_running_reading[i], 1);
  int rc = -1;
  if (!atomic_load(&caf_running_ended[i])) {
    *back = *(const volatile uintptr_t *)(registry + CAF_REGISTRY_SYSTEM);
    *running = *(const volatile uint64_t *)(registry + CAF_REGISTRY_RUNNING);
    rc = 0;
  }
  atomic_fetch_sub(&caf_running_reading[i], 1);
  return rc;
}

/* System I's count: 0, or -1 when its registry does not read back (or it has ended). */
static int caf_running_of(size_t i, const void *system, int in_place, uint64_t *running)
{
  uintptr_t registry = (uintptr_t)caf_layout_registry_of(system);
  uintptr_t back = 0;
  if (!registry || atomic_load(&caf_running_ended[i]))
    return -1;
  int read = in_place && atomic_load(&caf_running_verified[i])
                 ? caf_running_read_live(i, registry, &back, running)
                 : caf_running_peek(registry, &back, running);
  if (read < 0 || back != (uintptr_t)system || *running > CAF_RUNNING_PLAUSIBLE_MAX)
    return -1;
  return 0;
}

void caf_running_system_ends(const void *const _Atomic *systems, size_t count, const void *system)
{
  for (size_t i = 0; i < count && i < CAF_RUNNING_SYSTEMS_MAX; i++) {
    const void *seen = atomic_load(&systems[i]);
    if (!seen)
      return;
    if (seen != system)
      continue;
    atomic_store(&caf_running_ended[i], 1);
    uint64_t until = as_clock_now_ns() + CAF_RUNNING_END_WAIT_NS;
    while (atomic_load(&caf_running_reading[i]) && as_clock_now_ns() < until)
      sched_yield();
    return;
  }
}

void caf_running_system_seen(size_t index)
{
  /* A new system at an ended one's address: read it through the kernel until it reads back. */
  if (index < CAF_RUNNING_SYSTEMS_MAX && atomic_load(&caf_running_ended[index])) {
    atomic_store(&caf_running_verified[index], 0);
    atomic_store(&caf_running_ended[index], 0);
  }
}

int caf_running_total(const void *const _Atomic *systems, size_t count, int in_place, uint64_t *out)
{
  uint64_t total = 0;
  size_t counted = 0, unrecognised = 0;
  for (size_t i = 0; i < count && i < CAF_RUNNING_SYSTEMS_MAX; i++) {
    const void *system = atomic_load(&systems[i]);
    if (!system)
      break;
    uint64_t running;
    if (caf_running_of(i, system, in_place, &running) == 0) {
      atomic_store(&caf_running_verified[i], 1);
      atomic_store(&caf_running_layout_known, 1);
      total += running;
      counted++;
    } else if (!atomic_load(&caf_running_verified[i]) && !atomic_load(&caf_running_ended[i])) {
      /* One whose destructor ran before its first read says nothing of the layout. */
      unrecognised++;
    }
    /* A system that read back before and no longer does has been destroyed: it runs nothing. */
  }
  if (unrecognised && !atomic_load(&caf_running_layout_known)) {
    if (!atomic_exchange(&caf_running_said, 1))
      /* In the snapshots only, not on the host's stderr: a short program's system is often
       * gone before the first look, which reads exactly like a layout not recognised. */
      as_diag_note("caf_running_unknown",
                   "the actor system's registry does not read back as CAF 0.17.6's (another "
                   "layout, or the system ended before it was read): its own count of running "
                   "actors is not shown");
    return -1;
  }
  if (!counted && !atomic_load(&caf_running_layout_known))
    return -1; /* no system seen yet */
  *out = total;
  return 0;
}
