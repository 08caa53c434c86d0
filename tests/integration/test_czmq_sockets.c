/* Issue 10.4: a CZMQ actor's messages on its other sockets (a ROUTER in its zpoller, a side
 * pipe) are attributed to it, per socket, with handlers typed by socket and side-pipe depth. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

TestSuite(czmq_sockets, .timeout = 60);

static json_t *socket_of_kind(json_t *actor, const char *kind)
{
  return as_test_find(json_object_get(actor, "sockets"), "kind", kind);
}

Test(czmq_sockets, a_router_and_a_side_pipe_are_counted_exactly_per_socket)
{
  const char *argv[] = {"czmq_sockets", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  cr_assert_str_eq(run.out, "replies=5 oks=4 muted=1\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *server = as_test_actor_named(as_test_last_snapshot(lines), "server");
  cr_assert_not_null(server);

  json_t *router = socket_of_kind(server, "ROUTER");
  cr_assert_not_null(router, "no ROUTER in the server's sockets");
  cr_assert_str_eq(as_test_str(router, "endpoint"), "inproc://czmq-sockets-router");
  cr_assert_eq(as_test_int(router, "received"), 5);
  cr_assert_eq(as_test_int(router, "sent"), 5);
  cr_assert_null(json_object_get(router, "depth"), "a ROUTER's depth is not known");

  json_t *side = socket_of_kind(server, "side pipe");
  cr_assert_not_null(side, "no side pipe in the server's sockets");
  cr_assert_eq(as_test_int(side, "received"), 4);
  cr_assert_eq(as_test_int(side, "sent"), 4);
  cr_assert_eq(as_test_int(side, "depth"), 3, "3 messages were left in the side pipe");
  cr_assert_eq(json_array_size(json_object_get(server, "sockets")), 2);

  /* The pipe keeps its own counts; every socket's message began a handler of its type. */
  cr_assert_eq(as_test_int(server, "counters.messages_received"), 2, "MUTE and $TERM");
  cr_assert_eq(as_test_int(server, "mailbox.enqueued"), 2);
  cr_assert_eq(as_test_int(server, "counters.handled"), 2 + 5 + 4);
  cr_assert_eq(as_test_type_count(server, "REQ (ROUTER inproc://czmq-sockets-router)"), 5);
  cr_assert_eq(as_test_type_count(server, "DATA (side pipe)"), 4);
  cr_assert_eq(as_test_type_count(server, "MUTE"), 1);

  /* A loop reading one socket without a poller: each read ends the last item's handler. */
  json_t *reader = as_test_actor_named(as_test_last_snapshot(lines), "reader");
  cr_assert_not_null(reader);
  json_t *pull = socket_of_kind(reader, "PULL");
  cr_assert_not_null(pull);
  cr_assert_str_eq(as_test_str(pull, "endpoint"), "inproc://czmq-sockets-pull");
  cr_assert_eq(as_test_int(pull, "received"), 3);
  cr_assert_eq(as_test_type_count(reader, "ITEM (PULL inproc://czmq-sockets-pull)"), 3);
  cr_assert_eq(as_test_int(reader, "counters.handled"), 3 + 1, "3 items and $TERM");
  json_decref(lines);
  as_test_run_free(&run);
}

/* An endpoint made from data can be any length: the file must stay one the reader takes (it
 * refuses a string over 1 MiB), so it is kept to its first 1023 bytes, as a name is. */
Test(czmq_sockets, an_endpoint_of_two_megabytes_is_kept_short_and_the_file_reads)
{
  const char *argv[] = {"czmq_long_endpoint", "2000000", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=20", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  cr_assert_str_eq(run.out, "items=3\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *reader = as_test_actor_named(as_test_last_snapshot(lines), "reader");
  cr_assert_not_null(reader);
  json_t *pull = socket_of_kind(reader, "PULL");
  cr_assert_not_null(pull);
  const char *endpoint = as_test_str(pull, "endpoint");
  cr_assert_eq(strlen(endpoint), 1023);
  cr_assert_eq(strncmp(endpoint, "inproc://eee", 12), 0, "%.40s", endpoint);
  cr_assert_eq(as_test_int(pull, "received"), 3);
  json_decref(lines);

  char *path = as_test_only_output(run.dir);
  const char *report[] = {AS_TEST_CLI, "report", path, NULL};
  struct as_test_run r;
  as_test_run(report, NULL, 0, &r);
  cr_assert_eq(r.status, 0, "report refused the file: %s", r.err);
  as_test_run_free(&r);
  free(path);
  as_test_run_free(&run);
}
