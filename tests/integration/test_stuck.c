/* Stuck handlers, with the defaults (ACTORSCOPE_STUCK_MS 1000, delta lines): the tracer reads
 * where a handler's thread is from outside it, so every blocking call lasts its full time and
 * returns what it would untraced; the stack names the blocking function, reaches the file in
 * a delta line, stays as the actor's longest stuck run after the handler ended, and `report`
 * says where it was. Programs block as real code does: zclock_sleep, zpoller_wait, zsock_recv
 * with a receive timeout, a mutex, a busy loop; CAF's nested receive and a mutex; Broker. */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

TestSuite(stuck, .timeout = 120);

#define BLOCK_MS 2500
#define BLOCK_MS_TEXT "2500"
/* The defaults: the harness asks for keyframes only, these tests for the default's delta lines. */
static const char *const defaults_env[] = {"ACTORSCOPE_KEYFRAME_S=60", NULL};

/* "WHAT took N ms" in the program's output: N, or -1. */
static long took_ms(const char *out, const char *what)
{
  char key[64];
  snprintf(key, sizeof key, "%s took ", what);
  const char *at = strstr(out, key);
  return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

/* The whole time within 2 %: not cut short (a mutex's wait begins a little after its holder
 * started holding it), and not much more. */
static void check_full_time(const struct as_test_run *run, const char *what)
{
  long ms = took_ms(run->out, what);
  cr_assert_geq(ms, BLOCK_MS - BLOCK_MS / 50, "%s was cut short: %s", what, run->out);
  /* Past 2 % only by how late a loaded machine wakes a thread: the tracer never delays one. */
  cr_assert_leq(ms, BLOCK_MS + BLOCK_MS / 50 + 250, "%s took too long: %s", what, run->out);
}

/* Whether any frame of the array holds text. */
static int stack_has(json_t *stack, const char *text)
{
  size_t k;
  json_t *frame;
  json_array_foreach(stack, k, frame) if (json_is_string(frame) &&
                                          strstr(json_string_value(frame), text)) return 1;
  return 0;
}

/* The actor's `stuck` member in the last line (the run has ended: it is kept), checked: the
 * stack names `function`, none of the tracer's own frames is in it, and a delta line before
 * showed it while the handler ran. */
static json_t *check_stuck(json_t *lines, const char *actor, const char *function,
                           const char *source)
{
  json_t *last = as_test_last_snapshot(lines);
  json_t *a = as_test_actor_named(last, actor);
  cr_assert_not_null(a, "no %s", actor);
  json_t *stuck = json_object_get(a, "stuck");
  cr_assert(json_is_object(stuck), "%s has no stuck member at the end", actor);
  cr_assert_str_eq(as_test_str(stuck, "stack_source"), source);
  cr_assert(json_is_false(json_object_get(stuck, "running")));
  cr_assert(strcasecmp(as_test_str(stuck, "type"), "go") == 0); /* CZMQ's GO, CAF's go atom */
  json_int_t ns = as_test_int(stuck, "handler_ns");
  cr_assert_geq(ns, (json_int_t)BLOCK_MS * 1000000 * 98 / 100, "handler_ns %lld", (long long)ns);
  json_t *stack = json_object_get(stuck, "stack");
  if (function) {
    cr_assert(stack_has(stack, function), "%s not in %s", function, json_dumps(stack, 0));
    cr_assert(!stack_has(stack, "libactorscope"), "our own frame: %s", json_dumps(stack, 0));
  }
  int in_delta = 0;
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    json_t *x = as_test_actor_named(line, actor);
    json_t *handling = x ? json_object_get(x, "handling") : NULL;
    if (strcmp(as_test_str(line, "type"), "delta") == 0 && json_is_object(handling) &&
        json_object_get(json_object_get(x, "stuck"), "running") == json_true() &&
        (!function || json_is_array(json_object_get(handling, "stack"))))
      in_delta = 1;
  }
  cr_assert(in_delta, "no delta line showed %s stuck while it ran", actor);
  return stuck;
}

