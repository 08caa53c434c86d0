/* Exact counts, types and exit reasons from a real CAF ping-pong. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(caf_messages, .timeout = 60);

Test(caf_messages, ping_pong_counts_each_message_once_with_atoms_decoded)
{
  const char *argv[] = {"caf_pingpong", "5000", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 6);
  cr_assert_str_eq(run.out, "rounds=5000\n");
  cr_assert_str_eq(run.err, "");

  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  json_t *ping = as_test_actor_named(last, "ping"), *pong = as_test_actor_named(last, "pong");
  cr_assert_not_null(ping);
  cr_assert_not_null(pong);
  cr_assert_str_eq(as_test_str(pong, "runtime"), "caf");
  cr_assert_gt(as_test_int(pong, "runtime_id"), 0);
  cr_assert_eq(as_test_type_count(pong, "ping"), 5000);
  cr_assert_eq(as_test_type_count(pong, "exit"), 1);
  cr_assert_eq(as_test_int(pong, "counters.messages_received"), 5001);
  cr_assert_eq(as_test_int(pong, "mailbox.enqueued"), 5001);
  cr_assert_eq(as_test_int(pong, "counters.messages_sent"), 5000);
  cr_assert_eq(as_test_type_count(ping, "pong"), 5000);
  cr_assert_eq(as_test_int(ping, "counters.messages_received"), 5000);
  cr_assert_eq(as_test_int(ping, "counters.messages_sent"), 5001);
  cr_assert_eq(as_test_int(ping, "counters.handled"), 5000);
  cr_assert_str_eq(as_test_str(pong, "stopped.reason"), "user_shutdown");
  cr_assert_str_eq(as_test_str(ping, "stopped.reason"), "normal");
  cr_assert_eq(as_test_int(ping, "counters.exceptions"), 0);
  cr_assert_eq(as_test_int(pong, "mailbox.len"), 0);
  json_decref(lines);
  as_test_run_free(&run);
}
