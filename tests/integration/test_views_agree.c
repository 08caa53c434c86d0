/* Issue 21 §1: one model, one answer. report, top --batch and export html read the same
 * recorded run of a real program (CZMQ; CAF with two actor systems; Broker through
 * python3-broker) and must list the same actors and print the same counts and maxima:
 * actors spawned, alive at the end, most alive at once. Runtime-internal actors are left out
 * of all three alike (CAF makes several per actor system). */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(views_agree, .timeout = 240);

#define MAX_IDS 4096

struct view {
  long long spawned, alive, max_alive;
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
  cr_assert_eq(sscanf(line, "\nactors: %lld spawned, %*d stopped, %lld alive (at most %lld at once)",
                      &v->spawned, &v->alive, &v->max_alive), 3, "%.200s", line);
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
  const char *argv[] = {AS_TEST_CLI, "top", "--batch", "--ascii", "--flat", "--width", "200",
                        run, NULL};
  char *out = tool(argv);
  char *last = out, *p;
  while ((p = strstr(last, "\n\n")) && p[2])
    last = p + 2;
  const char *actors = strstr(last, "actors: "), *messages = strstr(last, "messages: ");
  cr_assert(actors && messages, "%s", last);
  cr_assert_eq(sscanf(actors, "actors: %lld alive (at most %lld at once)", &v->alive,
                      &v->max_alive), 2, "%.200s", actors);
  const char *spawned = strstr(messages, " in all, ");
  cr_assert_not_null(spawned);
  cr_assert_eq(sscanf(spawned, " in all, %lld spawned", &v->spawned), 1);
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

static void read_html(const struct as_test_run *traced, const char *run, struct view *v)
{
  char page[600];
  snprintf(page, sizeof page, "%s/page.html", traced->dir);
  const char *argv[] = {AS_TEST_CLI, "export", "html", "-o", page, run, NULL};
  free(tool(argv));
  char *html = as_test_read_file(page);
  v->spawned = html_card(html, "actors spawned");
  v->max_alive = html_card(html, "most alive at once");
  v->alive = strstr(html, ">alive at exit<") ? html_card(html, "alive at exit")
                                              : html_card(html, "alive at the last snapshot");
  for (const char *p = html; (p = strstr(p, "data-id=\"")); p += 9)
    add_id(v, strtoll(p + 9, NULL, 10));
  free(html);
}

static void views_agree(const char *const *argv, const char *what, size_t min_actors)
{
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=50", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0, "%s: %s", what, run.err);
  char *file = as_test_only_output(run.dir);
  json_t *lines = as_test_run_lines(&run), *line, *actor; /* before the page joins the file */
  struct view *r = calloc(3, sizeof *r), *t = r + 1, *h = r + 2;
  read_report(file, r);
  read_top(file, t);
  read_html(&run, file, h);
  const char *names[] = {"report", "top", "html"};
  struct view *views[] = {r, t, h};
  cr_assert_geq(r->n_ids, min_actors, "%s: report lists %zu actors", what, r->n_ids);
  for (int k = 0; k < 3; k++)
    qsort(views[k]->ids, views[k]->n_ids, sizeof views[k]->ids[0], by_id);
  for (int k = 1; k < 3; k++) {
    struct view *v = views[k];
    cr_expect_eq(v->spawned, r->spawned, "%s: spawned: report %lld, %s %lld", what, r->spawned,
                 names[k], v->spawned);
    cr_expect_eq(v->alive, r->alive, "%s: alive at the end: report %lld, %s %lld", what,
                 r->alive, names[k], v->alive);
    cr_expect_eq(v->max_alive, r->max_alive, "%s: most alive at once: report %lld, %s %lld",
                 what, r->max_alive, names[k], v->max_alive);
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
  json_array_foreach(lines, i, line) json_array_foreach(json_object_get(line, "actors"), k, actor)
    if (json_is_true(json_object_get(actor, "internal")))
      for (size_t n = 0; n < r->n_ids; n++)
        internal += r->ids[n] == (long long)json_integer_value(json_object_get(actor, "id"));
  cr_expect_eq(internal, 0, "%s: a runtime-internal actor is listed", what);
  json_decref(lines);
  free(r);
  free(file);
  as_test_run_free(&run);
}

Test(views_agree, czmq_demo_reads_the_same_in_report_top_and_html)
{
  const char *argv[] = {"czmq_demo", NULL};
  views_agree(argv, "czmq_demo", 3);
}

Test(views_agree, caf_with_two_actor_systems_reads_the_same_in_report_top_and_html)
{
  const char *argv[] = {"caf_kinds", NULL};
  views_agree(argv, "caf_kinds", 3);
}

Test(views_agree, broker_reads_the_same_in_report_top_and_html)
{
  const char *argv[] = {"/usr/bin/python3", AS_TEST_PROGRAMS "/broker_pubsub.py", "200", NULL};
  views_agree(argv, "broker_pubsub.py", 5);
}
