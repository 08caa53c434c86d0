/* actorscope run end to end, then check on what it recorded. */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <sys/resource.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
  const char *argv[] = {AS_TEST_CLI, "run", "-i", "50", "--", AS_TEST_PROGRAMS "/czmq_pingpong",
                        "300",       NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 3, "the program's exit status must pass through");
  cr_assert_str_eq(run.out, "pongs=300\n");
  char *path = cli_snapshot_path(run.err);
  cr_assert_eq(strncmp(path, run.dir, strlen(run.dir)), 0, "%s is not in %s", path, run.dir);
  json_t *lines = as_test_load_lines(path);
  cr_assert_eq(
      as_test_type_count(as_test_actor_named(as_test_last_snapshot(lines), "pong_actor"), "PING"),
      300);
  json_decref(lines);

  const char *pass[] = {
      AS_TEST_CLI, "check",         "--expect",        "pong_actor=1", "--max-alive-at-exit",
      "0",         "--no-deadlock", "--no-exceptions", path,           NULL};
  struct as_test_run checked;
  as_test_run(pass, NULL, 0, &checked);
  cr_assert_eq(checked.status, 0, "%s%s", checked.out, checked.err);
  cr_assert_str_eq(checked.out, "check: 0 of 4 rules failed\n");
  as_test_run_free(&checked);

  const char *fail[] = {AS_TEST_CLI, "check", "--max-spawned", "0", path, NULL};
  as_test_run(fail, NULL, 0, &checked);
  cr_assert_eq(checked.status, 1);
  cr_assert_str_eq(checked.out,
                   "FAIL max-spawned 0: 1 actors spawned\ncheck: 1 of 1 rules failed\n");
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
  cr_assert(strstr(run.out, "libactorscope.so:/lib/x86_64-linux-gnu/libm.so.6\n") != NULL, "%s",
            run.out);
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
    cr_assert(strncmp(run.out, "usage: actorscope ", 18) == 0, "%s --help: %s", commands[i],
              run.out);
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
    const char *argv[] = {
        AS_TEST_CLI, "run", "-o", output, "-i", "50", AS_TEST_PROGRAMS "/czmq_linger", "700", NULL};
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
    if (run.status != 2 ||
        (!strstr(run.err, "No such file") && !strstr(run.err, "Connection refused")))
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

/* ---- run and signals -------------------------------------------------------------------- */

/* actorscope run started with its stdout on a pipe (or a terminal), the program ready. */
struct cli_live {
  pid_t run;
  int out;      /* run's stdout (and, on a terminal, everything) */
  long program; /* the program's pid, from its "ready PID" line */
  char dir[64]; /* run's working directory; stderr goes to dir/stderr off a terminal */
};

/* Reads up to the line starting "ready ", the program's pid after it. */
static long cli_read_ready(int fd)
{
  char text[4096];
  size_t used = 0;
  for (;;) {
    ssize_t n = read(fd, text + used, sizeof text - 1 - used);
    if (n < 0 && errno == EINTR)
      continue;
    cr_assert_gt(n, 0, "the program ended before it was ready");
    used += (size_t)n;
    text[used] = '\0';
    const char *ready = strstr(text, "ready ");
    if (ready && strchr(ready, '\n'))
      return strtol(ready + 6, NULL, 10);
    cr_assert_lt(used, sizeof text - 1);
  }
}

static void cli_live_child(const char *const *argv, const char *dir)
{
  if (chdir(dir) < 0)
    _exit(126);
  unsetenv("LD_PRELOAD");
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    signal(sigs[i], SIG_DFL);
  execv(argv[0], (char *const *)argv);
  _exit(127);
}

static void cli_live_start(struct cli_live *live, const char *const *argv)
{
  snprintf(live->dir, sizeof live->dir, "/tmp/actorscope-test-XXXXXX");
  cr_assert_not_null(mkdtemp(live->dir));
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  live->run = fork();
  cr_assert(live->run >= 0);
  if (live->run == 0) {
    char path[128];
    snprintf(path, sizeof path, "%s/stderr", live->dir);
    int err = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fds[1], 1);
    dup2(err, 2);
    close(fds[0]);
    cli_live_child(argv, live->dir);
  }
  close(fds[1]);
  live->out = fds[0];
  live->program = cli_read_ready(live->out);
}

/* Waits for run, asserts no program is left behind, returns run's wait status and (in *out)
 * the rest of its output. */
