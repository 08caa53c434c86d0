/* CZMQ's own actors show up by name. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>

TestSuite(czmq_builtin, .timeout = 60);

Test(czmq_builtin, zproxy_zbeacon_zgossip_zmonitor_and_zauth_appear_by_name)
{
  const char *argv[] = {"czmq_builtin", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);

  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  const char *names[] = {"zproxy", "zbeacon", "zgossip", "zmonitor", "zauth"};
  for (size_t i = 0; i < 5; i++) {
    json_t *actor = as_test_actor_named(last, names[i]);
    cr_assert_not_null(actor, "%s is missing", names[i]);
    cr_assert_str_eq(as_test_str(actor, "status"), "stopped", "%s", names[i]);
    cr_assert_str_eq(as_test_str(actor, "stopped.reason"), "destroyed", "%s", names[i]);
    cr_assert_geq(as_test_type_count(actor, "$TERM"), 1, "%s", names[i]);
  }
  json_t *proxy = as_test_actor_named(last, "zproxy");
  cr_assert_eq(as_test_type_count(proxy, "FRONTEND"), 1);
  cr_assert_eq(as_test_type_count(proxy, "BACKEND"), 1);
  cr_assert_eq(as_test_type_count(as_test_actor_named(last, "zbeacon"), "CONFIGURE"), 1);
  cr_assert_eq(as_test_type_count(as_test_actor_named(last, "zauth"), "ALLOW"), 1);
  json_decref(lines);
  as_test_run_free(&run);
}
