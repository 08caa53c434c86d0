/* Handlers in progress, waits on signals, and reaping after the grave window. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(czmq_lifecycle, .timeout = 60);

Test(czmq_lifecycle, a_slow_handler_is_visible_with_its_elapsed_time_mid_run)
{
  const char *argv[] = {"czmq_slow", "1200", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=50", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);

  json_t *lines = as_test_run_lines(&run);
  json_t *seen = NULL;
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    json_t *worker = as_test_actor_named(line, "slow_worker");
    const char *handling = worker ? as_test_str(worker, "handling.type") : NULL;
    if (handling && strcmp(handling, "SLOW") == 0 &&
        as_test_int(worker, "handling.elapsed_ns") >= 600000000)
      seen = line;
  }
  cr_assert_not_null(seen, "no snapshot showed SLOW running for 600 ms");
  json_t *worker = as_test_actor_named(seen, "slow_worker");
  json_t *client = as_test_actor_named(seen, "client");
  cr_assert_eq(as_test_int(worker, "parent"), as_test_int(client, "id"));
  /* The client blocks in zsock_wait on the worker meanwhile. */
  cr_assert_eq(as_test_int(client, "waiting_on.target"), as_test_int(worker, "id"));
  cr_assert_str_eq(as_test_str(client, "waiting_on.kind"), "signal");
  cr_assert_geq(as_test_int(client, "waiting_on.elapsed_ns"), 500000000);

  json_t *last = as_test_last_snapshot(lines);
  worker = as_test_actor_named(last, "slow_worker");
  cr_assert(json_is_null(json_object_get(worker, "handling")));
  cr_assert_geq(as_test_int(worker, "handler_ns.max"), 1200000000);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_lifecycle, a_stopped_actor_stays_for_the_grave_window_then_is_reaped)
{
  /* Alive for 300 ms: lines list it running before it stops. */
  const char *argv[] = {"czmq_reap", "1500", "300", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=50", "ACTORSCOPE_GRAVE_MS=400", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);

  json_t *lines = as_test_run_lines(&run);
  int seen_stopped = 0, seen_gone_after = 0;
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    if (i == 0)
      continue;
    json_t *actor = as_test_actor_named(line, "brief");
    if (actor && strcmp(as_test_str(actor, "status"), "stopped") == 0) {
      cr_assert_str_eq(as_test_str(actor, "stopped.reason"), "returned");
      cr_assert_eq(seen_gone_after, 0, "a reaped actor came back");
      seen_stopped++;
    } else if (!actor && seen_stopped) {
      seen_gone_after++;
    }
  }
  cr_assert_geq(seen_stopped, 2, "the stopped actor was not kept for the grave window");
  cr_assert_geq(seen_gone_after, 1, "the stopped actor was never reaped");
  json_t *last = as_test_last_snapshot(lines);
  cr_assert_eq(json_array_size(json_object_get(last, "actors")), 0);
  cr_assert_eq(as_test_int(last, "totals.total_spawned"), 1);
  cr_assert_eq(as_test_int(last, "totals.total_stopped"), 1);
  /* Totals keep what reaped actors received. */
  cr_assert_eq(as_test_int(last, "totals.messages_received"), 1);
  json_decref(lines);
  as_test_run_free(&run);
}

/* czmq_reap's actor, run with HOW ("late", "unread"): listed with its final signal pending
 * past the grave window, then reaped for good; its last listing counts TO_MAIN messages taken
 * by the main thread. */
