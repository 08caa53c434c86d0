/* actorscope attach as a new user meets it (docs/attach.md): a stopped process, another user's
 * process attached from a directory that user may not write, and --events from the attach on
 * (the timeline's handlers are the snapshots' messages, actor by actor). As root (CI). */
#define _GNU_SOURCE
#include "attach_harness.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

TestSuite(attach_hostile, .timeout = 120);

static int mapped_tracer(const struct target *t)
{
  char maps[64];
  snprintf(maps, sizeof maps, "/proc/%d/maps", (int)t->pid);
  char *text = as_test_read_file(maps);
  int found = strstr(text, "libactorscope") != NULL;
  free(text);
  return found;
}

/* A stopped Broker died of an attach: its borrowed thread ran on past the injected mmap into
 * its epoll loop, which read the mapping's address as the wait's result and aborted. */
Test(attach_hostile, a_stopped_process_is_refused_and_runs_on_unharmed_once_continued)
{
  const char *argv[] = {"czmq_epoll_waiter", NULL};
  struct target t;
  target_start(&t, argv, 1);
  cr_assert_eq(kill(t.pid, SIGSTOP), 0);
  usleep(100000);
  char out[8192];
  int rc = cli(out, sizeof out, 0, "attach", "-o", t.dest, t.pid_text, NULL, NULL, NULL);
  cr_assert_eq(kill(t.pid, SIGCONT), 0);
  cr_assert_eq(rc, 1, "%s", out);
  cr_assert(strstr(out, "is stopped") && strstr(out, "kill -CONT"), "%s", out);
  cr_assert_not(mapped_tracer(&t));
  /* Continued, it is attached as any other, and its wait only ever saw interruptions. */
  usleep(200000);
  rc = cli(out, sizeof out, 0, "attach", "-o", t.dest, t.pid_text, NULL, NULL, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  cr_assert_eq(cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  target_touch(&t, "stop");
  cr_assert_eq(target_wait(&t), 0);
  char *err = target_file(&t, "stderr");
  cr_assert_null(strstr(err, "BROKEN"), "%s", err);
  free(err);
}

/* Signals arriving while the thread is borrowed (a timer's, every 200 us): the old tool
 * resumed the single step of its injected mmap with PTRACE_CONT after a signal's stop, and the
 * thread ran on in the program with the mapping's address as epoll_wait's result (6 attaches in
 * 8), the attach failing with "cannot map a scratch page". */
Test(attach_hostile, signals_during_the_attach_never_let_the_thread_run_free)
{
  const char *argv[] = {"czmq_epoll_waiter", "alarms", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192];
  for (int i = 0; i < 4; i++) {
    int rc = cli(out, sizeof out, 0, "attach", "-o", t.dest, t.pid_text, NULL, NULL, NULL);
    cr_assert_eq(rc, 0, "attach %d: %s", i + 1, out);
    rc = cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL);
    cr_assert_eq(rc, 0, "detach %d: %s", i + 1, out);
  }
  target_touch(&t, "stop");
  cr_assert_eq(target_wait(&t), 0);
  char *err = target_file(&t, "stderr");
  cr_assert_null(strstr(err, "BROKEN"), "%s", err);
  free(err);
}

/* A process that ended (a zombie its parent has not waited for yet, as one that exits in the
 * middle of an attach is): its empty maps read as "statically linked". */
Test(attach_hostile, a_process_that_ended_is_said_to_have_ended)
{
  const char *argv[] = {"czmq_epoll_waiter", NULL};
  struct target t;
  target_start(&t, argv, 1);
  target_touch(&t, "stop");
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)t.pid);
  for (int i = 0; i < 500; i++) {
    char *maps = as_test_read_file(path);
    int empty = !maps || !*maps;
    free(maps);
    if (empty)
      break;
    usleep(10000);
  }
  char out[8192];
  int rc = cli(out, sizeof out, 0, "attach", "-o", t.dest, t.pid_text, NULL, NULL, NULL);
  cr_assert_eq(rc, 1, "%s", out);
  char expected[96];
  snprintf(expected, sizeof expected, "process %d ended while it was being attached to",
           (int)t.pid);
  cr_assert(strstr(out, expected), "%s", out);
  cr_assert_eq(target_wait(&t), 0);
}

