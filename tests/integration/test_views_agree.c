/* Issue 21 §1: one model, one answer. report, top --batch, export html, export prometheus and
 * export perfetto read the same recorded run of a real program (CZMQ; CAF with two actor
 * systems; Broker through python3-broker) and must list the same actors and print the same
 * counts and maxima: actors spawned, alive at the end, most alive at once, messages received,
 * messages between actor names (report --json, the page's table, Prometheus's series).
 * Runtime-internal actors are left out of all of them alike (CAF makes several per actor
 * system), also from the process totals. */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(views_agree, .timeout = 240);

#define MAX_IDS 4096

/* What a view does not say is -1. */
struct view {
  long long spawned, alive, max_alive, messages;
  long long ids[MAX_IDS];
  size_t n_ids;
};

static int by_id(const void *a, const void *b)
{
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

static void add_id(struct view *v, long long id)
{
  for (size_t i = 0; i < v->n_ids; i++)
    if (v->ids[i] == id)
      return; /* each actor once, however many frames show it */
  cr_assert_lt(v->n_ids, MAX_IDS);
  v->ids[v->n_ids++] = id;
}

static char *tool(const char *const *argv)
{
  struct as_test_run r;
  as_test_run(argv, NULL, 0, &r);
  cr_assert_eq(r.status, 0, "%s: %s", argv[1], r.err);
  char *out = strdup(r.out);
  as_test_run_free(&r);
  return out;
}

/* report's text: its header line and the actor tree's "#ID" rows. */
static void read_report(const char *run, struct view *v)
{
  const char *argv[] = {AS_TEST_CLI, "report", "--all", run, NULL};
  char *out = tool(argv);
  const char *line = strstr(out, "\nactors: ");
  cr_assert_not_null(line, "%s", out);
  cr_assert_eq(sscanf(line,
                      "\nactors: %lld spawned, %*d stopped, %lld alive (at most %lld at once); "
                      "%lld messages received",
                      &v->spawned, &v->alive, &v->max_alive, &v->messages),
               4, "%.200s", line);
  const char *tree = strstr(out, "\nActor tree:\n"), *end = strstr(out, "\nMessages by type");
  cr_assert(tree && end);
  for (const char *p = tree; p && p < end; p = strchr(p + 1, '\n')) {
    const char *hash = p + 1;
    while (*hash == ' ')
      hash++;
    if (strncmp(hash, "[depth", 6) == 0)
      hash = strchr(hash, ']') + 2;
    if (*hash == '#')
      add_id(v, strtoll(hash + 1, NULL, 10));
  }
  free(out);
}

/* top --batch, flat and every row: the last frame's header, and the rows of every frame (an
 * actor that lived and died between two snapshots is listed, compactly, by one line only: top
 * shows it in that line's frame, report in its account of the run). */
static void read_top(const char *run, struct view *v)
{
  const char *argv[] = {AS_TEST_CLI, "top", "--batch", "--ascii", "--flat",
                        "--width",   "200", run,       NULL};
  char *out = tool(argv);
  char *last = out, *p;
  while ((p = strstr(last, "\n\n")) && p[2])
    last = p + 2;
  const char *actors = strstr(last, "actors: "), *messages = strstr(last, "messages: ");
  cr_assert(actors && messages, "%s", last);
  cr_assert_eq(
      sscanf(actors, "actors: %lld alive (at most %lld at once)", &v->alive, &v->max_alive), 2,
      "%.200s", actors);
  const char *spawned = strstr(messages, " in all, ");
  cr_assert_not_null(spawned);
  cr_assert_eq(sscanf(spawned, " in all, %lld spawned", &v->spawned), 1);
  while (spawned > messages && spawned[-1] != ' ')
    spawned--;
  v->messages = strtoll(spawned, NULL, 10);
  cr_assert_not_null(strstr(last, " ID"));
  for (const char *rows = out; (rows = strstr(rows, "   ID")); rows++)
    for (p = strchr(rows, '\n'); p && p[1] && p[1] != '\n'; p = strchr(p + 1, '\n')) {
      char *end;
      long long id = strtoll(p + 1, &end, 10);
      if (end != p + 1 && *end == ' ')
        add_id(v, id);
    }
  free(out);
}

/* The HTML's summary card whose label is KEY. */
static long long html_card(const char *page, const char *key)
{
  char needle[128];
  snprintf(needle, sizeof needle, "</div><div class=\"k\">%s</div>", key);
  const char *at = strstr(page, needle);
  cr_assert_not_null(at, "no card '%s'", key);
  const char *v = at;
  while (v > page && v[-1] != '>')
    v--;
  long long n = 0;
  for (; v < at; v++) /* digits, maybe grouped with thin spaces */
    if (*v >= '0' && *v <= '9')
      n = n * 10 + (*v - '0');
  return n;
}

/* The page `export html` makes of RUN, in the run's directory; caller frees. */
static char *html_page(const struct as_test_run *traced, const char *run)
{
  char page[600];
  snprintf(page, sizeof page, "%s/page.html", traced->dir);
  const char *argv[] = {AS_TEST_CLI, "export", "html", "-o", page, run, NULL};
  free(tool(argv));
  return as_test_read_file(page);
}

static void read_html(const struct as_test_run *traced, const char *run, struct view *v)
{
  char *html = html_page(traced, run);
  v->spawned = html_card(html, "actors spawned");
  v->max_alive = html_card(html, "most alive at once");
  v->alive = strstr(html, ">alive at exit<") ? html_card(html, "alive at exit")
                                             : html_card(html, "alive at the last snapshot");
  v->messages = html_card(html, "messages received");
  for (const char *p = html; (p = strstr(p, "data-id=\"")); p += 9)
    add_id(v, strtoll(p + 9, NULL, 10));
  free(html);
}

/* The value of the one series of FAMILY (a process family), or the sum of every series of it
 * (a per-name family). */
static long long prom_sum(const char *text, const char *family)
{
  long long sum = 0;
  size_t len = strlen(family);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, family, len) == 0 && (p[len] == '{' || p[len] == ' ')) {
      const char *v = strchr(p, '}');
      sum += strtoll(v ? v + 1 : p + len, NULL, 10);
    }
  return sum;
}

