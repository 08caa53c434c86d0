/* Handler-time histograms: log-linear buckets over clock ticks (clock.h), so the hot path
 * converts nothing; a snapshot says how long a tick is (`tick_fs`). Bucket 0 holds times under
 * 64 ticks; then every power of two from 2^6 to 2^44 ticks is cut into 8 equal buckets (a
 * bucket is at most 1/8 = 12.5 % wider than its lower bound), and the last bucket holds 2^45
 * ticks and more. At 0.64 to 5 GHz (or 1 tick = 1 ns without a usable TSC) that covers 100 ns
 * to well past one hour (FORMAT.md, "Handler-time histogram"). Pure functions, shared by the
 * tracer (preload/registry.h) and the readers. */
#ifndef AS_HISTOGRAM_H
#define AS_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define AS_HISTOGRAM_SUB_BITS 3
#define AS_HISTOGRAM_SUBS (1u << AS_HISTOGRAM_SUB_BITS)
#define AS_HISTOGRAM_MIN_SHIFT 6u
#define AS_HISTOGRAM_MAX_SHIFT 44u
#define AS_HISTOGRAM_BUCKETS                                                                       \
  (2u + (AS_HISTOGRAM_MAX_SHIFT - AS_HISTOGRAM_MIN_SHIFT + 1u) * AS_HISTOGRAM_SUBS) /* 314 */

static inline unsigned as_histogram_bucket(uint64_t ticks)
{
  if (ticks < (1ull << AS_HISTOGRAM_MIN_SHIFT))
    return 0;
  /* 63 ^ clz is 63 - clz for a 64-bit count, and lets the compiler take bsr's result as is. */
  unsigned k = 63u ^ (unsigned)__builtin_clzll(ticks);
  if (k > AS_HISTOGRAM_MAX_SHIFT)
    return AS_HISTOGRAM_BUCKETS - 1;
  return 1u + (k - AS_HISTOGRAM_MIN_SHIFT) * AS_HISTOGRAM_SUBS +
         (unsigned)((ticks >> (k - AS_HISTOGRAM_SUB_BITS)) & (AS_HISTOGRAM_SUBS - 1));
}

/* The ticks bucket b holds: [low, high); high is UINT64_MAX for the last. */
uint64_t as_histogram_bucket_low(unsigned bucket);
uint64_t as_histogram_bucket_high(unsigned bucket);

/* One bucket of a sparse histogram. */
struct as_histogram_bin {
  uint32_t bucket;
  uint64_t count;
};

/* The p-th percentile (0 < p <= 100) of a sparse histogram whose bins are sorted by bucket:
 * the middle of the bucket holding the ceil(p/100 * N)-th smallest time, never more than
 * `max` (the exact longest, 0: unknown) — within 6.25 % of the true time from 64 ticks up.
 * 0 when the histogram is empty. */
uint64_t as_histogram_percentile(const struct as_histogram_bin *bins, size_t n, double p,
                                 uint64_t max);

/* Ticks to nanoseconds and back at TICK_FS femtoseconds a tick (> 0), saturating: a reader's
 * numbers come from a file, whatever they are. */
int64_t as_histogram_ticks_to_ns(uint64_t ticks, int64_t tick_fs);
uint64_t as_histogram_ns_to_ticks(int64_t ns, int64_t tick_fs);

#endif
