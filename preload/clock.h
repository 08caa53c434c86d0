#ifndef AS_CLOCK_H
#define AS_CLOCK_H

#include <stdint.h>

/* Monotonic nanoseconds (vDSO, no syscall): used for every duration. */
uint64_t as_clock_now_ns(void);
/* Wall-clock nanoseconds since the Unix epoch: used only for timestamps people read. */
uint64_t as_clock_wall_ns(void);

#endif
