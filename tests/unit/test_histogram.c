/* Handler-time histograms: the bucket scheme's error bound, percentiles, and the registry's
 * inline slots and pool blocks counting every finished handler exactly. */
#include "histogram.h"
#include "registry.h"
#include "registry_view.h"

#include <criterion/criterion.h>
#include <stdlib.h>

TestSuite(histogram, .timeout = 30);

Test(histogram, every_time_from_64_ticks_to_2_to_the_45_lies_in_its_bucket_within_12_5_percent)
{
  cr_assert_eq(AS_HISTOGRAM_BUCKETS, 314);
  uint64_t v = 1;
  unsigned last = 0;
  while (v < (1ull << 47)) {
    unsigned b = as_histogram_bucket(v);
    cr_assert_geq(b, last, "buckets grow with the time");
    cr_assert_lt(b, AS_HISTOGRAM_BUCKETS);
    cr_assert_geq(v, as_histogram_bucket_low(b), "%llu below its bucket %u", (unsigned long long)v,
                  b);
    cr_assert_lt(v, as_histogram_bucket_high(b), "%llu above its bucket %u", (unsigned long long)v,
                 b);
    if (v >= 64 && b < AS_HISTOGRAM_BUCKETS - 1) {
      uint64_t width = as_histogram_bucket_high(b) - as_histogram_bucket_low(b);
      cr_assert_leq(width * 8, as_histogram_bucket_low(b), "bucket %u too wide", b);
    }
    last = b;
    v += v / 37 + 1;
  }
  cr_assert_eq(as_histogram_bucket(1ull << 45), AS_HISTOGRAM_BUCKETS - 1);
  cr_assert_eq(as_histogram_bucket(UINT64_MAX), AS_HISTOGRAM_BUCKETS - 1);
  for (unsigned b = 1; b + 1 < AS_HISTOGRAM_BUCKETS; b++)
    cr_assert_eq(as_histogram_bucket_high(b), as_histogram_bucket_low(b + 1));
}

/* Random times from 100 to 10^13 ticks: every reported percentile within 12.5 % of the exact. */
Test(histogram, percentiles_are_within_12_5_percent_of_the_exact_value)
{
  srand(14);
  enum { N = 2001 };
  static uint64_t times[N];
  for (int round = 0; round < 50; round++) {
    static uint64_t counts[AS_HISTOGRAM_BUCKETS];
    memset(counts, 0, sizeof counts);
    uint64_t max = 0;
    int n = 1 + rand() % N;
    for (int i = 0; i < n; i++) {
      /* log-uniform over 100 .. 10^13 */
      double e = 2.0 + 11.0 * rand() / (double)RAND_MAX;
      uint64_t t = 1;
      while (e >= 1) {
        t *= 10;
        e -= 1;
      }
      t += (uint64_t)((double)t * 9 * e);
      times[i] = t;
      counts[as_histogram_bucket(t)]++;
      max = t > max ? t : max;
    }
    for (int i = 1; i < n; i++) /* sort for the exact percentiles */
      for (int k = i; k > 0 && times[k - 1] > times[k]; k--) {
        uint64_t x = times[k];
        times[k] = times[k - 1];
        times[k - 1] = x;
      }
    struct as_histogram_bin bins[AS_HISTOGRAM_BUCKETS];
    size_t nb = 0;
    for (unsigned b = 0; b < AS_HISTOGRAM_BUCKETS; b++)
      if (counts[b])
        bins[nb++] = (struct as_histogram_bin){b, counts[b]};
    const double ps[] = {1, 50, 90, 99, 99.9, 100};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
      double want = ps[k] * n / 100.0;
      int rank = (int)want;
      if (rank < want - 1e-9)
        rank++;
      uint64_t exact = times[(rank < 1 ? 1 : rank) - 1];
      uint64_t got = as_histogram_percentile(bins, nb, ps[k], max);
      double err = got > exact ? (double)(got - exact) / exact : (double)(exact - got) / exact;
      cr_assert_leq(err, 0.125, "p%g of %d: %llu for %llu", ps[k], n, (unsigned long long)got,
                    (unsigned long long)exact);
    }
    cr_assert_eq(as_histogram_percentile(bins, nb, 100, max),
                 max > as_histogram_bucket_low(as_histogram_bucket(max)) +
                             (as_histogram_bucket_high(as_histogram_bucket(max)) -
                              as_histogram_bucket_low(as_histogram_bucket(max))) /
                                 2
                     ? as_histogram_bucket_low(as_histogram_bucket(max)) +
                           (as_histogram_bucket_high(as_histogram_bucket(max)) -
                            as_histogram_bucket_low(as_histogram_bucket(max))) /
                               2
                     : max);
  }
  cr_assert_eq(as_histogram_percentile(NULL, 0, 50, 0), 0);
}

static struct as_actor *spawn_actor(void)
{
  static const struct as_runtime test_runtime = {.name = "test"};
  struct as_spawn spawn = {.runtime = &test_runtime, .name = "timed"};
  struct as_actor *a = as_registry_spawn(&spawn);
  cr_assert_not_null(a);
  return a;
}

static void handle(struct as_actor *a, uint64_t ticks)
{
  as_actor_handler_begin(a, as_typetab_intern("job", 3), 1000);
  as_actor_handler_end(a, 1000 + ticks);
}

