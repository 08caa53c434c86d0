/* Stuck handlers: past ACTORSCOPE_STUCK_MS the snapshot shows where the handler's thread is
 * (handling.stack), for both runtimes; a program that owns or blocks the signal the tracer
 * would use is left exactly as it is, with one diagnostic. */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

TestSuite(stuck, .timeout = 60);

static const char *const stuck_env[] = {"ACTORSCOPE_INTERVAL_MS=50", "ACTORSCOPE_STUCK_MS=200",
                                        NULL};

/* Lines showing timed_worker inside its handler with a stack; *with_function: how many of them
 * name stuck_in_nanosleep in it. */
static size_t stacks_seen(json_t *lines, size_t *with_function)
{
  size_t seen = 0, named = 0, i;
  json_t *line;
  json_array_foreach(lines, i, line) {
    json_t *worker = as_test_actor_named(line, "timed_worker");
    json_t *handling = worker ? json_object_get(worker, "handling") : NULL;
    json_t *stack = handling ? json_object_get(handling, "stack") : NULL;
    if (!json_is_array(stack))
      continue;
    seen++;
    size_t k;
    json_t *frame;
    json_array_foreach(stack, k, frame)
      if (json_is_string(frame) && strstr(json_string_value(frame), "stuck_in_nanosleep+"))
        named++;
  }
  *with_function = named;
  return seen;
}

/* The number of lines whose diagnostics hold code, and the number holding any other entry. */
static size_t diagnostics_with(json_t *lines, const char *code)
{
  size_t n = 0, i;
  json_t *line;
  json_array_foreach(lines, i, line) {
    json_t *diags = json_object_get(line, "diagnostics");
    size_t k;
    json_t *d;
    json_array_foreach(diags, k, d)
      if (strcmp(as_test_str(d, "code"), code) == 0)
        n++;
  }
  return n;
}

static void check_stack_shown(const char *program)
{
  const char *argv[] = {program, "2", "0", "1000", NULL};
  struct as_test_run run;
  as_test_run_both(argv, stuck_env, 1, &run);
  cr_assert_eq(run.status, 0);
  json_t *lines = as_test_run_lines(&run);
  size_t named;
  size_t seen = stacks_seen(lines, &named);
  cr_assert_gt(seen, 0, "no line showed the stuck handler's stack");
  cr_assert_eq(named, seen, "a stack without stuck_in_nanosleep");
  json_decref(lines);
  as_test_run_free(&run);
}

Test(stuck, a_czmq_handler_stuck_in_nanosleep_shows_the_function_that_called_it)
{
  check_stack_shown("czmq_timed");
}

Test(stuck, a_caf_handler_stuck_in_nanosleep_shows_the_function_that_called_it)
{
  check_stack_shown("caf_timed");
}

