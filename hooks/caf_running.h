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
 * when one was seen but did not read back). */
int caf_running_total(const void *const _Atomic *systems, size_t count, uint64_t *out);

#endif
