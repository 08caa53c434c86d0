/* How the runtime is loaded: from a dlopen()ed RTLD_LOCAL plugin, or linked statically. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(czmq_loading, .timeout = 60);

Test(czmq_loading, actors_of_a_plugin_loaded_rtld_local_are_traced)
{
  const char *argv[] = {"plugin_host", AS_TEST_PROGRAMS "/czmq_plugin.so", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  cr_assert_str_eq(run.out, "acks=25\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *actor = as_test_actor_named(as_test_last_snapshot(lines), "plugin_actor");
  cr_assert_not_null(actor);
  cr_assert_eq(as_test_type_count(actor, "JOB"), 25);
  cr_assert_str_eq(as_test_str(actor, "stopped.reason"), "destroyed");
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_loading, a_statically_linked_czmq_is_detected_and_reported)
{
  const char *argv[] = {"czmq_static_pingpong", "20", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 3);
  cr_assert_str_eq(run.out, "pongs=20\n");
  cr_assert_not_null(strstr(run.err, "links CZMQ statically"), "stderr: %s", run.err);
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "stderr: %s", run.err);
  as_test_run_free(&run);
}
