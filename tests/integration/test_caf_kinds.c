/* Pools, decorators, several actor systems in one process, and an io broker. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(caf_kinds, .timeout = 60);

Test(caf_kinds, pools_decorators_and_a_second_actor_system)
{
  const char *argv[] = {"caf_kinds", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);
  cr_assert_str_eq(run.out, "pool sum 465\nsplitter 20 11\nsequencer 22\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);

  json_t *pool = as_test_actor_named(last, "caf::actor_pool");
  cr_assert_not_null(pool);
  cr_assert_eq(as_test_type_count(pool, "job"), 30);
  cr_assert_eq(as_test_int(pool, "mailbox.len"), 0, "a forwarder's mailbox never fills");
  json_t *workers[3];
  cr_assert_eq(as_test_actors_named(last, "pool_worker", workers, 3), 3);
  json_int_t jobs = 0;
  for (int k = 0; k < 3; k++)
    jobs += as_test_type_count(workers[k], "job");
  cr_assert_eq(jobs, 30);
  cr_assert_not_null(as_test_actor_named(last, "caf::decorator::splitter"));
  cr_assert_not_null(as_test_actor_named(last, "caf::decorator::sequencer"));
  cr_assert_eq(as_test_type_count(as_test_actor_named(last, "doubler"), "i32"), 2);

  /* Two systems: CAF ids repeat, scopes differ, actorscope ids stay unique. */
  json_t *twins[2];
  cr_assert_eq(as_test_actors_named(last, "twin", twins, 2), 2);
  cr_assert_neq(as_test_int(twins[0], "runtime_scope"), as_test_int(twins[1], "runtime_scope"));
  json_int_t repeated = 0;
  size_t i, k;
  json_t *a, *b;
  json_array_foreach(json_object_get(last, "actors"), i, a) json_array_foreach(
      json_object_get(last, "actors"), k,
      b) if (i < k && as_test_int(a, "runtime_id") == as_test_int(b, "runtime_id"))
  {
    repeated++;
    cr_assert_neq(as_test_int(a, "runtime_scope"), as_test_int(b, "runtime_scope"));
    cr_assert_neq(as_test_int(a, "id"), as_test_int(b, "id"));
  }
  cr_assert_gt(repeated, 0, "the two systems' ids never overlapped");
  json_decref(lines);
  as_test_run_free(&run);
}