static int cli_live_finish(struct cli_live *live, char **out)
{
  int status;
  while (waitpid(live->run, &status, 0) < 0 && errno == EINTR)
    ;
  int orphan = kill((pid_t)live->program, 0) == 0;
  if (orphan)
    kill((pid_t)live->program, SIGKILL);
  cr_assert_not(orphan, "run ended and left the program (pid %ld) running", live->program);
  size_t cap = 4096, used = 0;
  *out = malloc(cap);
  for (ssize_t n; (n = read(live->out, *out + used, cap - 1 - used)) != 0;) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break; /* EIO: a terminal's other side is gone */
    used += (size_t)n;
    if (cap - used < 2)
      *out = realloc(*out, cap *= 2);
  }
  (*out)[used] = '\0';
  close(live->out);
  return status;
}

static void cli_live_free(struct cli_live *live)
{
  struct as_test_run files = {.out = NULL, .err = NULL};
  snprintf(files.dir, sizeof files.dir, "%s", live->dir);
  as_test_run_free(&files);
}

/* run's summary on stderr names the file and how the program ended; then cleans up. */
static void cli_live_assert_summary_and_free(struct cli_live *live, char *out, const char *ending)
{
  char path[128];
  snprintf(path, sizeof path, "%s/stderr", live->dir);
  char *err = as_test_read_file(path);
  cr_assert_not_null(strstr(err, "actorscope: snapshots in "), "%s", err);
  cr_assert_not_null(strstr(err, ending), "%s", err);
  free(err);
  free(out);
  cli_live_free(live);
}

Test(cli_run, termination_signals_sent_to_run_reach_the_program_once_and_run_exits_as_it_did)
{
  const char *argv[] = {AS_TEST_CLI, "run", "-i", "50", "--", AS_TEST_PROGRAMS "/czmq_signals",
                        NULL};
  static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct cli_live live;
    cli_live_start(&live, argv);
    kill(live.run, sigs[i]);
    char *out;
    int status = cli_live_finish(&live, &out);
    char expected[64];
    snprintf(expected, sizeof expected, "got %s x1\n", sigabbrev_np(sigs[i]));
    cr_assert_not_null(strstr(out, expected), "SIG%s: %s", sigabbrev_np(sigs[i]), out);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 40 + sigs[i],
              "SIG%s: run's status %#x is not the program's", sigabbrev_np(sigs[i]), status);
    char ending[64];
    snprintf(ending, sizeof ending, "1 actor, exited with status %d\n", 40 + sigs[i]);
    cli_live_assert_summary_and_free(&live, out, ending);
  }
}

Test(cli_run, a_program_killed_by_a_forwarded_signal_kills_run_the_same_way)
{
  const char *argv[] = {AS_TEST_CLI, "run", "-i", "50", "--", AS_TEST_PROGRAMS "/czmq_signals",
                        "default",   NULL};
  struct cli_live live;
  cli_live_start(&live, argv);
  /* Until the first snapshot line is out, so there is a file to tell about. */
  char path[128];
  snprintf(path, sizeof path, "%s/actorscope.%ld.jsonl", live.dir, live.program);
  for (int wait = 0; wait < 1000; wait++) {
    char *text = as_test_read_file(path);
    int lines = 0;
    for (const char *p = text; (p = strchr(p, '\n')); p++)
      lines++;
    free(text);
    if (lines >= 2)
      break;
    usleep(10000);
  }
  kill(live.run, SIGTERM);
  char *out;
  int status = cli_live_finish(&live, &out);
  cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "run's status %#x", status);
  /* The program set SIGTERM back to its default after CZMQ's handler: the tracer's handler
   * stands in for it, so the last line is the state at the signal. */
  cli_live_assert_summary_and_free(
      &live, out, "killed by SIGTERM (the last snapshot is the state at that moment)");
}

/* Ctrl-C on a terminal goes to the whole foreground process group, program included: run must
 * not send it a second time; but a program that moved to a group of its own gets it from run. */
