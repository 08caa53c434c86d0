/* Wait-for edges of scoped, blocking and event-based (.await) CAF actors, and deadlocks. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(caf_waits, .timeout = 60);

static const char *const fast[] = {"ACTORSCOPE_INTERVAL_MS=50", NULL};

Test(caf_waits, a_scoped_request_waits_on_a_slow_handler_visible_mid_run)
{
  const char *argv[] = {"caf_waits", "scoped", "1200", NULL};
  struct as_test_run run;
  as_test_run_both(argv, fast, 1, &run);
  cr_assert_str_eq(run.out, "answer 42\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *seen = NULL;
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    json_t *calc = as_test_actor_named(line, "slow_calc");
    const char *type = calc ? as_test_str(calc, "handling.type") : NULL;
    if (type && strcmp(type, "ask") == 0 && as_test_int(calc, "handling.elapsed_ns") >= 600000000)
      seen = line;
  }
  cr_assert_not_null(seen, "no snapshot showed the slow handler for 600 ms");
  json_t *calc = as_test_actor_named(seen, "slow_calc");
  json_int_t calc_id = as_test_int(calc, "id");
  int waiter = 0;
  json_array_foreach(json_object_get(seen, "actors"), i, line)
  {
    json_t *w = json_object_get(line, "waiting_on");
    if (json_is_object(w) && json_integer_value(json_object_get(w, "target")) == calc_id) {
      cr_assert_str_eq(as_test_str(line, "waiting_on.kind"), "reply");
      waiter = 1;
    }
  }
  cr_assert(waiter, "the scoped actor's wait was not recorded");
  cr_assert_eq(json_array_size(json_object_get(seen, "deadlocks")), 0);
  json_decref(lines);
  as_test_run_free(&run);
}

static void check_deadlock(const char *scenario, const char *name)
{
  const char *argv[] = {"caf_waits", scenario, "1500", NULL};
  struct as_test_run run;
  as_test_run_both(argv, fast, 1, &run);
  cr_assert_eq(run.status, 0);
  json_t *lines = as_test_run_lines(&run);
  json_t *seen = as_test_first_deadlock(lines);
  cr_assert_not_null(seen, "%s: no snapshot reported the deadlock", scenario);
  json_t *cycle = json_array_get(json_object_get(seen, "deadlocks"), 0);
  json_t *ids = json_object_get(cycle, "actors");
  cr_assert_eq(json_array_size(ids), 2);
  for (size_t k = 0; k < 2; k++) {
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(cycle, "names"), k)), name);
    json_t *actor = as_test_actor_by_id(seen, json_integer_value(json_array_get(ids, k)));
    cr_assert_eq(as_test_int(actor, "waiting_on.target"),
                 json_integer_value(json_array_get(ids, 1 - k)));
  }
  cr_assert_eq(json_array_size(json_object_get(as_test_last_snapshot(lines), "deadlocks")), 0);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(caf_waits, two_blocking_actors_requesting_each_other_form_a_cycle)
{
  check_deadlock("blocking", "blocking_peer");
}

Test(caf_waits, two_event_based_actors_awaiting_each_other_form_a_cycle)
{
  check_deadlock("await", "await_peer");
}

Test(caf_waits, a_busy_ping_pong_never_shows_a_false_cycle)
{
  const char *argv[] = {"caf_pingpong", "100000", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=1", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  json_t *lines = as_test_run_lines(&run);
  cr_assert_gt(json_array_size(lines), 3);
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
      cr_assert_eq(json_array_size(json_object_get(line, "deadlocks")), 0, "false cycle at %zu", i);
  json_decref(lines);
  as_test_run_free(&run);
}
