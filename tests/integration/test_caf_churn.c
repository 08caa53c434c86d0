/* Issue 22: actors that come and go by the thousand (an actor per request) cost bounded memory
 * and lose no fact: a storm of stops gets lines before the interval ends, stopped actors are
 * listed once in deltas, and the grave window keeps a bounded number of them. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(caf_churn, .timeout = 120);

#define WORKER "acme::billing::invoice_worker"
/* preload/registry.h: AS_REGISTRY_GRAVE_MAX. */
#define GRAVE_MAX 4096

static int is_data_line(json_t *line)
{
  const char *type = as_test_str(line, "type");
  return type && (strcmp(type, "snapshot") == 0 || strcmp(type, "delta") == 0);
}

static int is_worker(json_t *actor)
{
  const char *name = as_test_str(actor, "name");
  return name && strcmp(name, WORKER) == 0;
}

static int is_stopped_worker(json_t *actor)
{
  const char *status = as_test_str(actor, "status");
  return is_worker(actor) && (!status || strcmp(status, "stopped") == 0);
}

/* How many distinct workers some line of the first UPTO lists stopped ("actors" with status
 * stopped, or "ended"). */
static size_t churn_stopped_workers_upto(json_t *lines, long n, size_t upto)
{
  unsigned char *seen = calloc(4 * n, 1);
  cr_assert_not_null(seen);
  size_t i, k, distinct = 0;
  json_t *line, *actor;
  json_array_foreach(lines, i, line)
  {
    if (i >= upto)
      break;
    if (!is_data_line(line))
      continue;
    json_t *actors = as_test_line_actors(line);
    json_array_foreach(actors, k, actor)
    {
      if (!is_stopped_worker(actor))
        continue;
      json_int_t id = as_test_int(actor, "id");
      cr_assert(id > 0 && id < 4 * n, "worker id %lld", (long long)id);
      distinct += !seen[id];
      seen[id] = 1;
    }
    json_decref(actors);
  }
  free(seen);
  return distinct;
}

static size_t churn_stopped_workers(json_t *lines, long n)
{
  return churn_stopped_workers_upto(lines, n, json_array_size(lines));
}

