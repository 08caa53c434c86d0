/* CAF's own count of running actors (every actor system's registry().running()), read on the
 * collector thread for totals.runtime_running; see caf_running.c. */
#ifndef AS_CAF_RUNNING_H
#define AS_CAF_RUNNING_H

#include <stddef.h>
#include <stdint.h>

/* As many systems as caf.c tells apart. */
#define CAF_RUNNING_SYSTEMS_MAX 64

/* The sum over SYSTEMS (filled from the front, NULL after the last) into *OUT: 0, or -1 when
 * no system's registry was ever recognised (said once as the diagnostic caf_running_unknown
 * when one was seen but did not read back). IN_PLACE: a system whose registry read back is
 * read directly, not through the kernel (only where every system's end is seen by its hook:
 * preloaded, not attached). */
int caf_running_total(const void *const _Atomic *systems, size_t count, int in_place,
                      uint64_t *out);
/* SYSTEM's destructor has returned (its hook, before the memory can be freed): it is no
 * longer read, and a read of it in progress is waited for (bounded). */
void caf_running_system_ends(const void *const _Atomic *systems, size_t count, const void *system);
/* An actor of the system at INDEX (from 0) was seen: alive, if an earlier one there ended. */
void caf_running_system_seen(size_t index);

#endif
