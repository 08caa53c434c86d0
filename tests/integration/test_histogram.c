/* Handler-time histograms from real CZMQ and CAF programs whose handler times are known: 100 ms
 * sleeps among handlers that do nothing. */
#include "harness.h"
#include "histogram.h"

#include <criterion/criterion.h>
#include <string.h>

TestSuite(histogram, .timeout = 60);

/* Checks the final line's histogram of `worker`: its counts add up to counters.handled, and
 * exactly `slow` handlers lie in buckets reaching 100 ms. */
static void check_worker(const char *program, int fast, int slow)
{
  char fast_arg[16], slow_arg[16];
  snprintf(fast_arg, sizeof fast_arg, "%d", fast);
  snprintf(slow_arg, sizeof slow_arg, "%d", slow);
  const char *argv[] = {program, fast_arg, slow_arg, "0", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=100", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 0);
  cr_assert_str_eq(run.out, "timed done\n");

  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  json_int_t tick_fs = as_test_int(last, "tick_fs");
  cr_assert_gt(tick_fs, 0);
  json_t *worker = as_test_actor_named(last, "timed_worker");
  cr_assert_not_null(worker);
  json_t *histogram = json_object_get(worker, "handler_histogram");
  cr_assert(json_is_array(histogram), "no handler_histogram");
  json_int_t total = 0, at_100ms = 0, last_bucket = -1;
  size_t i;
  json_t *pair;
  json_array_foreach(histogram, i, pair) {
    cr_assert(json_is_array(pair) && json_array_size(pair) == 2);
    json_int_t bucket = json_integer_value(json_array_get(pair, 0));
    json_int_t count = json_integer_value(json_array_get(pair, 1));
    cr_assert_gt(bucket, last_bucket, "sorted by bucket, each once");
    cr_assert_lt(bucket, AS_HISTOGRAM_BUCKETS);
    cr_assert_gt(count, 0);
    last_bucket = bucket;
    total += count;
    double high_ns = (double)as_histogram_bucket_high((unsigned)bucket) * (double)tick_fs / 1e6;
    if (high_ns >= 100e6)
      at_100ms += count;
  }
  cr_assert_eq(total, as_test_int(worker, "counters.handled"));
  cr_assert_geq(total, fast + slow);
  cr_assert_eq(at_100ms, slow, "%lld handlers of 100 ms or more, %d slept 100 ms",
               (long long)at_100ms, slow);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(histogram, czmq_handlers_land_in_their_buckets_every_one_counted)
{
  check_worker("czmq_timed", 100, 3);
}

Test(histogram, caf_handlers_land_in_their_buckets_every_one_counted)
{
  check_worker("caf_timed", 100, 3);
}
