/* actorscope attach/detach/ctl on programs already running (ptrace: CI runs as root). */
#define _GNU_SOURCE
#include "harness.h"
#include "attach_harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(attach_cli, .timeout = 120);

Test(attach_cli, a_running_czmq_program_is_traced_from_attach_on_and_runs_unchanged)
{
  const char *argv[] = {"czmq_attach_target", "1200", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192];
  const char *pid = t.pid_text, *dest = t.dest;
  int rc = cli(out, sizeof out, 0, "attach", "-o", dest, "-i", "50", pid, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  cr_assert(strstr(out, "attached to process"), "%s", out);
  cr_assert(strstr(out, "adopted=1"), "%s", out);
  cr_assert_eq(target_wait(&t), 0);
  char *stdout_text = target_file(&t, "stdout"), *err = target_file(&t, "stderr");
  cr_assert_str_eq(stdout_text, "pongs=1200\n");
  int after = parse_after(err, "after=");
  cr_assert_gt(after, 0);

  json_t *lines = as_test_load_lines(dest);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  json_t *echo = as_test_actor_named(last, "echo_actor");
  cr_assert_not_null(echo);
  cr_assert(json_is_true(json_object_get(echo, "attached_late")));
  json_int_t pings = as_test_type_count(echo, "PING");
  /* The program's own slots are rewritten last: every ping it sent after seeing its slot change
   * is counted, and at most the one in flight as it changed besides. */
  cr_assert(pings >= after && pings <= after + 1, "PING x%lld, sent after attach %d",
            (long long)pings, after);
  cr_assert_str_eq(as_test_str(echo, "stopped.reason"), "terminated");
  /* What a person reads says so. */
  char report[16384];
  cr_assert_eq(cli(report, sizeof report, 0, "report", dest, NULL, NULL, NULL, NULL, NULL), 0);
  cr_assert(
      strstr(report, "echo_actor stopped (terminated) [running before attach: counted since]"),
      "%s", report);
  json_decref(lines);
  free(stdout_text);
  free(err);
}

Test(attach_cli, detach_restores_every_slot_and_ctl_changes_the_interval)
{
  const char *argv[] = {"czmq_attach_target", "1500", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192];
  const char *pid = t.pid_text, *dest = t.dest;
  /* Attached at a pace of a minute: what follows comes from the new interval alone. */
  cr_assert_eq(cli(out, sizeof out, 0, "attach", "-o", dest, "-i", "60000", pid, NULL), 0, "%s",
               out);
  const char *slots = strstr(out, "slots=");
  cr_assert_not_null(slots, "%s", out);
  int rewritten = atoi(slots + 6);
  cr_assert_gt(rewritten, 10);
  usleep(300000); /* the first line is written */

  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "interval", "40", NULL, NULL, NULL), 0, "%s",
               out);
  cr_assert_str_eq(out, "ok interval_ms=40\n");
  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "interval", "0", NULL, NULL, NULL), 1);
  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "status", NULL, NULL, NULL, NULL), 0, "%s", out);
  cr_assert(strstr(out, "interval_ms=40"), "%s", out);
  usleep(800000);

  cr_assert_eq(cli(out, sizeof out, 0, "detach", pid, NULL, NULL, NULL, NULL, NULL), 0, "%s", out);
  char expected[64];
  snprintf(expected, sizeof expected, "ok detached restored=%d ", rewritten);
  cr_assert(strncmp(out, expected, strlen(expected)) == 0, "%s (expected %s)", out, expected);
  /* Gone with the detach: the socket, so a second detach says so. */
  cr_assert_eq(cli(out, sizeof out, 0, "detach", pid, NULL, NULL, NULL, NULL, NULL), 1);
  cr_assert(strstr(out, "has no tracer listening"), "%s", out);

  cr_assert_eq(target_wait(&t), 0);
  char *stdout_text = target_file(&t, "stdout"), *err = target_file(&t, "stderr");
  cr_assert_str_eq(stdout_text, "pongs=1500\n");
  /* The program's own GOT slot holds libzmq's function again. */
  cr_assert(strstr(err, "slot_restored=1"), "%s", err);
  json_t *lines = as_test_load_lines(dest);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  /* Snapshots 40 ms apart from the ctl on, not once the minute has passed (it said "ok" and
   * went on at the old pace until then). */
  cr_assert_gt(json_array_size(lines), 8);
  json_decref(lines);
  free(stdout_text);
  free(err);
}