static void run_blocking(const char *program, const char *scenario, struct as_test_run *run,
                         json_t **lines)
{
  const char *argv[] = {program, scenario, BLOCK_MS_TEXT, NULL};
  as_test_run(argv, defaults_env, 1, run);
  cr_assert_eq(run->status, 0, "%s%s", run->out, run->err);
  cr_assert(strstr(run->out, "blocking done\n"), "%s", run->out);
  cr_assert_eq(strstr(run->out, "woke early"), NULL, "an idle actor's poll was cut: %s", run->out);
  cr_assert_str_eq(run->err, "");
  *lines = as_test_run_lines(run);
}

Test(stuck, czmq_zclock_sleep_lasts_its_time_and_the_stack_names_it)
{
  struct as_test_run run;
  json_t *lines;
  run_blocking("czmq_blocking", "nap", &run, &lines);
  check_full_time(&run, "nap");
  json_t *stuck = check_stuck(lines, "napper", "zclock_sleep+", "syscall");
  cr_assert(json_is_true(json_object_get(stuck, "stack_complete")));
  cr_assert(stack_has(json_object_get(stuck, "stack"), "napper+"));
  json_decref(lines);
  as_test_run_free(&run);
}

Test(stuck, czmq_zpoller_wait_expires_not_terminated)
{
  struct as_test_run run;
  json_t *lines;
  run_blocking("czmq_blocking", "poll", &run, &lines);
  check_full_time(&run, "poll");
  cr_assert(strstr(run.out, ": none expired=1 terminated=0\n"), "%s", run.out);
  json_t *stuck = check_stuck(lines, "poller", "zpoller_wait+", "syscall");
  cr_assert(stack_has(json_object_get(stuck, "stack"), "zmq_poll+"));
  json_decref(lines);
  as_test_run_free(&run);
}

Test(stuck, czmq_zstr_recv_with_a_receive_timeout_returns_null_eagain_in_time)
{
  struct as_test_run run;
  json_t *lines;
  run_blocking("czmq_blocking", "recv", &run, &lines);
  check_full_time(&run, "recv");
  cr_assert(strstr(run.out, ": NULL errno=EAGAIN\n"), "%s", run.out);
  check_stuck(lines, "receiver", "zstr_recv+", "syscall");
  json_decref(lines);
  as_test_run_free(&run);
}

Test(stuck, czmq_handler_waiting_for_a_mutex)
{
  struct as_test_run run;
  json_t *lines;
  run_blocking("czmq_blocking", "mutex", &run, &lines);
  check_full_time(&run, "mutex");
  cr_assert(strstr(run.out, ": rc=0\n"), "%s", run.out);
  check_stuck(lines, "locker", "pthread_mutex_lock+", "syscall");
  json_decref(lines);
  as_test_run_free(&run);
}

/* On a CPU: a perf sample where the system allows it (its stack names the spinning function),
 * else its CPU time. Either way the loop runs its time. */
Test(stuck, czmq_spinning_handler_is_sampled_or_its_cpu_time_told)
{
  struct as_test_run run;
  json_t *lines;
  run_blocking("czmq_blocking", "spin", &run, &lines);
  check_full_time(&run, "spin");
  json_t *a = as_test_actor_named(as_test_last_snapshot(lines), "spinner");
  const char *source = as_test_str(a, "stuck.stack_source");
  cr_assert_not_null(source);
  if (strcmp(source, "perf") == 0) {
    check_stuck(lines, "spinner", "spinner+", "perf");
  } else {
    check_stuck(lines, "spinner", NULL, "cpu");
    cr_log_info("perf_event_open not allowed here: CPU time only");
  }
  cr_assert(json_is_true(json_object_get(json_object_get(a, "stuck"), "on_cpu")));
  cr_assert_gt(as_test_int(a, "stuck.cpu_ns"), 0);
  json_decref(lines);
  as_test_run_free(&run);
}

/* Where perf_event_open is refused (a seccomp filter, as in a container): no stack, the CPU
 * time it spent, and `report` says it was spinning. */