static long report_count(const char *path, const char *what)
{
  const char *argv[] = {AS_TEST_CLI, "report", path, NULL};
  struct as_test_run out;
  as_test_run(argv, NULL, 0, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  const char *at = strstr(out.out, "actors: ");
  cr_assert_not_null(at, "%s", out.out);
  long spawned, stopped, alive;
  cr_assert_eq(
      sscanf(at, "actors: %ld spawned, %ld stopped, %ld alive", &spawned, &stopped, &alive), 3,
      "%s", at);
  as_test_run_free(&out);
  return strcmp(what, "spawned") == 0 ? spawned : stopped;
}

/* An interval of an hour: without lines on account of the stops, the run would have its first
 * line and its last, and every worker's record would wait for the last. */
Test(caf_churn, a_storm_of_stops_gets_lines_before_the_interval_ends)
{
  enum { N = 20000 };
  const char *argv[] = {"caf_churn", "20000", "64", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=3600000", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  json_t *lines = as_test_run_lines(&run), *line;
  size_t i, last = 0;
  json_array_foreach(lines, i, line) if (is_data_line(line)) last = i;
  /* Lines before the last list stopped workers: lines came on account of the stops. Without
   * them the first line (at start, before the storm) lists none and the last lists all. Not a
   * count of lines: on a loaded machine the collector may be scheduled late, and its first line
   * then covers the storm (ctest -j2 saw two lines once). */
  size_t before_last = churn_stopped_workers_upto(lines, N, last);
  cr_assert_geq(before_last, 4096, "lines before the last list %zu stopped workers", before_last);

  cr_assert_eq(churn_stopped_workers(lines, N), N, "not every worker is listed stopped");
  /* What the user reads: every worker spawned and stopped, none left alive. */
  char *path = as_test_only_output(run.dir);
  long stopped = report_count(path, "stopped");
  cr_expect_geq(stopped, N);
  cr_expect_eq(report_count(path, "spawned"), stopped);
  free(path);
  json_decref(lines);
  as_test_run_free(&run);
}

/* A stopped actor is listed again in a delta only when something a line says of it changed (a
 * handler's end stored just after the stop, more often under load), never unchanged: a line
 * lists what changed. Its stop time is left out of the comparison: each line converts ticks
 * with the clock's latest calibration. */
Test(caf_churn, a_stopped_actor_is_listed_again_only_when_it_changed)
{
  enum { N = 20000 };
  const char *argv[] = {"caf_churn", "20000", "2000", NULL};
  /* Deltas: the harness makes every line a keyframe unless told otherwise. */
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=50", "ACTORSCOPE_KEYFRAME_S=3600", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  json_t *lines = as_test_run_lines(&run), *line, *actor;
  json_t *said = json_object(); /* id -> its last stopped listing in a delta, stop time left out */
  size_t i, k, again = 0, unchanged = 0;
  json_array_foreach(lines, i, line)
  {
    if (!is_data_line(line) || strcmp(as_test_str(line, "type"), "delta") != 0)
      continue;
    json_array_foreach(json_object_get(line, "actors"), k, actor)
    {
      const char *status = as_test_str(actor, "status");
      if (!is_worker(actor) || !status || strcmp(status, "stopped") != 0)
        continue;
      char key[32];
      snprintf(key, sizeof key, "%lld", (long long)as_test_int(actor, "id"));
      json_t *listing = json_deep_copy(actor);
      json_object_del(listing, "stopped");
      json_t *before = json_object_get(said, key);
      if (before) {
        again++;
        unchanged += json_equal(before, listing);
      }
      json_object_set_new(said, key, listing);
    }
  }
  cr_expect_eq(unchanged, 0, "%zu of %zu listings again of stopped workers changed nothing",
               unchanged, again);
  cr_assert_gt(json_object_size(said), 0, "no delta listed a stopped worker");
  json_decref(said);
  json_decref(lines);
  as_test_run_free(&run);
}

/* A grave window of a day: lines every 2 ms see thousands of workers alive, and each stays
 * listed after its stop only while it is among the GRAVE_MAX most recent. */
Test(caf_churn, the_grave_window_keeps_a_bounded_number_of_actors)
{
  enum { N = 30000 };
  const char *argv[] = {"caf_churn", "30000", "2000", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=2", "ACTORSCOPE_GRAVE_MS=86400000", NULL};
  struct as_test_run run;
  json_t *lines = NULL, *line, *actor;
  size_t i, k, seen_alive = 0;
  /* Otherwise the run says nothing of the bound: every worker a line saw alive would be a grave
   * of the last keyframe without it, so more of them than the check below allows. Under load
   * lines come less often and catch fewer alive (6.8 k of 30 k once, with two busy loops; 5.3 k
   * beside the other tests): such a run is not the one this test needs, and is run again. */
  for (int attempt = 0; attempt < 3 && seen_alive <= GRAVE_MAX + 2000; attempt++) {
    if (attempt > 0) {
      json_decref(lines);
      as_test_run_free(&run);
    }
    as_test_run(argv, env, 1, &run);
    cr_assert_eq(run.status, 0, "%s", run.err);
    lines = as_test_run_lines(&run);
    seen_alive = 0;
    json_array_foreach(lines, i, line)
    {
      json_array_foreach(json_object_get(line, "actors"), k, actor) seen_alive +=
          is_worker(actor) && !is_stopped_worker(actor);
    }
  }
  cr_assert_gt(seen_alive, GRAVE_MAX + 2000, "lines saw only %zu workers alive", seen_alive);
  json_t *last = json_array_get(lines, json_array_size(lines) - 1);
  cr_assert_str_eq(as_test_str(last, "type"), "snapshot");
  size_t listed_stopped = 0;
  json_array_foreach(json_object_get(last, "actors"), k, actor) listed_stopped +=
      is_stopped_worker(actor);
  /* The graves kept, and the workers stopped since the line before (at most those in flight). */
  cr_expect_leq(listed_stopped, GRAVE_MAX + 2000, "%zu stopped workers in the last keyframe",
                listed_stopped);
  cr_expect_eq(churn_stopped_workers(lines, N), N, "a worker's stop was lost");
  json_decref(lines);
  as_test_run_free(&run);
}