static void cli_assert_terminal_interrupt_arrives_once(const char *mode)
{
  const char *argv[] = {AS_TEST_CLI, "run", "-i", "50", "--", AS_TEST_PROGRAMS "/czmq_signals",
                        mode,        NULL};
  struct cli_live live;
  snprintf(live.dir, sizeof live.dir, "/tmp/actorscope-test-XXXXXX");
  cr_assert_not_null(mkdtemp(live.dir));
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  cr_assert(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
  live.run = fork();
  cr_assert(live.run >= 0);
  if (live.run == 0) {
    setsid();
    int tty = open(ptsname(master), O_RDWR); /* becomes the controlling terminal */
    if (tty < 0)
      _exit(126);
    dup2(tty, 0);
    dup2(tty, 1);
    dup2(tty, 2);
    close(master);
    cli_live_child(argv, live.dir);
  }
  live.out = master;
  live.program = cli_read_ready(master);
  cr_assert_eq(write(master, "\x03", 1), 1); /* the terminal's interrupt character */
  char *out;
  int status = cli_live_finish(&live, &out);
  cr_assert_not_null(strstr(out, "got INT x1"), "%s", out);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 40 + SIGINT, "status %#x\n%s", status, out);
  free(out);
  cli_live_free(&live);
}

Test(cli_run, a_terminal_interrupt_reaches_the_program_once)
{
  cli_assert_terminal_interrupt_arrives_once(NULL);
}

Test(cli_run, a_terminal_interrupt_reaches_a_program_in_a_group_of_its_own_through_run)
{
  cli_assert_terminal_interrupt_arrives_once("own-group");
}

/* ---- what run says about the process tree ---------------------------------------------- */

/* Every one of the NULL-terminated texts is in stderr. */
static void cli_assert_err_has(const struct as_test_run *run, const char *const *texts)
{
  for (; *texts; texts++)
    cr_assert_not_null(strstr(run->err, *texts), "no '%s' in:\n%s", *texts, run->err);
}

Test(cli_run, run_names_the_snapshot_file_a_forked_child_wrote)
{
  const char *argv[] = {AS_TEST_CLI, "run", AS_TEST_PROGRAMS "/czmq_forked_worker", NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 5, "%s", run.err);
  long worker = strtol(run.out + strlen("worker "), NULL, 10);
  char file[256], who[256];
  snprintf(file, sizeof file, "actorscope: snapshots in %s/actorscope.%ld.jsonl\n", run.dir,
           worker);
  snprintf(who, sizeof who, "actorscope:   pid %ld (czmq_forked_worker, started by pid ", worker);
  /* A descendant's exit status is its parent's to know, not run's: "exited". */
  const char *texts[] = {file, who, " 1 actor, exited\n", NULL};
  cli_assert_err_has(&run, texts);
  /* One snapshot or two: the early first one is taken only if the worker lives 10 ms. */
  cr_assert(strstr(run.err, "): 1 snapshot, 1 actor") || strstr(run.err, "): 2 snapshots, 1 actor"),
            "%s", run.err);
  cr_assert_null(strstr(run.err, "no snapshots were written"), "%s", run.err);
  json_t *lines = as_test_run_lines(&run);
  cr_assert_not_null(as_test_actor_named(as_test_last_snapshot(lines), "forked_worker"));
  json_decref(lines);
  as_test_run_free(&run);
}

Test(cli_run, run_says_why_tracing_was_refused)
{
  static const char reported[] = "actorscope: no snapshots were written; the tracer reported:\n"
                                 "actorscope:   pid ";
  const char *caf[] = {AS_TEST_CLI, "run", AS_TEST_PROGRAMS "/fake_caf_host_0_18_0", NULL};
  const char *caf_texts[] = {reported, " (fake_caf_host_0_18_0): ", "is not libcaf_core 0.17.6",
                             NULL};
  const char *czmq[] = {AS_TEST_CLI, "run", AS_TEST_PROGRAMS "/czmq_static_pingpong", "5", NULL};
  const char *czmq_texts[] = {reported, " (czmq_static_pingpong): ", "links CZMQ statically", NULL};
  struct as_test_run run;
  as_test_run(caf, NULL, 0, &run);
  cli_assert_err_has(&run, caf_texts);
  as_test_run_free(&run);
  as_test_run(czmq, NULL, 0, &run);
  cr_assert_eq(run.status, 3);
  cli_assert_err_has(&run, czmq_texts);
  as_test_run_free(&run);
}

