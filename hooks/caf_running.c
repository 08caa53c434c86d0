/* The actor systems' own count of running actors, for totals.runtime_running: CAF's
 * `system.registry().running()`. The tracer finds its actors one by one (attached to a running
 * program, only as they next send or receive); CAF counts every actor it runs that is not
 * hidden. Systems are the ones actors were seen in (caf.c keeps them); each registry's address
 * is what libcaf_core's exported actor_system::registry() says, and a registry is believed only
 * when its back reference to the system reads back as that system. Every read goes through
 * process_vm_readv on our own pid: a system destroyed meanwhile costs a failed or mismatched
 * read, never a fault. */
#define _GNU_SOURCE
#include "caf_running.h"
#include "caf_layout.h"
#include "diag.h"
#include "threadlist.h"

#include <stdatomic.h>

/* A count past this is no count of actors: what was read is not a registry. */
#define CAF_RUNNING_PLAUSIBLE_MAX (1ull << 40)

/* Systems whose registry read back once: the layout is known from then on. */
static _Atomic unsigned char caf_running_verified[CAF_RUNNING_SYSTEMS_MAX];
static _Atomic int caf_running_layout_known, caf_running_said;

/* One system's count: 0, or -1 when its registry does not read back. */
static int caf_running_of(const void *system, uint64_t *running)
{
  uintptr_t registry = (uintptr_t)caf_layout_registry_of(system);
  uintptr_t back = 0;
  if (!registry || as_threadlist_peek(registry + CAF_REGISTRY_SYSTEM, &back, sizeof back) < 0 ||
      back != (uintptr_t)system ||
      as_threadlist_peek(registry + CAF_REGISTRY_RUNNING, running, sizeof *running) < 0 ||
      *running > CAF_RUNNING_PLAUSIBLE_MAX)
    return -1;
  return 0;
}

int caf_running_total(const void *const _Atomic *systems, size_t count, uint64_t *out)
{
  uint64_t total = 0;
  size_t counted = 0, unrecognised = 0;
  for (size_t i = 0; i < count && i < CAF_RUNNING_SYSTEMS_MAX; i++) {
    const void *system = atomic_load(&systems[i]);
    if (!system)
      break;
    uint64_t running;
    if (caf_running_of(system, &running) == 0) {
      atomic_store(&caf_running_verified[i], 1);
      atomic_store(&caf_running_layout_known, 1);
      total += running;
      counted++;
    } else if (!atomic_load(&caf_running_verified[i])) {
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
