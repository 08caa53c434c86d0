/* A bad configuration leaves the host untraced and otherwise untouched. */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

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
