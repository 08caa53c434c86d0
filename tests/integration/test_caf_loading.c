/* Issue 10.1: CAF inside a C host that dlopen()s a CAF library RTLD_LOCAL (libcaf_core and the
 * C++ runtime then sit outside the global scope), and inside Python through ctypes. */
#include "harness.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

TestSuite(caf_loading, .timeout = 60);

/* Runs a host of caf_plugin.so traced and untraced: same status and output, exact counts. */
static void assert_plugin_traced(const char *const *argv, const char *expected_out)
{
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  cr_assert_str_eq(run.out, expected_out);
  cr_assert_null(strstr(run.err, "not traced"), "stderr: %s", run.err);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  json_t *ping = as_test_actor_named(last, "ping"), *pong = as_test_actor_named(last, "pong");
  cr_assert_not_null(ping);
  cr_assert_not_null(pong);
  cr_assert_eq(as_test_type_count(pong, "ping"), 25);
  cr_assert_eq(as_test_type_count(ping, "pong"), 25);
  cr_assert_eq(as_test_int(ping, "counters.messages_sent"), 26, "25 pings and one exit");
  cr_assert_str_eq(as_test_str(pong, "stopped.reason"), "user_shutdown");
  json_decref(lines);
  as_test_run_free(&run);
}

Test(caf_loading, a_caf_plugin_dlopened_rtld_local_by_a_c_host_is_traced)
{
  const char *argv[] = {"plugin_host", AS_TEST_PROGRAMS "/caf_plugin.so", NULL};
  assert_plugin_traced(argv, "acks=25\n");
}

Test(caf_loading, a_caf_library_loaded_by_python_ctypes_is_traced)
{
  const char *python = "/usr/bin/python3";
  if (access(python, X_OK) != 0)
    cr_skip_test("no %s", python);
  const char *argv[] = {python, "-c",
                        "import ctypes, sys; "
                        "print('pongs', ctypes.CDLL(sys.argv[1]).plugin_run(25))",
                        AS_TEST_PROGRAMS "/caf_plugin.so", NULL};
  assert_plugin_traced(argv, "pongs 25\n");
}

/* The tracer's reservations are address space (~3.5 GiB, touched only as used), which a finite
 * `ulimit -v` counts: under 1.8 GB they left CAF too little to start its threads, and the host
 * died of std::system_error where it ran untraced. It runs as untraced now, and one line says
 * why nothing is traced. */
Test(caf_loading, an_address_space_limit_too_small_for_the_tracer_leaves_the_host_untraced)
{
  struct rlimit limit = {1800000000, 1800000000};
  cr_assert_eq(setrlimit(RLIMIT_AS, &limit), 0);
  const char *argv[] = {"caf_pingpong", "1000", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 6, "caf_pingpong exits 6; stderr: %s", run.err);
  cr_assert_not_null(strstr(run.err, "ulimit -v"), "stderr: %s", run.err);
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "one line: %s", run.err);
  as_test_run_free(&run);
}
