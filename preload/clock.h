/* Time. The registry stamps events in ticks: the CPU's time-stamp counter where it is
 * invariant (a few nanoseconds to read, where clock_gettime costs a hook ~25 ns), else
 * monotonic nanoseconds. The collector converts ticks to nanoseconds for snapshots. */
#ifndef AS_CLOCK_H
#define AS_CLOCK_H

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define AS_CLOCK_HAS_TSC 1
#else
#define AS_CLOCK_HAS_TSC 0
#endif

extern int as__clock_uses_tsc __attribute__((visibility("hidden")));

/* Monotonic nanoseconds (vDSO). */
uint64_t as_clock_now_ns(void);
struct timespec;
/* CLOCK_MONOTONIC's time MS milliseconds from now: a deadline for a bounded wait. */
void as_clock_deadline_after_ms(struct timespec *deadline, unsigned ms);
/* Wall-clock nanoseconds since the Unix epoch: only for timestamps people read. */
uint64_t as_clock_wall_ns(void);

/* The current time in ticks. */
static inline uint64_t as_clock_now(void)
{
#if AS_CLOCK_HAS_TSC
  if (as__clock_uses_tsc)
    return __rdtsc();
#endif
  return as_clock_now_ns();
}

/* Chooses the tick source (once, before any tick is taken) and takes the first calibration
 * sample. Without it ticks are nanoseconds. A fork child calls it again for its own start. */
void as_clock_init(void);
/* Refines ticks-per-nanosecond from the first sample to now (collector thread). */
void as_clock_calibrate(void);
uint64_t as_clock_ticks_to_ns(uint64_t ticks);
/* Nanoseconds per tick (32.32) measured from the first sample to now, without storing it: for
 * a thread of ours that converts before the collector's calibration has settled. */
uint64_t as_clock_rate_now(void);
uint64_t as_clock_ns_to_ticks(uint64_t ns);

#endif