/* The collected histogram of one actor, as counts by bucket; returns the total. */
static uint64_t collected(struct as_actor *a, uint64_t counts[AS_HISTOGRAM_BUCKETS])
{
  memset(counts, 0, AS_HISTOGRAM_BUCKETS * sizeof *counts);
  struct as_registry_collection c = {0};
  as_registry_collect(&c, as_clock_now(), 1000000000u);
  uint64_t total = 0;
  for (size_t i = 0; i < c.count; i++) {
    if (c.views[i].id != a->id)
      continue;
    const uint64_t *words = as_view_histogram_words(&c, &c.views[i]);
    unsigned last = 0;
    for (uint32_t k = 0; k < c.views[i].histogram_count; k++) {
      unsigned b = as_tally_word_type(words[k]);
      cr_assert(k == 0 || b > last, "buckets listed once, in order");
      last = b;
      counts[b] = as_tally_word_count(words[k]);
      total += counts[b];
    }
  }
  as_registry_collection_free(&c);
  return total;
}

Test(histogram, an_actor_with_few_handlers_keeps_them_exactly_without_a_block)
{
  uint64_t before = as_registry_histogram_blocks_in_use();
  struct as_actor *a = spawn_actor();
  uint64_t counts[AS_HISTOGRAM_BUCKETS];
  cr_assert_eq(collected(a, counts), 0);
  /* 8 distinct buckets, 63 handlers: all in the record's two words. */
  const uint64_t times[8] = {10, 100, 1000, 5000, 70000, 1000000, 3000000000ull, 1ull << 46};
  for (int i = 0; i < 63; i++)
    handle(a, times[i % 8]);
  cr_assert_eq(as_registry_histogram_blocks_in_use(), before,
               "no block for 63 handlers in 8 buckets");
  cr_assert_eq(collected(a, counts), 63);
  for (int k = 0; k < 8; k++)
    cr_assert_eq(counts[as_histogram_bucket(times[k])], k < 63 % 8 ? 8 : 7, "bucket of %llu",
                 (unsigned long long)times[k]);
  as_actor_release(a);
}

/* The collector copies a histogram of one inline bucket without reading word 1 (the common
 * short-lived actor's): exact from the first handler to the slot's last count, and past it. */
Test(histogram, one_inline_bucket_is_copied_exactly_up_to_its_full_slot_and_beyond)
{
  struct as_actor *a = spawn_actor();
  uint64_t counts[AS_HISTOGRAM_BUCKETS];
  unsigned bucket = as_histogram_bucket(5000);
  for (uint64_t n = 1; n <= 70; n++) {
    handle(a, 5000);
    cr_assert_eq(collected(a, counts), n, "after %llu handlers", (unsigned long long)n);
    cr_assert_eq(counts[bucket], n);
  }
  handle(a, 3000000000ull); /* a second bucket */
  cr_assert_eq(collected(a, counts), 71);
  cr_assert_eq(counts[bucket], 70);
  cr_assert_eq(counts[as_histogram_bucket(3000000000ull)], 1);
  as_actor_release(a);
}

Test(histogram, a_busy_actor_moves_to_a_block_losing_no_handler_and_gives_it_back)
{
  uint64_t before = as_registry_histogram_blocks_in_use();
  struct as_actor *a = spawn_actor();
  uint64_t counts[AS_HISTOGRAM_BUCKETS];
  for (int i = 0; i < 63; i++)
    handle(a, 500);
  cr_assert_eq(as_registry_histogram_blocks_in_use(), before);
  handle(a, 500); /* the 64th in one bucket overflows its slot */
  cr_assert_eq(as_registry_histogram_blocks_in_use(), before + 1);
  for (int i = 0; i < 1000; i++)
    handle(a, 2000 + (uint64_t)i * 1000);
  cr_assert_eq(collected(a, counts), 1064);
  cr_assert_eq(counts[as_histogram_bucket(500)], 64);
  uint64_t sum = 0;
  for (int i = 0; i < 1000; i++)
    sum += as_histogram_bucket(2000 + (uint64_t)i * 1000) == as_histogram_bucket(500000) ? 1 : 0;
  cr_assert_eq(counts[as_histogram_bucket(500000)], sum);
  cr_assert_eq(a->handled, 1064);

  /* A ninth distinct bucket also spills. */
  struct as_actor *b = spawn_actor();
  for (int i = 0; i < 9; i++)
    handle(b, 100ull << (2 * i));
  cr_assert_eq(as_registry_histogram_blocks_in_use(), before + 2);
  cr_assert_eq(collected(b, counts), 9);
  for (int i = 0; i < 9; i++)
    cr_assert_eq(counts[as_histogram_bucket(100ull << (2 * i))], 1);

  as_actor_mark_stopped(a, "normal");
  as_actor_mark_stopped(b, "normal");
  as_actor_release(a);
  as_actor_release(b);
  struct as_registry_collection c = {0};
  as_registry_collect(&c, as_clock_now(), 0);     /* sees them stopped */
  as_registry_collect(&c, as_clock_now() + 1, 0); /* reaps them: the blocks go back */
  as_registry_collection_free(&c);
  cr_assert_eq(as_registry_histogram_blocks_in_use(), before);
}
