/* Wait-for edges and deadlock cycles, read from mid-run snapshots. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(czmq_deadlock, .timeout = 60);

static const char *const fast_snapshots[] = {"ACTORSCOPE_INTERVAL_MS=50", NULL};

Test(czmq_deadlock, two_actors_waiting_on_each_other_are_reported_as_a_cycle)
{
  const char *argv[] = {"czmq_deadlock", "1500", NULL};
  struct as_test_run run;
  as_test_run_both(argv, fast_snapshots, 1, &run);
  cr_assert_eq(run.status, 0);

  json_t *lines = as_test_run_lines(&run);
  json_t *cycle_seen = as_test_first_deadlock(lines);
  cr_assert_not_null(cycle_seen, "no snapshot reported the deadlock");
  size_t i;
  json_t *line;
  json_t *deadlocks = json_object_get(cycle_seen, "deadlocks");
  cr_assert_eq(json_array_size(deadlocks), 1);
  json_t *cycle = json_array_get(deadlocks, 0);
  json_t *ids = json_object_get(cycle, "actors");
  cr_assert_eq(json_array_size(ids), 2);
  cr_assert_str_eq(json_string_value(json_array_get(json_object_get(cycle, "names"), 0)),
                   "peer_actor");

  /* Each member waits on the other, for a reply, while inside a handler. */
  for (size_t k = 0; k < 2; k++) {
    json_t *actor = as_test_actor_by_id(cycle_seen, json_integer_value(json_array_get(ids, k)));
    json_int_t other = json_integer_value(json_array_get(ids, 1 - k));
    cr_assert_eq(as_test_int(actor, "waiting_on.target"), other);
    cr_assert_str_eq(as_test_str(actor, "waiting_on.kind"), "reply");
    cr_assert_not_null(as_test_str(actor, "handling.type"));
  }
  /* The timeouts broke it: the final snapshot has no cycle and no waits. */
  json_t *last = as_test_last_snapshot(lines);
  cr_assert_eq(json_array_size(json_object_get(last, "deadlocks")), 0);
  json_array_foreach(json_object_get(last, "actors"), i, line)
      cr_assert(json_is_null(json_object_get(line, "waiting_on")));
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_deadlock, a_busy_ping_pong_never_shows_a_false_cycle)
{
  /* A fast interval over a long run samples many moments of busy request/reply traffic. */
  const char *argv[] = {"czmq_tree", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=1", NULL};
  const char *pp[] = {"czmq_pingpong", "30000", NULL};
  const char *const *programs[] = {argv, pp};
  for (int p = 0; p < 2; p++) {
    struct as_test_run run;
    as_test_run(programs[p], env, 1, &run);
    json_t *lines = as_test_run_lines(&run);
    cr_assert_gt(json_array_size(lines), 3);
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line) cr_assert_eq(
        json_array_size(json_object_get(line, "deadlocks")), 0, "false cycle at line %zu", i + 1);
    json_decref(lines);
    as_test_run_free(&run);
  }
}
