/* A run's ended actors written in full (format 3) and with the members their others imply left
 * out (format 4, FORMAT.md "Ended actors"): every command shows the same. The two files are
 * one real caf_kinds run (two actor systems, actors that sent nothing or replied, handled none,
 * one or several messages), as the tracer wrote it (ended-v4) and with the members put back
 * the way a version 3 tracer wrote them (ended-v3).
 * Likewise actor objects written in full (format 4) and with the members at their defaults left
 * out (format 5, FORMAT.md "Defaults"): real runs of caf_supervisor (links, monitors, children,
 * exceptions, exit reasons), caf_waits scoped (a handler in progress, a wait for a reply) and
 * czmq_sockets (sockets, outbox, replies), as the tracer wrote them (defaults-NAME-v5) and as
 * tests/data/v4-of-v5.py puts the defaults back (defaults-NAME-v4). */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The command's stdout, stderr and exit status on runs/RUN-VERSION.jsonl (a check may fail,
 * alike), with the file's name made the same for both. A reader refusing the file fails. */
static char *version_output(const char *const *args, const char *run_name, const char *version)
{
  char path[512];
  snprintf(path, sizeof path, "%s/runs/%s-%s.jsonl", AS_TEST_DATA, run_name, version);
  const char *argv[16] = {AS_TEST_CLI};
  size_t argc = 1;
  for (; args[argc - 1]; argc++)
    argv[argc] = args[argc - 1];
  argv[argc] = path;
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert(run.status == 0 || (strcmp(args[0], "check") == 0 && run.status == 1), "%s on %s: %s",
            args[0], version, run.err);
  char *out = NULL;
  cr_assert_geq(asprintf(&out, "%s\n--- stderr\n%s--- status %d\n", run.out, run.err, run.status),
                0);
  as_test_run_free(&run);
  for (char *at = out; (at = strstr(at, "-v")); at += 2)
    if (at[2] >= '1' && at[2] <= '9' && strncmp(at + 3, ".jsonl", 6) == 0)
      at[2] = 'N';
  return out;
}

/* The run in its OLD and NEW forms: the same output, which shows SHOWS. */
static void expect_same_of(const char *run_name, const char *old, const char *new,
                           const char *const *args, const char *shows)
{
  char *a = version_output(args, run_name, old);
  char *b = version_output(args, run_name, new);
  cr_expect(strstr(a, shows), "%s on %s shows %s:\n%s", args[0], run_name, shows, a);
  cr_expect_str_eq(a, b, "%s %s on %s: the two versions differ", args[0], args[1] ? args[1] : "",
                   run_name);
  free(a);
  free(b);
}

static void expect_same(const char *const *args, const char *shows)
{
  expect_same_of("ended", "v3", "v4", args, shows);
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

/* Format 5 against format 4: each of the three runs, each command. */
static void expect_same_defaults(const char *const *args, const char *const shows[3])
{
  static const char *const runs[] = {"defaults-supervisor", "defaults-waits", "defaults-sockets"};
  for (size_t i = 0; i < 3; i++)
    expect_same_of(runs[i], "v4", "v5", args, shows[i]);
}

Test(defaults_versions, report_shows_the_same)
{
  expect_same_defaults((const char *const[]){"report", "--all", "--internal", NULL},
                       (const char *const[]){"sec::runtime_error", "slow_calc", "$TERM"});
  expect_same_defaults(
      (const char *const[]){"report", "--json", "--all", "--internal", NULL},
      (const char *const[]){"\"exceptions\": 1", "\"handler_max_ns\"", "\"messages_received\""});
  /* The first line: every actor still there, the wait in progress. */
  expect_same_defaults((const char *const[]){"report", "--at", "0", "--json", "--all", NULL},
                       (const char *const[]){"\"running\"", "\"running\"", "\"running\""});
}

/* Every frame, each ending with the inspect panel of the actor holding what the run is for:
 * the supervisor's links and monitors, the scoped actor's wait, the server's sockets. */
Test(defaults_versions, top_shows_the_same)
{
  static const struct {
    const char *run, *inspect, *shows;
  } views[] = {{"defaults-supervisor", "4", "#7 typed_adder"},
               {"defaults-waits", "5", "Waiting\xe2\x86\x92#4"},
               {"defaults-sockets", "1", "side pipe"}};
  for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
    expect_same_of(views[i].run, "v4", "v5",
                   (const char *const[]){"top", "--batch", "--internal", "--width", "200",
                                         "--inspect", views[i].inspect, NULL},
                   views[i].shows);
}

Test(defaults_versions, exports_show_the_same)
{
  expect_same_defaults(
      (const char *const[]){"export", "prometheus", "--per-actor", "--internal", NULL},
      (const char *const[]){"supervisor", "slow_calc", "server"});
  expect_same_defaults((const char *const[]){"export", "perfetto", "--internal", NULL},
                       (const char *const[]){"supervisor", "slow_calc", "server"});
}

/* Rules that pass and rules that fail, judged alike. */
Test(defaults_versions, check_judges_the_same)
{
  expect_same_defaults(
      (const char *const[]){"check", "--max-spawned", "1", "--no-exceptions", NULL},
      (const char *const[]){"--- status 1", "--- status 1", "--- status 1"});
  expect_same_defaults((const char *const[]){"check", "--max-alive", "100", NULL},
                       (const char *const[]){"--- status 0", "--- status 0", "--- status 0"});
}