/* The last line that is not final whose totals say the runtime's own running count is WANT
 * (by then the tracer has seen every actor that sends or receives); its seq, or -1. */
static json_int_t seq_with_running(json_t *lines, json_int_t want)
{
  size_t i;
  json_t *line;
  json_int_t seq = -1;
  json_array_foreach(lines, i, line)
  {
    json_t *running = json_object_get(json_object_get(line, "totals"), "runtime_running");
    if (json_is_integer(running) && json_integer_value(running) == want &&
        !json_is_true(json_object_get(line, "final")))
      seq = json_integer_value(json_object_get(line, "seq"));
  }
  return seq;
}

/* The actors found at their next message: class names, counts that agree with each other, and
 * the actor system's own running count beside them. */
Test(attach_cli, a_running_caf_program_is_traced_from_attach_on_beside_its_own_running_count)
{
  const char *argv[] = {"caf_attach_target", "1200", NULL};
  struct target t;
  target_start(&t, argv, 1);
  target_attach(&t, "50");
  cr_assert_eq(target_wait(&t), 0);
  char *stdout_text = target_file(&t, "stdout");
  cr_assert_str_eq(stdout_text, "pongs=1200\n");
  json_t *lines = as_test_load_lines(t.dest);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  json_t *pinger = as_test_actor_named(last, "pinger"),
         *ponger = as_test_actor_named(last, "ponger");
  cr_assert_not_null(pinger);
  cr_assert_not_null(ponger);
  cr_assert(json_is_true(json_object_get(pinger, "attached_late")));
  cr_assert(json_is_true(json_object_get(ponger, "attached_late")));
  cr_assert(json_is_null(json_object_get(ponger, "parent")));
  json_int_t pings = as_test_type_count(ponger, "ping");
  cr_assert_gt(pings, 100);
  /* Every ping seen after attach was answered: the pinger got as many answers, one either way
   * at the boundary. */
  json_int_t answers = as_test_type_count(pinger, "i32");
  cr_assert(answers >= pings - 1 && answers <= pings + 1, "ping %lld, answers %lld",
            (long long)pings, (long long)answers);
  cr_assert_str_eq(as_test_str(ponger, "stopped.reason"), "user_shutdown");
  /* The scoped actor main spawns after attach is seen whole. */
  json_t *scoped = as_test_actor_named(last, "scoped_actor");
  if (scoped)
    cr_assert_null(json_object_get(scoped, "attached_late"));
  /* CAF's own count is the true total: the watcher, idle from before attach until the end, is
   * not seen by the tracer until its exit message, yet CAF counts it running all along. */
  /* pinger, ponger and watcher: CAF's registry().running() while the pings go on. */
  json_int_t seq = seq_with_running(lines, 3);
  cr_assert_geq(seq, 0, "no line says runtime_running 3");
  char at[32];
  snprintf(at, sizeof at, "%lld", (long long)seq);
  char report[16384];
  cr_assert_eq(cli(report, sizeof report, 0, "report", "--at", at, t.dest, NULL, NULL, NULL), 0,
               "%s", report);
  cr_assert(
      strstr(report,
             "CAF: 3 running by the actor systems' own count, 2 alive as traced since attach"),
      "%s", report);
  /* top says the same of the same line. */
  char frames[65536];
  cr_assert_eq(cli(frames, sizeof frames, 0, "top", "--batch", t.dest, NULL, NULL, NULL, NULL), 0);
  cr_assert(
      strstr(frames,
             "CAF: 3 running by the actor systems' own count, 2 alive as traced since attach"),
      "%s", frames);
  /* The watcher shows up at its exit, and CAF's count goes to 0 as the program ends. */
  cr_assert_not_null(as_test_actor_named(last, "watcher"));
  cr_assert_eq(as_test_int(last, "totals.runtime_running"), 0);
  json_decref(lines);
  free(stdout_text);
}