/* export prometheus: the process's totals, and the per-name messages summed. */
static void read_prometheus(const char *run, struct view *v, long long *by_type)
{
  const char *argv[] = {AS_TEST_CLI, "export", "prometheus", run, NULL};
  char *out = tool(argv);
  cr_assert_not_null(strstr(out, "actorscope_process_actors_alive{"), "%.300s", out);
  v->alive = prom_sum(out, "actorscope_process_actors_alive");
  v->spawned = prom_sum(out, "actorscope_process_actors_spawned_total");
  v->messages = prom_sum(out, "actorscope_process_messages_received_total");
  v->max_alive = -1;
  *by_type = prom_sum(out, "actorscope_messages_received_total");
  free(out);
}

/* export perfetto: one track per actor (its thread_name), and the "actors" counter's last
 * value. */
static void read_perfetto(const struct as_test_run *traced, const char *run, struct view *v)
{
  char trace[600];
  snprintf(trace, sizeof trace, "%s/trace.json", traced->dir);
  const char *argv[] = {AS_TEST_CLI, "export", "perfetto", "-o", trace, run, NULL};
  free(tool(argv));
  json_error_t error;
  json_t *root = json_load_file(trace, 0, &error), *event;
  cr_assert_not_null(root, "%s: %s", trace, error.text);
  size_t i;
  v->spawned = v->max_alive = v->messages = -1;
  json_array_foreach(json_object_get(root, "traceEvents"), i, event)
  {
    const char *ph = json_string_value(json_object_get(event, "ph"));
    const char *name = json_string_value(json_object_get(event, "name"));
    if (ph && name && strcmp(ph, "M") == 0 && strcmp(name, "thread_name") == 0)
      add_id(v, (long long)json_integer_value(json_object_get(event, "tid")));
    if (ph && name && strcmp(ph, "C") == 0 && strcmp(name, "actors") == 0)
      v->alive =
          (long long)json_number_value(json_object_get(json_object_get(event, "args"), "alive"));
  }
  json_decref(root);
}

