/* actorscope export html, opened in a real browser: Debian's chromium in headless mode loads
 * the page from a file; the rendered DOM (--dump-dom) must hold the plots and the actor tree as
 * the recording describes them, and a screenshot is produced. */
#define _GNU_SOURCE
#include "harness.h"
#include "test_export_support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(export_html, .timeout = 120);

/* Exports RUN into DIR/report.html and returns the page's path (malloc()ed). */
static char *export_page(const char *run, const char *dir)
{
  char *page;
  cr_assert(asprintf(&page, "%s/report.html", dir) > 0);
  const char *argv[] = {AS_TEST_CLI, "export", "html", "-o", page, run, NULL};
  struct as_test_run r;
  as_test_run(argv, NULL, 0, &r);
  cr_assert_eq(r.status, 0, "%s", r.err);
  as_test_run_free(&r);
  return page;
}

/* Runs headless chromium on PAGE with one extra switch; returns its stdout. Each run gets a
 * fresh profile and no network services. */
static char *chromium(const char *page, const char *dir, const char *action)
{
  char profile[512], url[600];
  snprintf(profile, sizeof profile, "--user-data-dir=%s/profile-XXXXXX", dir);
  cr_assert_not_null(mkdtemp(profile + strlen("--user-data-dir=")));
  snprintf(url, sizeof url, "file://%s", page);
  const char *argv[] = {EXPORT_TEST_CHROMIUM,
                        profile,
                        "--window-size=1400,1800",
                        "--hide-scrollbars",
                        action,
                        url,
                        NULL};
  struct as_test_run r;
  as_test_run(argv, NULL, 0, &r);
  cr_assert_eq(r.status, 0, "chromium failed: %s", r.err);
  char *out = strdup(r.out);
  as_test_run_free(&r);
  return out;
}

/* RUN exported into DIR and loaded by chromium: the page's DOM (malloc()ed). */
static char *export_dom(const char *run, const char *dir)
{
  char *page = export_page(run, dir);
  char *dom = chromium(page, dir, "--dump-dom");
  free(page);
  return dom;
}