/* Zeek's Broker inside Python (python3-broker): CAF in a library loaded RTLD_LOCAL. */
Test(attach_cli, zeek_broker_in_python_is_traced_from_attach_on)
{
  struct target t;
  target_start_broker(&t, "300");
  target_attach(&t, "50");
  cr_assert_eq(target_wait(&t), 0);
  char *stdout_text = target_file(&t, "stdout");
  cr_assert_str_eq(stdout_text, "published=300\n");
  json_t *lines = as_test_load_lines(t.dest);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  json_t *core = as_test_actor_named(last, "core");
  cr_assert_not_null(core);
  cr_assert(json_is_true(json_object_get(core, "attached_late")));
  cr_assert_gt(as_test_type_count(core, "publish"), 0);
  json_decref(lines);
  free(stdout_text);
}

/* ---- Broker: attached against preloaded over the same span ------------------------------ */

/* The totals.runtime_running most lines that are not final say (the steady state: a count
 * read while an actor starts or stops is rare), or -1 when none says one. */
static json_int_t usual_running(json_t *lines)
{
  size_t counts[64] = {0}, i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    json_t *running = json_object_get(json_object_get(line, "totals"), "runtime_running");
    if (json_is_integer(running) && !json_is_true(json_object_get(line, "final")) &&
        json_integer_value(running) >= 0 && json_integer_value(running) < 64)
      counts[json_integer_value(running)]++;
  }
  json_int_t usual = -1;
  for (json_int_t v = 0; v < 64; v++)
    if (counts[v] && (usual < 0 || counts[v] > counts[usual]))
      usual = v;
  return usual;
}

/* The actor with CAF id RUNTIME_ID in a snapshot, or NULL. */
static json_t *actor_with_caf_id(json_t *snapshot, json_int_t runtime_id)
{
  size_t i;
  json_t *actor;
  json_array_foreach(json_object_get(snapshot, "actors"), i,
                     actor) if (json_integer_value(json_object_get(actor, "runtime_id")) ==
                                runtime_id) return actor;
  return NULL;
}

/* Runs broker_span.py traced (attached after "ready", or preloaded) and lets its workload go;
 * returns its lines. */
static json_t *broker_span_run(int attach, struct target *t)
{
  const char *argv[] = {"/usr/bin/python3", AS_TEST_DATA "/attach/broker_span.py", "300", NULL};
  target_start_with(t, argv, 1, 0, !attach);
  if (attach)
    target_attach(t, "50");
  target_touch(t, "go");
  cr_assert_eq(target_wait(t), 0);
  char *stdout_text = target_file(t, "stdout");
  cr_assert_str_eq(stdout_text, "published=300\n");
  free(stdout_text);
  return as_test_load_lines(t->dest);
}

/* The same workload (300 publishes after "go") seen preloaded and attached: the same actors by
 * CAF id, named alike, the workload's messages counted alike, and CAF's own running count the
 * same; only what happened before attach (timers, set-up) differs. */