/* A number a view says (-1: it does not say it) is report's. */
static void same(const char *what, const char *label, long long in_report, const char *view,
                 long long in_view)
{
  if (in_view >= 0)
    cr_expect_eq(in_view, in_report, "%s: %s: report %lld, %s %lld", what, label, in_report, view,
                 in_view);
}

/* Messages between actor names, as one view lists them: (from, to, count), and "others". */
#define MAX_PAIRS 512
struct pairs_view {
  char from[MAX_PAIRS][128], to[MAX_PAIRS][128];
  long long count[MAX_PAIRS], others;
  size_t n;
};

static void pairs_add(struct pairs_view *v, const char *from, size_t from_len, const char *to,
                      size_t to_len, long long count)
{
  cr_assert_lt(v->n, MAX_PAIRS);
  cr_assert(from_len < 128 && to_len < 128);
  snprintf(v->from[v->n], 128, "%.*s", (int)from_len, from);
  snprintf(v->to[v->n], 128, "%.*s", (int)to_len, to);
  v->count[v->n++] = count;
}

static void read_report_pairs(const char *run, struct pairs_view *v)
{
  const char *argv[] = {AS_TEST_CLI, "report", "--json", run, NULL};
  char *out = tool(argv);
  json_error_t error;
  json_t *account = json_loads(out, 0, &error), *between, *pair;
  cr_assert_not_null(account, "%s", error.text);
  between = json_object_get(account, "messages_between");
  size_t i;
  json_array_foreach(json_object_get(between, "by_name"), i, pair)
  {
    const char *from = json_string_value(json_object_get(pair, "from")),
               *to = json_string_value(json_object_get(pair, "to"));
    pairs_add(v, from, strlen(from), to, strlen(to),
              (long long)json_integer_value(json_object_get(pair, "count")));
  }
  v->others = (long long)json_integer_value(json_object_get(between, "others"));
  json_decref(account);
  free(out);
}

/* A label's value in a series line, LEN bytes from AT (names here need no unescaping). */
static const char *prom_label(const char *line, const char *key, size_t *len)
{
  const char *at = strstr(line, key);
  cr_assert_not_null(at, "%.200s", line);
  at += strlen(key);
  *len = strcspn(at, "\"");
  return at;
}

static void read_prometheus_pairs(const char *run, struct pairs_view *v)
{
  const char *argv[] = {AS_TEST_CLI, "export", "prometheus", run, NULL};
  char *out = tool(argv);
  const char *family = "actorscope_messages_between_total{";
  for (const char *p = out; (p = strstr(p, family)); p++) {
    if (p != out && p[-1] != '\n')
      continue;
    size_t from_len, to_len;
    const char *from = prom_label(p, ",from=\"", &from_len), *to = prom_label(p, ",to=\"", &to_len);
    long long count = strtoll(strchr(p, '}') + 1, NULL, 10);
    if (strncmp(from, "<other>\"", 8) == 0)
      v->others += count;
    else
      pairs_add(v, from, from_len, to, to_len, count);
  }
  free(out);
}

/* S (LEN bytes) without the page's character references (&lt; &gt; &amp; &quot; &#39;). */
static size_t html_unescape(char *s, size_t len)
{
  static const char *const refs[][2] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}, {"&#39;", "'"}};
  size_t w = 0;
  for (size_t i = 0; i < len;) {
    size_t k = 0;
    while (k < 5 && strncmp(s + i, refs[k][0], strlen(refs[k][0])) != 0)
      k++;
    if (k < 5) {
      s[w++] = refs[k][1][0];
      i += strlen(refs[k][0]);
    } else {
      s[w++] = s[i++];
    }
  }
  return w;
}

