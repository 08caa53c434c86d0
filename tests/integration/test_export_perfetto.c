/* actorscope export perfetto against recorded runs of the real test programs: every event is
 * checked against what the recording says, read independently here with jansson. */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(export_perfetto, .timeout = 60);

static json_t *perfetto_export(const char *const *runs, size_t n)
{
  const char *argv[8] = {AS_TEST_CLI, "export", "perfetto"};
  cr_assert_leq(n, 4);
  for (size_t i = 0; i < n; i++)
    argv[3 + i] = runs[i];
  argv[3 + n] = NULL;
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "export failed: %s", run.err);
  json_error_t error;
  json_t *trace = json_loads(run.out, 0, &error);
  cr_assert_not_null(trace, "the trace is not JSON: %s (line %d)", error.text, error.line);
  as_test_run_free(&run);
  cr_assert(json_is_array(json_object_get(trace, "traceEvents")));
  return trace;
}

/* Microseconds, as the trace gives them, of an instant in nanoseconds. Both sides are the
 * correctly rounded double of the same decimal, so they compare exactly. */
static double us(json_int_t offset_ns, json_int_t ns) { return (double)(offset_ns + ns) / 1000.0; }

static double ev_ts(json_t *ev)
{
  json_t *ts = json_object_get(ev, "ts");
  cr_assert(json_is_number(ts), "an event without a numeric ts");
  return json_number_value(ts);
}

static const char *ev_str(json_t *ev, const char *key)
{
  const char *s = json_string_value(json_object_get(ev, key));
  return s ? s : "";
}

static json_int_t ev_int(json_t *ev, const char *key)
{
  return json_integer_value(json_object_get(ev, key));
}

/* The events of process PID with phase PH (and tid TID when >= 0, name NAME when not NULL),
 * in file order. */
static json_t *events(json_t *trace, json_int_t pid, const char *ph, json_int_t tid,
                      const char *name)
{
  json_t *out = json_array();
  size_t i;
  json_t *ev;
  json_array_foreach(json_object_get(trace, "traceEvents"), i, ev)
  {
    if (ev_int(ev, "pid") != pid || strcmp(ev_str(ev, "ph"), ph) != 0)
      continue;
    if (tid >= 0 && ev_int(ev, "tid") != tid)
      continue;
    if (name && strcmp(ev_str(ev, "name"), name) != 0)
      continue;
    json_array_append(out, ev);
  }
  return out;
}

/* Every actor id listed in any snapshot, each once, ascending (ids are small in these runs). */
static size_t recorded_ids(json_t *lines, json_int_t *ids, size_t max)
{
  char seen[4096] = {0};
  size_t n = 0;
  for (size_t l = 1; l < json_array_size(lines); l++) {
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(json_array_get(lines, l), "actors"), i, a)
    {
      json_int_t id = as_test_int(a, "id");
      cr_assert_lt(id, 4096);
      if (!seen[id]++ && n < max)
        ids[n++] = id;
    }
  }
  return n;
}

/* The actor with ID in snapshot line L, or NULL. */
static json_t *actor_in(json_t *lines, size_t l, json_int_t id)
{
  return as_test_actor_by_id(json_array_get(lines, l), id);
}

/* Handler slices as a reader of the recording expects them: a handler seen at consecutive
 * captures with the actor's handled and received counters unchanged is one slice, from the
 * first capture minus its elapsed time to the last capture that saw it. */