Test(attach_cli, broker_attached_mid_run_matches_a_preloaded_run_over_the_same_span)
{
  if (access("/usr/lib/python3/dist-packages/broker/__init__.py", R_OK) != 0)
    cr_skip_test("python3-broker is not installed (scripts/setup)");
  struct target pre_t, att_t;
  json_t *pre = broker_span_run(0, &pre_t), *att = broker_span_run(1, &att_t);
  json_t *pre_last = as_test_last_snapshot(pre), *att_last = as_test_last_snapshot(att);
  size_t i, compared = 0;
  json_t *a;
  json_array_foreach(json_object_get(att_last, "actors"), i, a)
  {
    json_int_t caf_id = as_test_int(a, "runtime_id");
    json_t *p = actor_with_caf_id(pre_last, caf_id);
    cr_assert_not_null(p, "attached actor %s (caf id %lld) is not in the preloaded run",
                       as_test_str(a, "name"), (long long)caf_id);
    const char *an = as_test_str(a, "name"), *pn = as_test_str(p, "name");
    /* A function-based actor running before attach is named by its class's name() (the
     * spawned function is known only at spawn): docs/attach.md. */
    if (json_is_true(json_object_get(a, "attached_late")) && strcmp(an, "core") == 0)
      cr_assert_str_eq(pn, "broker::core_actor");
    else
      cr_assert_str_eq(an, pn, "caf id %lld", (long long)caf_id);
    compared++;
  }
  cr_assert_geq(compared, 4);
  json_t *core_att = as_test_actor_named(att_last, "core");
  json_t *core_pre = as_test_actor_named(pre_last, "broker::core_actor");
  cr_assert_not_null(core_att);
  cr_assert_not_null(core_pre);
  cr_assert(json_is_true(json_object_get(core_att, "attached_late")));
  cr_assert_eq(as_test_type_count(core_att, "publish"), 300);
  cr_assert_eq(as_test_type_count(core_pre, "publish"), 300);
  /* CAF's count while the workload runs: the same total whether attached or preloaded. */
  json_int_t running_pre = usual_running(pre), running_att = usual_running(att);
  cr_assert_gt(running_pre, 0);
  cr_assert_eq(running_att, running_pre, "running: attached %lld, preloaded %lld",
               (long long)running_att, (long long)running_pre);
  json_decref(pre);
  json_decref(att);
}

Test(attach_cli, a_second_attach_says_where_the_snapshots_go)
{
  const char *argv[] = {"czmq_attach_target", "1000", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192];
  const char *pid = t.pid_text, *dest = t.dest;
  cr_assert_eq(cli(out, sizeof out, 0, "attach", "-o", dest, pid, NULL, NULL, NULL), 0, "%s", out);
  cr_assert_eq(cli(out, sizeof out, 0, "attach", pid, NULL, NULL, NULL, NULL, NULL), 0, "%s", out);
  cr_assert(strstr(out, "has the tracer loaded already"), "%s", out);
  cr_assert(strstr(out, dest), "%s", out);
  cr_assert_eq(target_wait(&t), 0);
}

/* A library lazily bound when attach rewrote its slots, unloaded, then loaded again at the same
 * place bound at load (RTLD_NOW): detach gave its slots back the lazy copy's PLT stubs, whose
 * resolver the new copy never set up, and the program's next call into it jumped to address 0
 * (helper-53, 3 in 3). */
Test(attach_cli, a_library_loaded_again_bound_at_load_still_runs_after_detach)
{
  const char *argv[] = {"czmq_attach_reload", NULL};
  struct target t;
  target_start(&t, argv, 1);
  target_attach(&t, "20");
  target_touch(&t, "attached");
  cr_assert(target_said(&t, "loaded"), "%s", target_file(&t, "stderr"));
  char out[8192];
  cr_assert_eq(cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  target_touch(&t, "detached");
  int status = target_wait(&t);
  cr_assert_eq(status, 0, "status %d; stderr: %s", status, target_file(&t, "stderr"));
  cr_assert_str_eq(target_file(&t, "stdout"), "round_trips=20\n");
}

/* The program ends (returns from main) as a detach begins: its exit waited for nothing, and the
 * process died before the detach's last line was written (or in the middle of it). */
Test(attach_cli, an_exit_during_a_detach_waits_for_its_last_line)
{
  const char *argv[] = {"czmq_attach_exit", NULL};
  struct target t;
  target_start(&t, argv, 1);
  target_attach(&t, "20");
  char out[8192];
  /* Not asked to answer: the process may end before it does. */
  (void)cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL);
  int status = target_wait(&t);
  cr_assert_eq(status, 0, "status %d; stderr: %s", status, target_file(&t, "stderr"));
  json_t *lines = as_test_load_lines(t.dest);
  json_t *last = json_array_get(lines, json_array_size(lines) - 1);
  cr_assert(json_is_true(json_object_get(last, "final")), "the last line is not the final one");
  cr_assert_str_eq(as_test_str(last, "ended_by"), "detach");
  json_decref(lines);
}