/* The page's table of pairs: "<tr><td>FROM</td><td>TO</td><td class="num">N</td></tr>". */
static void read_html_pairs(const struct as_test_run *traced, const char *run, struct pairs_view *v)
{
  char *html = html_page(traced, run);
  const char *table = strstr(html, "<table class=\"pairs\">");
  cr_assert_not_null(table, "no table of pairs");
  const char *end = strstr(table, "</table>");
  for (const char *p = table; (p = strstr(p, "<tr><td>")) && p < end; p++) {
    char *from = (char *)p + 8, *from_end = strstr(from, "</td><td>");
    char *to = from_end + 9, *to_end = strstr(to, "</td><td class=\"num\">");
    long long count = 0;
    for (const char *d = to_end + strlen("</td><td class=\"num\">"); *d != '<'; d++)
      if (*d >= '0' && *d <= '9') /* digits, maybe grouped */
        count = count * 10 + (*d - '0');
    pairs_add(v, from, html_unescape(from, (size_t)(from_end - from)), to,
              html_unescape(to, (size_t)(to_end - to)), count);
    p = to_end;
  }
  const char *others = strstr(table, "class=\"note\">to or from peers past");
  if (others && others < end)
    v->others =
        strtoll(strstr(others, "<td class=\"num\">") + strlen("<td class=\"num\">"), NULL, 10);
  free(html);
}

/* Every pair report lists, with its count, in VIEW too, and nothing else; "others" alike. */
static void pairs_same(const char *what, const struct pairs_view *r, const char *view,
                       const struct pairs_view *v)
{
  cr_expect_eq(v->others, r->others, "%s: others: report %lld, %s %lld", what, r->others, view,
               v->others);
  cr_expect_eq(v->n, r->n, "%s: report lists %zu pairs, %s %zu", what, r->n, view, v->n);
  for (size_t i = 0; i < v->n; i++) {
    long long in_report = -1;
    for (size_t k = 0; k < r->n; k++)
      if (strcmp(r->from[k], v->from[i]) == 0 && strcmp(r->to[k], v->to[i]) == 0)
        in_report = r->count[k];
    cr_expect_eq(v->count[i], in_report, "%s: %s \u2192 %s: report %lld, %s %lld", what, v->from[i],
                 v->to[i], in_report, view, v->count[i]);
  }
}

static void pairs_agree(const struct as_test_run *traced, const char *run, const char *what)
{
  struct pairs_view *r = calloc(3, sizeof *r), *pr = r + 1, *h = r + 2;
  read_report_pairs(run, r);
  read_prometheus_pairs(run, pr);
  read_html_pairs(traced, run, h);
  cr_assert_gt(r->n, 0, "%s: report lists no pairs", what);
  pairs_same(what, r, "prometheus", pr);
  pairs_same(what, r, "html", h);
  free(r);
}

/* report's timeline (--json: every point) counts as its header does: its last point's actors
 * alive and messages received are the totals', and no point has more alive than the most at
 * once; with --internal too. */
static void timeline_agrees(const char *run, int internal)
{
  const char *argv[] = {AS_TEST_CLI,           "report", "--json", internal ? "--internal" : run,
                        internal ? run : NULL, NULL};
  char *out = tool(argv);
  json_t *report = json_loads(out, 0, NULL);
  cr_assert_not_null(report, "%.200s", out);
  json_t *totals = json_object_get(report, "totals"),
         *timeline = json_object_get(report, "timeline");
  json_t *last = json_array_get(timeline, json_array_size(timeline) - 1), *point;
  const char *what = internal ? "report --internal" : "report";
  cr_expect_eq(json_integer_value(json_object_get(last, "alive")),
               json_integer_value(json_object_get(totals, "alive")), "%s %s: timeline alive", what,
               run);
  cr_expect_eq(json_integer_value(json_object_get(last, "messages_received")),
               json_integer_value(json_object_get(totals, "messages_received")),
               "%s %s: timeline messages", what, run);
  size_t i;
  json_array_foreach(timeline, i, point) cr_expect_leq(
      json_integer_value(json_object_get(point, "alive")),
      json_integer_value(json_object_get(report, "max_alive")), "%s %s: point %zu", what, run, i);
  json_decref(report);
  free(out);
}