Test(cli_run, a_bad_option_or_variable_is_named_and_nothing_runs)
{
  static const struct {
    const char *option, *value, *env, *message;
  } cases[] = {
      {"-i", "abc", NULL,
       "actorscope run: ACTORSCOPE_INTERVAL_MS='abc' is invalid: expected a whole number of "
       "milliseconds from 1 to 3600000\n"},
      {"-i", "0", NULL, "actorscope run: ACTORSCOPE_INTERVAL_MS='0' is invalid"},
      {"-o", "tcp:70000", NULL, "actorscope run: ACTORSCOPE_OUTPUT='tcp:70000' is invalid"},
      {"-o", "", NULL, "actorscope run: ACTORSCOPE_OUTPUT='file:' is invalid: the path is empty"},
      {NULL, NULL, "ACTORSCOPE_STACK_DEPTH=999",
       "actorscope run: ACTORSCOPE_STACK_DEPTH='999' is invalid"},
      {NULL, NULL, "ACTORSCOPE_GRAVE_MS=1\n2",
       "actorscope run: ACTORSCOPE_GRAVE_MS='1\\x0a2' is invalid"},
      /* It ran untraced, and said "no more snapshots are written" of none written. */
      {"-o", "/nonexistent-dir/x.jsonl", NULL,
       "actorscope run: cannot write snapshots into /nonexistent-dir: No such file or directory\n"},
      {"-o", "/proc/self/x.jsonl", NULL,
       "actorscope run: cannot write snapshots into /proc/self: "},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *argv[8] = {AS_TEST_CLI, "run"};
    size_t argc = 2;
    if (cases[i].option) {
      argv[argc++] = cases[i].option;
      argv[argc++] = cases[i].value;
    }
    argv[argc++] = AS_TEST_PROGRAMS "/czmq_pingpong";
    argv[argc++] = "5";
    const char *env[] = {cases[i].env, NULL};
    struct as_test_run run;
    as_test_run(argv, env, 0, &run);
    cr_assert_eq(run.status, 2, "case %zu: %s", i, run.err);
    cr_assert_str_eq(run.out, "", "case %zu: the program must not run", i);
    cr_assert_eq(strncmp(run.err, cases[i].message, strlen(cases[i].message)), 0, "case %zu: %s", i,
                 run.err);
    cr_assert_null(strstr(run.err, "started no actor"), "case %zu: %s", i, run.err);
    as_test_run_free(&run);
  }
}

/* A file of an earlier run at the name, or its events file: the snapshots would go to
 * NAME-2.jsonl and a `check NAME.jsonl` that follows would read the old run. */
Test(cli_run, an_output_taken_by_an_earlier_run_is_named_and_nothing_runs)
{
  char dir[] = "/tmp/actorscope-taken-XXXXXX", output[96], leftover[96];
  cr_assert_not_null(mkdtemp(dir));
  const char *leftovers[] = {"old.jsonl", "old.events"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(output, sizeof output, "%s/old.jsonl", dir);
    snprintf(leftover, sizeof leftover, "%s/%s", dir, leftovers[i]);
    as_test_write_text(leftover, "");
    const char *argv[] = {AS_TEST_CLI, "run", "-o", output, AS_TEST_PROGRAMS "/czmq_pingpong",
                          "5",         NULL};
    struct as_test_run run;
    as_test_run(argv, NULL, 0, &run);
    cr_assert_eq(run.status, 2, "%s: %s", leftovers[i], run.err);
    cr_assert_str_eq(run.out, "", "%s: the program must not run", leftovers[i]);
    char expected[160];
    snprintf(expected, sizeof expected, "actorscope run: %s exists", leftover);
    cr_assert_eq(strncmp(run.err, expected, strlen(expected)), 0, "%s", run.err);
    as_test_run_free(&run);
    unlink(leftover);
  }
  /* A socket's path taken by a file, and a socket's leftover events when events are recorded. */
  struct {
    const char *leftover, *output, *events, *message;
  } sockets[] = {
      {"taken.sock", "unix:%s/taken.sock", NULL, "exists and is not a socket"},
      {"live.events", "unix:%s/live.sock", "--events", "live.events exists"},
  };
  for (size_t i = 0; i < 2; i++) {
    snprintf(leftover, sizeof leftover, "%s/%s", dir, sockets[i].leftover);
    as_test_write_text(leftover, "");
    snprintf(output, sizeof output, sockets[i].output, dir);
    const char *argv[] = {AS_TEST_CLI, "run", "-o", output, AS_TEST_PROGRAMS "/czmq_pingpong",
                          "5",         NULL,  NULL};
    if (sockets[i].events) {
      argv[2] = sockets[i].events;
      argv[3] = "-o";
      argv[4] = output;
      argv[5] = AS_TEST_PROGRAMS "/czmq_pingpong";
      argv[6] = "5";
    }
    struct as_test_run run;
    as_test_run(argv, NULL, 0, &run);
    cr_assert_eq(run.status, 2, "%s: %s", sockets[i].leftover, run.err);
    cr_assert_str_eq(run.out, "", "%s: the program must not run", sockets[i].leftover);
    cr_assert(strstr(run.err, sockets[i].message), "%s", run.err);
    as_test_run_free(&run);
    unlink(leftover);
  }
  /* A name per process (%p) is never taken by another run. */
  snprintf(output, sizeof output, "%s/run.%%p.jsonl", dir);
  const char *argv[] = {AS_TEST_CLI, "run", "-o", output, AS_TEST_PROGRAMS "/czmq_pingpong",
                        "5",         NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 3, "%s", run.err);
  as_test_run_free(&run);
  as_test_remove_tree(dir);
}