/* Every thread in malloc and dlopen/dlclose: the tool picks the I/O thread, the library walks
 * objects that come and go; the program must finish as it would untraced, the tool end. */
Test(attach_cli, a_program_hammering_malloc_and_the_loader_is_attached_safely_or_refused)
{
  const char *argv[] = {"czmq_attach_hammer", "4", "4", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192];
  const char *pid = t.pid_text, *dest = t.dest;
  int rc = cli(out, sizeof out, 0, "attach", "-o", dest, "-i", "20", pid, NULL);
  cr_assert(rc == 0 || rc == 1, "%d: %s", rc, out);
  int status = target_wait(&t);
  cr_assert_eq(status, 0, "status %d; attach said: %s; the program's stderr: %s", status, out,
               target_file(&t, "stderr"));
  char *stdout_text = target_file(&t, "stdout");
  cr_assert_str_eq(stdout_text, "all_pongs=1 threads_done=4\n");
  if (rc == 0) {
    json_t *lines = as_test_load_lines(dest);
    json_t *last = as_test_last_snapshot(lines);
    cr_assert(json_is_true(json_object_get(last, "final")));
    cr_assert_not_null(as_test_actor_named(last, "echo_actor"));
    json_decref(lines);
  }
  free(stdout_text);
}

/* ---- the control socket of a preloaded library ------------------------------------------- */

/* The socket's descriptor in PID (a socket at fd 500 or above): its flags from fdinfo. */
static long control_fd_flags(pid_t pid)
{
  char path[128], target[128];
  for (int fd = 500; fd < 600; fd++) {
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n <= 0)
      continue;
    target[n] = '\0';
    if (strncmp(target, "socket:", 7) != 0)
      continue;
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
    char *info = as_test_read_file(path);
    const char *flags = strstr(info, "flags:");
    long value = flags ? strtol(flags + 6, NULL, 8) : -1;
    free(info);
    return value;
  }
  return -1;
}

Test(attach_cli, a_preloaded_program_answers_ctl_and_detach_for_its_owner_only)
{
  const char *argv[] = {"czmq_attach_target", "4000", "2000", NULL};
  struct target t;
  target_start_with(&t, argv, 1, 0, 1);
  char out[8192], sock[128];
  const char *pid = t.pid_text;
  snprintf(sock, sizeof sock, "/tmp/actorscope-%u/%d.ctl", (unsigned)geteuid(), (int)t.pid);
  struct stat st, dir;
  cr_assert_eq(lstat(sock, &st), 0, "no socket at %s", sock);
  cr_assert(S_ISSOCK(st.st_mode));
  cr_assert_eq(st.st_mode & 0777, 0600);
  char dir_path[128];
  snprintf(dir_path, sizeof dir_path, "/tmp/actorscope-%u", (unsigned)geteuid());
  cr_assert_eq(lstat(dir_path, &dir), 0);
  cr_assert_eq(dir.st_mode & 077, 0, "the directory is open to others: %o", dir.st_mode);
  /* Never inherited by what the program executes. */
  long flags = control_fd_flags(t.pid);
  cr_assert_geq(flags, 0, "no control socket descriptor in the program");
  cr_assert(flags & O_CLOEXEC, "flags %lo", flags);

  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "status", NULL, NULL, NULL, NULL), 0, "%s", out);
  cr_assert(strncmp(out, "ok preloaded interval_ms=50 ", 28) == 0, "%s", out);
  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "interval", "100", NULL, NULL, NULL), 0, "%s",
               out);
  cr_assert_str_eq(out, "ok interval_ms=100\n");
  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "stuck-ms", "300", NULL, NULL, NULL), 0, "%s",
               out);
  cr_assert_str_eq(out, "ok stuck_ms=300\n");
  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "status", NULL, NULL, NULL, NULL), 0, "%s", out);
  cr_assert(strstr(out, "interval_ms=100 stuck_ms=300"), "%s", out);
  /* Another user neither reaches nor commands it. */
  if (geteuid() == 0) {
    cr_assert_eq(cli(out, sizeof out, 65534, "ctl", pid, "status", NULL, NULL, NULL, NULL), 1);
    cr_assert_eq(cli(out, sizeof out, 65534, "detach", pid, NULL, NULL, NULL, NULL, NULL), 1);
    cr_assert_null(strstr(out, "ok detached"), "%s", out);
  }

  cr_assert_eq(cli(out, sizeof out, 0, "detach", pid, NULL, NULL, NULL, NULL, NULL), 0, "%s", out);
  char expected[256];
  snprintf(expected, sizeof expected, "ok detached restored=0 output=%s\n", t.dest);
  cr_assert_str_eq(out, expected);
  cr_assert_neq(lstat(sock, &st), 0, "the socket outlived detach");
  json_t *lines = as_test_load_lines(t.dest);
  size_t after_detach = json_array_size(lines);
  cr_assert(json_is_true(json_object_get(as_test_last_snapshot(lines), "final")));
  json_decref(lines);
  /* The program runs on untraced: output and status as ever, nothing more written. */
  cr_assert_eq(target_wait(&t), 0);
  char *stdout_text = target_file(&t, "stdout");
  cr_assert_str_eq(stdout_text, "pongs=4000\n");
  free(stdout_text);
  lines = as_test_load_lines(t.dest);
  cr_assert_eq(json_array_size(lines), after_detach);
  json_decref(lines);
}

