/* export perfetto opened in a real trace viewer: Chrome DevTools' Performance panel, as
 * Debian's chromium ships it, in headless chromium (tests/support/devtools_trace.py). What is
 * checked is what the viewer's own model holds after loading the exported file — its tracks'
 * slices and the flows it draws — not our JSON. */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chromium starts DevTools in 10-40 s on a loaded machine. */
TestSuite(export_devtools, .timeout = 300);

/* The viewer's model of TRACE (asserts it loaded). */
static json_t *devtools_model(const char *trace)
{
  const char *argv[] = {"/usr/bin/python3", AS_TEST_SUPPORT_DIR "/devtools_trace.py", trace, "200",
                        NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "DevTools did not load the trace: %s", run.err);
  json_error_t error;
  json_t *model = json_loads(run.out, 0, &error);
  cr_assert_not_null(model, "devtools_trace.py printed no JSON: %s", error.text);
  as_test_run_free(&run);
  return model;
}

/* The viewer's track named NAME ("#ID NAME", as the export names an actor's). */
static json_t *track(json_t *model, const char *name)
{
  size_t i;
  json_t *t;
  json_array_foreach(json_object_get(model, "threads"), i,
                     t) if (strcmp(as_test_str(t, "name") ? as_test_str(t, "name") : "", name) ==
                            0) return t;
  cr_assert_fail("DevTools has no track %s", name);
  return NULL;
}

static json_int_t slices(json_t *track_, const char *key)
{
  return json_integer_value(json_object_get(json_object_get(track_, "slices"), key));
}

/* Flows DevTools draws from a send on track FROM to a handler named NAME on track TO, each
 * starting no later than it ends. */
static size_t flows(json_t *model, json_int_t from, json_int_t to, const char *name)
{
  size_t i, n = 0;
  json_t *f;
  json_array_foreach(json_object_get(model, "flows"), i, f)
  {
    cr_assert_eq(json_array_size(f), 2, "a flow joins %zu events", json_array_size(f));
    json_t *a = json_array_get(f, 0), *b = json_array_get(f, 1);
    if (as_test_int(a, "tid") != from || as_test_int(b, "tid") != to ||
        strcmp(as_test_str(b, "name"), name) != 0)
      continue;
    cr_assert_str_eq(as_test_str(a, "name"), "send");
    cr_assert_leq(json_number_value(json_object_get(a, "ts")),
                  json_number_value(json_object_get(b, "ts")), "a flow ends before it starts");
    n++;
  }
  return n;
}

Test(export_devtools, a_caf_ping_pong_loads_with_n_handler_slices_a_side_and_n_flows_each_way)
{
  enum { ROUNDS = 300 };
  char rounds[16];
  snprintf(rounds, sizeof rounds, "%d", ROUNDS);
  const char *argv[] = {"caf_pingpong", rounds, NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 6, "caf_pingpong: %s", run.err);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  json_int_t ping = as_test_int(as_test_actor_named(last, "ping"), "id");
  json_int_t pong = as_test_int(as_test_actor_named(last, "pong"), "id");

  char *out, *ping_track, *pong_track;
  if (asprintf(&out, "%s/trace.json", run.dir) < 0 ||
      asprintf(&ping_track, "#%lld ping", (long long)ping) < 0 ||
      asprintf(&pong_track, "#%lld pong", (long long)pong) < 0)
    abort();
  char *recording = as_test_only_output(run.dir);
  const char *export[] = {AS_TEST_CLI, "export", "perfetto", "--flows=v1",
                          "-o",        out,      recording,  NULL};
  struct as_test_run exported;
  as_test_run(export, NULL, 0, &exported);
  cr_assert_eq(exported.status, 0, "export failed: %s", exported.err);

  json_t *model = devtools_model(out);
  /* Each side's handlers, of their message's type; the pinger's sends beside its handlers. */
  cr_assert_eq(slices(track(model, pong_track), "message/ping"), ROUNDS);
  cr_assert_eq(slices(track(model, ping_track), "message/pong"), ROUNDS);
  cr_assert_geq(slices(track(model, ping_track), "message/send"), ROUNDS);
  /* An arrow from each ping's send to the handler that took it, and back. */
  cr_assert_eq(flows(model, ping, pong, "ping"), ROUNDS);
  cr_assert_eq(flows(model, pong, ping, "pong"), ROUNDS);

  json_decref(model);
  json_decref(lines);
  as_test_run_free(&exported);
  free(recording);
  free(out);
  free(ping_track);
  free(pong_track);
  as_test_run_free(&run);
}
