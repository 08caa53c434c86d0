/* A libcaf_core whose layout is not CAF 0.17.6's is detected, reported once, and left alone. */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

struct unknown_caf {
  char program[32];
  char expect[64];
};

static struct unknown_caf cases[] = {
    {"fake_caf_host_0_17_6", "vtable differs from 0.17.6"},
    {"fake_caf_host_0_18_0", "is not libcaf_core 0.17.6"},
};

ParameterizedTestParameters(caf_unsupported, an_unknown_caf_is_reported_and_left_unhooked)
{
  return cr_make_param_array(struct unknown_caf, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct unknown_caf *c, caf_unsupported,
                  an_unknown_caf_is_reported_and_left_unhooked, .timeout = 60)
{
  const char *argv[] = {c->program, NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 9);
  cr_assert_str_eq(run.out, "constructed 1\n", "the real constructor must still run");
  cr_assert_not_null(strstr(run.err, c->expect), "stderr: %s", run.err);
  cr_assert_not_null(strstr(run.err, "CAF actors are not traced"), "stderr: %s", run.err);
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "stderr: %s", run.err);
  cr_assert_eq(as_test_count_outputs(run.dir), 0);
  as_test_run_free(&run);
}