/* A preloaded program ended by SIGNAL (0: it runs to its end): its socket file was there
 * while it ran and is gone with it; returns its exit status. */
static int socket_goes_with_it(int signal)
{
  const char *argv[] = {"czmq_attach_target", "200", "1000", NULL};
  struct target t;
  target_start_with(&t, argv, 1, 0, 1);
  char sock[128];
  snprintf(sock, sizeof sock, "/tmp/actorscope-%u/%d.ctl", (unsigned)geteuid(), (int)t.pid);
  struct stat st;
  int was_there = lstat(sock, &st) == 0;
  if (signal)
    kill(t.pid, signal);
  int status = target_wait(&t);
  cr_assert(was_there, "no socket at %s while it ran", sock);
  cr_assert_neq(lstat(sock, &st), 0, "%s outlived its process", sock);
  return status;
}

Test(attach_cli, a_preloaded_programs_socket_goes_with_it_at_exit)
{
  cr_assert_eq(socket_goes_with_it(0), 0);
}

/* Killed by a deadly signal the host left at its default, the socket goes too. */
Test(attach_cli, a_preloaded_programs_socket_goes_with_it_at_a_deadly_signal)
{
  cr_assert_eq(socket_goes_with_it(SIGHUP), 128 + SIGHUP);
}

/* A socket at a process's path that another process listens on (as one of the same pid in
 * another pid namespace sharing /tmp would): the tool does not talk to it. */
Test(attach_cli, ctl_refuses_a_socket_that_another_process_listens_on)
{
  const char *argv[] = {"/bin/sleep", "30", NULL};
  struct target t;
  target_start(&t, argv, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "/tmp/actorscope-%u", (unsigned)geteuid());
  mkdir(addr.sun_path, 0700);
  snprintf(addr.sun_path, sizeof addr.sun_path, "/tmp/actorscope-%u/%d.ctl", (unsigned)geteuid(),
           (int)t.pid);
  unlink(addr.sun_path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0, "%s", strerror(errno));
  cr_assert_eq(listen(fd, 4), 0);
  char out[8192];
  int rc = cli(out, sizeof out, 0, "ctl", t.pid_text, "status", NULL, NULL, NULL, NULL);
  close(fd);
  unlink(addr.sun_path);
  target_kill(&t);
  cr_assert_eq(rc, 1, "%s", out);
  cr_assert(strstr(out, "belongs to another process"), "%s", out);
}

/* ---- refusals ---------------------------------------------------------------------------- */

