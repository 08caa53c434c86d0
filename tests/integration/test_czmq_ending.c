/* However a traced process ends — a signal, a crash, exec, SIGKILL — its snapshots show the
 * state it reached, and it ends exactly as it would untraced. */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(czmq_ending, .timeout = 60);

struct ending {
  char how[8];
  char signal[12];
  int status;
};

static struct ending endings[] = {
    {"term", "SIGTERM", 128 + 15}, {"int", "SIGINT", 128 + 2},   {"hup", "SIGHUP", 128 + 1},
    {"segv", "SIGSEGV", 128 + 11}, {"abort", "SIGABRT", 128 + 6},
};

ParameterizedTestParameters(czmq_ending, a_deadly_signal_writes_the_state_then_kills_as_usual)
{
  return cr_make_param_array(struct ending, endings, sizeof endings / sizeof endings[0]);
}

ParameterizedTest(struct ending *e, czmq_ending, a_deadly_signal_writes_the_state_then_kills_as_usual)
{
  const char *argv[] = {"czmq_ending", e->how, NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, e->status);
  cr_assert_str_eq(run.out, "worked\n");
  cr_assert_str_eq(run.err, "");
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")), "the last line is not final");
  cr_assert_str_eq(as_test_str(last, "ended_by"), "signal");
  cr_assert_str_eq(as_test_str(last, "signal"), e->signal);
  json_t *workers[2];
  cr_assert_eq(as_test_actors_named(last, "ending_worker", workers, 2), 2);
  for (int i = 0; i < 2; i++) {
    cr_assert_str_eq(as_test_str(workers[i], "status"), "running");
    cr_assert_eq(as_test_int(workers[i], "counters.messages_received"), 5);
  }
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_ending, a_host_that_installs_its_own_handler_gets_exactly_that)
{
  const char *argv[] = {"czmq_ending", "own", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 7);
  /* Asked before installing, the host sees the default disposition, not ours. */
  cr_assert_str_eq(run.out, "worked\nbefore=default\nhandled\n");
  /* Its handler ends with _exit: at most the early snapshot, and no line for a signal. */
  if (as_test_count_outputs(run.dir) == 1) {
    json_t *lines = as_test_run_lines(&run);
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line) cr_assert_null(json_object_get(line, "signal"));
    json_decref(lines);
  }
  as_test_run_free(&run);
}

Test(czmq_ending, a_process_killed_soon_after_its_first_spawn_leaves_a_snapshot)
{
  /* SIGKILL cannot be caught: only the early first snapshot records anything. */
  const char *argv[] = {"/usr/bin/timeout", "-s", "KILL", "0.4", AS_TEST_PROGRAMS "/czmq_ending",
                        "kill9", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 137);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert_not_null(last, "no snapshot was written before the kill");
  cr_assert_eq(as_test_count_named(last, "ending_worker"), 2);
  cr_assert(json_is_false(json_object_get(last, "final")));
  json_decref(lines);
  as_test_run_free(&run);
}