/* Root attaching to a nobody daemon from root's directory: the tracer, as nobody, could create
 * nothing there; the tool said "attached" and no file ever came. */
Test(attach_hostile, another_users_process_is_refused_where_it_cannot_write)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to start the program as another user");
  const char *argv[] = {"czmq_attach_target", "3000", "2000", NULL};
  struct target t;
  target_start_as(&t, argv, 1, 65534);
  char closed[128], dest[160], out[8192];
  snprintf(closed, sizeof closed, "%s/root-only", t.dir);
  cr_assert_eq(mkdir(closed, 0755), 0);
  snprintf(dest, sizeof dest, "%s/snap.jsonl", closed);
  int rc = cli(out, sizeof out, 0, "attach", "-o", dest, t.pid_text, NULL, NULL, NULL);
  cr_assert_eq(rc, 1, "%s", out);
  cr_assert(strstr(out, "runs as uid 65534, which cannot create files in") && strstr(out, closed),
            "%s", out);
  cr_assert_not(mapped_tracer(&t));
  /* Where it may write, it is attached. */
  rc = cli(out, sizeof out, 0, "attach", "-o", t.dest, "-i", "50", t.pid_text, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  cr_assert_eq(cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  struct stat st;
  cr_assert_eq(stat(t.dest, &st), 0, "%s", out);
  cr_assert_eq(st.st_uid, 65534u);
  target_kill(&t);
}

/* The events of a trace with phase PH, and category CAT and name NAME where not NULL: how many,
 * and the latest "ts" among them (microseconds). */
static json_int_t trace_count(const char *trace_path, const char *ph, const char *cat,
                              const char *name, double *latest)
{
  json_error_t error;
  json_t *trace = json_load_file(trace_path, 0, &error), *e;
  cr_assert_not_null(trace, "%s: %s", trace_path, error.text);
  size_t i;
  json_int_t n = 0;
  double last = 0;
  json_array_foreach(json_object_get(trace, "traceEvents"), i, e)
  {
    const char *its_ph = json_string_value(json_object_get(e, "ph"));
    const char *its_cat = json_string_value(json_object_get(e, "cat"));
    const char *its_name = json_string_value(json_object_get(e, "name"));
    if (!its_ph || strcmp(its_ph, ph) != 0 || (cat && (!its_cat || strcmp(its_cat, cat) != 0)) ||
        (name && (!its_name || strcmp(its_name, name) != 0)))
      continue;
    n++;
    double ts = json_number_value(json_object_get(e, "ts"));
    last = ts > last ? ts : last;
  }
  json_decref(trace);
  if (latest)
    *latest = last;
  return n;
}

/* --events with a tcp: output: the tracer has no place for the events and says so on the
 * program's stderr, which the one who attached never sees; it was attached with events off. */
Test(attach_hostile, events_with_a_tcp_output_are_refused_before_anything_stops)
{
  const char *argv[] = {"czmq_epoll_waiter", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192];
  int rc = cli(out, sizeof out, 0, "attach", "--events", "-o", "tcp:127.0.0.1:0", t.pid_text, NULL,
               NULL);
  cr_assert_eq(rc, 2, "%s", out);
  cr_assert(strstr(out, "a tcp: output has no place for it"), "%s", out);
  cr_assert_not(mapped_tracer(&t));
  target_touch(&t, "stop");
  cr_assert_eq(target_wait(&t), 0);
}

/* A daemon forks a worker after the attach: the worker writes a file of its own, %p its pid
 * (the tool made %p the daemon's pid, and the worker wrote nothing). */
Test(attach_hostile, a_child_forked_after_the_attach_writes_its_own_file)
{
  const char *argv[] = {"czmq_epoll_waiter", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char dest[160], out[8192];
  snprintf(dest, sizeof dest, "%s/snap.%%p.jsonl", t.dir);
  int rc = cli(out, sizeof out, 0, "attach", "--events", "-o", dest, "-i50", t.pid_text, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  target_touch(&t, "fork");
  cr_assert(target_said(&t, "done, status 0"));
  char *err = target_file(&t, "stderr");
  int child = parse_after(err, "child ");
  free(err);
  char path[192];
  snprintf(path, sizeof path, "%s/snap.%d.jsonl", t.dir, child);
  json_t *lines = as_test_load_lines(path);
  json_t *last = as_test_last_snapshot(lines);
  json_t *echo = as_test_actor_named(last, "echo_actor");
  cr_assert_not_null(echo, "%s has no echo_actor", path);
  cr_assert_eq(as_test_type_count(echo, "PING"), 20);
  json_decref(lines);
  cr_assert_eq(cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  target_touch(&t, "stop");
  cr_assert_eq(target_wait(&t), 0);
}

/* `attach --events`: recorded from the configuration the tracer starts with, so every message
 * the snapshots count has its handler in the timeline (with `ctl events on` after the attach
 * the first ones had none). %p is the pid already in what attach prints. */
Test(attach_hostile, attach_with_events_records_every_message_the_snapshots_count)
{
  const char *argv[] = {"czmq_attach_target", "600", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char dest[160], expected[200], out[8192];
  snprintf(dest, sizeof dest, "%s/snap.%%p.jsonl", t.dir);
  int rc = cli(out, sizeof out, 0, "attach", "--events", "-o", dest, "-i50", t.pid_text, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  snprintf(expected, sizeof expected, "events=on output=%s/snap.%d.jsonl\n", t.dir, (int)t.pid);
  cr_assert(strstr(out, expected), "expected '%s' in: %s", expected, out);
  cr_assert_eq(target_wait(&t), 0);

  char snapshots[160], trace[160];
  snprintf(snapshots, sizeof snapshots, "%s/snap.%d.jsonl", t.dir, (int)t.pid);
  snprintf(trace, sizeof trace, "%s/trace.json", t.dir);
  rc = cli(out, sizeof out, 0, "export", "perfetto", "--internal", "-o", trace, snapshots, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  static char report[1 << 18];
  rc = cli(report, sizeof report, 0, "report", "--json", "--internal", snapshots, NULL, NULL, NULL);
  cr_assert_eq(rc, 0, "%s", report);
  json_error_t error;
  json_t *doc = json_loads(report, 0, &error), *actor;
  cr_assert_not_null(doc, "%s", error.text);
  json_int_t received = 0;
  size_t i;
  json_array_foreach(json_object_get(doc, "actors"), i, actor) received +=
      json_integer_value(json_object_get(actor, "messages_received"));
  json_decref(doc);
  cr_assert_gt(received, 100);
  cr_assert_eq(trace_count(trace, "X", "handler", NULL, NULL), received);
  /* Its actors were running before the attach: found then, not spawned (the trace said
   * "spawn" at the attach). */
  cr_assert_geq(trace_count(trace, "i", NULL, "found running at attach", NULL), 1);
  cr_assert_eq(trace_count(trace, "i", NULL, "spawn", NULL), 0);
}

/* Attached with events, detached, attached with events again: the second file's events stand
 * on its own timeline, the one of its snapshots (each of its handlers began before its final
 * capture, at the detach). They stood later by the whole first attach's length. */
Test(attach_hostile, events_of_an_attach_again_share_its_snapshots_timeline)
{
  const char *argv[] = {"czmq_attach_target", "1500", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192];
  int rc = cli(out, sizeof out, 0, "attach", "--events", "-o", t.dest, "-i50", t.pid_text, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  struct timespec pause = {1, 200000000};
  nanosleep(&pause, NULL);
  cr_assert_eq(cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  rc = cli(out, sizeof out, 0, "attach", "--events", "-o", t.dest, "-i50", t.pid_text, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  pause.tv_sec = 0;
  pause.tv_nsec = 500000000;
  nanosleep(&pause, NULL);
  cr_assert_eq(cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  target_kill(&t);
  char second[160], trace[160];
  snprintf(second, sizeof second, "%s/snap-2.jsonl", t.dir);
  snprintf(trace, sizeof trace, "%s/trace.json", t.dir);
  rc = cli(out, sizeof out, 0, "export", "perfetto", "-o", trace, second, NULL, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  double handlers_end, last_capture;
  cr_assert_gt(trace_count(trace, "X", "handler", NULL, &handlers_end), 0, "no handler in %s",
               trace);
  trace_count(trace, "C", NULL, "actors", &last_capture);
  /* Slack for the detach's own last steps; the first attach lasted over a second. */
  cr_assert_lt(handlers_end, last_capture + 200000, "handlers until %.0f µs, captures until %.0f",
               handlers_end, last_capture);
}

/* A second attach's file says its own run's diagnostics: the first attach's (its output taken,
 * so renamed) were repeated in every later attach's lines. */
Test(attach_hostile, an_attach_again_does_not_repeat_the_last_attach_s_diagnostics)
{
  const char *argv[] = {"czmq_attach_target", "1500", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  as_test_write_text(t.dest, "taken\n"); /* the first attach's output goes to snap-2.jsonl */
  char out[8192], fresh[160];
  snprintf(fresh, sizeof fresh, "%s/fresh.jsonl", t.dir);
  int rc = cli(out, sizeof out, 0, "attach", "-o", t.dest, "-i50", t.pid_text, NULL, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  struct timespec pause = {0, 300000000};
  nanosleep(&pause, NULL);
  cr_assert_eq(cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  rc = cli(out, sizeof out, 0, "attach", "-o", fresh, "-i50", t.pid_text, NULL, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  nanosleep(&pause, NULL);
  cr_assert_eq(cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  target_kill(&t);
  char first[160];
  snprintf(first, sizeof first, "%s/snap-2.jsonl", t.dir);
  json_t *lines = as_test_load_lines(first);
  char *said = json_dumps(json_object_get(as_test_last_snapshot(lines), "diagnostics"), 0);
  cr_assert(strstr(said, "output_renamed"), "the first attach's file: %s", said);
  free(said);
  json_decref(lines);
  lines = as_test_load_lines(fresh);
  said = json_dumps(json_object_get(as_test_last_snapshot(lines), "diagnostics"), 0);
  cr_assert(!strstr(said, "output_renamed"), "the second attach's file: %s", said);
  free(said);
  json_decref(lines);
}

/* A forked worker's first hook looks up its real function by walking the loaded objects. A
 * child forked while the attach thread's walk (its slots checked every 10 ms here) held the
 * loader's lock, which glibc does not make new in a child, waited for it forever: the server's
 * wait for its worker hung (helper-69, first try). fork() now waits for a walk to end. */
Test(attach_hostile, workers_forked_while_attached_never_inherit_the_loader_s_lock)
{
  const char *argv[] = {"czmq_attach_forker", "6", NULL};
  struct target t;
  target_start(&t, argv, 1);
  target_attach(&t, "10");
  cr_assert_eq(target_wait(&t), 0, "%s", target_file(&t, "stdout"));
  char *out = target_file(&t, "stdout");
  cr_assert(strstr(out, ", stuck 0, failed 0\n"), "%s", out);
  cr_assert_gt(parse_after(out, "forked "), 10, "%s", out);
  free(out);
}

/* Root in a container without CAP_SYS_PTRACE, against another user's process: it cannot read
 * the process's libc through /proc/PID/root, which said "a glibc older than 2.34". The tool
 * runs without the capability once this test's process drops it from its bounding set (root
 * keeps at exec only what the set holds). */
Test(attach_hostile, root_without_ptrace_capability_is_told_so)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to start the program as another user");
  const char *argv[] = {"czmq_attach_target", "3000", "2000", NULL};
  struct target untraced, traced;
  target_start_as(&untraced, argv, 1, 65534);
  target_start_as(&traced, argv, 1, 65534);
  target_attach(&traced, "50");
  if (prctl(PR_CAPBSET_DROP, 19 /* CAP_SYS_PTRACE */, 0, 0, 0) < 0) {
    target_kill(&untraced);
    target_kill(&traced);
    cr_skip_test("the capability cannot be dropped here");
  }
  char out[8192];
  int rc =
      cli(out, sizeof out, 0, "attach", "-o", untraced.dest, untraced.pid_text, NULL, NULL, NULL);
  target_kill(&untraced);
  cr_assert_eq(rc, 1, "%s", out);
  cr_assert(strstr(out, "this root has no CAP_SYS_PTRACE") && strstr(out, "as uid 65534"), "%s",
            out);
  /* Traced by a root that may: the tracer is there, its socket out of this root's reach (it
   * said "preloaded and has started no actor yet"). */
  cli(out, sizeof out, 0, "attach", "-o", traced.dest, traced.pid_text, NULL, NULL, NULL);
  target_kill(&traced);
  cr_assert(strstr(out, "its control socket cannot be reached"), "%s", out);
}