static void assert_refused(struct target *t, uid_t as_user, const char *expected)
{
  char out[8192];
  const char *pid = t->pid_text;
  int rc = cli(out, sizeof out, as_user, "attach", pid, NULL, NULL, NULL, NULL, NULL);
  cr_assert_eq(rc, 1, "%s", out);
  cr_assert(strstr(out, expected), "expected '%s' in: %s", expected, out);
  /* Nothing of the tracer went in. */
  char maps[64];
  snprintf(maps, sizeof maps, "/proc/%d/maps", (int)t->pid);
  char *text = as_test_read_file(maps);
  cr_assert_null(strstr(text, "libactorscope"));
  free(text);
}

Test(attach_cli, a_static_binary_is_refused)
{
  const char *argv[] = {"static_sleeper", NULL};
  struct target t;
  target_start(&t, argv, 0);
  assert_refused(&t, 0, "is statically linked");
  target_kill(&t);
}

Test(attach_cli, a_program_without_actor_runtime_is_refused)
{
  const char *argv[] = {"plugin_host", NULL};
  struct target t;
  /* plugin_host without a plugin to load waits on nothing: any dynamic program without CZMQ or
   * CAF does; /bin/sleep is one. */
  (void)argv;
  const char *sleep_argv[] = {"/bin/sleep", "30", NULL};
  target_start(&t, sleep_argv, 0);
  assert_refused(&t, 0, "has neither libczmq nor libcaf_core loaded");
  target_kill(&t);
}

Test(attach_cli, a_process_that_is_not_dumpable_is_refused)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to start the program as another user");
  /* Another user's: root may trace anything, but not what made itself undumpable. */
  const char *argv[] = {"czmq_attach_target", "3000", "2000", "undumpable", NULL};
  struct target t;
  target_start_as(&t, argv, 1, 65534);
  assert_refused(&t, 0, "is not dumpable");
  target_kill(&t);
}

Test(attach_cli, a_process_traced_already_is_refused)
{
  const char *argv[] = {"czmq_attach_target", "3000", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  cr_assert_eq(ptrace(PTRACE_SEIZE, t.pid, 0, 0), 0, "%s", strerror(errno));
  assert_refused(&t, 0, "is being traced already by process");
  ptrace(PTRACE_DETACH, t.pid, 0, 0);
  target_kill(&t);
}

Test(attach_cli, another_users_process_is_refused_with_what_to_do)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to run the tool as another user");
  const char *argv[] = {"czmq_attach_target", "3000", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192];
  const char *pid = t.pid_text;
  int rc = cli(out, sizeof out, 65534, "attach", pid, NULL, NULL, NULL, NULL, NULL);
  cr_assert_eq(rc, 1, "%s", out);
  cr_assert(strstr(out, "not to you") || strstr(out, "cannot read /proc"), "%s", out);
  cr_assert(strstr(out, "as root") || strstr(out, "or root"), "%s", out);
  target_kill(&t);
}

/* Issue 23: event recording turned on and off in a running, attached process. Only the
 * handlers between on and off are in snap.events, each begun and ended there. */
Test(attach_cli, ctl_turns_event_recording_on_and_off)
{
  const char *argv[] = {"czmq_attach_target", "1500", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192];
  const char *pid = t.pid_text, *dest = t.dest;
  cr_assert_eq(cli(out, sizeof out, 0, "attach", "-o", dest, pid, NULL, NULL, NULL), 0, "%s", out);
  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "status", NULL, NULL, NULL, NULL), 0, "%s", out);
  cr_assert(strstr(out, " events=off "), "%s", out);
  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "events", "on", NULL, NULL, NULL), 0, "%s", out);
  cr_assert_str_eq(out, "ok events=on\n");
  usleep(300000);
  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "events", "off", NULL, NULL, NULL), 0, "%s",
               out);
  cr_assert_str_eq(out, "ok events=off\n");
  cr_assert_eq(cli(out, sizeof out, 0, "ctl", pid, "events", "maybe", NULL, NULL, NULL), 1);
  cr_assert_eq(target_wait(&t), 0);
  char *stdout_text = target_file(&t, "stdout");
  cr_assert_str_eq(stdout_text, "pongs=1500\n");
  free(stdout_text);
  /* snap.events beside snap.jsonl: a header, then 40-byte records; kind at byte 38. */
  char *path = NULL;
  cr_assert_geq(asprintf(&path, "%s/snap.events", t.dir), 0);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "no %s", path);
  unsigned char rec[40];
  cr_assert_eq(fread(rec, 1, 24, f), 24);
  cr_assert(memcmp(rec, "ASEVENTS", 8) == 0);
  cr_assert_eq(fread(rec, 1, 40, f), 40); /* the rest of the header */
  size_t begins = 0, ends = 0, sends = 0;
  while (fread(rec, 1, 40, f) == 40) {
    begins += rec[38] == 1;
    ends += rec[38] == 2;
    sends += rec[38] == 4;
  }
  fclose(f);
  cr_assert_gt(begins, 10, "%zu handlers in 300 ms of a ping-pong", begins);
  cr_assert_lt(begins, 1500, "events before on or after off");
  /* An actor running before attach: its zactor_t's end is unknown, so are sends to it. */
  cr_assert_eq(sends, 0);
  cr_assert(ends + 1 >= begins && ends <= begins + 1, "%zu begins, %zu ends", begins, ends);
  free(path);
}

