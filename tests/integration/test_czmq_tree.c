/* Parents, children and exit reasons of a real tree of zactors. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(czmq_tree, .timeout = 60);

Test(czmq_tree, a_supervisor_and_its_workers_form_a_tree_with_each_exit_reason)
{
  const char *argv[] = {"czmq_tree", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 5);

  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert_eq(as_test_int(last, "totals.total_spawned"), 4);
  cr_assert_eq(as_test_int(last, "totals.total_stopped"), 4);
  cr_assert_eq(as_test_count_named(last, "worker"), 3);

  json_t *sup = as_test_actor_named(last, "supervisor");
  cr_assert_not_null(sup);
  cr_assert(json_is_null(json_object_get(sup, "parent")));
  cr_assert_str_eq(as_test_str(sup, "stopped.reason"), "destroyed");
  json_t *children = json_object_get(sup, "children");
  cr_assert_eq(json_array_size(children), 3);

  /* Workers in spawn order: returned on "QUIT", "$TERM" without destroy, destroyed. */
  const char *reasons[] = {"returned", "terminated", "destroyed"};
  for (size_t i = 0; i < 3; i++) {
    json_t *w = as_test_actor_by_id(last, json_integer_value(json_array_get(children, i)));
    cr_assert_not_null(w);
    cr_assert_str_eq(as_test_str(w, "name"), "worker");
    cr_assert_eq(as_test_int(w, "parent"), as_test_int(sup, "id"));
    cr_assert_str_eq(as_test_str(w, "stopped.reason"), reasons[i], "worker %zu: %s", i,
                     as_test_str(w, "stopped.reason"));
    cr_assert_eq(as_test_type_count(w, "WORK"), 1);
    cr_assert_eq(as_test_int(w, "counters.messages_received"), 2);
    cr_assert_eq(json_array_size(json_object_get(w, "children")), 0);
  }
  /* The supervisor sent one "WORK" and one stop command to each worker. */
  cr_assert_eq(as_test_int(sup, "counters.messages_sent"), 6);
  json_decref(lines);
  as_test_run_free(&run);
}
