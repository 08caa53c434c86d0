/* A run's ended actors written in full (format 3) and with the members their others imply left
 * out (format 4, FORMAT.md "Ended actors"): every command shows the same. The two files are
 * one real caf_kinds run (two actor systems, actors that sent nothing or replied, handled none,
 * one or several messages), as the tracer wrote it (ended-v4) and with the members put back
 * the way a version 3 tracer wrote them (ended-v3). */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The command's stdout on one file, with the file's name made the same for both. */
static char *ended_output(const char *const *args, const char *version)
{
  char path[512];
  snprintf(path, sizeof path, "%s/runs/ended-%s.jsonl", AS_TEST_DATA, version);
  const char *argv[16] = {AS_TEST_CLI};
  size_t argc = 1;
  for (; args[argc - 1]; argc++)
    argv[argc] = args[argc - 1];
  argv[argc] = path;
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "%s on %s: %s", args[0], version, run.err);
  char *out = strdup(run.out);
  as_test_run_free(&run);
  for (char *at = out; (at = strstr(at, "ended-v")); at += 7)
    at[7] = 'N';
  return out;
}

static void expect_same(const char *const *args, const char *shows)
{
  char *v3 = ended_output(args, "v3");
  char *v4 = ended_output(args, "v4");
  cr_expect(strstr(v3, shows), "%s shows %s:\n%s", args[0], shows, v3);
  cr_expect_str_eq(v3, v4, "%s %s: the two versions differ", args[0], args[1] ? args[1] : "");
  free(v3);
  free(v4);
}

Test(ended_versions, report_shows_the_same)
{
  expect_same((const char *const[]){"report", "--all", "--internal", NULL}, "(caf id 15)");
  expect_same((const char *const[]){"report", "--json", "--all", "--internal", NULL},
              "\"messages_sent\"");
}

Test(ended_versions, top_shows_the_same)
{
  expect_same((const char *const[]){"top", "--batch", "--internal", "--width", "200", NULL},
              "twin");
}

Test(ended_versions, exports_show_the_same)
{
  expect_same((const char *const[]){"export", "prometheus", "--per-actor", "--internal", NULL},
              "twin");
  expect_same((const char *const[]){"export", "perfetto", "--internal", NULL}, "twin");
}

Test(ended_versions, check_judges_the_same)
{
  expect_same((const char *const[]){"check", "--max-alive", "100", NULL}, "");
}