Test(stuck, nothing_is_captured_below_the_threshold_or_when_off)
{
  const char *argv[] = {"czmq_timed", "2", "0", "1000", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=50", "ACTORSCOPE_STUCK_MS=0", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  json_t *lines = as_test_run_lines(&run);
  size_t named;
  cr_assert_eq(stacks_seen(lines, &named), 0);
  json_decref(lines);
  as_test_run_free(&run);
}

/* mode: the program owns the signal from the start, blocks it in the stuck thread, or takes it
 * after a first stuck handler (whose stack is shown; the second's is not). */
static void check_host_left_alone(const char *mode, const char *code, size_t stacks_expected)
{
  const char *argv[] = {"czmq_timed", "2", "0", "1000", mode, NULL};
  struct as_test_run run;
  as_test_run_both(argv, stuck_env, 1, &run); /* same stdout and status as untraced */
  cr_assert_eq(run.status, 0);
  cr_assert_eq(strstr(run.err, "actorscope"), NULL, "the program's stderr heard of it: %s", run.err);
  if (strcmp(mode, "block") != 0) {
    cr_assert(strstr(run.out, "before=default\n"), "%s", run.out);
    cr_assert(strstr(run.out, "host handler ran 0 times\n"), "%s", run.out);
  }
  json_t *lines = as_test_run_lines(&run);
  size_t named;
  size_t seen = stacks_seen(lines, &named);
  if (stacks_expected == 0) {
    cr_assert_eq(seen, 0, "a stack was captured");
  } else {
    cr_assert_gt(seen, 0);
    cr_assert_eq(named, seen);
  }
  /* One diagnostic, repeated in every line from when it was made. */
  json_t *last = as_test_last_snapshot(lines);
  json_t *diags = json_object_get(last, "diagnostics");
  cr_assert_eq(json_array_size(diags), 1, "diagnostics: %s", json_dumps(diags, 0));
  cr_assert_str_eq(as_test_str(json_array_get(diags, 0), "code"), code);
  cr_assert_gt(diagnostics_with(lines, code), 0);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(stuck, a_program_that_owns_the_signal_keeps_it_and_nothing_is_captured)
{
  check_host_left_alone("own", "stuck_signal_taken", 0);
}

Test(stuck, a_thread_that_blocks_the_signal_is_not_sent_it)
{
  check_host_left_alone("block", "stuck_signal_blocked", 0);
}

Test(stuck, a_program_that_takes_the_signal_later_gets_it_and_we_stop)
{
  check_host_left_alone("late", "stuck_signal_taken", 1);
}

/* Ignored before the program started (a shell's `trap '' 61`, inherited across exec): the
 * tracer never saw it set, and must find it so. */
Test(stuck, a_signal_ignored_since_before_the_start_stays_ignored)
{
  char script[512];
  snprintf(script, sizeof script, "trap '' %d; exec %s/czmq_timed 2 0 1000", SIGRTMAX - 3,
           AS_TEST_PROGRAMS);
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  struct as_test_run run;
  as_test_run_both(argv, stuck_env, 1, &run);
  cr_assert_eq(run.status, 0);
  cr_assert_str_eq(run.err, "");
  json_t *lines = as_test_run_lines(&run);
  size_t named;
  cr_assert_eq(stacks_seen(lines, &named), 0, "a stack was captured");
  json_t *diags = json_object_get(as_test_last_snapshot(lines), "diagnostics");
  cr_assert_eq(json_array_size(diags), 1);
  cr_assert_str_eq(as_test_str(json_array_get(diags, 0), "code"), "stuck_signal_taken");
  json_decref(lines);
  as_test_run_free(&run);
}

Test(stuck, the_signal_from_elsewhere_has_its_default_action)
{
  const char *argv[] = {"czmq_timed", "2", "0", "1000", "foreign", NULL};
  struct as_test_run run;
  as_test_run_both(argv, stuck_env, 1, &run);
  cr_assert_eq(run.status, 128 + SIGRTMAX - 3, "status %d", run.status);
  json_t *lines = as_test_run_lines(&run);
  size_t named;
  cr_assert_gt(stacks_seen(lines, &named), 0, "the stack before was captured");
  json_decref(lines);
  as_test_run_free(&run);
}

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
                            "    timed_worker (1 actor): p50 "), "%s", out.out);
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

  const char *pass[] = {AS_TEST_CLI, "check", "--max-handler-p99-ms", "100000:timed_worker", b, NULL};
  cli(pass, &out);
  cr_expect_eq(out.status, 0, "%s%s", out.out, out.err);
  as_test_run_free(&out);
  const char *fail[] = {AS_TEST_CLI, "check", "--max-handler-p99-ms", "500", b, NULL};
  cli(fail, &out);
  cr_expect_eq(out.status, 1, "%s%s", out.out, out.err);
  cr_expect(strstr(out.out, "FAIL max-handler-p99-ms 500: timed_worker handlers: p99 "), "%s", out.out);
  as_test_run_free(&out);

  const char *diff[] = {AS_TEST_CLI, "diff", a, b, NULL};
  cli(diff, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  const char *row = strstr(out.out, "handler p99:\n");
  cr_assert_not_null(row, "%s", out.out);
  const char *worker = strstr(row, "  timed_worker ");
  cr_assert_not_null(worker);
  const char *eol = strchr(worker, '\n');
  cr_expect(eol && eol[-1] == '!' && eol[-2] == ' ', "not marked: %.*s", (int)(eol - worker), worker);
  as_test_run_free(&out);

  free(a);
  free(b);
  as_test_run_free(&quick);
  as_test_run_free(&stuck);
}
