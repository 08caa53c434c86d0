/* Programs to attach to, and the tool run on them (attach_harness.h). */
#define _GNU_SOURCE
#include "attach_harness.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The test's target directories, removed as its process exits (AS_TEST_KEEP_DIRS=1 keeps
 * them for a look): a suite run made ~30 a run, and nothing removed them. */
#define TARGET_DIRS_MAX 8
static char target_dirs[TARGET_DIRS_MAX][64];
static int target_dir_count;

static void target_remove_dirs(void)
{
  const char *keep = getenv("AS_TEST_KEEP_DIRS");
  for (int i = 0; i < target_dir_count && !(keep && *keep == '1'); i++)
    as_test_remove_tree(target_dirs[i]);
}

int target_said(const struct target *t, const char *word)
{
  for (int i = 0; i < 1000; i++) {
    char *err = target_file(t, "stderr");
    int said = strstr(err, word) != NULL;
    free(err);
    if (said)
      return 1;
    usleep(10000);
  }
  return 0;
}

void target_start_with(struct target *t, const char *const *argv, int wait_ready, uid_t user,
                       int preload)
{
  snprintf(t->dir, sizeof t->dir, "/tmp/actorscope-attach-XXXXXX");
  cr_assert_not_null(mkdtemp(t->dir));
  if (target_dir_count == 0)
    atexit(target_remove_dirs);
  if (target_dir_count < TARGET_DIRS_MAX)
    snprintf(target_dirs[target_dir_count++], sizeof target_dirs[0], "%s", t->dir);
  if (user)
    chmod(t->dir, 0777);
  char program[512];
  if (argv[0][0] == '/')
    snprintf(program, sizeof program, "%s", argv[0]);
  else
    snprintf(program, sizeof program, "%s/%s", AS_TEST_PROGRAMS, argv[0]);
  t->pid = fork();
  cr_assert(t->pid >= 0);
  snprintf(t->pid_text, sizeof t->pid_text, "%d", (int)t->pid);
  snprintf(t->dest, sizeof t->dest, "%s/snap.jsonl", t->dir);
  if (t->pid == 0) {
    char path[128];
    if (chdir(t->dir) < 0)
      _exit(126);
    snprintf(path, sizeof path, "%s/stdout", t->dir);
    dup2(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
    snprintf(path, sizeof path, "%s/stderr", t->dir);
    dup2(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
    unsetenv("LD_PRELOAD");
    char preload_output[160];
    snprintf(preload_output, sizeof preload_output, "file:%s", t->dest);
    if (preload && (setenv("LD_PRELOAD", AS_TEST_PRELOAD, 1) < 0 ||
                    setenv("ACTORSCOPE_OUTPUT", preload_output, 1) < 0 ||
                    setenv("ACTORSCOPE_INTERVAL_MS", "50", 1) < 0))
      _exit(124);
    if (user && (setgid(user) < 0 || setuid(user) < 0))
      _exit(125);
    execv(program, (char *const *)argv);
    _exit(127);
  }
  if (wait_ready)
    (void)target_said(t, "ready");
  usleep(200000); /* its threads are up and idle */
}

void target_start_as(struct target *t, const char *const *argv, int wait_ready, uid_t user)
{
  target_start_with(t, argv, wait_ready, user, 0);
}

void target_start_broker(struct target *t, const char *rounds)
{
  if (access("/usr/lib/python3/dist-packages/broker/__init__.py", R_OK) != 0)
    cr_skip_test("python3-broker is not installed (scripts/setup)");
  const char *argv[] = {"/usr/bin/python3", AS_TEST_DATA "/attach/broker_pubsub.py", rounds, NULL};
  target_start(t, argv, 1);
}

void target_start(struct target *t, const char *const *argv, int wait_ready)
{
  target_start_as(t, argv, wait_ready, 0);
}

int target_wait(struct target *t)
{
  int status;
  cr_assert_eq(waitpid(t->pid, &status, 0), t->pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void target_kill(struct target *t)
{
  kill(t->pid, SIGKILL);
  target_wait(t);
}

char *target_file(const struct target *t, const char *name)
{
  char path[128];
  snprintf(path, sizeof path, "%s/%s", t->dir, name);
  return as_test_read_file(path);
}

void target_touch(const struct target *t, const char *name)
{
  char path[128];
  snprintf(path, sizeof path, "%s/%s", t->dir, name);
  int fd = open(path, O_WRONLY | O_CREAT, 0644);
  cr_assert_geq(fd, 0, "%s", path);
  close(fd);
}

int cli(char *out, size_t len, uid_t as_user, const char *a1, const char *a2, const char *a3,
        const char *a4, const char *a5, const char *a6, const char *a7)
{
  int pipefd[2];
  cr_assert_eq(pipe(pipefd), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    if (as_user && (setgid(as_user) < 0 || setuid(as_user) < 0))
      _exit(125);
    execl(AS_TEST_CLI, "actorscope", a1, a2, a3, a4, a5, a6, a7, (char *)NULL);
    _exit(127);
  }
  close(pipefd[1]);
  size_t have = 0;
  ssize_t n;
  while (have + 1 < len && (n = read(pipefd[0], out + have, len - 1 - have)) > 0)
    have += (size_t)n;
  out[have] = '\0';
  close(pipefd[0]);
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void target_attach(const struct target *t, const char *interval_ms)
{
  char out[8192];
  cr_assert_eq(
      cli(out, sizeof out, 0, "attach", "-o", t->dest, "-i", interval_ms, t->pid_text, NULL), 0,
      "%s", out);
}

int parse_after(const char *err, const char *key)
{
  const char *p = strstr(err, key);
  cr_assert_not_null(p, "no %s in %s", key, err);
  return atoi(p + strlen(key));
}