/* ---- Yama ------------------------------------------------------------------------------------ */

/* The tool as an unprivileged user against that user's own process, which is not its child. */
static void assert_yama_refusal(int scope)
{
  const char *argv[] = {"czmq_attach_target", "3000", "2000", NULL};
  struct target t;
  target_start_as(&t, argv, 1, 65534);
  char out[8192], expected[64];
  int rc = cli(out, sizeof out, 65534, "attach", t.pid_text, NULL, NULL, NULL, NULL, NULL);
  target_kill(&t);
  cr_assert_eq(rc, 1, "%s", out);
  snprintf(expected, sizeof expected, "kernel.yama.ptrace_scope=%d", scope);
  cr_assert(strstr(out, expected), "%s", out);
  if (scope == 1)
    cr_assert(strstr(out, "its parent or a process with CAP_SYS_PTRACE") &&
                  strstr(out, "sudo sysctl kernel.yama.ptrace_scope=0"),
              "%s", out);
  if (scope == 2)
    cr_assert(strstr(out, "setcap cap_sys_ptrace+ep") && !strstr(out, "sysctl"), "%s", out);
  if (scope == 3)
    cr_assert(strstr(out, "until the next reboot"), "%s", out);
}

/* The kernel's own Yama at scope 1 for a moment (restored after): needs Yama and root. */
Test(attach_cli, yama_scope_1_refuses_a_non_child_and_says_what_to_do)
{
  const char *sysctl = "/proc/sys/kernel/yama/ptrace_scope";
  if (access(sysctl, F_OK) != 0)
    cr_skip_test("no Yama on this kernel (/proc/sys/kernel/yama is absent)");
  if (geteuid() != 0)
    cr_skip_test("needs root to change the scope and run the tool as another user");
  char *before = as_test_read_file(sysctl);
  FILE *f = fopen(sysctl, "w");
  if (!f || fputs("1\n", f) < 0 || fclose(f) != 0) {
    free(before);
    cr_skip_test("kernel.yama.ptrace_scope cannot be changed here (a container?)");
  }
  assert_yama_refusal(1);
  f = fopen(sysctl, "w");
  cr_assert_not_null(f);
  fputs(before, f);
  fclose(f);
  free(before);
}

/* Where Yama is absent or fixed, the preflight's reader is pointed at a file holding the scope
 * (ACTORSCOPE_TEST_YAMA_FILE): the message for each scope that forbids the attach. */
Test(attach_cli, each_forbidding_yama_scope_is_explained)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to run the tool as another user");
  for (int scope = 1; scope <= 3; scope++) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/actorscope-yama-%d-%d", (int)getpid(), scope);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "%d\n", scope);
    fclose(f);
    chmod(path, 0644);
    setenv("ACTORSCOPE_TEST_YAMA_FILE", path, 1);
    assert_yama_refusal(scope);
    unsetenv("ACTORSCOPE_TEST_YAMA_FILE");
    unlink(path);
  }
}