static size_t count(const char *text, const char *needle)
{
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

/* The DOM text of the element that starts at the first NEEDLE, up to the next CLOSE. */
static char *between(const char *text, const char *needle, const char *close)
{
  const char *at = strstr(text, needle);
  cr_assert_not_null(at, "'%s' is not in the page", needle);
  const char *end = strstr(at + strlen(needle), close);
  cr_assert_not_null(end);
  return strndup(at, (size_t)(end - at));
}

/* Every actor of the recording is in the tree once, under its parent, with its status. */
static void check_tree(const char *dom, const char *run)
{
  json_t *lines = as_test_load_lines(run);
  json_t *last = export_test_last_seen(lines);
  const char *id;
  json_t *a;
  json_object_foreach(last, id, a)
  {
    char needle[64];
    snprintf(needle, sizeof needle, "data-id=\"%s\"", id);
    /* Runtime-internal actors are left out, as report leaves them out (no --internal). */
    if (json_is_true(json_object_get(a, "internal"))) {
      cr_assert_eq(count(dom, needle), 0, "runtime-internal actor #%s is in the tree", id);
      continue;
    }
    cr_assert_eq(count(dom, needle), 1, "actor #%s in the tree %zu times", id, count(dom, needle));
    char *item = between(dom, needle, "</span></div>");
    char status[64];
    snprintf(status, sizeof status, "st-%s\">%s<", as_test_str(a, "status"),
             as_test_str(a, "status"));
    cr_assert(strstr(item, status) != NULL, "#%s: %s not in %s", id, status, item);
    free(item);
    json_t *parent = json_object_get(a, "parent");
    char pid[32];
    snprintf(pid, sizeof pid, "%lld", (long long)json_integer_value(parent));
    json_t *pa = json_is_integer(parent) ? json_object_get(last, pid) : NULL;
    /* Under its parent when that is listed too and of its actor system (as report nests). */
    if (pa && !json_is_true(json_object_get(pa, "internal")) &&
        json_equal(json_object_get(pa, "runtime_scope"), json_object_get(a, "runtime_scope"))) {
      /* Nested: between the parent's item and this one, the parent's <details> is still open. */
      char pneedle[64];
      snprintf(pneedle, sizeof pneedle, "data-id=\"%lld\"", (long long)json_integer_value(parent));
      const char *p = strstr(dom, pneedle), *c = strstr(dom, needle);
      cr_assert(p && c && p < c, "#%s is not after its parent", id);
      char *span = strndup(p, (size_t)(c - p));
      cr_assert_gt(count(span, "<details"), count(span, "</details>"),
                   "#%s is not inside its parent's details", id);
      free(span);
    }
  }
  json_decref(last);
  json_decref(lines);
}

static void check_plots(const char *dom)
{
  static const char *const plots[] = {"alive", "rate", "mailbox", "handlers"};
  for (size_t i = 0; i < 4; i++) {
    char needle[64];
    snprintf(needle, sizeof needle, "<figure class=\"plot\" data-plot=\"%s\">", plots[i]);
    char *fig = between(dom, needle, "</figure>");
    cr_assert(strstr(fig, "<svg") && strstr(fig, "viewBox="), "plot %s has no svg", plots[i]);
    cr_assert(strstr(fig, "class=\"tick\""), "plot %s has no axis ticks", plots[i]);
    cr_assert(strstr(fig, "class=\"unit\""), "plot %s has no unit", plots[i]);
    free(fig);
  }
}

Test(export_html, a_czmq_deadlock_page_renders_plots_tree_and_the_cycle_in_chromium)
{
  char dir[] = "/tmp/actorscope-html-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  const char *run = AS_TEST_DATA "/runs/deadlock.jsonl";
  char *page = export_page(run, dir);
  /* Self-contained: nothing is fetched (the only URL is the SVG namespace). */
  char *html = as_test_read_file(page);
  cr_assert_eq(count(html, "://"), count(html, "http://www.w3.org/2000/svg"));
  cr_assert_eq(count(html, " src="), 0);
  cr_assert_eq(count(html, "<link"), 0);
  free(html);

  char *dom = chromium(page, dir, "--dump-dom");
  check_plots(dom);
  check_tree(dom, run);
  /* The cycle is highlighted, and both of its actors in the tree. */
  char *deadlocks = between(dom, "<section id=\"deadlocks\"", "</section>");
  cr_assert(strstr(deadlocks, "#1 peer_actor → #2 peer_actor → #1") != NULL, "%s", deadlocks);
  free(deadlocks);
  cr_assert_eq(count(dom, "<li class=\"actor dl\""), 2);
  /* The alive plot has a point for each of the 7 snapshots (pixel columns apart). */
  char *alive = between(dom, "data-plot=\"alive\"", "</figure>");
  char *points = between(alive, "points=\"", "\"");
  cr_assert_eq(count(points, ","), 7, "%s", points);
  free(points);
  free(alive);
  free(dom);

  char shot[600], arg[640];
  snprintf(shot, sizeof shot, "%s/report.png", dir);
  snprintf(arg, sizeof arg, "--screenshot=%s", shot);
  free(chromium(page, dir, arg));
  char *png = as_test_read_file(shot);
  cr_assert(strncmp(png, "\x89PNG", 4) == 0, "no PNG screenshot");
  free(png);
  free(page);
  as_test_remove_tree(dir);
}

Test(export_html, a_caf_supervisor_page_nests_workers_under_their_supervisor)
{
  char dir[] = "/tmp/actorscope-html-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  const char *run = AS_TEST_DATA "/runs/supervisor.jsonl";
  char *page = export_page(run, dir);
  char *dom = chromium(page, dir, "--dump-dom");
  check_plots(dom);
  check_tree(dom, run);
  cr_assert(strstr(dom, "<section id=\"deadlocks\"") == NULL, "no deadlock in this run");
  /* One row per name: the supervisor's two workers together, one of them threw. */
  char *names = between(dom, "<section id=\"names\">", "</section>");
  cr_assert(strstr(names, "<tr><td>worker</td><td>caf, actor system 1</td><td>2</td>") != NULL,
            "%s", names);
  cr_assert(strstr(names, "<td class=\"bad\">1</td>") != NULL, "%s", names);
  free(names);
  /* The exception of the worker that threw is in the summary. */
  char *cards = between(dom, "<section id=\"summary\"", "</section>");
  cr_assert(strstr(cards,
                   "<div class=\"card bad\"><div class=\"v\">1</div><div class=\"k\">exceptions") !=
                NULL,
            "%s", cards);
  free(cards);
  free(dom);
  free(page);
  as_test_remove_tree(dir);
}

/* The DOM's text of SVG or HTML text: a count without its thin spaces. */
static void strip_thin_spaces(char *text)
{
  char *to = text;
  for (const char *from = text; *from;)
    if (strncmp(from, "\xe2\x80\x89", 3) == 0)
      from += 3;
    else
      *to++ = *from++;
  *to = '\0';
}

/* CZMQ's own self-tests (zgossip, zmonitor: real zactor code), traced and exported: every pair
 * of the page's table is an edge of the graph with its count written on it and its own head,
 * pairs that talk both ways as much as any (zgossip and main, zmonitor and main). */
Test(export_html, a_czmq_self_test_page_writes_each_edge_of_a_pair_with_its_count_in_chromium)
{
  char dir[] = "/tmp/actorscope-html-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  const char *argv[] = {"czmq_selftests", "zgossip", "zmonitor", NULL};
  struct as_test_run traced;
  as_test_run(argv, NULL, 1, &traced);
  cr_assert_eq(traced.status, 0, "%s", traced.err);
  char *run = as_test_only_output(traced.dir);
  char *dom = export_dom(run, dir);
  free(run);
  as_test_run_free(&traced);
  char *pairs = between(dom, "<table class=\"pairs\">", "</table>");
  size_t rows = 0, both_ways = 0;
  for (const char *row = pairs; (row = strstr(row, "<tr><td>")); row++) {
    char from[200], to[200], n[64];
    cr_assert_eq(
        sscanf(row, "<tr><td>%199[^<]</td><td>%199[^<]</td><td class=\"num\">%63[^<]", from, to, n),
        3, "%.200s", row);
    strip_thin_spaces(n);
    char needle[600], back[600];
    /* The count on the graph, its tooltip naming the pair in its direction. */
    snprintf(needle, sizeof needle, ">%s<title>%s \xe2\x86\x92 %s: %s messages</title></text>", n,
             from, to, n);
    char *graph = between(dom, "<svg class=\"pairs\"", "</svg>");
    strip_thin_spaces(graph);
    cr_assert_not_null(strstr(graph, needle), "no count on the graph for %s → %s (%s)", from, to,
                       n);
    snprintf(back, sizeof back, "<title>%s \xe2\x86\x92 %s: ", to, from);
    both_ways += strstr(graph, back) != NULL;
    free(graph);
    rows++;
  }
  cr_assert_gt(rows, 3, "%s", pairs);
  cr_assert_geq(both_ways, 4, "no two pairs that talk both ways: %s", pairs);
  /* Each edge with its head in its middle, none at a node where the others meet. */
  cr_assert_eq(count(dom, "marker-mid=\"url(#arrow)\""), rows);
  cr_assert_eq(count(dom, "marker-end="), 0);
  free(pairs);
  free(dom);
  as_test_remove_tree(dir);
}

/* A name holding a newline, a backslash, markup, U+2028 and BEL (planted in a real run of
 * czmq_tree) reads in the browser as one line of text, its characters as C escapes them. */
Test(export_html, a_name_with_control_characters_reads_as_c_escapes_it_in_chromium)
{
  char dir[] = "/tmp/actorscope-html-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char *dom = export_dom(AS_TEST_DATA "/export/hostile-names.jsonl", dir);
  static const char shown[] = "ev\"il\\\\name\\n&lt;/script&gt;&lt;img src=x "
                              "onerror=alert(1)&gt;\\u2028&amp;amp;\\x07";
  char *names = between(dom, "<section id=\"names\">", "</section>");
  cr_assert_not_null(strstr(names, shown), "%s", names);
  free(names);
  char *tree = between(dom, "<ul id=\"tree\"", "</section>");
  cr_assert_not_null(strstr(tree, shown), "%s", tree);
  free(tree);
  /* Nothing in the page's text that a browser shows as nothing, a space or a break. */
  char *body = between(dom, "<main>", "</main>");
  for (const unsigned char *p = (const unsigned char *)body; *p; p++)
    cr_assert(*p >= 0x20 || *p == '\n', "a control character (%#x) in the page", *p);
  cr_assert_null(strstr(body, "\xe2\x80\xa8"), "U+2028 in the page");
  free(body);
  free(dom);
  as_test_remove_tree(dir);
}
