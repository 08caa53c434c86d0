/* export perfetto's exact timeline read as a viewer reads it (docs/export.md, "With events"):
 * every flow joins one send to one handler of the same process, however many runs the trace
 * holds, and every track an event lands on has a name. */
#define _GNU_SOURCE
#include "attach_harness.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(export_timeline, .timeout = 120);

static void make_dir(char *dir, size_t len)
{
  snprintf(dir, len, "/tmp/actorscope-timeline-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

/* `actorscope run --events -o DIR/NAME.jsonl -- PROGRAM ARG`, which exits with STATUS. */
static void run_with_events(const char *dir, const char *name, const char *program, const char *arg,
                            int status)
{
  char dest[256], path[256], out[8192];
  snprintf(dest, sizeof dest, "%s/%s.jsonl", dir, name);
  snprintf(path, sizeof path, "%s/%s", AS_TEST_PROGRAMS, program);
  int rc = cli(out, sizeof out, 0, "run", "--events", "-o", dest, "--", path, arg);
  cr_assert_eq(rc, status, "%s", out);
}

static json_t *export_trace(const char *dir, const char *run1, const char *run2)
{
  char trace[256], out[8192];
  snprintf(trace, sizeof trace, "%s/trace.json", dir);
  int rc = cli(out, sizeof out, 0, "export", "perfetto", "-o", trace, run1, run2, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  json_error_t error;
  json_t *doc = json_load_file(trace, 0, &error);
  cr_assert_not_null(doc, "%s", error.text);
  return doc;
}

/* Two runs recorded with events, exported into one trace: each numbered its flows from 1, and
 * the viewer joined run A's sends to run B's handlers. */
Test(export_timeline, flows_of_two_runs_never_share_an_id)
{
  char dir[64], a[128], b[128];
  make_dir(dir, sizeof dir);
  run_with_events(dir, "a", "czmq_pingpong", "40", 3);
  run_with_events(dir, "b", "czmq_pingpong", "40", 3);
  snprintf(a, sizeof a, "%s/a.jsonl", dir);
  snprintf(b, sizeof b, "%s/b.jsonl", dir);
  json_t *doc = export_trace(dir, a, b);
  json_t *out_ends = json_object(), *in_ends = json_object(), *e;
  size_t i;
  json_array_foreach(json_object_get(doc, "traceEvents"), i, e)
  {
    json_t *bind = json_object_get(e, "bind_id");
    if (!bind)
      continue;
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)json_integer_value(bind));
    json_t *ends = json_is_true(json_object_get(e, "flow_out")) ? out_ends : in_ends;
    cr_assert_null(json_object_get(ends, key), "flow %s has two %s ends", key,
                   ends == out_ends ? "send" : "handler");
    json_object_set(ends, key, json_object_get(e, "pid"));
  }
  /* Each run's 40 pings and its start and end: flows enough in each. */
  cr_assert_geq(json_object_size(out_ends), 80);
  cr_assert_eq(json_object_size(out_ends), json_object_size(in_ends));
  const char *key;
  json_t *pid;
  json_object_foreach(out_ends, key, pid)
  {
    json_t *other = json_object_get(in_ends, key);
    cr_assert_not_null(other, "flow %s has no handler", key);
    cr_assert(json_equal(pid, other), "flow %s goes from process %lld to process %lld", key,
              (long long)json_integer_value(pid), (long long)json_integer_value(other));
  }
  json_decref(out_ends);
  json_decref(in_ends);
  json_decref(doc);
  as_test_remove_tree(dir);
}

/* Rings too small for a ping-pong: the "events lost" marks stood on tracks no metadata named
 * (a viewer showed "Thread 1000002574"). */
Test(export_timeline, every_track_an_event_lands_on_is_named)
{
  char dir[64], a[128];
  make_dir(dir, sizeof dir);
  setenv("ACTORSCOPE_EVENTS_RING", "16", 1);
  run_with_events(dir, "a", "caf_pingpong", "20000", 6);
  unsetenv("ACTORSCOPE_EVENTS_RING");
  snprintf(a, sizeof a, "%s/a.jsonl", dir);
  json_t *doc = export_trace(dir, a, NULL);
  json_t *named = json_object(), *e;
  size_t i, lost = 0;
  json_t *events = json_object_get(doc, "traceEvents");
  json_array_foreach(events, i, e)
  {
    const char *name = json_string_value(json_object_get(e, "name"));
    if (name && strcmp(name, "thread_name") == 0) {
      char key[64];
      snprintf(key, sizeof key, "%lld/%lld",
               (long long)json_integer_value(json_object_get(e, "pid")),
               (long long)json_integer_value(json_object_get(e, "tid")));
      json_object_set_new(named, key, json_true());
    }
    lost += name && strcmp(name, "events lost") == 0;
  }
  cr_assert_gt(lost, 0, "the rings lost nothing: the test tests nothing");
  json_array_foreach(events, i, e)
  {
    json_t *tid = json_object_get(e, "tid");
    if (!tid)
      continue;
    char key[64];
    snprintf(key, sizeof key, "%lld/%lld", (long long)json_integer_value(json_object_get(e, "pid")),
             (long long)json_integer_value(tid));
    cr_assert_not_null(json_object_get(named, key), "track %s (%s) has no name", key,
                       json_string_value(json_object_get(e, "name")));
  }
  json_decref(named);
  json_decref(doc);
  as_test_remove_tree(dir);
}

/* A recording whose events file rotated: the export draws the newest file only, and says so
 * (its slices were a few hundred of report's 40,000 messages, without a word). */
Test(export_timeline, a_rotated_events_file_is_said_to_be_drawn_in_part)
{
  char dir[64], dest[128], output[160], path[256], trace[128], out[8192];
  make_dir(dir, sizeof dir);
  snprintf(dest, sizeof dest, "%s/a.jsonl", dir);
  snprintf(output, sizeof output, "--output=%s", dest);
  snprintf(path, sizeof path, "%s/caf_pingpong", AS_TEST_PROGRAMS);
  int rc =
      cli(out, sizeof out, 0, "run", "--events", "--max-size=100K", output, "--", path, "20000");
  cr_assert_eq(rc, 6, "%s", out);
  snprintf(trace, sizeof trace, "%s/trace.json", dir);
  rc = cli(out, sizeof out, 0, "export", "perfetto", "-o", trace, dest, NULL, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  cr_assert(strstr(out, "a.events is the newest of a rotated set") &&
                strstr(out, "a.1.events ...) are not"),
            "%s", out);
  as_test_remove_tree(dir);
}
