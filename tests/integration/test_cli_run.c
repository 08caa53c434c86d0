/* actorscope run end to end, then check on what it recorded. */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(cli_run, .timeout = 60);

static char *cli_snapshot_path(const char *err)
{
  const char *at = strstr(err, "actorscope: snapshots in ");
  cr_assert_not_null(at, "stderr: %s", err);
  at += strlen("actorscope: snapshots in ");
  return strndup(at, strcspn(at, "\n"));
}

Test(cli_run, run_passes_status_and_output_through_and_check_gates_on_the_result)
{
  const char *argv[] = {AS_TEST_CLI, "run", "-i", "50", "--", AS_TEST_PROGRAMS "/czmq_pingpong", "300", NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 3, "the program's exit status must pass through");
  cr_assert_str_eq(run.out, "pongs=300\n");
  char *path = cli_snapshot_path(run.err);
  cr_assert_eq(strncmp(path, run.dir, strlen(run.dir)), 0, "%s is not in %s", path, run.dir);
  json_t *lines = as_test_load_lines(path);
  cr_assert_eq(as_test_type_count(as_test_actor_named(as_test_last_snapshot(lines), "pong_actor"), "PING"), 300);
  json_decref(lines);

  const char *pass[] = {AS_TEST_CLI, "check", "--expect", "pong_actor=1", "--max-alive-at-exit", "0",
                        "--no-deadlock", "--no-exceptions", path, NULL};
  struct as_test_run checked;
  as_test_run(pass, NULL, 0, &checked);
  cr_assert_eq(checked.status, 0, "%s%s", checked.out, checked.err);
  cr_assert_str_eq(checked.out, "check: 0 of 4 rules failed\n");
  as_test_run_free(&checked);

  const char *fail[] = {AS_TEST_CLI, "check", "--max-spawned", "0", path, NULL};
  as_test_run(fail, NULL, 0, &checked);
  cr_assert_eq(checked.status, 1);
  cr_assert_str_eq(checked.out, "FAIL max-spawned 0: 1 actors spawned\ncheck: 1 of 1 rules failed\n");
  as_test_run_free(&checked);
  as_test_run_free(&run);
}

Test(cli_run, run_keeps_an_existing_preload_and_reports_a_missing_program)
{
  /* A harmless library already preloaded stays, after ours. */
  const char *argv[] = {AS_TEST_CLI, "run", "/bin/sh", "-c", "echo \"$LD_PRELOAD\"; exit 4", NULL};
  const char *env[] = {"LD_PRELOAD=/lib/x86_64-linux-gnu/libm.so.6", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 0, &run);
  cr_assert_eq(run.status, 4);
  cr_assert(strstr(run.out, "libactorscope.so:/lib/x86_64-linux-gnu/libm.so.6\n") != NULL, "%s", run.out);
  cr_assert_not_null(strstr(run.err, "no snapshots were written"), "%s", run.err);
  as_test_run_free(&run);

  const char *missing[] = {AS_TEST_CLI, "run", "/nonexistent/program", NULL};
  as_test_run(missing, NULL, 0, &run);
  cr_assert_eq(run.status, 127);
  cr_assert_not_null(strstr(run.err, "cannot run /nonexistent/program"), "%s", run.err);
  as_test_run_free(&run);
}

Test(cli_run, a_signal_that_kills_the_program_kills_run_the_same_way)
{
  const char *argv[] = {AS_TEST_CLI, "run", "/bin/sh", "-c", "kill -TERM $$", NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 128 + 15);
  as_test_run_free(&run);
}

Test(cli_run, every_command_has_help_and_bad_usage_exits_2)
{
  const char *commands[] = {"run", "report", "diff", "check"};
  for (int i = 0; i < 4; i++) {
    const char *help[] = {AS_TEST_CLI, commands[i], "--help", NULL};
    struct as_test_run run;
    as_test_run(help, NULL, 0, &run);
    cr_assert_eq(run.status, 0, "%s --help", commands[i]);
    cr_assert(strncmp(run.out, "usage: actorscope ", 18) == 0, "%s --help: %s", commands[i], run.out);
    as_test_run_free(&run);
    const char *bad[] = {AS_TEST_CLI, commands[i], "--no-such-option", NULL};
    as_test_run(bad, NULL, 0, &run);
    cr_assert_eq(run.status, 2, "%s with a bad option", commands[i]);
    as_test_run_free(&run);
  }
}

Test(cli_run, check_reads_a_live_unix_stream_to_its_end)
{
  char sock[108], output[160];
  snprintf(sock, sizeof sock, "/tmp/actorscope-cli-%d.sock", (int)getpid());
  snprintf(output, sizeof output, "unix:%s", sock);
  pid_t pid = fork();
  if (pid == 0) {
    const char *argv[] = {AS_TEST_CLI, "run", "-o", output, "-i", "50", AS_TEST_PROGRAMS "/czmq_linger", "700", NULL};
    struct as_test_run child;
    as_test_run(argv, NULL, 0, &child);
    int status = child.status;
    as_test_run_free(&child);
    _exit(status);
  }
  const char *check[] = {AS_TEST_CLI, "check", "--expect", "pong=1", output, NULL};
  struct as_test_run run;
  for (int attempt = 0; attempt < 100; attempt++) {
    as_test_run(check, NULL, 0, &run);
    if (run.status != 2 || (!strstr(run.err, "No such file") && !strstr(run.err, "Connection refused")))
      break;
    as_test_run_free(&run);
    usleep(20000);
  }
  cr_assert_eq(run.status, 0, "%s%s", run.out, run.err);
  cr_assert_str_eq(run.out, "check: 0 of 1 rules failed\n");
  int ws;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  cr_assert_eq(WEXITSTATUS(ws), 0);
  as_test_run_free(&run);
}