/* A process whose tracer stopped writing (here the file size limit, as a full disk would) ended
 * well: run says the tracer stopped, not that the program "did not end normally". */
Test(cli_run, a_tracer_that_stopped_writing_is_told_apart_from_a_program_that_died)
{
  struct rlimit limit = {3000, 3000};
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
  const char *argv[] = {
      AS_TEST_CLI, "run", "-o", "out.jsonl", "-i", "10", AS_TEST_PROGRAMS "/czmq_pingpong",
      "3000",      NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 3, "%s", run.err);
  cr_expect(strstr(run.err, "its tracer stopped writing before its end"), "%s", run.err);
  cr_expect(strstr(run.err, "ulimit -f"), "%s", run.err);
  cr_expect_null(strstr(run.err, "did not end normally"), "%s", run.err);
  as_test_run_free(&run);
}

/* Two images of one pid (exec): the first's tracer stopped writing (ulimit -f), the second was
 * killed. Each line tells its own image's end (both said "its tracer stopped writing"). */
Test(cli_run, what_an_image_said_is_told_of_that_image_not_of_the_one_it_exec_d)
{
  struct rlimit limit = {16384, 16384};
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
  char output[96];
  snprintf(output, sizeof output, "/tmp/as-exec-images-%d.jsonl", (int)getpid());
  const char *argv[] = {AS_TEST_CLI, "run",
                        "-i",        "1",
                        "-o",        output,
                        "--",        AS_TEST_PROGRAMS "/czmq_exec",
                        "300",       AS_TEST_PROGRAMS "/czmq_signals",
                        "default",   NULL};
  struct cli_live live;
  cli_live_start(&live, argv);
  char second_output[128];
  snprintf(second_output, sizeof second_output, "/tmp/as-exec-images-%d-2.jsonl", (int)getpid());
  struct stat st;
  for (int waited = 0; waited < 5000 && stat(second_output, &st) != 0; waited += 10)
    usleep(10000); /* the second image's first line */
  kill((pid_t)live.program, SIGKILL);
  char *out;
  cli_live_finish(&live, &out);
  char path[128];
  snprintf(path, sizeof path, "%s/stderr", live.dir);
  char *err = as_test_read_file(path);
  const char *second = strstr(err, "-2.jsonl\nactorscope:   pid"); /* its summary's line */
  cr_assert_not_null(second, "%s", err);
  const char *first_end = strstr(err, "its tracer stopped writing before its end");
  cr_expect(first_end && first_end < second, "%s", err);
  cr_expect(strstr(second, "killed by SIGKILL (no final snapshot)"), "%s", err);
  cr_expect_null(strstr(second, "stopped writing"), "%s", err);
  free(err);
  free(out);
  cli_live_free(&live);
  unlink(output);
  unlink(second_output);
}

/* run's count and report's agree: report leaves CAF's own actors out ("3 spawned"), run said
 * "6 actors" beside it without a word (helper-64: 34 against 24 on Broker). */
Test(cli_run, run_says_how_many_of_its_actors_report_leaves_out)
{
  const char *argv[] = {AS_TEST_CLI, "run", "-o", "pp.jsonl", AS_TEST_PROGRAMS "/caf_pingpong",
                        "10",        NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 6, "%s", run.err);
  cr_expect(strstr(run.err, " 6 actors (3 of them runtime-internal), "), "%s", run.err);
  char path[128];
  snprintf(path, sizeof path, "%s/pp.jsonl", run.dir);
  const char *report[] = {AS_TEST_CLI, "report", path, NULL};
  struct as_test_run out;
  as_test_run(report, NULL, 0, &out);
  cr_expect(strstr(out.out, "actors: 3 spawned,"), "%s", out.out);
  cr_expect(strstr(out.out, "runtime-internal actors left out: 3 "), "%s", out.out);
  as_test_run_free(&out);
  as_test_run_free(&run);
}

