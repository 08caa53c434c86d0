/* However a traced process ends — a signal, a crash, exec, SIGKILL — its snapshots show the
 * state it reached, and it ends exactly as it would untraced. */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(czmq_ending, .timeout = 60);

struct ending {
  char how[8];
  char signal[12];
  int status;
};

static struct ending endings[] = {
    {"term", "SIGTERM", 128 + 15},
    {"int", "SIGINT", 128 + 2},
    {"hup", "SIGHUP", 128 + 1},
    {"segv", "SIGSEGV", 128 + 11},
    {"abort", "SIGABRT", 128 + 6},
    {"quit", "SIGQUIT", 128 + 3},
    {"usr1", "SIGUSR1", 128 + 10},
    {"alrm", "SIGALRM", 128 + 14},
    {"pipe", "SIGPIPE", 128 + 13},
    /* the host set SIGTERM back to its default after CZMQ's handler had replaced ours */
    {"dfl", "SIGTERM", 128 + 15},
    /* met by the forking thread while fork's handlers hold the tracer's locks */
    {"fork", "SIGTERM", 128 + 15},
};

ParameterizedTestParameters(czmq_ending, a_deadly_signal_writes_the_state_then_kills_as_usual)
{
  return cr_make_param_array(struct ending, endings, sizeof endings / sizeof endings[0]);
}

ParameterizedTest(struct ending *e, czmq_ending,
                  a_deadly_signal_writes_the_state_then_kills_as_usual)
{
  const char *argv[] = {"czmq_ending", e->how, NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, e->status);
  cr_assert_str_eq(run.out, "worked\n");
  cr_assert_str_eq(run.err, "");
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")), "the last line is not final");
  cr_assert_str_eq(as_test_str(last, "ended_by"), "signal");
  cr_assert_str_eq(as_test_str(last, "signal"), e->signal);
  json_t *workers[2];
  cr_assert_eq(as_test_actors_named(last, "ending_worker", workers, 2), 2);
  for (int i = 0; i < 2; i++) {
    cr_assert_str_eq(as_test_str(workers[i], "status"), "running");
    cr_assert_eq(as_test_int(workers[i], "counters.messages_received"), 5);
  }
  json_decref(lines);
  as_test_run_free(&run);
}

/* _exit while tracing: the final line says exit, and the process ends with _exit's status:
 * called inside fork() (where the tracer holds its locks), or with SIGTERM arriving while the
 * tracer's _exit writes that line (untraced the process was gone before it). */
static void assert_quick_exit(const char *how, int status, const char *out)
{
  const char *argv[] = {"czmq_ending", how, NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, status, "%s: %s", how, run.err);
  cr_assert_str_eq(run.out, out, "%s", how);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")), "%s: the last line is not final", how);
  cr_assert_str_eq(as_test_str(last, "ended_by"), "exit", "%s", how);
  cr_assert_null(json_object_get(last, "signal"), "%s", how);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_ending, an__exit_inside_fork_or_meeting_a_signal_ends_as_untraced_with_its_line)
{
  assert_quick_exit("fork-exit", 5, "worked\n");
  assert_quick_exit("exit-signalled", 3, "worked\n");
  assert_quick_exit("exit3-signalled", 3, "worked\n");
}

/* quick_exit's handlers run as untraced (signals unblocked) before its line; a thread
 * cancelled inside _exit still ends the process (untraced, _exit has no cancellation point). */
Test(czmq_ending, quick_exit_handlers_and_a_cancelled__exit_behave_as_untraced)
{
  assert_quick_exit("quick-handlers", 4, "worked\nusr1\n");
  assert_quick_exit("cancelled-exit", 7, "worked\n");
}