Test(caf_kinds, an_io_broker_on_loopback_is_traced)
{
  const char *argv[] = {"caf_broker", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);
  cr_assert_str_eq(run.out, "echo: hello\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *broker = as_test_actor_named(as_test_last_snapshot(lines), "echo_server");
  cr_assert_not_null(broker);
  cr_assert_eq(as_test_type_count(broker, "caf::io::new_connection_msg"), 1);
  cr_assert_eq(as_test_type_count(broker, "caf::io::new_data_msg"), 1);
  cr_assert_eq(as_test_type_count(broker, "caf::io::connection_closed_msg"), 1);
  cr_assert_str_eq(as_test_str(broker, "stopped.reason"), "normal");
  /* All three came from its servants, outside its mailbox: counted as put in too. */
  cr_assert_eq(as_test_int(broker, "mailbox.enqueued"),
               as_test_int(broker, "counters.messages_received"));
  cr_assert_eq(as_test_from_thread_count(broker, "caf.multiplexer"), 3);
  json_decref(lines);
  as_test_run_free(&run);
}

/* A server that takes only the new connection: CAF drops the data it skips, and keeps the
 * closing message it skips in the broker's cache. Sent by the network and counted: the
 * connection and the closing message (it read 3 with the data dropped), the one waiting at the
 * stop. Network events never waited in a mailbox: only main's exit is timed, every message
 * timed (it read 2). */
Test(caf_kinds, a_broker_s_skipped_network_events_are_counted_as_caf_keeps_them)
{
  const char *argv[] = {"caf_broker", "skip", NULL};
  const char *env[] = {"ACTORSCOPE_MAILBOX_WAIT_EVERY=1", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 0);
  cr_assert_str_eq(run.out, "skipped\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *broker = as_test_actor_named(as_test_last_snapshot(lines), "skipping_server");
  cr_assert_not_null(broker);
  cr_assert_eq(as_test_int(broker, "mailbox.enqueued"), 3);
  cr_assert_eq(as_test_int(broker, "counters.messages_received"), 2);
  cr_assert_eq(as_test_int(broker, "mailbox.len"), 1);
  cr_assert_eq(as_test_from_thread_count(broker, "caf.multiplexer"), 2);
  cr_assert_eq(as_test_from_thread_count(broker, "main"), 1);
  cr_assert_eq(as_test_histogram_count(json_object_get(broker, "mailbox_wait_histogram")), 1);
  json_decref(lines);
  as_test_run_free(&run);
}

/* The server's servants hand it its network events outside its mailbox; its data handler then
 * sends itself 5 ticks and holds 600 ms. While it holds, the 5 ticks are what waits: its
 * mailbox read 3 when the two events it had taken were not counted as put in. By default the
 * ticks are all timed (none was when an actor's own messages were numbered from 1: one in 16
 * missed them). */
Test(caf_kinds, a_broker_s_network_events_keep_its_mailbox_length_true)
{
  const char *argv[] = {"caf_broker", "hold", "600", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=50", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 0);
  json_t *lines = as_test_run_lines(&run);
  json_int_t deepest = 0, holding_lines = 0;
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    json_t *seen = as_test_actor_named(line, "echo_server");
    if (!seen)
      continue;
    cr_assert_geq(as_test_int(seen, "mailbox.enqueued"),
                  as_test_int(seen, "counters.messages_received"));
    json_int_t len = as_test_int(seen, "mailbox.len");
    if (len > deepest)
      deepest = len;
    holding_lines += len == 5;
  }
  cr_assert_eq(deepest, 5);
  cr_assert_geq(holding_lines, 2, "the hold was seen by %lld lines", (long long)holding_lines);
  json_t *broker = as_test_actor_named(as_test_last_snapshot(lines), "echo_server");
  cr_assert_eq(as_test_type_count(broker, "tick"), 5);
  cr_assert_eq(as_test_int(broker, "mailbox.max"), 5);
  cr_assert_eq(as_test_int(broker, "mailbox.enqueued"),
               as_test_int(broker, "counters.messages_received"));
  cr_assert_eq(as_test_histogram_count(json_object_get(broker, "mailbox_wait_histogram")), 5);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(caf_kinds, forwarding_proxies_and_a_companion_are_traced)
{
  const char *argv[] = {"caf_remote", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);
  cr_assert_str_eq(run.out, "remote answers 5\ncompanion handled 3\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  json_t *greeter = as_test_actor_named(last, "greeter");
  cr_assert_not_null(greeter);
  cr_assert_eq(as_test_type_count(greeter, "hello"), 5);

  /* The proxy in the second system carries the greeter's CAF id, in another scope. */
  json_t *proxy = NULL, *proxies[16];
  size_t count = as_test_actors_named(last, "caf::forwarding_actor_proxy", proxies, 16);
  for (size_t k = 0; k < count && k < 16; k++)
    if (as_test_type_count(proxies[k], "hello") == 5)
      proxy = proxies[k];
  cr_assert_not_null(proxy, "no proxy forwarded the 5 requests");
  cr_assert_eq(as_test_int(proxy, "runtime_id"), as_test_int(greeter, "runtime_id"));
  cr_assert_neq(as_test_int(proxy, "runtime_scope"), as_test_int(greeter, "runtime_scope"));
  cr_assert_eq(as_test_int(proxy, "mailbox.len"), 0);

  json_t *companion = as_test_actor_named(last, "caf::actor_companion");
  cr_assert_not_null(companion);
  cr_assert_eq(as_test_type_count(companion, "hello"), 3);
  cr_assert_eq(as_test_int(companion, "counters.handled"), 3);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(caf_kinds, stream_batches_are_counted_as_received_and_handled)
{
  const char *argv[] = {"caf_stream", "1000", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);
  cr_assert_str_eq(run.out, "sum 249500\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  json_t *source = as_test_actor_named(last, "int_source");
  json_t *stage = as_test_actor_named(last, "int_selector");
  json_t *sink = as_test_actor_named(last, "int_sink");
  cr_assert(source && stage && sink);
  /* Credit flows up as upstream_msg, batches down as downstream_msg. */
  cr_assert_gt(as_test_type_count(source, "upstream_msg"), 0);
  cr_assert_gt(as_test_type_count(stage, "upstream_msg"), 0);
  cr_assert_gt(as_test_type_count(stage, "downstream_msg"), 0);
  cr_assert_gt(as_test_type_count(sink, "downstream_msg"), 0);
  json_t *actors[] = {source, stage, sink};
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(as_test_int(actors[i], "counters.handled"),
                 as_test_int(actors[i], "counters.messages_received"), "%s",
                 as_test_str(actors[i], "name"));
    /* Only a message that arrived after the actor stopped may be left unreceived. */
    cr_assert_leq(as_test_int(actors[i], "mailbox.len"), 1, "%s", as_test_str(actors[i], "name"));
  }
  json_decref(lines);
  as_test_run_free(&run);
}