static void check_handler_slices(json_t *trace, json_t *lines, json_int_t pid, json_int_t off,
                                 json_int_t id)
{
  json_t *begins = events(trace, pid, "B", id, NULL), *ends = events(trace, pid, "E", id, NULL);
  size_t k = 0;
  int open = 0;
  json_int_t handled = -1, received = -1, last_seen = 0;
  for (size_t l = 1; l < json_array_size(lines); l++) {
    json_t *snap = json_array_get(lines, l), *a = actor_in(lines, l, id);
    json_t *h = a ? json_object_get(a, "handling") : NULL;
    int running = h && json_is_object(h);
    int same = open && running && as_test_int(a, "counters.handled") == handled &&
               as_test_int(a, "counters.messages_received") == received;
    if (open && !same) {
      cr_assert_lt(k - 1, json_array_size(ends), "#%lld: a slice is not ended", (long long)id);
      cr_assert_eq(ev_ts(json_array_get(ends, k - 1)), us(off, last_seen),
                   "#%lld: slice %zu must end at its last sighting", (long long)id, k);
      open = 0;
    }
    if (running && !same) {
      cr_assert_lt(k, json_array_size(begins), "#%lld: a handler seen at line %zu has no slice",
                   (long long)id, l + 1);
      json_t *b = json_array_get(begins, k++);
      json_int_t start = as_test_int(snap, "uptime_ns") - as_test_int(h, "elapsed_ns");
      cr_assert_eq(ev_ts(b), us(off, start), "#%lld: slice %zu starts at capture - elapsed",
                   (long long)id, k);
      cr_assert_str_eq(ev_str(b, "name"), as_test_str(h, "type"));
      cr_assert_str_eq(ev_str(json_object_get(b, "args"), "type"), as_test_str(h, "type"));
      handled = as_test_int(a, "counters.handled");
      received = as_test_int(a, "counters.messages_received");
      open = 1;
    }
    if (running)
      last_seen = as_test_int(snap, "uptime_ns");
    if (!a && open) {
      cr_assert_eq(ev_ts(json_array_get(ends, k - 1)), us(off, last_seen));
      open = 0;
    }
  }
  if (open)
    cr_assert_eq(ev_ts(json_array_get(ends, k - 1)), us(off, last_seen));
  cr_assert_eq(json_array_size(begins), k, "#%lld: %zu slices, the recording has %zu",
               (long long)id, json_array_size(begins), k);
  cr_assert_eq(json_array_size(ends), k);
  json_decref(begins);
  json_decref(ends);
}

/* On every actor's track and every counter track, time never goes back; B and E alternate. */
static void check_track_order(json_t *trace, json_int_t pid, const json_int_t *ids, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    double last = -1;
    int depth = 0;
    size_t k;
    json_t *ev;
    json_array_foreach(json_object_get(trace, "traceEvents"), k, ev)
    {
      if (ev_int(ev, "pid") != pid || ev_int(ev, "tid") != ids[i] ||
          strcmp(ev_str(ev, "ph"), "M") == 0)
        continue;
      cr_assert_geq(ev_ts(ev), last, "#%lld: %s at %f after %f", (long long)ids[i],
                    ev_str(ev, "name"), ev_ts(ev), last);
      last = ev_ts(ev);
      if (strcmp(ev_str(ev, "ph"), "B") == 0)
        cr_assert_eq(depth++, 0, "#%lld: nested B", (long long)ids[i]);
      if (strcmp(ev_str(ev, "ph"), "E") == 0)
        cr_assert_eq(--depth, 0, "#%lld: E without B", (long long)ids[i]);
    }
    cr_assert_eq(depth, 0);
  }
  json_t *counters = events(trace, pid, "C", -1, NULL);
  size_t k;
  json_t *ev;
  json_array_foreach(counters, k, ev)
  {
    for (size_t j = 0; j < k; j++) {
      json_t *before = json_array_get(counters, j);
      if (strcmp(ev_str(before, "name"), ev_str(ev, "name")) == 0)
        cr_assert_leq(ev_ts(before), ev_ts(ev), "counter %s goes back in time", ev_str(ev, "name"));
    }
  }
  json_decref(counters);
}

/* Everything the trace says about one recorded run (process PID, placed OFF ns after the
 * trace's origin), compared with the recording. */
