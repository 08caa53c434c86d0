/* Attach mode without an injector: programs load the library into themselves mid-run
 * (dlopen + actorscope_attach), as `actorscope attach` makes them do from outside. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(attach, .timeout = 90);

#define BEFORE 40
#define AFTER 25

Test(attach, running_czmq_actors_are_adopted_and_counted_from_attach_on)
{
  const char *argv[] = {"czmq_attach_self", AS_TEST_PRELOAD, "40", "25", NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "stderr: %s", run.err);
  cr_assert_str_eq(run.out, "attach=0\nretargeted=1\nticks=65\n", "stderr: %s", run.err);

  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  json_t *echoes[2];
  cr_assert_eq(as_test_actors_named(last, "echo_actor", echoes, 2), 2);
  json_t *echo = echoes[0], *late = echoes[1];

  /* The echo actor ran before attach: seen from then on. Its receive already waiting at
   * attach went through libzmq unseen, so one PING may be missing. */
  cr_assert(json_is_true(json_object_get(echo, "attached_late")));
  cr_assert(json_is_null(json_object_get(echo, "parent")));
  cr_assert(json_is_null(json_object_get(echo, "spawn_site")));
  json_int_t pings = as_test_type_count(echo, "PING");
  cr_assert(pings == AFTER || pings == AFTER - 1, "PING x%lld", (long long)pings);
  cr_assert_eq(as_test_type_count(echo, "$TERM"), 1);
  cr_assert_str_eq(as_test_str(echo, "status"), "stopped");
  cr_assert_str_eq(as_test_str(echo, "stopped.reason"), "terminated");
  cr_assert_eq(as_test_int(echo, "mailbox.len"), 0);
  cr_assert_geq(as_test_int(echo, "counters.replies"), AFTER - 1);

  json_t *tally = as_test_actor_named(last, "tally_actor");
  cr_assert_not_null(tally);
  cr_assert(json_is_true(json_object_get(tally, "attached_late")));
  json_int_t ticks = as_test_type_count(tally, "TICK");
  cr_assert(ticks == AFTER || ticks == AFTER - 1, "TICK x%lld", (long long)ticks);

  /* Spawned after attach: a normal actor, seen whole. */
  cr_assert_null(json_object_get(late, "attached_late"));
  cr_assert_eq(as_test_type_count(late, "PING"), AFTER);
  cr_assert_eq(as_test_int(late, "mailbox.enqueued"), AFTER + 1);
  cr_assert_str_eq(as_test_str(late, "stopped.reason"), "destroyed");
  cr_assert(!json_is_null(json_object_get(late, "spawn_site")));
  json_decref(lines);
  as_test_run_free(&run);
}

Test(attach, detach_restores_every_slot_and_the_program_runs_on)
{
  const char *argv[] = {"czmq_attach_self", AS_TEST_PRELOAD, "10", "10", "detach", NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "stderr: %s", run.err);
  cr_assert_str_eq(run.out, "attach=0\nretargeted=1\nticks=20\ndetached=1\nrestored=1\n",
                   "stderr: %s", run.err);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  /* The actor spawned after detach is not traced: three echo actors ran, two are listed. */
  cr_assert_eq(as_test_count_named(last, "echo_actor"), 2);
  json_decref(lines);
  as_test_run_free(&run);
}

/* Without an injector: the entry called again after a detach traces again, into a file of its
 * own, the actor spawned while detached found on the thread list and counted from then on. */
Test(attach, the_entry_called_again_after_a_detach_traces_again)
{
  const char *argv[] = {"czmq_attach_self", AS_TEST_PRELOAD, "10", "10", "again", NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "stderr: %s", run.err);
  cr_assert_str_eq(run.out,
                   "attach=0\nretargeted=1\nticks=20\ndetached=1\nrestored=1\n"
                   "attach=0\nretargeted=1\ndetached=1\nrestored=1\n",
                   "stderr: %s", run.err);
  /* The first attach's file ends at its detach: two echo actors, as without "again". */
  json_t *lines = as_test_run_lines(&run);
  cr_assert_eq(as_test_count_named(as_test_last_snapshot(lines), "echo_actor"), 2);
  json_decref(lines);
  char path[128];
  snprintf(path, sizeof path, "%s/again.jsonl", run.dir);
  lines = as_test_load_lines(path);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  /* Only the actor running at the second attach, counted from it on. */
  cr_assert_eq(as_test_count_named(last, "echo_actor"), 1);
  cr_assert_null(as_test_actor_named(last, "tally_actor"));
  json_t *echo = as_test_actor_named(last, "echo_actor");
  cr_assert(json_is_true(json_object_get(echo, "attached_late")));
  json_int_t pings = as_test_type_count(echo, "PING");
  cr_assert(pings == 10 || pings == 9, "PING x%lld", (long long)pings);
  json_decref(lines);
  as_test_run_free(&run);
}
