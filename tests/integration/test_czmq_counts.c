/* Exact message counts from real CZMQ programs under the preload. */
#include "format.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(czmq_counts, .timeout = 60);

Test(czmq_counts, ping_pong_counts_every_message_once_by_type)
{
  const char *argv[] = {"czmq_pingpong", "2500", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 3);
  cr_assert_str_eq(run.out, "pongs=2500\n");

  json_t *lines = as_test_run_lines(&run);
  json_t *header = json_array_get(lines, 0);
  cr_assert_str_eq(as_test_str(header, "type"), "header");
  cr_assert_str_eq(as_test_str(header, "format"), "actorscope");
  cr_assert_eq(as_test_int(header, "version"), AS_FORMAT_VERSION);

  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  json_t *pong = as_test_actor_named(last, "pong_actor");
  cr_assert_not_null(pong);
  cr_assert_str_eq(as_test_str(pong, "runtime"), "czmq");
  cr_assert_str_eq(as_test_str(pong, "status"), "stopped");
  cr_assert_str_eq(as_test_str(pong, "stopped.reason"), "destroyed");
  cr_assert(json_is_null(json_object_get(pong, "parent")));
  cr_assert_eq(as_test_int(pong, "counters.messages_received"), 2501);
  cr_assert_eq(as_test_int(pong, "mailbox.enqueued"), 2501);
  cr_assert_eq(as_test_int(pong, "mailbox.len"), 0);
  cr_assert_geq(as_test_int(pong, "mailbox.max"), 1);
  cr_assert_eq(as_test_type_count(pong, "PING"), 2500);
  cr_assert_eq(as_test_type_count(pong, "$TERM"), 1);
  cr_assert_eq(json_array_size(json_object_get(pong, "message_types")), 2);
  /* 2500 "PONG"s plus CZMQ's start-up and final signals. */
  cr_assert_eq(as_test_int(pong, "counters.replies"), 2502);
  cr_assert_eq(as_test_int(pong, "counters.handled"), 2501);
  cr_assert_eq(as_test_int(last, "totals.total_spawned"), 1);
  cr_assert_eq(as_test_int(last, "totals.total_stopped"), 1);
  cr_assert_eq(as_test_int(last, "totals.alive"), 0);
  cr_assert_eq(as_test_int(last, "totals.messages_received"), 2501);

  /* The spawn site names the caller of zactor_new, not the tracer. */
  json_t *sites = json_object_get(last, "spawn_sites");
  json_t *site = json_array_get(sites, (size_t)as_test_int(pong, "spawn_site"));
  const char *frame = json_string_value(json_array_get(site, 0));
  cr_assert_not_null(frame);
  cr_assert(strncmp(frame, "main+", 5) == 0, "first frame is %s", frame);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_counts, every_send_and_receive_api_is_counted_exactly_once)
{
  const char *argv[] = {"czmq_apis", NULL};
  struct as_test_run run;
  /* Also compares the errno line the program prints: traced or not, the same. */
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_not_null(strstr(run.out, "errno after send "), "%s", run.out);
  cr_assert_not_null(strstr(run.out, "\nreplies=10\n"), "%s", run.out);

  json_t *lines = as_test_run_lines(&run);
  json_t *actor = as_test_actor_named(as_test_last_snapshot(lines), "scripted");
  cr_assert_not_null(actor);
  static const char *const types[] = {"STR",        "MULTI", "MSG",  "FRAME", "PICT", "<binary>",
                                      "<signal:5>", "ZACT",  "PART", "FMT 9", "$TERM"};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    cr_assert_eq(as_test_type_count(actor, types[i]), 1, "type %s", types[i]);
  cr_assert_eq(json_array_size(json_object_get(actor, "message_types")), 11);
  cr_assert_eq(as_test_int(actor, "counters.messages_received"), 11);
  cr_assert_eq(as_test_int(actor, "mailbox.enqueued"), 11);
  /* Ten answers, plus the start-up and final signals. */
  cr_assert_eq(as_test_int(actor, "counters.replies"), 12);
  cr_assert_eq(as_test_int(actor, "outbox.len"), 0);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_counts, zloop_and_zpoller_actors_end_each_handler_when_they_poll_again)
{
  const char *argv[] = {"czmq_loops", "40", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_str_eq(run.out, "tocks=80\n");

  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  const char *names[] = {"loop_actor", "poller_actor"};
  for (int i = 0; i < 2; i++) {
    json_t *actor = as_test_actor_named(last, names[i]);
    cr_assert_not_null(actor, "%s missing", names[i]);
    cr_assert_eq(as_test_type_count(actor, "TICK"), 40);
    cr_assert_eq(as_test_type_count(actor, "$TERM"), 1);
    cr_assert_eq(as_test_int(actor, "counters.messages_received"), 41);
    cr_assert_eq(as_test_int(actor, "counters.handled"), 41);
    cr_assert(json_is_null(json_object_get(actor, "handling")));
    cr_assert_str_eq(as_test_str(actor, "stopped.reason"), "destroyed");
  }
  json_decref(lines);
  as_test_run_free(&run);
}

/* A spawn chain seen before is found again on the stack without an unwind (preload/spawn_site.c):
 * actors spawned through three chains that share their first frame, interleaved on one thread,
 * one of them with a frame of a different size each time, each get their own chain's site. */
Test(czmq_counts, spawn_sites_tell_apart_chains_that_share_their_first_frame)
{
  const char *argv[] = {"czmq_spawn_sites", "20", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);
  json_t *lines = as_test_run_lines(&run);
  /* Actor #N came through chain (N - 1) % 3 (tests/programs/czmq_spawn_sites.c). */
  static const struct {
    const char *second, *third;
  } chains[] = {{"main+", NULL}, {"spawn_nested+", "main+"}, {"spawn_vla+", "main+"}};
  int seen[3] = {0, 0, 0};
  static char checked[1024]; /* by id: each actor once, in the first line that lists it */
  size_t i, k;
  json_t *line, *actor;
  json_array_foreach(lines, i, line)
  {
    json_t *sites = json_object_get(line, "spawn_sites");
    json_t *all = as_test_line_actors(line);
    json_array_foreach(all, k, actor)
    {
      json_int_t id = json_integer_value(json_object_get(actor, "id"));
      json_t *index = json_object_get(actor, "spawn_site");
      cr_assert(id > 0 && id < (json_int_t)sizeof checked);
      if (checked[id] || !json_is_integer(index))
        continue;
      checked[id] = 1;
      cr_assert_str_eq(as_test_str(actor, "name"), "spawned_task");
      json_t *site = json_array_get(sites, (size_t)json_integer_value(index));
      size_t c = (size_t)(id - 1) % 3;
      const char *f0 = json_string_value(json_array_get(site, 0));
      const char *f1 = json_string_value(json_array_get(site, 1));
      const char *f2 = json_string_value(json_array_get(site, 2));
      cr_assert(f0 && strncmp(f0, "spawn_here+", 11) == 0, "#%lld: %s", (long long)id, f0);
      cr_assert(f1 && strncmp(f1, chains[c].second, strlen(chains[c].second)) == 0,
                "#%lld: second frame %s", (long long)id, f1);
      if (chains[c].third)
        cr_assert(f2 && strncmp(f2, chains[c].third, strlen(chains[c].third)) == 0,
                  "#%lld: third frame %s", (long long)id, f2);
      seen[c]++;
    }
    json_decref(all);
  }
  for (size_t c = 0; c < 3; c++)
    cr_assert_eq(seen[c], 20, "chain %zu: %d actors", c, seen[c]);
  json_decref(lines);
  as_test_run_free(&run);
}