static void check_run(json_t *trace, const char *path, json_int_t off)
{
  json_t *lines = as_test_load_lines(path);
  json_t *header = json_array_get(lines, 0);
  json_int_t pid = as_test_int(header, "pid");
  const char *program = strrchr(as_test_str(header, "program"), '/') + 1;
  size_t n_snaps = json_array_size(lines) - 1;

  json_t *meta = events(trace, pid, "M", -1, "process_name");
  cr_assert_eq(json_array_size(meta), 1, "one process per run");
  cr_assert_str_eq(ev_str(json_object_get(json_array_get(meta, 0), "args"), "name"), program);
  json_decref(meta);

  json_int_t ids[512];
  size_t n_ids = recorded_ids(lines, ids, 512);
  cr_assert_gt(n_ids, 0);
  for (size_t i = 0; i < n_ids; i++) {
    json_int_t id = ids[i];
    json_t *first = NULL, *stopped = NULL;
    for (size_t l = 1; l < json_array_size(lines); l++) {
      json_t *a = actor_in(lines, l, id);
      if (a && !first)
        first = a;
      if (a && !stopped && json_is_object(json_object_get(a, "stopped")))
        stopped = a;
    }
    char label[600];
    snprintf(label, sizeof label, "#%lld %s", (long long)id, as_test_str(first, "name"));
    json_t *names = events(trace, pid, "M", id, "thread_name");
    cr_assert_eq(json_array_size(names), 1, "%s: one named track", label);
    cr_assert_str_eq(ev_str(json_object_get(json_array_get(names, 0), "args"), "name"), label);
    json_decref(names);

    json_t *spawns = events(trace, pid, "i", id, "spawn");
    cr_assert_eq(json_array_size(spawns), 1, "%s: one spawn", label);
    json_t *spawn = json_array_get(spawns, 0);
    cr_assert_eq(ev_ts(spawn), us(off, as_test_int(first, "spawned_at_ns")), "%s spawn ts", label);
    cr_assert_str_eq(ev_str(spawn, "s"), "t");
    cr_assert_str_eq(ev_str(json_object_get(spawn, "args"), "runtime"),
                     as_test_str(first, "runtime"));
    json_decref(spawns);

    json_t *stops = events(trace, pid, "i", id, "stop");
    cr_assert_eq(json_array_size(stops), stopped ? 1 : 0, "%s: stops", label);
    if (stopped) {
      json_t *stop = json_array_get(stops, 0);
      cr_assert_eq(ev_ts(stop), us(off, as_test_int(stopped, "stopped.at_ns")), "%s stop ts",
                   label);
      cr_assert_str_eq(ev_str(json_object_get(stop, "args"), "reason"),
                       as_test_str(stopped, "stopped.reason"));
    }
    json_decref(stops);

    check_handler_slices(trace, lines, pid, off, id);

    /* Its mailbox counter: a point at each capture where the depth changed. */
    char track[640];
    snprintf(track, sizeof track, "mailbox %s", label);
    json_t *depths = events(trace, pid, "C", -1, track);
    size_t k = 0;
    json_int_t shown = 0;
    for (size_t l = 1; l < json_array_size(lines); l++) {
      json_t *a = actor_in(lines, l, id);
      if (!a || as_test_int(a, "mailbox.len") == shown)
        continue;
      shown = as_test_int(a, "mailbox.len");
      cr_assert_lt(k, json_array_size(depths), "%s: depth %lld at line %zu missing", label,
                   (long long)shown, l + 1);
      json_t *c = json_array_get(depths, k++);
      cr_assert_eq(ev_ts(c), us(off, as_test_int(json_array_get(lines, l), "uptime_ns")));
      cr_assert_eq(ev_int(json_object_get(c, "args"), "depth"), shown);
    }
    cr_assert_eq(json_array_size(depths), k, "%s: extra depth points", label);
    json_decref(depths);
  }

  /* Alive actors: one point per snapshot, at its capture. */
  json_t *alive = events(trace, pid, "C", -1, "actors");
  cr_assert_eq(json_array_size(alive), n_snaps);
  for (size_t l = 1; l <= n_snaps; l++) {
    json_t *snap = json_array_get(lines, l), *c = json_array_get(alive, l - 1);
    cr_assert_eq(ev_ts(c), us(off, as_test_int(snap, "uptime_ns")));
    cr_assert_eq(ev_int(json_object_get(c, "args"), "alive"), as_test_int(snap, "totals.alive"));
  }
  json_decref(alive);

  /* Messages/s: from each capture, the average rate until the next one. */
  json_t *rates = events(trace, pid, "C", -1, "messages");
  cr_assert_eq(json_array_size(rates), n_snaps);
  for (size_t l = 1; l + 1 <= n_snaps; l++) {
    json_t *a = json_array_get(lines, l), *b = json_array_get(lines, l + 1);
    double seconds = (double)(as_test_int(b, "uptime_ns") - as_test_int(a, "uptime_ns")) / 1e9;
    double expected = (double)(as_test_int(b, "totals.messages_received") -
                               as_test_int(a, "totals.messages_received")) /
                      seconds;
    json_t *c = json_array_get(rates, l - 1);
    cr_assert_eq(ev_ts(c), us(off, as_test_int(a, "uptime_ns")));
    double got = json_number_value(json_object_get(json_object_get(c, "args"), "received/s"));
    cr_assert(got > expected - 0.01 && got < expected + 0.01, "rate %f, expected %f", got,
              expected);
  }
  json_decref(rates);

  /* Each cycle once, at the first capture that found it, naming its actors. */
  json_t *cycles = events(trace, pid, "i", -1, NULL);
  size_t found = 0, i;
  json_t *ev;
  json_array_foreach(cycles, i, ev)
  {
    if (strcmp(ev_str(ev, "name"), "deadlock") != 0 || strcmp(ev_str(ev, "s"), "p") != 0)
      continue;
    found++;
    for (size_t l = 1; l < json_array_size(lines); l++) {
      json_t *snap = json_array_get(lines, l);
      if (json_array_size(json_object_get(snap, "deadlocks")) == 0)
        continue;
      cr_assert_eq(ev_ts(ev), us(off, as_test_int(snap, "uptime_ns")));
      cr_assert(json_equal(
          json_object_get(json_object_get(ev, "args"), "actors"),
          json_object_get(json_array_get(json_object_get(snap, "deadlocks"), 0), "actors")));
      break;
    }
  }
  json_decref(cycles);
  json_t *last = as_test_last_snapshot(lines);
  int any = 0;
  for (size_t l = 1; l < json_array_size(lines); l++)
    any |= json_array_size(json_object_get(json_array_get(lines, l), "deadlocks")) > 0;
  cr_assert_eq(found, any ? 1 : 0, "deadlock instants: %zu", found);
  (void)last;

  check_track_order(trace, pid, ids, n_ids);
  json_decref(lines);
}

