/* Who talks to whom (docs/peers.md): exact message counts between actors, and between actors and
 * the main thread, on both runtimes and in every view — the snapshot's `peers`, report, top's
 * inspect panel, the HTML page in headless chromium, the Prometheus series, diff and check — and
 * on Zeek's Broker, what its script publishes. */
#define _GNU_SOURCE
#include "harness.h"
#include "test_export_support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(pairs, .timeout = 240);

/* Records PROGRAM with `actorscope run -i INTERVAL_MS` into RUN's directory as OUT_NAME, in the
 * environment ENV (NULL: the test's); returns the path. */
static char *record_in(const char *const *program, const char *const *env, const char *interval_ms,
                       const char *out_name, struct as_test_run *run)
{
  const char *argv[16] = {AS_TEST_CLI, "run", "-i", interval_ms, "-o", out_name, "--"};
  size_t n = 7;
  for (size_t i = 0; program[i] && n < 15; i++)
    argv[n++] = program[i];
  argv[n] = NULL;
  as_test_run(argv, env, 0, run);
  char *path = NULL;
  cr_assert(asprintf(&path, "%s/%s", run->dir, out_name) > 0);
  return path;
}

static char *record(const char *const *program, const char *out_name, struct as_test_run *run)
{
  return record_in(program, NULL, "50", out_name, run);
}

/* Runs the tool; asserts its exit status. */
static void cli(const char *const *argv, int status, struct as_test_run *out)
{
  as_test_run(argv, NULL, 0, out);
  cr_assert_eq(out->status, status, "%s %s: %s%s", argv[1], argv[2], out->out, out->err);
}

static void expect_in(const char *text, const char *needle)
{
  cr_expect(strstr(text, needle) != NULL, "'%s' is not in:\n%s", needle, text);
}

/* The text of TEXT from FROM up to UNTIL (malloc()ed); asserts both are there, in order. */
static char *between_texts(const char *text, const char *from, const char *until)
{
  const char *at = strstr(text, from);
  cr_assert_not_null(at, "'%s' is not in:\n%s", from, text);
  const char *end = strstr(at, until);
  cr_assert_not_null(end, "'%s' is not after '%s' in:\n%s", until, from, text);
  return strndup(at, (size_t)(end - at));
}

/* The peer of ACTOR whose KEY ("to", "to_thread", "from_thread") is VALUE (an id or a name). */
static json_int_t peer_count(json_t *actor, const char *key, json_t *value)
{
  json_t *peers = json_object_get(actor, "peers"), *p;
  size_t i;
  json_array_foreach(
      peers, i, p) if (json_equal(json_object_get(p, key),
                                  value)) return json_integer_value(json_object_get(p, "count"));
  return -1;
}

static char *record_czmq_pairs(const char *rounds, struct as_test_run *run)
{
  const char *program[] = {AS_TEST_PROGRAMS "/czmq_pairs", rounds, NULL};
  char *path = record(program, "pairs.jsonl", run);
  cr_assert_eq(run->status, 0, "%s%s", run->out, run->err);
  return path;
}

Test(pairs, a_czmq_ping_pong_between_two_actors_counts_each_way_exactly_in_the_snapshot)
{
  struct as_test_run run;
  char *path = record_czmq_pairs("300", &run);
  cr_assert(strstr(run.out, "DONE 300\n"), "%s", run.out);
  json_t *lines = as_test_load_lines(path);
  json_t *last = as_test_last_snapshot(lines);
  json_t *pinger = as_test_actor_named(last, "pinger"),
         *ponger = as_test_actor_named(last, "ponger");
  cr_assert(pinger && ponger);
  json_t *pinger_id = json_object_get(pinger, "id"), *ponger_id = json_object_get(ponger, "id");
  json_t *main_name = json_string("main");
  /* 300 PINGs and the $TERM of zactor_destroy; 300 PONGs and CZMQ's start-up and final signals. */
  cr_expect_eq(peer_count(pinger, "to", ponger_id), 301);
  cr_expect_eq(peer_count(ponger, "to", pinger_id), 302);
  /* main: GO and $TERM to pinger; pinger's start-up signal, DONE and final signal to main. */
  cr_expect_eq(peer_count(pinger, "from_thread", main_name), 2);
  cr_expect_eq(peer_count(pinger, "to_thread", main_name), 3);
  cr_expect_eq(json_array_size(json_object_get(pinger, "peers")), 3);
  cr_expect_eq(json_array_size(json_object_get(ponger, "peers")), 1);
  cr_expect(!json_object_get(pinger, "peers_other"));
  /* The same numbers as the actors' own counters. */
  cr_expect_eq(as_test_int(pinger, "counters.messages_sent"), 301);
  cr_expect_eq(as_test_int(ponger, "counters.replies"), 302);
  cr_expect_eq(as_test_int(pinger, "mailbox.enqueued"), 2);
  json_decref(main_name);
  json_decref(lines);
  free(path);
  as_test_run_free(&run);
}

