/* Golden files: recorded runs and hostile inputs under tests/data, the CLI's expected stdout,
 * stderr, exit status (and JUnit file) beside each case. scripts/update-golden rewrites them. */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *golden_slurp(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    fwrite(buf, 1, n, mem);
  fclose(mem);
  fclose(f);
  return text;
}

static char *golden_replace(const char *line, const char *tmp)
{
  char *out = NULL;
  const char *at = strstr(line, "@TMP@");
  if (!at)
    return strdup(line);
  cr_assert(asprintf(&out, "%.*s%s%s", (int)(at - line), line, tmp, at + 5) > 0);
  return out;
}

/* Runs the tool in tests/data with the case's arguments; fills out, err and status. */
static void golden_run(const char *case_dir, const char *tmp, char **out, char **err, int *status)
{
  char path[1024];
  snprintf(path, sizeof path, "%s/args", case_dir);
  char *args = golden_slurp(path);
  cr_assert_not_null(args, "%s has no args file", case_dir);
  char *argv[64] = {AS_TEST_CLI};
  int argc = 1;
  for (char *save = NULL, *l = strtok_r(args, "\n", &save); l && argc < 63;
       l = strtok_r(NULL, "\n", &save))
    argv[argc++] = golden_replace(l, tmp);
  argv[argc] = NULL;

  char out_path[600], err_path[600];
  snprintf(out_path, sizeof out_path, "%s/out", tmp);
  snprintf(err_path, sizeof err_path, "%s/err", tmp);
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(AS_TEST_DATA) < 0)
      _exit(126);
    dup2(open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
    dup2(open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
    execv(AS_TEST_CLI, argv);
    _exit(127);
  }
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  *out = golden_slurp(out_path);
  *err = golden_slurp(err_path);
  for (int i = 1; i < argc; i++)
    free(argv[i]);
  free(args);
}

static void golden_check_case(const char *name)
{
  char dir[512], path[600], tmp[] = "/tmp/actorscope-golden-XXXXXX";
  snprintf(dir, sizeof dir, "%s/cases/%s", AS_TEST_DATA, name);
  cr_assert_not_null(mkdtemp(tmp));
  char *out, *err;
  int status;
  golden_run(dir, tmp, &out, &err, &status);

  snprintf(path, sizeof path, "%s/expected.status", dir);
  char *expected = golden_slurp(path);
  cr_assert_not_null(expected, "%s: no expected.status", name);
  cr_expect_eq(status, atoi(expected), "%s: exit status %d, expected %d\n%s", name, status,
               atoi(expected), err);
  free(expected);
  const char *streams[][2] = {{"expected.out", out}, {"expected.err", err}};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, streams[i][0]);
    expected = golden_slurp(path);
    cr_assert_not_null(expected, "%s: no %s", name, streams[i][0]);
    cr_expect_str_eq(streams[i][1], expected, "%s: %s differs", name, streams[i][0]);
    free(expected);
  }
  snprintf(path, sizeof path, "%s/expected.junit.xml", dir);
  expected = golden_slurp(path);
  if (expected) {
    snprintf(path, sizeof path, "%s/junit.xml", tmp);
    char *junit = golden_slurp(path);
    cr_expect_not_null(junit, "%s: no JUnit file written", name);
    if (junit)
      cr_expect_str_eq(junit, expected, "%s: JUnit XML differs", name);
    free(junit);
    free(expected);
  }
  free(out);
  free(err);
  snprintf(path, sizeof path, "rm -rf '%s'", tmp);
  cr_expect_eq(system(path), 0);
}

Test(cli_golden, every_recorded_case_gives_the_expected_output_and_status, .timeout = 120)
{
  DIR *d = opendir(AS_TEST_DATA "/cases");
  cr_assert_not_null(d);
  int cases = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    golden_check_case(e->d_name);
    cases++;
  }
  closedir(d);
  cr_assert_geq(cases, 30, "the golden cases are missing");
}