Test(export_perfetto, a_czmq_deadlock_run_becomes_tracks_slices_instants_and_counters)
{
  const char *runs[] = {AS_TEST_DATA "/runs/deadlock.jsonl"};
  json_t *trace = perfetto_export(runs, 1);
  check_run(trace, runs[0], 0);
  /* The recording's two peers each wait in one long handler: two slices, named by type. */
  json_t *slices = events(trace, 27613, "B", -1, NULL);
  cr_assert_eq(json_array_size(slices), 2);
  json_decref(slices);
  json_decref(trace);
}

Test(export_perfetto, a_caf_supervisor_run_has_every_actor_and_exit_reason)
{
  const char *runs[] = {AS_TEST_DATA "/runs/supervisor.jsonl"};
  json_t *trace = perfetto_export(runs, 1);
  check_run(trace, runs[0], 0);
  json_decref(trace);
}

Test(export_perfetto, a_czmq_tree_run_matches_the_recording)
{
  const char *runs[] = {AS_TEST_DATA "/runs/tree.jsonl"};
  json_t *trace = perfetto_export(runs, 1);
  check_run(trace, runs[0], 0);
  json_decref(trace);
}

Test(export_perfetto, two_runs_are_two_processes_placed_on_the_wall_clock)
{
  const char *runs[] = {AS_TEST_DATA "/runs/demo-20.jsonl", AS_TEST_DATA "/runs/supervisor.jsonl"};
  json_t *trace = perfetto_export(runs, 2);
  json_t *a = as_test_load_lines(runs[0]), *b = as_test_load_lines(runs[1]);
  json_int_t sa = as_test_int(json_array_get(a, 0), "started_at_ns");
  json_int_t sb = as_test_int(json_array_get(b, 0), "started_at_ns");
  json_int_t t0 = sa < sb ? sa : sb;
  cr_assert_neq(as_test_int(json_array_get(a, 0), "pid"), as_test_int(json_array_get(b, 0), "pid"));
  check_run(trace, runs[0], sa - t0);
  check_run(trace, runs[1], sb - t0);
  json_decref(a);
  json_decref(b);
  json_decref(trace);
}

Test(export_perfetto, a_malformed_run_is_refused_with_its_line)
{
  const char *argv[] = {AS_TEST_CLI, "export", "perfetto",
                        AS_TEST_DATA "/malformed/actor-wrong-types.jsonl", NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 2, "%s", run.err);
  cr_assert(strstr(run.err, "actor-wrong-types.jsonl:2: ") != NULL, "%s", run.err);
  as_test_run_free(&run);
}

Test(export_perfetto, a_handler_of_an_actor_reaped_mid_run_ends_at_its_last_sighting)
{
  /* The deadlock recording with #2 gone (reaped) from the third snapshot on, while the second
   * still saw it inside its handler. */
  const char *runs[] = {AS_TEST_DATA "/export/reaped-in-handler.jsonl"};
  json_t *trace = perfetto_export(runs, 1);
  check_run(trace, runs[0], 0);
  json_t *ends = events(trace, 27613, "E", 2, NULL);
  cr_assert_eq(json_array_size(ends), 1);
  json_decref(ends);
  json_decref(trace);
}
