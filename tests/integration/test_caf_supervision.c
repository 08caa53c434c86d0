/* A CAF supervisor with linked and monitored workers of several kinds, one of which throws. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(caf_supervision, .timeout = 60);

static int has_id(json_t *array, json_int_t id)
{
  size_t i;
  json_t *v;
  json_array_foreach(array, i, v) if (json_integer_value(v) == id) return 1;
  return 0;
}

Test(caf_supervision, tree_links_monitors_exceptions_and_exit_reasons)
{
  const char *argv[] = {"caf_supervisor", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=20", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 7);

  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  json_t *sup = as_test_actor_named(last, "supervisor");
  cr_assert_not_null(sup, "the class-based actor is named by its class");
  json_int_t sup_id = as_test_int(sup, "id");
  cr_assert_eq(json_array_size(json_object_get(sup, "children")), 4);
  cr_assert_str_eq(as_test_str(sup, "stopped.reason"), "user_shutdown");

  json_t *typed = as_test_actor_named(last, "typed_adder");
  json_t *tally = as_test_actor_named(last, "tally");
  cr_assert_not_null(typed);
  cr_assert_not_null(tally);
  cr_assert_eq(as_test_int(typed, "parent"), sup_id);
  cr_assert_eq(as_test_int(tally, "parent"), sup_id);
  cr_assert_str_eq(as_test_str(typed, "stopped.reason"), "kill");
  cr_assert_eq(as_test_type_count(typed, "(i32, i32)"), 1);
  cr_assert_eq(as_test_type_count(tally, "work"), 1);
  cr_assert(has_id(json_object_get(sup, "monitors"), as_test_int(typed, "id")));

  /* Two workers: the one that threw, and the one shut down. */
  json_t *crasher = NULL, *steady = NULL, *workers[2];
  cr_assert_eq(as_test_actors_named(last, "worker", workers, 2), 2);
  for (int k = 0; k < 2; k++) {
    if (as_test_type_count(workers[k], "crash") == 1)
      crasher = workers[k];
    else
      steady = workers[k];
  }
  cr_assert_not_null(crasher);
  cr_assert_not_null(steady);
  cr_assert_eq(as_test_int(crasher, "counters.exceptions"), 1);
  cr_assert_str_eq(as_test_str(crasher, "stopped.reason"), "sec::runtime_error");
  cr_assert_eq(as_test_int(steady, "counters.exceptions"), 0);
  cr_assert_str_eq(as_test_str(steady, "stopped.reason"), "user_shutdown");
  cr_assert_eq(as_test_int(crasher, "parent"), sup_id);

  /* While they ran, both linked workers were linked to the supervisor, and references were
   * sampled. */
  int linked_seen = 0, refs_seen = 0;
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    json_t *s = as_test_actor_by_id(line, sup_id);
    if (!s)
      continue;
    json_t *links = json_object_get(s, "links");
    if (has_id(links, as_test_int(crasher, "id")) && has_id(links, as_test_int(steady, "id")))
      linked_seen = 1;
    json_t *refs = json_object_get(s, "refs");
    if (json_is_object(refs) && json_integer_value(json_object_get(refs, "strong")) >= 1)
      refs_seen = 1;
  }
  cr_assert(linked_seen, "no snapshot showed the links");
  cr_assert(refs_seen, "no snapshot sampled reference counts");
  json_decref(lines);
  as_test_run_free(&run);
}

Test(caf_supervision, exceptions_at_start_and_in_handlers_are_counted_once_each)
{
  const char *argv[] = {"caf_init_throw", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  json_t *broken = as_test_actor_named(last, "broken_at_start");
  json_t *steady = as_test_actor_named(last, "steady");
  cr_assert(broken && steady);
  cr_assert_eq(as_test_int(broken, "counters.exceptions"), 1);
  cr_assert_str_eq(as_test_str(broken, "stopped.reason"), "sec::runtime_error");
  cr_assert_eq(as_test_int(steady, "counters.exceptions"), 0);
  /* The handler's exception unwinds through the tracer and then reaches CAF's handler. */
  json_t *thrower = as_test_actor_named(last, "throws_in_handler");
  cr_assert_not_null(thrower);
  cr_assert_eq(as_test_int(thrower, "counters.exceptions"), 1);
  cr_assert_str_eq(as_test_str(thrower, "stopped.reason"), "sec::runtime_error");
  /* An actor with its own exception handler: its initial behaviour's exception still counts. */
  json_t *handled = as_test_actor_named(last, "handled_at_start");
  cr_assert_not_null(handled);
  cr_assert_eq(as_test_int(handled, "counters.exceptions"), 1);
  cr_assert_str_eq(as_test_str(handled, "stopped.reason"), "user_shutdown");
  json_decref(lines);
  as_test_run_free(&run);
}