static void views_agree(const char *const *argv, const char *what, size_t min_actors)
{
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=50", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0, "%s: %s", what, run.err);
  char *file = as_test_only_output(run.dir);
  json_t *lines = as_test_run_lines(&run), *line, *actor; /* before the page joins the file */
  struct view *r = calloc(5, sizeof *r), *t = r + 1, *h = r + 2, *pr = r + 3, *pf = r + 4;
  long long by_type = 0;
  read_report(file, r);
  read_top(file, t);
  read_html(&run, file, h);
  read_prometheus(file, pr, &by_type);
  read_perfetto(&run, file, pf);
  /* Messages between actor names: the same pairs and counts (peers.md). */
  pairs_agree(&run, file, what);
  timeline_agrees(file, 0);
  timeline_agrees(file, 1);
  const char *names[] = {"report", "top", "html", "prometheus", "perfetto"};
  struct view *views[] = {r, t, h, pr, pf};
  cr_assert_geq(r->n_ids, min_actors, "%s: report lists %zu actors", what, r->n_ids);
  for (int k = 0; k < 5; k++)
    qsort(views[k]->ids, views[k]->n_ids, sizeof views[k]->ids[0], by_id);
  /* Prometheus's process total is the sum of its per-name series (its HELP says so). */
  cr_expect_eq(pr->messages, by_type,
               "%s: prometheus: process messages %lld, the per-name series sum to %lld", what,
               pr->messages, by_type);
  for (int k = 1; k < 5; k++) {
    struct view *v = views[k];
    same(what, "spawned", r->spawned, names[k], v->spawned);
    same(what, "alive at the end", r->alive, names[k], v->alive);
    same(what, "most alive at once", r->max_alive, names[k], v->max_alive);
    same(what, "messages received", r->messages, names[k], v->messages);
    if (k == 3)
      continue; /* Prometheus series are per name, not per actor */
    cr_expect_eq(v->n_ids, r->n_ids, "%s: report lists %zu actors, %s %zu", what, r->n_ids,
                 names[k], v->n_ids);
    for (size_t i = 0; i < r->n_ids && i < v->n_ids; i++)
      if (v->ids[i] != r->ids[i]) {
        cr_expect_fail("%s: report and %s differ at #%lld / #%lld", what, names[k], r->ids[i],
                       v->ids[i]);
        break;
      }
  }
  /* The actors every view lists leave the runtime-internal ones out. */
  size_t i, k, internal = 0;
  json_array_foreach(lines, i, line) json_array_foreach(
      json_object_get(line, "actors"), k,
      actor) if (json_is_true(json_object_get(actor, "internal"))) for (size_t n = 0; n < r->n_ids;
                                                                        n++) internal +=
      r->ids[n] == (long long)json_integer_value(json_object_get(actor, "id"));
  cr_expect_eq(internal, 0, "%s: a runtime-internal actor is listed", what);
  json_decref(lines);
  free(r);
  free(file);
  as_test_run_free(&run);
}

Test(views_agree, czmq_demo_reads_the_same_in_every_view)
{
  const char *argv[] = {"czmq_demo", NULL};
  views_agree(argv, "czmq_demo", 3);
}

Test(views_agree, caf_with_two_actor_systems_reads_the_same_in_every_view)
{
  const char *argv[] = {"caf_kinds", NULL};
  views_agree(argv, "caf_kinds", 3);
}

Test(views_agree, broker_reads_the_same_in_every_view)
{
  const char *argv[] = {"/usr/bin/python3", AS_TEST_PROGRAMS "/broker_pubsub.py", "200", NULL};
  views_agree(argv, "broker_pubsub.py", 5);
}

/* A recorded Broker snapshot that lists runtime-internal actors alive beside the others. */
Test(views_agree, the_timeline_counts_the_actors_the_header_counts)
{
  timeline_agrees(AS_TEST_DATA "/runs/broker-names.jsonl", 0);
  timeline_agrees(AS_TEST_DATA "/runs/broker-names.jsonl", 1);
}