Test(stuck, without_perf_a_spinning_handler_says_how_much_cpu_it_used)
{
  const char *argv[] = {"no_perf", AS_TEST_PROGRAMS "/czmq_blocking", "spin", BLOCK_MS_TEXT, NULL};
  struct as_test_run run;
  as_test_run(argv, defaults_env, 1, &run);
  cr_assert_eq(run.status, 0, "%s%s", run.out, run.err);
  check_full_time(&run, "spin");
  json_t *lines = as_test_run_lines(&run);
  json_t *stuck = check_stuck(lines, "spinner", NULL, "cpu");
  cr_assert_null(json_object_get(stuck, "stack"));
  cr_assert_gt(as_test_int(stuck, "cpu_ns"), 0);
  cr_assert_gt(as_test_int(stuck, "cpu_window_ns"), 0);
  char *path = as_test_only_output(run.dir);
  const char *report[] = {AS_TEST_CLI, "report", path, NULL};
  struct as_test_run out;
  as_test_run(report, NULL, 0, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  cr_assert(strstr(out.out, " handling GO, spinning on a CPU\n"), "%s", out.out);
  cr_assert(strstr(out.out, "on a CPU, no stack (perf_event_open not allowed): spinning "), "%s",
            out.out);
  as_test_run_free(&out);
  free(path);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(stuck, caf_handler_in_a_nested_blocking_receive)
{
  struct as_test_run run;
  json_t *lines;
  run_blocking("caf_blocking", "receive", &run, &lines);
  check_full_time(&run, "receive");
  cr_assert(strstr(run.out, ": timed_out=1\nanswer 1\n"), "%s", run.out);
  json_t *stuck =
      check_stuck(lines, "patient_waiter", "caf::blocking_actor::receive_impl", "syscall");
  cr_assert(stack_has(json_object_get(stuck, "stack"), "pthread_cond_timedwait+"));
  json_decref(lines);
  as_test_run_free(&run);
}

Test(stuck, caf_handler_waiting_for_a_mutex)
{
  struct as_test_run run;
  json_t *lines;
  run_blocking("caf_blocking", "mutex", &run, &lines);
  check_full_time(&run, "mutex");
  cr_assert(strstr(run.out, "answer 2\n"), "%s", run.out);
  json_t *stuck = check_stuck(lines, "mutex_locker", "pthread_mutex_lock+", "syscall");
  cr_assert(stack_has(json_object_get(stuck, "stack"), "mutex_locker"));
  /* The handler's lambda takes go_atom: its frame reads the atom, as actor names do. */
  cr_assert(stack_has(json_object_get(stuck, "stack"), "atom_constant<'go'>"), "%s",
            json_dumps(json_object_get(stuck, "stack"), 0));
  cr_assert(!stack_has(json_object_get(stuck, "stack"), "(caf::atom_value)"));
  json_decref(lines);
  as_test_run_free(&run);
}

/* After the run, `report` says where the slowest handler was, in one line and in full. */
Test(stuck, report_says_where_the_slowest_handler_was_stuck)
{
  struct as_test_run run, out;
  json_t *lines;
  run_blocking("czmq_blocking", "nap", &run, &lines);
  char *path = as_test_only_output(run.dir);
  const char *report[] = {AS_TEST_CLI, "report", path, NULL};
  as_test_run(report, NULL, 0, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  const char *line = strstr(out.out, "  #2 napper: ");
  cr_assert_not_null(line, "%s", out.out);
  cr_assert(
      strstr(line,
             " handling GO, stuck in nanosleep \u2190 zclock_sleep \u2190 napper \u2190 \u2026\n"),
      "%s", out.out);
  cr_assert(strstr(out.out, "      stack read from its system call, complete\n"), "%s", out.out);
  cr_assert(strstr(out.out, "      stuck in (innermost first):\n        clock_nanosleep+0x"), "%s",
            out.out);
  as_test_run_free(&out);

  const char *json[] = {AS_TEST_CLI, "report", "--json", path, NULL};
  as_test_run(json, NULL, 0, &out);
  json_error_t jerr;
  json_t *doc = json_loads(out.out, JSON_DISABLE_EOF_CHECK, &jerr);
  cr_assert_not_null(doc, "%s", jerr.text);
  json_t *slow = json_array_get(json_object_get(doc, "slowest_handlers"), 0);
  cr_assert_str_eq(as_test_str(slow, "name"), "napper");
  cr_assert_str_eq(as_test_str(slow, "stuck.stack_source"), "syscall");
  cr_assert(stack_has(json_object_get(slow, "stuck_stack"), "zclock_sleep+"));
  json_decref(doc);
  as_test_run_free(&out);
  free(path);
  json_decref(lines);
  as_test_run_free(&run);
}

/* The HTML's slowest handlers and the Perfetto handler slice carry it too. */
Test(stuck, html_and_perfetto_show_the_stuck_stack)
{
  struct as_test_run run, out;
  json_t *lines;
  run_blocking("czmq_blocking", "poll", &run, &lines);
  char *path = as_test_only_output(run.dir);
  const char *html[] = {AS_TEST_CLI, "export", "html", path, NULL};
  as_test_run(html, NULL, 0, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  cr_assert(strstr(out.out, "<li>#2 poller"), "%s", out.out);
  cr_assert(strstr(out.out,
                   " stuck in <code>poll \u2190 zpoller_wait \u2190 poller \u2190 \u2026</code> "
                   "(stack read from its system call, complete)</li>"));
  as_test_run_free(&out);
  const char *perfetto[] = {AS_TEST_CLI, "export", "perfetto", path, NULL};
  as_test_run(perfetto, NULL, 0, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  json_error_t jerr;
  json_t *doc = json_loads(out.out, 0, &jerr);
  cr_assert_not_null(doc, "%s", jerr.text);
  json_t *events = json_is_array(doc) ? doc : json_object_get(doc, "traceEvents");
  size_t i, found = 0;
  json_t *e;
  json_array_foreach(events, i, e)
  {
    json_t *args = json_object_get(e, "args");
    const char *in = as_test_str(args, "stuck_in");
    if (strcmp(as_test_str(e, "ph"), "E") == 0 && in && strstr(in, "zpoller_wait"))
      found++;
  }
  cr_assert_eq(found, 1, "the poller's handler slice has no stack");
  json_decref(doc);
  as_test_run_free(&out);
  free(path);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(stuck, nothing_is_read_when_off)
{
  const char *argv[] = {"czmq_blocking", "nap", "1500", NULL};
  const char *env[] = {"ACTORSCOPE_STUCK_MS=0", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0);
  json_t *lines = as_test_run_lines(&run);
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    json_t *a = as_test_actor_named(line, "napper");
    cr_assert(!a || !json_object_get(a, "stuck"), "a stuck member while off");
  }
  json_decref(lines);
  as_test_run_free(&run);
}

/* The tracer no longer uses a signal: a program that owns SIGRTMAX-3, or blocks it, is not
 * affected, and the stack is read all the same. */
Test(stuck, a_program_that_owns_or_blocks_the_old_signal_is_untouched)
{
  const char *modes[] = {"own", "block"};
  for (size_t k = 0; k < 2; k++) {
    const char *argv[] = {"czmq_timed", "2", "0", BLOCK_MS_TEXT, modes[k], NULL};
    struct as_test_run run;
    as_test_run_both(argv, NULL, 1, &run);
    cr_assert_eq(run.status, 0);
    if (k == 0)
      cr_assert(strstr(run.out, "before=default\nhost handler ran 0 times\n"), "%s", run.out);
    json_t *lines = as_test_run_lines(&run);
    json_t *a = as_test_actor_named(as_test_last_snapshot(lines), "timed_worker");
    cr_assert(
        stack_has(json_object_get(json_object_get(a, "stuck"), "stack"), "stuck_in_nanosleep+"),
        "%s", modes[k]);
    cr_assert_eq(json_array_size(json_object_get(as_test_last_snapshot(lines), "diagnostics")), 0);
    json_decref(lines);
    as_test_run_free(&run);
  }
}

/* A signal the program sends itself keeps its default action (it dies of it, as untraced). */
Test(stuck, the_signal_from_elsewhere_has_its_default_action)
{
  const char *argv[] = {"czmq_timed", "2", "0", BLOCK_MS_TEXT, "foreign", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 128 + SIGRTMAX - 3, "status %d", run.status);
  as_test_run_free(&run);
}

/* Zeek's Broker (CAF inside Python): with the defaults its output and status are what they are
 * untraced. */
Test(stuck, broker_runs_unchanged_with_the_defaults)
{
  const char *argv[] = {"/usr/bin/python3", AS_TEST_PROGRAMS "/broker_pubsub.py", "200", "20",
                        NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  as_test_run_free(&run);
}

static const char *const stuck_env[] = {"ACTORSCOPE_INTERVAL_MS=50", "ACTORSCOPE_STUCK_MS=200",
                                        NULL};

/* The recording of czmq_timed FAST SLOW STUCK_MS with stacks after 200 ms; caller frees. */
static char *record_timed(const char *fast, const char *slow, const char *stuck,
                          struct as_test_run *run)
{
  const char *argv[] = {"czmq_timed", fast, slow, stuck, NULL};
  as_test_run(argv, stuck_env, 1, run);
  cr_assert_eq(run->status, 0);
  return as_test_only_output(run->dir);
}

static void cli(const char *const *argv, struct as_test_run *out)
{
  as_test_run(argv, NULL, 0, out);
}

Test(stuck, report_diff_and_check_read_percentiles_and_the_stuck_stack)
{
  struct as_test_run quick, stuck, out;
  char *a = record_timed("20", "0", "0", &quick);
  char *b = record_timed("20", "3", "1000", &stuck);

  const char *report[] = {AS_TEST_CLI, "report", b, NULL};
  cli(report, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  cr_expect(strstr(out.out, "stuck in (innermost first):\n"), "%s", out.out);
  cr_expect(strstr(out.out, "        stuck_in_nanosleep+0x"), "%s", out.out);
  /* 25 handlers: the 24th and 25th slowest slept 100 ms and 1 s; p50 is a FAST one. */
  cr_expect(strstr(out.out, " of 25 finished\n"), "%s", out.out);
  cr_expect(strstr(out.out, "  by name (finished handlers, every actor of the name):\n"
                            "    timed_worker (1 actor): p50 "),
            "%s", out.out);
  as_test_run_free(&out);

  const char *json[] = {AS_TEST_CLI, "report", "--json", b, NULL};
  cli(json, &out);
  cr_assert_eq(out.status, 0);
  json_error_t jerr;
  json_t *doc = json_loads(out.out, JSON_DISABLE_EOF_CHECK, &jerr);
  cr_assert_not_null(doc, "%s", jerr.text);
  json_t *slow = json_array_get(json_object_get(doc, "slowest_handlers"), 0);
  cr_expect_eq(as_test_int(slow, "finished_handlers.finished"), 25);
  /* The 1 s handler is the p99 (rank 25 of 25): its bucket, within 12.5 %, never above max. */
  json_int_t p99 = as_test_int(slow, "finished_handlers.p99_ns");
  cr_expect_geq(p99, 875000000);
  cr_expect_leq(p99, as_test_int(slow, "finished_handlers.max_ns"));
  cr_expect_geq(as_test_int(slow, "finished_handlers.p90_ns"), 87500000, "the SLOW ones");
  cr_expect(json_array_size(json_object_get(slow, "stuck_stack")) > 2);
  json_decref(doc);
  as_test_run_free(&out);

  const char *pass[] = {AS_TEST_CLI,           "check", "--max-handler-p99-ms",
                        "100000:timed_worker", b,       NULL};
  cli(pass, &out);
  cr_expect_eq(out.status, 0, "%s%s", out.out, out.err);
  as_test_run_free(&out);
  const char *fail[] = {AS_TEST_CLI, "check", "--max-handler-p99-ms", "500", b, NULL};
  cli(fail, &out);
  cr_expect_eq(out.status, 1, "%s%s", out.out, out.err);
  cr_expect(strstr(out.out, "FAIL max-handler-p99-ms 500: timed_worker handlers: p99 "), "%s",
            out.out);
  as_test_run_free(&out);

  const char *diff[] = {AS_TEST_CLI, "diff", a, b, NULL};
  cli(diff, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  const char *row = strstr(out.out, "handler p99:\n");
  cr_assert_not_null(row, "%s", out.out);
  const char *worker = strstr(row, "  timed_worker ");
  cr_assert_not_null(worker);
  const char *eol = strchr(worker, '\n');
  cr_expect(eol && eol[-1] == '!' && eol[-2] == ' ', "not marked: %.*s", (int)(eol - worker),
            worker);
  as_test_run_free(&out);

  free(a);
  free(b);
  as_test_run_free(&quick);
  as_test_run_free(&stuck);
}