Test(cli_run, run_leaves_no_status_directory_behind)
{
  char tmp[] = "/tmp/actorscope-tmpdir-XXXXXX";
  cr_assert_not_null(mkdtemp(tmp));
  char tmpdir[64];
  snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", tmp);
  const char *env[] = {tmpdir, NULL};
  const char *argv[] = {AS_TEST_CLI, "run", AS_TEST_PROGRAMS "/fake_caf_host_0_18_0", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 0, &run);
  cr_assert_not_null(strstr(run.err, "is not libcaf_core 0.17.6"), "%s", run.err);
  as_test_run_free(&run);
  cr_assert_eq(rmdir(tmp), 0, "%s is not empty: %s", tmp, strerror(errno));
}

/* The library writes notes only into a private directory of our own, never through a link. */
Test(cli_run, the_library_writes_status_notes_only_into_a_private_directory)
{
  char base[] = "/tmp/actorscope-notes-XXXXXX";
  cr_assert_not_null(mkdtemp(base));
  char open_dir[96], link_dir[96], private_dir[96];
  snprintf(open_dir, sizeof open_dir, "%s/open", base);
  snprintf(link_dir, sizeof link_dir, "%s/link", base);
  snprintf(private_dir, sizeof private_dir, "%s/private", base);
  cr_assert_eq(mkdir(open_dir, 0700), 0);
  cr_assert_eq(chmod(open_dir, 0755), 0);
  cr_assert_eq(mkdir(private_dir, 0700), 0);
  cr_assert_eq(symlink(private_dir, link_dir), 0);
  const char *argv[] = {"fake_caf_host_0_18_0", NULL};
  const char *dirs[] = {open_dir, link_dir, private_dir};
  for (int i = 0; i < 3; i++) {
    char var[128];
    snprintf(var, sizeof var, "ACTORSCOPE_RUN_DIR=%s", dirs[i]);
    const char *env[] = {var, NULL};
    struct as_test_run run;
    as_test_run(argv, env, 1, &run);
    cr_assert_eq(run.status, 9);
    as_test_run_free(&run);
  }
  cr_assert_eq(rmdir(open_dir), 0, "a note was written into a directory others can read");
  DIR *d = opendir(private_dir);
  int notes = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    char path[384];
    snprintf(path, sizeof path, "%s/%s", private_dir, e->d_name);
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600, "%s: mode %o", path, st.st_mode);
    char *text = as_test_read_file(path);
    cr_assert_eq(strncmp(text, "actorscope-run-status 1\npid ", 28), 0, "%s", text);
    cr_assert_not_null(
        strstr(text, "/fake_caf_host_0_18_0\narg fake_caf_host_0_18_0\ndiag caf_unsupported "),
        "%s", text);
    cr_assert_not_null(strstr(text, "CAF actors are not traced\nend\n"), "%s", text);
    free(text);
    unlink(path);
    notes++;
  }
  closedir(d);
  cr_assert_eq(notes, 1,
               "the private directory (named directly, not through the link) gets one note");
  cr_assert_eq(rmdir(private_dir), 0);
  unlink(link_dir);
  cr_assert_eq(rmdir(base), 0);
}

/* ---- sanitized hosts ------------------------------------------------------------------- */

Test(cli_run, an_asan_built_program_runs_traced_with_its_own_status_and_output)
{
  const char *programs[][3] = {{AS_TEST_PROGRAMS "/czmq_asan_pingpong", "50", "pong_actor"},
                               {AS_TEST_PROGRAMS "/caf_asan_supervisor", NULL, "supervisor"}};
  for (int i = 0; i < 2; i++) {
    const char *plain_argv[] = {programs[i][0], programs[i][1], NULL};
    struct as_test_run plain, traced;
    as_test_run(plain_argv, NULL, 0, &plain);
    const char *argv[] = {AS_TEST_CLI, "run", programs[i][0], programs[i][1], NULL};
    as_test_run(argv, NULL, 0, &traced);
    cr_assert_eq(traced.status, plain.status, "%s: %d traced, %d untraced\n%s", programs[i][0],
                 traced.status, plain.status, traced.err);
    cr_assert_str_eq(traced.out, plain.out);
    cr_assert_null(strstr(traced.err, "Sanitizer"), "%s", traced.err);
    cr_assert_null(strstr(traced.err, "ASan runtime"), "%s", traced.err);
    json_t *lines = as_test_run_lines(&traced);
    cr_assert_not_null(as_test_actor_named(as_test_last_snapshot(lines), programs[i][2]), "%s",
                       programs[i][0]);
    json_decref(lines);
    as_test_run_free(&plain);
    as_test_run_free(&traced);
  }
}

