#include "clock.h"

#include <stdatomic.h>
#include <time.h>
#if AS_CLOCK_HAS_TSC
#include <cpuid.h>
#endif

int as__clock_uses_tsc;
/* Once measured over this long, the rate is kept: a duration converted in one line is then
 * converted the same in every later line, so counters in nanoseconds never step back. */
#define CLOCK_CALIBRATED_NS 2000000000ull
static int clock_settled;

static uint64_t clock_first_ticks, clock_first_ns;
/* Nanoseconds per tick, as a 32.32 fixed-point number. Calibrated before every snapshot from
 * the first sample to then, for the first two seconds: no start-up cost in processes that never
 * spawn an actor. */
static _Atomic uint64_t clock_ns_per_tick_fp = 1ull << 32;

static uint64_t clock_read(clockid_t id)
{
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t as_clock_now_ns(void) { return clock_read(CLOCK_MONOTONIC); }
uint64_t as_clock_wall_ns(void) { return clock_read(CLOCK_REALTIME); }

void as_clock_deadline_after_ms(struct timespec *deadline, unsigned ms)
{
  clock_gettime(CLOCK_MONOTONIC, deadline);
  uint64_t ns = (uint64_t)deadline->tv_nsec + (uint64_t)ms * 1000000u;
  deadline->tv_sec += (time_t)(ns / 1000000000u);
  deadline->tv_nsec = (long)(ns % 1000000000u);
}

/* CPUID 0x80000007 EDX bit 8: the TSC ticks at a constant rate in every power state. */
static int clock_tsc_is_invariant(void)
{
#if AS_CLOCK_HAS_TSC
  unsigned a, b, c, d;
  return __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
#else
  return 0;
#endif
}

void as_clock_init(void)
{
  clock_settled = 0;
  as__clock_uses_tsc = clock_tsc_is_invariant();
  clock_first_ns = as_clock_now_ns();
  clock_first_ticks = as_clock_now();
}

void as_clock_calibrate(void)
{
  if (!as__clock_uses_tsc || clock_settled)
    return;
  uint64_t ns = as_clock_now_ns() - clock_first_ns;
  clock_settled = ns >= CLOCK_CALIBRATED_NS;
  uint64_t ticks = as_clock_now() - clock_first_ticks;
  /* (ns << 32) overflows after ~4 s: scale both down while keeping the ratio. */
  while (ns >= (1ull << 31) && ticks > 1) {
    ns >>= 1;
    ticks >>= 1;
  }
  if (ticks && ns > 1000)
    atomic_store(&clock_ns_per_tick_fp, (ns << 32) / ticks);
}

uint64_t as_clock_rate_now(void)
{
  if (!as__clock_uses_tsc)
    return 1ull << 32;
  uint64_t ns = as_clock_now_ns() - clock_first_ns, ticks = as_clock_now() - clock_first_ticks;
  while (ns >= (1ull << 31) && ticks > 1) {
    ns >>= 1;
    ticks >>= 1;
  }
  return ticks && ns > 1000 ? (ns << 32) / ticks : atomic_load(&clock_ns_per_tick_fp);
}

uint64_t as_clock_ticks_to_ns(uint64_t ticks)
{
  if (!as__clock_uses_tsc)
    return ticks;
  unsigned __int128 product = (unsigned __int128)ticks * atomic_load(&clock_ns_per_tick_fp);
  return (uint64_t)(product >> 32);
}

uint64_t as_clock_ns_to_ticks(uint64_t ns)
{
  if (!as__clock_uses_tsc)
    return ns;
  uint64_t fp = atomic_load(&clock_ns_per_tick_fp);
  return fp ? (uint64_t)(((unsigned __int128)ns << 32) / fp) : ns;
}
