#include "histogram.h"

uint64_t as_histogram_bucket_low(unsigned bucket)
{
  if (bucket == 0)
    return 0;
  if (bucket >= AS_HISTOGRAM_BUCKETS - 1)
    return 1ull << (AS_HISTOGRAM_MAX_SHIFT + 1);
  unsigned k = AS_HISTOGRAM_MIN_SHIFT + (bucket - 1) / AS_HISTOGRAM_SUBS;
  unsigned sub = (bucket - 1) % AS_HISTOGRAM_SUBS;
  return (1ull << k) + ((uint64_t)sub << (k - AS_HISTOGRAM_SUB_BITS));
}

uint64_t as_histogram_bucket_high(unsigned bucket)
{
  return bucket >= AS_HISTOGRAM_BUCKETS - 1 ? UINT64_MAX : as_histogram_bucket_low(bucket + 1);
}

int64_t as_histogram_ticks_to_ns(uint64_t ticks, int64_t tick_fs)
{
  double ns = (double)ticks * (double)tick_fs / 1e6;
  return ns >= 9.2e18 ? INT64_MAX : (int64_t)ns;
}

uint64_t as_histogram_ns_to_ticks(int64_t ns, int64_t tick_fs)
{
  double ticks = ns > 0 && tick_fs > 0 ? (double)ns * 1e6 / (double)tick_fs : 0;
  return ticks >= 1.8e19 ? UINT64_MAX : (uint64_t)ticks;
}

uint64_t as_histogram_percentile(const struct as_histogram_bin *bins, size_t n, double p,
                                 uint64_t max)
{
  /* Saturating: counts from a file may add up past 2^64. */
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++)
    total = bins[i].count > UINT64_MAX - total ? UINT64_MAX : total + bins[i].count;
  if (total == 0)
    return 0;
  double want = p > 0 ? p * (double)total / 100.0 : 0;
  uint64_t rank = want < (double)total ? (uint64_t)want : total;
  if ((double)rank < want - 1e-9) /* ceil, forgiving the rounding of p * total */
    rank++;
  if (rank == 0)
    rank = 1;
  uint64_t seen = 0;
  size_t i = 0;
  while (i + 1 < n && bins[i].count < rank - seen)
    seen += bins[i++].count;
  unsigned b = bins[i].bucket;
  uint64_t low = as_histogram_bucket_low(b);
  uint64_t high = as_histogram_bucket_high(b);
  uint64_t mid = high == UINT64_MAX ? low : low + (high - low) / 2;
  return max && mid > max ? max : mid;
}