Test(czmq_ending, a_host_that_installs_its_own_handler_gets_exactly_that)
{
  const char *argv[] = {"czmq_ending", "own", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 7);
  /* Asked before installing, the host sees the default disposition, not ours. */
  cr_assert_str_eq(run.out, "worked\nbefore=default\nhandled\n");
  /* Its handler ends with _exit: a final line ended by exit (no destructor runs; the _exit
   * hook asks the collector for it), and no line for a signal. */
  json_t *lines = as_test_run_lines(&run);
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line) cr_assert_null(json_object_get(line, "signal"));
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")), "the last line is not final");
  cr_assert_str_eq(as_test_str(last, "ended_by"), "exit");
  json_t *workers[2];
  cr_assert_eq(as_test_actors_named(last, "ending_worker", workers, 2), 2);
  for (int k = 0; k < 2; k++)
    cr_assert_eq(as_test_int(workers[k], "counters.messages_received"), 5);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_ending, a_process_killed_soon_after_its_first_spawn_leaves_a_snapshot)
{
  /* SIGKILL cannot be caught: only the early first snapshot, written soon after the first
   * spawn and long before the first interval (60 s here), records anything. The program is
   * killed once it has worked and (traced) that line is out, however slow the machine: a
   * fixed delay (it was 0.4 s) either killed it before the line under load, or let a line
   * written before the second worker's spawn be the only one, listing one worker. */
  const char *argv[] = {"/bin/sh", "-c",
                        AS_TEST_PROGRAMS
                        "/czmq_ending kill9 & pid=$!; i=0; "
                        "until grep -qs worked stdout && { [ -z \"$LD_PRELOAD\" ] || "
                        "grep -qs '\"type\":\"snapshot\"' actorscope.*.jsonl; }; do "
                        "i=$((i + 1)); [ $i -gt 400 ] && break; sleep 0.05; done; "
                        "kill -KILL $pid; wait $pid",
                        NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=60000", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 137);
  cr_assert_str_eq(run.out, "worked\n");
  json_t *lines = as_test_run_lines(&run);
  cr_assert_eq(json_array_size(lines), 2, "a header and the early line, nothing else");
  json_t *last = as_test_last_snapshot(lines);
  cr_assert_not_null(last, "no snapshot was written before the kill");
  /* The early line is the state 10 ms after the first spawn: one worker or both. */
  size_t workers = as_test_count_named(last, "ending_worker");
  cr_assert(workers == 1 || workers == 2, "%zu workers", workers);
  cr_assert_eq(as_test_int(last, "totals.total_spawned"), (json_int_t)workers);
  cr_assert(json_is_false(json_object_get(last, "final")));
  json_decref(lines);
  as_test_run_free(&run);
}

/* Every way libc has to set a handler returns the default for a deadly signal the program
 * left alone, never the tracer's handler (a strict ISO C program's signal() is __sysv_signal:
 * it got the tracer's, chained to it and died). */
Test(czmq_ending, every_handler_setter_returns_the_default_the_program_left)
{
  const char *argv[] = {"czmq_ending", "setters", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  cr_assert_str_eq(run.out, "worked\nsetters ok\n");
  as_test_run_free(&run);
}

/* Two deadly signals back to back, delivered to two threads: the process dies of the one its
 * final line names (the line named one and the process died of the other, now and then).
 * Which one is not compared with an untraced run: untraced the first one sent kills at once,
 * traced the first to reach a handler does (docs/format.md). */
Test(czmq_ending, of_two_deadly_signals_the_process_dies_of_the_one_its_line_names)
{
  const char *argv[] = {"/bin/sh", "-c",
                        AS_TEST_PROGRAMS "/czmq_ending kill9 & pid=$!; i=0; "
                                         "until grep -qs worked stdout && "
                                         "grep -qs '\"type\":\"snapshot\"' actorscope.*.jsonl; do "
                                         "i=$((i + 1)); [ $i -gt 400 ] && break; sleep 0.05; done; "
                                         "kill -USR1 $pid; kill -ALRM $pid; wait $pid",
                        NULL};
  for (int round = 0; round < 10; round++) {
    struct as_test_run run;
    as_test_run(argv, NULL, 1, &run);
    cr_assert(run.status == 128 + SIGUSR1 || run.status == 128 + SIGALRM, "status %d", run.status);
    json_t *lines = as_test_run_lines(&run);
    json_t *last = as_test_last_snapshot(lines);
    cr_assert_str_eq(as_test_str(last, "ended_by"), "signal");
    cr_assert_str_eq(as_test_str(last, "signal"),
                     run.status == 128 + SIGUSR1 ? "SIGUSR1" : "SIGALRM",
                     "round %d: died of signal %d", round, run.status - 128);
    json_decref(lines);
    as_test_run_free(&run);
  }
}

/* A thread meets SIGPIPE while main, 20 ms later, ends the process itself: untraced the
 * signal kills at once. Traced, its last line takes longer than that (busy actors), and main
 * must not end the process its own way meanwhile (it exited 3, 6, or ran its atexit handler
 * and static destructors first). */
static void exit_race(const char *how)
{
  const char *argv[] = {"caf_exit_race", how, NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 128 + SIGPIPE, "%s: status %d", how, run.status);
  cr_assert_str_eq(run.out, "");
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert_str_eq(as_test_str(last, "ended_by"), "signal", "%s", how);
  cr_assert_str_eq(as_test_str(last, "signal"), "SIGPIPE", "%s", how);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_ending, a_thread_ending_the_process_waits_for_another_s_deadly_signal)
{
  exit_race("_exit");
  exit_race("quick_exit");
  exit_race("exit");
}

Test(czmq_ending, threads_crashing_at_once_leave_one_final_line_and_the_same_death)
{
  const char *argv[] = {"czmq_ending", "crash4", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 128 + 11);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  cr_assert_str_eq(as_test_str(last, "signal"), "SIGSEGV");
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_ending, a_fault_the_process_sends_itself_still_kills_it)
{
  const char *argv[] = {"czmq_ending", "selfsegv", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 128 + 11, "the host survived its own SIGSEGV: %s", run.out);
  as_test_run_free(&run);
}

/* Runs czmq_ending HOW under a tracer that sees every signal delivered to it, as gdb or a crash
 * reporter would; returns the siginfo of the last SIGSEGV delivered and the wait status. */
static siginfo_t ending_last_segv(const char *how, int preload, const char *output, int *status)
{
  char program[1024];
  snprintf(program, sizeof program, "%s/czmq_ending", AS_TEST_PROGRAMS);
  siginfo_t last;
  memset(&last, 0, sizeof last);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    unsetenv("LD_PRELOAD");
    if (preload)
      setenv("LD_PRELOAD", AS_TEST_PRELOAD, 1);
    setenv("ACTORSCOPE_OUTPUT", output, 1);
    ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    execl(program, "czmq_ending", how, (char *)NULL);
    _exit(127);
  }
  for (;;) {
    int st;
    pid_t waited = waitpid(pid, &st, __WALL);
    if (waited < 0 && errno == EINTR)
      continue;
    cr_assert_eq(waited, pid, "waitpid: %s", strerror(errno));
    if (!WIFSTOPPED(st)) {
      *status = st;
      return last;
    }
    int sig = WSTOPSIG(st);
    siginfo_t info;
    if (sig == SIGSEGV && ptrace(PTRACE_GETSIGINFO, pid, NULL, &info) == 0)
      last = info;
    ptrace(PTRACE_CONT, pid, NULL, (void *)(uintptr_t)(sig == SIGTRAP ? 0 : sig));
  }
}

Test(czmq_ending, a_crash_reaches_a_debugger_with_the_real_fault)
{
  int untraced, traced;
  char output[128];
  snprintf(output, sizeof output, "file:/tmp/actorscope-fault-%d.jsonl", (int)getpid());
  siginfo_t want = ending_last_segv("segv", 0, output, &untraced);
  siginfo_t got = ending_last_segv("segv", 1, output, &traced);
  /* The tracer was there: its last line says the process died of the fault. */
  json_t *lines = as_test_load_lines(output + 5);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert_str_eq(as_test_str(last, "signal"), "SIGSEGV");
  json_decref(lines);
  unlink(output + 5);
  cr_assert(WIFSIGNALED(untraced) && WTERMSIG(untraced) == SIGSEGV);
  cr_assert(WIFSIGNALED(traced) && WTERMSIG(traced) == SIGSEGV);
  cr_assert_eq(want.si_code, SEGV_MAPERR);
  /* The host writes to address 2 (its argc). */
  cr_assert_eq((uintptr_t)want.si_addr, 2);
  cr_assert_eq(got.si_code, want.si_code, "si_code %d, untraced %d", got.si_code, want.si_code);
  cr_assert_eq(got.si_addr, want.si_addr, "si_addr %p, untraced %p", got.si_addr, want.si_addr);
}

Test(czmq_ending, after_an_exec_that_fails_the_end_is_still_recorded)
{
  const char *argv[] = {"czmq_ending", "execfail", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 6);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  cr_assert_str_eq(as_test_str(last, "ended_by"), "exit");
  size_t i, execs = 0;
  json_t *line;
  json_array_foreach(lines, i, line) execs +=
      as_test_str(line, "ended_by") && strcmp(as_test_str(line, "ended_by"), "exec") == 0;
  cr_assert_eq(execs, 1, "the line written before the exec is missing");
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_ending, a_descriptor_the_host_closed_and_reused_never_gets_our_lines)
{
  const char *argv[] = {"czmq_ending", "closefds", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=20", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 0);
  char path[256];
  snprintf(path, sizeof path, "%s/mine.txt", run.dir);
  char *text = as_test_read_file(path);
  cr_assert_str_eq(text, "host line\n");
  free(text);
  cr_assert_not_null(strstr(run.err, "closed the descriptor"), "stderr: %s", run.err);
  as_test_run_free(&run);
}

Test(czmq_ending, a_broken_stderr_does_not_kill_the_host_with_sigpipe)
{
  /* stderr is a pipe whose reader is gone: the bad value's one line must not raise SIGPIPE. */
  const char *argv[] = {"/bin/bash", "-c",
                        "sleep 0.1 & " AS_TEST_PROGRAMS "/czmq_pingpong 5 2> >(exit 0); echo $?",
                        NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=abc", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_str_eq(run.out, "pongs=5\n3\n");
  as_test_run_free(&run);
}

/* The collector thread held up at its start (before its file, by the kernel or, here, a
 * pause point) past the second exit waits for it: it holds no lock, so the exiting thread
 * writes the file and its final line itself (before, nothing was written: "the last snapshot
 * took too long"). */
Test(czmq_ending, a_collector_held_up_outside_a_write_still_gets_the_final_line_written)
{
  const char *argv[] = {"czmq_ending", "held", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_str_eq(run.out, "worked\n");
  cr_assert_str_eq(run.err, "");
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")), "the last line is not final");
  cr_assert_str_eq(as_test_str(last, "ended_by"), "exit");
  cr_assert_eq(as_test_int(last, "totals.total_spawned"), 2);
  cr_assert_eq(as_test_int(last, "totals.messages_received"), 10 + 2); /* and their $TERM */
  json_decref(lines);
  as_test_run_free(&run);
}