static void check_final_signal(const char *how, json_int_t to_main)
{
  const char *argv[] = {"czmq_reap", "800", "100", how, NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=20", "ACTORSCOPE_GRAVE_MS=100", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  json_t *lines = as_test_run_lines(&run);
  json_t *listed = NULL;
  int gone_after = 0, pending_lines = 0;
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    json_t *actor = as_test_actor_named(line, "brief");
    if (actor) {
      cr_assert_eq(gone_after, 0, "a reaped actor came back");
      listed = actor;
      pending_lines += as_test_int(actor, "outbox.len") == 1;
    } else if (listed) {
      gone_after = 1;
    }
  }
  cr_assert_not_null(listed);
  cr_assert(gone_after, "never reaped once its signal was taken or thrown away");
  /* 800 ms at a line every 20 ms, well past the 100 ms grave window */
  cr_assert_geq(pending_lines, 10, "not kept listed while its final signal waited");
  cr_assert_str_eq(as_test_str(listed, "status"), "stopped");
  cr_assert_str_eq(as_test_str(listed, "stopped.reason"), "returned");
  cr_assert_eq(as_test_int(listed, "counters.replies"), 2, "CZMQ's start-up and final signals");
  cr_assert_eq(as_test_int(listed, "outbox.len"), 0);
  json_t *peer = as_test_find(json_object_get(listed, "peers"), "to_thread", "main");
  cr_assert_not_null(peer);
  cr_assert_eq(json_integer_value(json_object_get(peer, "count")), to_main);
  json_decref(lines);
  as_test_run_free(&run);
}

/* An actor that returned while its owner took CZMQ's final signal only after the grave window
 * stays listed until it is taken, so that message is counted (start-up and final signals):
 * reaped before, it was missing from every line. */
Test(czmq_lifecycle, a_final_signal_taken_after_the_grave_window_is_counted_before_reaping)
{
  check_final_signal("late", 2);
}

/* A final signal nobody reads (zactor_destroy finds the actor gone) leaves with the pipe: the
 * actor is reaped then, its outbox empty, only the start-up signal counted as taken. */
Test(czmq_lifecycle, a_final_signal_never_read_leaves_with_the_pipe)
{
  check_final_signal("unread", 1);
}

/* An actor that lived and died between two lines is listed once, in the compact `ended` form
 * (format version 3), and reaped at once: no later line names it, not even in `reaped`, and
 * it holds no memory for the grave window; the totals count it. */
Test(czmq_lifecycle, an_actor_that_lived_and_died_between_two_lines_is_listed_once_compactly)
{
  /* #1 comes and goes at start, #2 300 ms later, well between the first line (10 ms after the
   * first spawn) and the second (a second later). */
  const char *argv[] = {"czmq_reap", "1500", "0", "300", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=1000", "ACTORSCOPE_GRAVE_MS=5000", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  json_t *lines = as_test_run_lines(&run);
  int listed = 0, named_after = 0;
  json_t *ended_actor = NULL;
  size_t i, k;
  json_t *line, *item;
  json_array_foreach(lines, i, line)
  {
    if (i == 0)
      continue;
    cr_assert_null(as_test_actor_by_id(line, 2), "#2 listed in full in line %zu", i);
    json_array_foreach(json_object_get(line, "reaped"), k, item) named_after +=
        json_integer_value(item) == 2;
    json_array_foreach(json_object_get(line, "ended"), k, item)
    {
      if (json_integer_value(json_object_get(item, "id")) != 2)
        continue;
      cr_assert_eq(ended_actor, NULL, "listed twice");
      ended_actor = item;
      listed++;
    }
  }
  cr_assert_eq(listed, 1);
  cr_assert_eq(named_after, 0);
  cr_assert_str_eq(as_test_str(ended_actor, "name"), "brief");
  cr_assert_str_eq(as_test_str(ended_actor, "reason"), "returned");
  cr_assert_str_eq(as_test_str(ended_actor, "runtime"), "czmq");
  cr_assert_eq(as_test_int(ended_actor, "messages_received"), 1);
  cr_assert_eq(as_test_int(ended_actor, "replies"), 2, "CZMQ's start-up and exit signals");
  cr_assert_geq(as_test_int(ended_actor, "stopped_at_ns"),
                as_test_int(ended_actor, "spawned_at_ns"));
  cr_assert_null(json_object_get(ended_actor, "status"), "the compact form implies it");
  cr_assert_null(json_object_get(ended_actor, "mailbox"));
  json_t *last = as_test_last_snapshot(lines);
  cr_assert_eq(as_test_int(last, "totals.total_spawned"), 2);
  cr_assert_eq(as_test_int(last, "totals.total_stopped"), 2);
  cr_assert_eq(as_test_int(last, "totals.messages_received"), 2);
  json_decref(lines);
  as_test_run_free(&run);
}
