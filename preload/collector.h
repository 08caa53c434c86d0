/* The collector thread: one snapshot every interval, a final one at exit. */
#ifndef AS_COLLECTOR_H
#define AS_COLLECTOR_H

#include "config.h"

#include <stdint.h>

/* Opens the sink and starts the thread (signals blocked, recursion guard set). Called once,
 * at the first spawn. A sink that cannot open is reported and the process runs untraced. */
void as_collector_start(const struct as_config *cfg, uint64_t start_ticks, uint64_t start_wall_ns);
/* Stops the thread and writes the final snapshot. */
void as_collector_finish(void);

void as_collector_lock_for_fork(void);
void as_collector_unlock_for_fork(void);
/* In a fork child: the thread does not exist here; forget it and the parent's sink without
 * touching the parent's file or socket. */
void as_collector_reset_after_fork(void);

#endif