/* A set-user-ID program of another user runs in secure-execution mode: the loader ignores
 * LD_PRELOAD, and run says so rather than "started no actor". Needs root to make one. */
Test(cli_run, run_says_when_the_loader_will_not_preload_a_setuid_program)
{
  if (geteuid() != 0)
    cr_skip_test("making a set-user-ID program of another user needs root");
  char dir[] = "/tmp/actorscope-suid-XXXXXX", program[64];
  cr_assert_not_null(mkdtemp(dir));
  cr_assert_eq(chmod(dir, 0755), 0);
  snprintf(program, sizeof program, "%s/pingpong", dir);
  char *copy = NULL;
  cr_assert(asprintf(&copy, "cp %s/czmq_pingpong %s && chown 65534 %s && chmod 4755 %s",
                     AS_TEST_PROGRAMS, program, program, program) > 0);
  cr_assert_eq(system(copy), 0);
  free(copy);
  const char *argv[] = {AS_TEST_CLI, "run", program, "3", NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  unlink(program);
  rmdir(dir);
  cr_assert_eq(run.status, 3, "%s", run.err);
  const char *texts[] = {
      "actorscope: no snapshots were written: ", "/pingpong runs in secure-execution mode", NULL};
  cli_assert_err_has(&run, texts);
  as_test_run_free(&run);
}

/* An ASan runtime the user already preloads stays in front, before the tracer (which comes
 * before the user's other libraries). */
Test(cli_run, an_asan_runtime_already_preloaded_stays_before_the_tracer)
{
  const char *env[] = {"LD_PRELOAD=libasan.so.8 /lib/x86_64-linux-gnu/libm.so.6", NULL};
  const char *argv[] = {AS_TEST_CLI, "run", AS_TEST_PROGRAMS "/czmq_asan_pingpong", "5", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 0, &run);
  cr_assert_eq(run.status, 3, "%s", run.err);
  cr_assert_str_eq(run.out, "pongs=5\n");
  cr_assert_null(strstr(run.err, "ASan runtime"), "%s", run.err);
  as_test_run_free(&run);
}

Test(cli_run, run_says_when_a_descendant_that_wrote_snapshots_is_still_running)
{
  const char *argv[] = {AS_TEST_CLI, "run", "-i", "20", AS_TEST_PROGRAMS "/czmq_forked_worker",
                        "stay",      NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  long worker = strtol(run.out + strlen("worker "), NULL, 10);
  if (worker > 0)
    kill((pid_t)worker, SIGKILL);
  cr_assert_eq(run.status, 5, "%s", run.err);
  char file[256];
  snprintf(file, sizeof file, "actorscope: snapshots in %s/actorscope.%ld.jsonl\n", run.dir,
           worker);
  const char *texts[] = {
      file, ", 1 actor, still running, detached from the program (the file grows until it ends)\n",
      NULL};
  cli_assert_err_has(&run, texts);
  as_test_run_free(&run);
}

/* A number in a file the daemon writes; 0 until it is there. */
static long cli_read_number(const char *path)
{
  char *text = as_test_read_file(path);
  long value = strtol(text, NULL, 10);
  free(text);
  return value;
}

Test(cli_run, run_names_a_daemon_that_detached_and_goes_on_writing)
{
  /* The program double-forks like a real daemon and its foreground part exits 0 at once; the
   * daemon starts its actors after detaching, so when the program has ended nothing may have
   * been written yet. run must neither say that nothing was written nor wait for the daemon. */
  const char *argv[] = {AS_TEST_CLI,  "run",  "-o",   "daemon.jsonl",
                        "-i",         "50",   "--",   AS_TEST_PROGRAMS "/czmq_daemonize",
                        "daemon.pid", "2000", "1500", NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  char pidfile[128], done[128], file[160];
  snprintf(pidfile, sizeof pidfile, "%s/daemon.pid", run.dir);
  snprintf(done, sizeof done, "%s/daemon.pid.done", run.dir);
  snprintf(file, sizeof file, "%s/daemon.jsonl", run.dir);
  /* The daemon writes its pid file as soon as it has detached; on a loaded machine that can
   * be after run has said what it saw. */
  long daemon = 0;
  for (int tick = 0; tick < 1000 && (daemon = cli_read_number(pidfile)) <= 0; tick++)
    usleep(10000);
  cr_assert_eq(run.status, 0, "%s", run.err);
  cr_assert_gt(daemon, 0, "no pid file; stderr: %s", run.err);
  cr_assert_null(strstr(run.err, "no snapshots were written"), "%s", run.err);
  char who[256];
  snprintf(who, sizeof who, "pid %ld (czmq_daemonize, detached)", daemon);
  char silent[256];
  snprintf(silent, sizeof silent, "pid %ld (czmq_daemonize) is still running, detached", daemon);
  /* Either it has written its first snapshot (the usual case: run gives it time to) or run
   * says where it will write: both name the daemon, that it runs on, and its file. */
  cr_assert(strstr(run.err, who) || strstr(run.err, silent), "no line for pid %ld in:\n%s", daemon,
            run.err);
  cr_assert_not_null(strstr(run.err, "still running, detached from the program"), "%s", run.err);
  cr_assert_not_null(strstr(run.err, file), "%s", run.err);
  cr_assert_eq(kill((pid_t)daemon, 0), 0, "the daemon must outlive run");

  /* The daemon ends on its own; its file then holds all of its work. */
  for (int tick = 0; tick < 3000 && access(done, F_OK) != 0; tick++)
    usleep(10000);
  for (int tick = 0; tick < 500 && kill((pid_t)daemon, 0) == 0; tick++)
    usleep(10000);
  cr_assert_eq(cli_read_number(done), 2000, "the daemon did not get its jobs");
  json_t *lines = as_test_load_lines(file);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(lines, 0), "pid")), daemon);
  cr_assert_not_null(as_test_actor_named(last, "ingest"));
  json_decref(lines);
  as_test_run_free(&run);
}