Test(pairs, report_top_html_and_prometheus_show_the_same_czmq_pair_counts)
{
  struct as_test_run run, out;
  char *path = record_czmq_pairs("300", &run);

  const char *report[] = {AS_TEST_CLI, "report", path, NULL};
  cli(report, 0, &out);
  char *section = strstr(out.out, "Messages between actors");
  cr_assert_not_null(section, "%s", out.out);
  expect_in(section, "\n  ponger \u2192 pinger 302\n  pinger \u2192 ponger 301\n"
                     "  pinger \u2192 main 3\n  main \u2192 pinger 2\n");
  as_test_run_free(&out);
  const char *all[] = {AS_TEST_CLI, "report", "--all", path, NULL};
  cli(all, 0, &out);
  expect_in(out.out,
            "  per actor:\n  ponger #2 \u2192 pinger #1 302\n  pinger #1 \u2192 ponger #2 301\n"
            "  pinger #1 \u2192 main 3\n  main \u2192 pinger #1 2\n");
  as_test_run_free(&out);

  /* report --json: the same pairs, in the same order, by name and (--all) by actor. */
  const char *json_all[] = {AS_TEST_CLI, "report", "--json", "--all", path, NULL};
  cli(json_all, 0, &out);
  json_error_t jerr;
  json_t *account = json_loads(out.out, 0, &jerr);
  cr_assert_not_null(account, "%s", jerr.text);
  json_t *between = json_object_get(account, "messages_between");
  cr_assert(json_is_object(between), "%s", out.out);
  static const struct {
    const char *from, *to;
    json_int_t from_id, to_id, count; /* id 0: a thread (null) */
  } rows[] = {{"ponger", "pinger", 2, 1, 302},
              {"pinger", "ponger", 1, 2, 301},
              {"pinger", "main", 1, 0, 3},
              {"main", "pinger", 0, 1, 2}};
  json_t *by_name = json_object_get(between, "by_name"),
         *by_actor = json_object_get(between, "by_actor");
  cr_assert_eq(json_array_size(by_name), 4, "%s", out.out);
  cr_assert_eq(json_array_size(by_actor), 4, "%s", out.out);
  for (size_t i = 0; i < 4; i++) {
    json_t *n = json_array_get(by_name, i), *a = json_array_get(by_actor, i);
    cr_expect_str_eq(json_string_value(json_object_get(n, "from")), rows[i].from);
    cr_expect_str_eq(json_string_value(json_object_get(n, "to")), rows[i].to);
    cr_expect_eq(json_integer_value(json_object_get(n, "count")), rows[i].count);
    cr_expect_str_eq(json_string_value(json_object_get(a, "from")), rows[i].from);
    cr_expect_eq(json_integer_value(json_object_get(a, "from_id")), rows[i].from_id);
    cr_expect_eq(json_is_null(json_object_get(a, "from_id")), rows[i].from_id == 0);
    cr_expect_eq(json_integer_value(json_object_get(a, "to_id")), rows[i].to_id);
    cr_expect_eq(json_is_null(json_object_get(a, "to_id")), rows[i].to_id == 0);
    cr_expect_eq(json_integer_value(json_object_get(a, "count")), rows[i].count);
  }
  cr_expect_eq(json_integer_value(json_object_get(between, "others")), 0);
  json_decref(account);
  as_test_run_free(&out);
  /* Without --all, by name only. */
  const char *json_names[] = {AS_TEST_CLI, "report", "--json", path, NULL};
  cli(json_names, 0, &out);
  account = json_loads(out.out, 0, &jerr);
  cr_assert_not_null(account, "%s", jerr.text);
  between = json_object_get(account, "messages_between");
  cr_expect_eq(json_array_size(json_object_get(between, "by_name")), 4, "%s", out.out);
  cr_expect_null(json_object_get(between, "by_actor"), "%s", out.out);
  json_decref(account);
  as_test_run_free(&out);

  /* top: pinger's inspect panel. Its counts with ponger, in the last frame that lists ponger:
   * usually the last frame, but when the first line comes late (a loaded machine) ponger has
   * lived and died before it, is listed that once as ended and reaped at once (FORMAT.md), and
   * later frames name it "ponger (reaped)". Its counts with main, in the last frame: pinger's last
   * messages to and from main may come after the frame that lists ponger. */
  const char *top[] = {AS_TEST_CLI, "top", "--batch", "--ascii", "--inspect", "1", path, NULL};
  cli(top, 0, &out);
  const char *frame = NULL, *last_frame = NULL, *next = out.out;
  while ((next = strstr(next + 1, "\n#1 pinger\n"))) {
    const char *end = strstr(next + 1, "\n#1 pinger\n");
    const char *ponger = strstr(next, "  #2 ponger\n");
    if (ponger && (!end || ponger < end))
      frame = next;
    last_frame = next;
  }
  cr_assert_not_null(frame, "no frame of top lists ponger:\n%s", out.out);
  expect_in(frame, "talks to   2 peers\n         301  #2 ponger\n");
  expect_in(frame, "hears from 2 peers\n         302  #2 ponger\n");
  char *talks = between_texts(last_frame, "talks to ", "hears from");
  char *hears = between_texts(last_frame, "hears from ", "spawn stack");
  expect_in(talks, "         301  #2 ");
  expect_in(talks, "           3  thread main\n");
  expect_in(hears, "           2  thread main\n");
  free(talks);
  free(hears);
  as_test_run_free(&out);

  const char *prom[] = {AS_TEST_CLI, "export", "prometheus", path, NULL};
  cli(prom, 0, &out);
  char series[256];
  static const struct {
    const char *from, *to;
    int count;
  } expected[] = {{"pinger", "ponger", 301},
                  {"ponger", "pinger", 302},
                  {"main", "pinger", 2},
                  {"pinger", "main", 3}};
  for (size_t i = 0; i < 4; i++) {
    snprintf(series, sizeof series, "program=\"czmq_pairs\",from=\"%s\",to=\"%s\"} %d\n",
             expected[i].from, expected[i].to, expected[i].count);
    expect_in(out.out, series);
  }
  expect_in(out.out, "# TYPE actorscope_messages_between_total counter\n");
  char prom_path[600];
  snprintf(prom_path, sizeof prom_path, "%s/metrics.txt", run.dir);
  FILE *f = fopen(prom_path, "w");
  cr_assert_not_null(f);
  fputs(out.out, f);
  fclose(f);
  export_test_promtool(prom_path);
  as_test_run_free(&out);

  /* The HTML page as chromium renders it: an edge per pair, weighted, and the table. */
  char page[600];
  snprintf(page, sizeof page, "%s/page.html", run.dir);
  const char *html[] = {AS_TEST_CLI, "export", "html", "-o", page, path, NULL};
  cli(html, 0, &out);
  as_test_run_free(&out);
  char url[700], profile[700];
  snprintf(url, sizeof url, "file://%s", page);
  snprintf(profile, sizeof profile, "--user-data-dir=%s/profile", run.dir);
  const char *chromium[] = {EXPORT_TEST_CHROMIUM, profile, "--dump-dom", url, NULL};
  as_test_run(chromium, NULL, 0, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  char *pairs = strstr(out.out, "<section id=\"pairs\">");
  cr_assert_not_null(pairs, "no pairs section");
  expect_in(pairs, "<svg class=\"pairs\"");
  expect_in(pairs, "data-count=\"301\"");
  expect_in(pairs, "<title>pinger \u2192 ponger: 301 messages</title>");
  expect_in(pairs, "<title>ponger \u2192 pinger: 302 messages</title>");
  expect_in(pairs, "<tr><td>pinger</td><td>ponger</td><td class=\"num\">301</td></tr>");
  expect_in(pairs, "<tr><td>main</td><td>pinger</td><td class=\"num\">2</td></tr>");
  as_test_run_free(&out);
  free(path);
  as_test_run_free(&run);
}

Test(pairs, check_no_messages_fails_on_a_pair_that_talks_and_passes_on_one_that_does_not)
{
  struct as_test_run run, out;
  char *path = record_czmq_pairs("50", &run);
  char rules[600];
  snprintf(rules, sizeof rules, "%s/rules.txt", run.dir);
  FILE *f = fopen(rules, "w");
  cr_assert_not_null(f);
  fputs("no-messages ponger main\nno-messages main ponger\n", f);
  fclose(f);
  const char *pass[] = {AS_TEST_CLI, "check", "--rules", rules, path, NULL};
  cli(pass, 0, &out);
  as_test_run_free(&out);

  f = fopen(rules, "w");
  fputs("no-messages ponger main\nno-messages pinger ponger\nno-messages \"pingr\" ponger\n", f);
  fclose(f);
  cli(pass, 1, &out);
  expect_in(out.out, "FAIL no-messages pinger ponger: pinger sent 51 messages to ponger\n");
  /* A misspelt name must not let the gate pass. */
  expect_in(out.out, "FAIL no-messages pingr ponger: no actor or thread is named pingr");
  cr_expect(!strstr(out.out, "FAIL no-messages ponger main"), "%s", out.out);
  as_test_run_free(&out);

  /* A run recorded before peers existed cannot pass the rule. */
  const char *old[] = {AS_TEST_CLI, "check", "--rules", rules, AS_TEST_DATA "/runs/deadlock.jsonl",
                       NULL};
  cli(old, 1, &out);
  expect_in(out.out, "records no messages between actors");
  as_test_run_free(&out);
  const char *old_report[] = {AS_TEST_CLI, "report", AS_TEST_DATA "/runs/deadlock.jsonl", NULL};
  cli(old_report, 0, &out);
  cr_expect(!strstr(out.out, "Messages between actors"), "%s", out.out);
  as_test_run_free(&out);
  const char *old_json[] = {AS_TEST_CLI, "report", "--json", AS_TEST_DATA "/runs/deadlock.jsonl",
                            NULL};
  cli(old_json, 0, &out);
  cr_expect(!strstr(out.out, "messages_between"), "%s", out.out);
  as_test_run_free(&out);
  free(path);
  as_test_run_free(&run);
}

Test(pairs, diff_marks_a_pair_whose_count_grew)
{
  struct as_test_run a, b, out;
  char *path_a = record_czmq_pairs("100", &a);
  char *path_b = record_czmq_pairs("400", &b);
  const char *diff[] = {AS_TEST_CLI, "diff", path_a, path_b, NULL};
  cli(diff, 0, &out);
  char *section = strstr(out.out, "messages between actors:");
  cr_assert_not_null(section, "%s", out.out);
  /* 101 then 401 PINGs and $TERMs; main's 2 messages did not change: no row is marked. */
  char *row = strstr(section, "pinger \u2192 ponger");
  cr_assert_not_null(row, "%s", section);
  cr_expect(strncmp(row + strcspn(row, "0123456789"), "101", 3) == 0, "%s", row);
  cr_expect(strstr(row, "401") && strstr(row, "+300") && strstr(strtok(row, "\n"), " !"), "%s",
            row);
  as_test_run_free(&out);
  const char *same[] = {AS_TEST_CLI, "diff", path_a, path_a, NULL};
  cli(same, 0, &out);
  expect_in(out.out, "pinger \u2192 ponger");
  cr_expect(!strstr(strstr(out.out, "messages between actors:"), " !"), "%s", out.out);
  as_test_run_free(&out);
  free(path_a);
  free(path_b);
  as_test_run_free(&a);
  as_test_run_free(&b);
}

Test(pairs, a_caf_ping_pong_counts_each_way_exactly)
{
  struct as_test_run run, out;
  const char *program[] = {AS_TEST_PROGRAMS "/caf_pingpong", "500", NULL};
  char *path = record(program, "caf.jsonl", &run);
  cr_assert_eq(run.status, 6, "%s%s", run.out, run.err);
  /* 500 pings and the exit message of send_exit; 500 pongs. */
  const char *report[] = {AS_TEST_CLI, "report", path, NULL};
  cli(report, 0, &out);
  expect_in(out.out, "Messages between actors (a thread that runs no actor by its name):\n"
                     "  ping \u2192 pong 501\n  pong \u2192 ping 500\n");
  as_test_run_free(&out);
  const char *prom[] = {AS_TEST_CLI, "export", "prometheus", path, NULL};
  cli(prom, 0, &out);
  expect_in(out.out, "from=\"ping\",to=\"pong\"} 501\n");
  expect_in(out.out, "from=\"pong\",to=\"ping\"} 500\n");
  as_test_run_free(&out);
  json_t *lines = as_test_load_lines(path);
  json_t *last = as_test_last_snapshot(lines);
  json_t *ping = as_test_actor_named(last, "ping"), *pong = as_test_actor_named(last, "pong");
  cr_assert(ping && pong);
  cr_expect_eq(peer_count(ping, "to", json_object_get(pong, "id")), 501);
  cr_expect_eq(peer_count(pong, "to", json_object_get(ping, "id")), 500);
  json_decref(lines);
  free(path);
  as_test_run_free(&run);
}

/* Every actor of the run at PATH (its last record) whose peers are all listed sent as many
 * messages as its peers say it sent to actors and threads (docs/peers.md); at least AT_LEAST
 * such actors. */
static void expect_sent_as_peers(const char *path, size_t at_least)
{
  json_t *lines = as_test_load_lines(path);
  json_t *last_of = json_object(), *line, *actor;
  size_t i, j;
  json_array_foreach(lines, i, line)
  {
    const char *lists[] = {"actors", "ended"};
    for (size_t k = 0; k < 2; k++)
      json_array_foreach(json_object_get(line, lists[k]), j, actor)
      {
        char id[32];
        snprintf(id, sizeof id, "%lld", json_integer_value(json_object_get(actor, "id")));
        json_object_set(last_of, id, actor);
      }
  }
  size_t checked = 0;
  const char *id;
  json_object_foreach(last_of, id, actor)
  {
    if (json_integer_value(json_object_get(actor, "peers_other")) != 0)
      continue;
    json_t *counters = json_object_get(actor, "counters");
    json_int_t sent = json_integer_value(
        json_object_get(counters ? counters : actor, "messages_sent")); /* absent: 0 */
    json_int_t to_peers = 0;
    json_t *peer;
    json_array_foreach(json_object_get(actor, "peers"), j, peer)
    {
      if (json_object_get(peer, "to") || json_object_get(peer, "to_thread"))
        to_peers += json_integer_value(json_object_get(peer, "count"));
    }
    cr_expect_eq(sent, to_peers, "actor %s (%s) sent %lld, its peers say %lld", id,
                 json_string_value(json_object_get(actor, "name")), (long long)sent,
                 (long long)to_peers);
    checked++;
  }
  cr_expect_geq(checked, at_least);
  json_decref(last_of);
  json_decref(lines);
}

Test(pairs, a_caf_actor_counts_its_anonymous_sends_in_its_sent_as_in_its_peers)
{
  struct as_test_run run, out;
  const char *program[] = {AS_TEST_PROGRAMS "/caf_anon_notify", "40", NULL};
  char *path = record(program, "anon.jsonl", &run);
  cr_assert_eq(run.status, 0, "%s%s", run.out, run.err);
  expect_in(run.out, "desk sent 41 (40 anonymous)");
  /* 40 anon_send from the desk's handler and one send(): 41 both ways of counting. */
  const char *report[] = {AS_TEST_CLI, "report", path, NULL};
  cli(report, 0, &out);
  expect_in(out.out, "shop::orders::desk (caf id 5) stopped (normal)  received 41, sent 41,");
  expect_in(out.out, "  shop::orders::desk \u2192 shop::audit::log 41\n");
  as_test_run_free(&out);
  const char *prom[] = {AS_TEST_CLI, "export", "prometheus", path, NULL};
  cli(prom, 0, &out);
  expect_in(out.out, "name=\"shop::orders::desk\"} 41\n");
  as_test_run_free(&out);
  expect_sent_as_peers(path, 2);
  free(path);
  as_test_run_free(&run);
}

/* The count on the line "  main → broker::core_actor #ID N" with the highest N (the
 * publishing endpoint's core), or -1. */
static long long busiest_line(const char *text, const char *prefix)
{
  long long best = -1;
  for (const char *p = text; (p = strstr(p, prefix)); p++) {
    const char *end = strchr(p + 1, '\n');
    const char *space = end ? end : p + strlen(p);
    while (space > p && space[-1] != ' ')
      space--;
    long long n = atoll(space);
    if (n > best)
      best = n;
  }
  return best;
}

Test(pairs, broker_pair_counts_match_what_its_script_publishes_and_puts)
{
  struct as_test_run run, out;
  const char *program[] = {"/usr/bin/python3", AS_TEST_PROGRAMS "/broker_pubsub.py", "120", "30",
                           NULL};
  char *path = record(program, "broker.jsonl", &run);
  cr_assert_eq(run.status, 0, "%s%s", run.out, run.err);
  int published, received, stored, probes;
  cr_assert_eq(sscanf(run.out, "published %d received %d stored %d probes %d", &published,
                      &received, &stored, &probes),
               4, "%s", run.out);
  cr_assert_eq(published, 120);
  cr_assert_eq(stored, 30);
  const char *all[] = {AS_TEST_CLI, "report", "--all", path, NULL};
  cli(all, 0, &out);
  /* Python's main thread runs no actor: every publish (the 120 events and the probes sent
   * while waiting for the peering) goes from it to the publishing endpoint's core actor, with
   * the endpoint's peer() and its shutdown at exit. */
  cr_expect_eq(busiest_line(out.out, "\n  main \u2192 broker::core_actor #"), 120 + probes + 2,
               "probes %d:\n%s", probes, out.out);
  /* Each put goes from main to the clone's actor. */
  expect_in(out.out, "\n  main \u2192 broker::detail::clone_actor 30\n");
  as_test_run_free(&out);
  /* Broker's actors send anonymously from their handlers too (its core actor, spawn_server,
   * basp-broker, the store's master): each such send counts in the actor's sent. */
  expect_sent_as_peers(path, 20);
  free(path);
  as_test_run_free(&run);
}

Test(pairs, a_peer_naming_both_an_actor_and_a_thread_is_refused_by_the_reader)
{
  struct as_test_run run, out;
  char *path = record_czmq_pairs("5", &run);
  char *text = as_test_read_file(path);
  char *at = strstr(text, "{\"to\":2,");
  cr_assert_not_null(at);
  char *bad = NULL;
  cr_assert(asprintf(&bad, "%.*s{\"to\":2,\"to_thread\":\"main\",%s", (int)(at - text), text,
                     at + strlen("{\"to\":2,")) > 0);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(bad, f);
  fclose(f);
  const char *report[] = {AS_TEST_CLI, "report", path, NULL};
  as_test_run(report, NULL, 0, &out);
  cr_expect_neq(out.status, 0);
  expect_in(out.err, "peers");
  expect_in(out.err, "one of to, to_thread and from_thread");
  as_test_run_free(&out);
  free(bad);
  free(text);
  free(path);
  as_test_run_free(&run);
}

/* top's last two frames of pinger's inspect panel (the last one's line is a keyframe, the one
 * before a delta), recorded from czmq_pairs ARGS (300 rounds) with ENV at INTERVAL_MS, once
 * ponger is gone from the lines: ponger as it was last listed, named and counted both ways. */
static void check_top_names_gone_ponger(const char *const *program, const char *const *env,
                                        const char *interval_ms)
{
  struct as_test_run run, out;
  char *path = record_in(program, env, interval_ms, "pairs.jsonl", &run);
  cr_assert_eq(run.status, 0, "%s%s", run.out, run.err);
  const char *top[] = {AS_TEST_CLI, "top", "--batch", "--ascii", "--inspect", "1", path, NULL};
  cli(top, 0, &out);
  const char *frames[2] = {NULL, NULL};
  for (const char *next = out.out; (next = strstr(next + 1, "\n#1 pinger\n"));) {
    frames[0] = frames[1];
    frames[1] = next;
  }
  cr_assert_not_null(frames[0], "%s", out.out);
  for (int i = 0; i < 2; i++) {
    size_t length = i == 0 ? (size_t)(frames[1] - frames[0]) : strlen(frames[1]);
    char *panel = strndup(frames[i], length);
    expect_in(panel, "talks to   2 peers\n         301  #2 ponger (reaped)\n");
    expect_in(panel, "hears from 2 peers\n         302  #2 ponger (reaped)\n");
    free(panel);
  }
  as_test_run_free(&out);
  as_test_run_free(&run);
  free(path);
}

/* top names a peer that was reaped, and counts what it sent among those the actor hears from:
 * ponger ends (the grave window 0) while pinger lives on 400 ms. */
Test(pairs, top_names_a_reaped_peer_and_counts_what_it_sent)
{
  const char *program[] = {AS_TEST_PROGRAMS "/czmq_pairs", "300", "400", NULL};
  const char *env[] = {"ACTORSCOPE_GRAVE_MS=0", NULL};
  check_top_names_gone_ponger(program, env, "50");
}

/* The same for a peer that lived and died between two lines (listed once as ended, never in
 * `reaped`): ponger starts 200 ms in, past the first line, and is over (in tens of ms; 800 ms
 * are left for a loaded machine) before the line at 1 s that lists it ended; pinger lives on
 * 2.4 s after it, to the line at 2 s and the final one, the two frames checked. */
Test(pairs, top_names_a_peer_that_ended_between_two_lines)
{
  const char *program[] = {AS_TEST_PROGRAMS "/czmq_pairs", "300", "2400", "200", NULL};
  check_top_names_gone_ponger(program, NULL, "1000");
}
