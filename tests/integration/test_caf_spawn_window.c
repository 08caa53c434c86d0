/* Issue 9.1: the collector must never read an actor whose record is visible before its hook
 * stored the object. caf_spawn_window holds every spawning thread for 20 ms at that point
 * (hooks/hook.h, actorscope_test_pause) while snapshots are taken every millisecond. */
#include "harness.h"

#include <criterion/criterion.h>

TestSuite(caf_spawn_window, .timeout = 60);

Test(caf_spawn_window, a_spawn_held_before_publication_is_never_read_half_made)
{
  const char *argv[] = {"caf_spawn_window", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=1", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 0, "exit status %d, stderr: %s", run.status, run.err);
  cr_assert_str_eq(run.out, "sum 20\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  json_t *workers[5];
  cr_assert_eq(as_test_actors_named(last, "worker", workers, 5), 4);
  for (int i = 0; i < 4; i++) {
    cr_assert_eq(as_test_type_count(workers[i], "job"), 1);
    cr_assert_str_eq(as_test_str(workers[i], "stopped.reason"), "user_shutdown");
  }
  /* Reference counts were sampled from live objects in the periodic snapshots. */
  size_t n, i;
  json_t *line, *actor;
  int sampled = 0;
  json_array_foreach(lines, n, line) json_array_foreach(
      json_object_get(line, "actors"), i, actor) if (json_object_get(actor, "refs")) sampled = 1;
  cr_assert(sampled, "no snapshot sampled a reference count");
  json_decref(lines);
  as_test_run_free(&run);
}