/* A run the tracer was detached from (a real Broker program, attached and detached as it ran
 * on): every view says the process ran on, none that it exited. */
Test(views_agree, a_detached_run_is_said_to_have_run_on_in_every_view)
{
  const char *run = AS_TEST_DATA "/runs/detached.jsonl";
  const char *report[] = {AS_TEST_CLI, "report", run, NULL};
  char *out = tool(report);
  cr_expect(strstr(out, "the tracer was detached at 1.565 s and the process ran on"), "report:\n%s",
            out);
  /* Its actors were all running before the attach: not spawned while it watched. */
  cr_expect(strstr(out, "messages received\nof these, 5 "
                        "were already running at the attach (their spawn was not seen)\n"),
            "report:\n%s", out);
  free(out);
  const char *top[] = {AS_TEST_CLI, "top", "--batch", run, NULL};
  out = tool(top);
  cr_expect(strstr(out, "5 spawned (5 found at attach)"), "top:\n%s", out);
  free(out);
  const char *json[] = {AS_TEST_CLI, "report", "--json", run, NULL};
  out = tool(json);
  cr_expect(strstr(out, "\"found_at_attach\": 5"), "report --json:\n%s", out);
  free(out);
  struct as_test_run dir; /* a run of nothing, for its scratch directory */
  const char *nothing[] = {"true", NULL};
  as_test_run(nothing, NULL, 0, &dir);
  char *html = html_page(&dir, run);
  cr_expect(strstr(html, "the tracer was detached at 1.565 s and the process ran on"),
            "the page does not say the tracer was detached");
  cr_expect(!strstr(html, "exited normally") && !strstr(html, ">alive at exit<"),
            "the page says the process exited");
  free(html);
  as_test_run_free(&dir);
  const char *prom[] = {AS_TEST_CLI, "export", "prometheus", run, NULL};
  out = tool(prom);
  cr_expect(
      strstr(out,
             "\nactorscope_process_exited{pid=\"8935\",program=\"blong.py (python3.11)\"} 0\n"),
      "prometheus:\n%s", out);
  free(out);
}

/* What the tracer said about itself (a snapshot's diagnostics) reads the same in report, its
 * JSON, the HTML page and Prometheus: a short CAF run of an older tracer said its actor
 * system's running count was not read. */
Test(views_agree, the_tracer_s_diagnostics_read_the_same_in_every_view)
{
  const char *run = AS_TEST_DATA "/runs/tracer-said.jsonl";
  const char *code = "caf_running_unknown";
  const char *text = ": its own count of running actors is not shown";
  const char *report[] = {AS_TEST_CLI, "report", run, NULL};
  char *out = tool(report);
  char said[128];
  snprintf(said, sizeof said, "\nthe tracer said: %s: the actor system", code);
  cr_expect(strstr(out, said) && strstr(out, text), "report:\n%s", out);
  free(out);
  const char *json[] = {AS_TEST_CLI, "report", "--json", run, NULL};
  out = tool(json);
  snprintf(said, sizeof said, "\"code\": \"%s\"", code);
  cr_expect(strstr(out, "\"diagnostics\": [") && strstr(out, said) && strstr(out, text),
            "report --json:\n%s", out);
  free(out);
  struct as_test_run dir; /* a run of nothing, for its scratch directory */
  const char *nothing[] = {"true", NULL};
  as_test_run(nothing, NULL, 0, &dir);
  char *html = html_page(&dir, run);
  snprintf(said, sizeof said, "the tracer said: <b>%s</b>: the actor system", code);
  cr_expect(strstr(html, said) && strstr(html, text), "the HTML page lacks '%s'", said);
  free(html);
  as_test_run_free(&dir);
  const char *prom[] = {AS_TEST_CLI, "export", "prometheus", run, NULL};
  out = tool(prom);
  snprintf(said, sizeof said, "code=\"%s\"} 1\n", code);
  cr_expect(strstr(out, "actorscope_tracer_diagnostic{") && strstr(out, said), "prometheus:\n%s",
            out);
  free(out);
}