Test(cli_run, max_size_and_keep_bound_the_files_of_a_run)
{
  const char *argv[] = {AS_TEST_CLI, "run", "-o",         "out.jsonl",
                        "-i",        "10",  "--max-size", "4K",
                        "--keep",    "1",   "--",         AS_TEST_PROGRAMS "/czmq_slow",
                        "400",       NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "stderr: %s", run.err);
  char path[256];
  snprintf(path, sizeof path, "%s/out.1.jsonl", run.dir);
  cr_assert_eq(access(path, F_OK), 0, "no rotated file; stderr: %s", run.err);
  snprintf(path, sizeof path, "%s/out.2.jsonl", run.dir);
  cr_assert_neq(access(path, F_OK), 0, "more files kept than --keep");
  snprintf(path, sizeof path, "%s/out.jsonl", run.dir);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  /* A file ends at the first line past the limit: under the limit plus one line. */
  cr_assert_lt(st.st_size, 4096 + 4096);
  as_test_run_free(&run);
}

Test(cli_run, report_now_gives_a_live_programs_state_without_waiting_for_its_end)
{
  /* czmq_slow's worker is inside a 20 s handler: report --now must answer while it runs. */
  const char *script =
      "LD_PRELOAD=" AS_TEST_PRELOAD
      " ACTORSCOPE_OUTPUT=unix:$PWD/live.sock ACTORSCOPE_INTERVAL_MS=50 " AS_TEST_PROGRAMS
      "/czmq_slow 20000 >/dev/null 2>&1 &\n"
      "program=$!\n"
      "for i in $(seq 400); do [ -S live.sock ] && break; sleep 0.05; done\n"
      /* The first snapshot may come before the client has spawned its worker. */
      "for i in $(seq 100); do \"$CLI\" report --now unix:$PWD/live.sock >now.txt; rc=$?;"
      " grep -q slow_worker now.txt && break; sleep 0.1; done\n"
      "cat now.txt; echo \"report exit $rc\"\n"
      "kill -0 $program && echo 'program still running'\n"
      "kill -KILL $program; wait $program 2>/dev/null; exit 0\n";
  char cli[512];
  snprintf(cli, sizeof cli, "CLI=%s", AS_TEST_CLI);
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  const char *env[] = {cli, NULL};
  struct as_test_run run;
  as_test_run(argv, env, 0, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  const char *texts[] = {"\nthe state now: the program is running\n", "slow_worker",
                         "\nreport exit 0\nprogram still running\n", NULL};
  for (const char *const *t = texts; *t; t++)
    cr_assert_not_null(strstr(run.out, *t), "no '%s' in:\n%s\n%s", *t, run.out, run.err);
  /* Its usage names the option. */
  const char *help[] = {AS_TEST_CLI, "report", "--help", NULL};
  as_test_run_free(&run);
  as_test_run(help, NULL, 0, &run);
  cr_assert_not_null(strstr(run.out, "--now"), "%s", run.out);
  as_test_run_free(&run);
}
