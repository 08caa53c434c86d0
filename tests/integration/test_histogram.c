/* Handler-time histograms from real CZMQ and CAF programs whose handler times are known: 100 ms
 * sleeps among handlers that do nothing. */
#include "harness.h"
#include "histogram.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
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
  json_array_foreach(histogram, i, pair)
  {
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

/* The count of the sample line that starts with PREFIX (labels up to le), or -1. */
static long long sample(const char *text, const char *prefix)
{
  const char *at = strstr(text, prefix);
  return at ? strtoll(strchr(at, '}') + 1, NULL, 10) : -1;
}

Test(histogram, prometheus_export_has_a_handler_duration_histogram_per_name)
{
  const char *argv[] = {"czmq_timed", "20", "3", "0", NULL};
  struct as_test_run run, out;
  as_test_run(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);
  char *path = as_test_only_output(run.dir);
  json_t *lines = as_test_run_lines(&run);
  json_int_t handled = as_test_int(
      as_test_actor_named(as_test_last_snapshot(lines), "timed_worker"), "counters.handled");
  json_decref(lines);
  char prom[300];
  snprintf(prom, sizeof prom, "%s/metrics.prom", run.dir);
  const char *export[] = {AS_TEST_CLI, "export", "prometheus", "-o", prom, path, NULL};
  as_test_run(export, NULL, 0, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  as_test_run_free(&out);
  char *text = as_test_read_file(prom);
  cr_assert(strstr(text, "# TYPE actorscope_handler_duration_seconds histogram\n"), "%s", text);
  char prefix[256];
  const char *base = "actorscope_handler_duration_seconds_bucket{pid=\"";
  const char *at = strstr(text, base);
  cr_assert_not_null(at);
  const char *le = strstr(at, "le=\"");
  cr_assert_not_null(le);
  /* pid, program, runtime and name as the first sample has them, then each bound */
  const char *bounds[] = {"0.1", "1", "+Inf"};
  long long counts[3];
  for (int k = 0; k < 3; k++) {
    snprintf(prefix, sizeof prefix, "%.*sle=\"%s\"}", (int)(le - at), at, bounds[k]);
    counts[k] = sample(text, prefix);
  }
  /* the 3 handlers that slept 100 ms are past 0.1 s; all 24 are within 1 s */
  cr_expect_eq(counts[2], handled, "%s", text);
  cr_expect_eq(counts[1], handled);
  cr_expect_eq(counts[0], handled - 3);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "command -v promtool >/dev/null || exit 0; promtool check metrics < %s",
           prom);
  cr_expect_eq(system(cmd), 0, "promtool refused the metrics");
  free(text);
  free(path);
  as_test_run_free(&run);
}
