/* A bad configuration leaves the host untraced and otherwise untouched. */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

struct bad_config {
  char variable[32];
  char assignment[64];
};

static struct bad_config bad_configs[] = {
    {"ACTORSCOPE_INTERVAL_MS", "ACTORSCOPE_INTERVAL_MS=abc"},
    {"ACTORSCOPE_INTERVAL_MS", "ACTORSCOPE_INTERVAL_MS=0"},
    {"ACTORSCOPE_GRAVE_MS", "ACTORSCOPE_GRAVE_MS=-5"},
    {"ACTORSCOPE_STACK_DEPTH", "ACTORSCOPE_STACK_DEPTH=1000"},
    {"ACTORSCOPE_OUTPUT", "ACTORSCOPE_OUTPUT=ftp:somewhere"},
    {"ACTORSCOPE_OUTPUT", "ACTORSCOPE_OUTPUT=tcp:localhost:99999"},
};

ParameterizedTestParameters(czmq_config, a_bad_value_runs_the_host_untraced_with_one_line)
{
  return cr_make_param_array(struct bad_config, bad_configs,
                             sizeof bad_configs / sizeof bad_configs[0]);
}

ParameterizedTest(struct bad_config *bad, czmq_config,
                  a_bad_value_runs_the_host_untraced_with_one_line, .timeout = 60)
{
  const char *argv[] = {"czmq_pingpong", "100", NULL};
  const char *env[] = {bad->assignment, NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 3);
  cr_assert_str_eq(run.out, "pongs=100\n");
  cr_assert_eq(as_test_count_outputs(run.dir), 0, "a snapshot file was written");
  cr_assert(strncmp(run.err, "actorscope: ", 12) == 0, "stderr: %s", run.err);
  cr_assert_not_null(strstr(run.err, bad->variable), "stderr: %s", run.err);
  cr_assert_not_null(strstr(run.err, "tracing is off"), "stderr: %s", run.err);
  /* Exactly one line. */
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "stderr: %s", run.err);
  as_test_run_free(&run);
}

Test(czmq_config, a_relative_file_template_gets_the_pid_and_survives_a_chdir, .timeout = 60)
{
  const char *argv[] = {"czmq_pingpong", "10", "/", NULL};
  const char *env[] = {"ACTORSCOPE_OUTPUT=file:trace-%p.out", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 3);
  DIR *d = opendir(run.dir);
  int found = 0;
  for (struct dirent *e; (e = readdir(d));) {
    long pid = 0;
    char tail[8] = "";
    if (sscanf(e->d_name, "trace-%ld.%7s", &pid, tail) == 2 && strcmp(tail, "out") == 0 && pid > 0)
      found++;
  }
  closedir(d);
  cr_assert_eq(found, 1, "no trace-<pid>.out in the start directory");
  as_test_run_free(&run);
}

Test(czmq_config, a_process_that_never_spawns_an_actor_writes_nothing, .timeout = 60)
{
  const char *argv[] = {"/bin/sh", "-c", "echo hello; exit 7", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 7);
  cr_assert_str_eq(run.out, "hello\n");
  cr_assert_str_eq(run.err, "");
  cr_assert_eq(as_test_count_outputs(run.dir), 0);
  as_test_run_free(&run);
}

Test(czmq_config, a_bad_value_is_escaped_so_it_cannot_forge_lines_or_reach_the_terminal,
     .timeout = 60)
{
  const char *argv[] = {"czmq_pingpong", "10", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=1\nactorscope: forged\x1b[31m", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 3);
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "stderr: %s", run.err);
  cr_assert_null(strchr(run.err, '\x1b'), "stderr: %s", run.err);
  cr_assert_not_null(strstr(run.err, "'1\\x0aactorscope: forged\\x1b[31m'"), "stderr: %s", run.err);
  as_test_run_free(&run);
}

Test(czmq_config, a_bad_value_is_said_only_by_the_process_that_starts_an_actor, .timeout = 60)
{
  /* A shell and its children start no actor: silent. The ping-pong under the same shell says
   * it once. */
  const char *quiet[] = {"/bin/sh", "-c", "ls / >/dev/null; cat </dev/null; echo done", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=abc", NULL};
  struct as_test_run run;
  as_test_run_both(quiet, env, 1, &run);
  cr_assert_str_eq(run.out, "done\n");
  cr_assert_str_eq(run.err, "");
  as_test_run_free(&run);

  const char *loud[] = {"/bin/sh", "-c",
                        "ls / >/dev/null; " AS_TEST_PROGRAMS "/czmq_pingpong 5; echo $?", NULL};
  as_test_run_both(loud, env, 1, &run);
  cr_assert_str_eq(run.out, "pongs=5\n3\n");
  cr_assert_not_null(strstr(run.err, "ACTORSCOPE_INTERVAL_MS"), "stderr: %s", run.err);
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "stderr: %s", run.err);
  as_test_run_free(&run);
}

/* Runs the secure host copied to dir, owned by `nobody` and set-user-ID when setuid, with the
 * output in dir; returns its status. */
static int run_secure_host(const char *dir, int setuid_bit, struct as_test_run *run)
{
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cp %s/secure_host %s/host && chown nobody %s/host && chmod %s %s/host && chmod 1777 %s",
           AS_TEST_PROGRAMS, dir, dir, setuid_bit ? "4755" : "0755", dir, dir);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
  char host[512], output[600];
  snprintf(host, sizeof host, "%s/host", dir);
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=file:%s/actorscope.%%p.jsonl", dir);
  const char *argv[] = {host, AS_TEST_PRELOAD, AS_TEST_PROGRAMS "/czmq_plugin.so", NULL};
  const char *env[] = {output, NULL};
  as_test_run(argv, env, 0, run);
  return run->status;
}

Test(czmq_config, in_secure_execution_the_library_does_nothing_at_all, .timeout = 60)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to make a set-user-ID copy");
  char dir[] = "/tmp/actorscope-secure-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  struct as_test_run run;
  /* The same host without set-user-ID is traced: the test can tell. */
  cr_assert_eq(run_secure_host(dir, 0, &run), 0, "stderr: %s", run.err);
  cr_assert_eq(as_test_count_outputs(dir), 1);
  as_test_run_free(&run);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -f %s/actorscope.*.jsonl", dir);
  cr_assert_eq(system(cmd), 0);

  cr_assert_eq(run_secure_host(dir, 1, &run), 0, "stderr: %s", run.err);
  cr_assert_str_eq(run.out, "acks=5\n");
  cr_assert_str_eq(run.err, "");
  cr_assert_eq(as_test_count_outputs(dir), 0, "a set-user-ID host wrote snapshots");
  as_test_run_free(&run);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  system(cmd);
}
