/* The SVG charts of `actorscope export html`, drawn into memory and read back. */
#define _GNU_SOURCE
#include "export_svg.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The chart's SVG text for one series of three points with an exact maximum MARK at x = 0.5. */
static char *chart_with_mark(double y, double mark)
{
  static const double xs[] = {0.0, 0.5, 1.0};
  const double ys[] = {y, y, y};
  struct export_svg_series series = {"depth", xs, ys, 3, 1, 0.5, mark};
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  cr_assert_not_null(out);
  export_svg_line_chart(out, "mailbox", "Deepest mailboxes", "since tracing started",
                        "messages waiting", &series, 1, 0, 1);
  fclose(out);
  return text;
}

/* The baseline (y) of the text element that reads LABEL. */
static double text_y(const char *svg, const char *label)
{
  const char *at = strstr(svg, label);
  cr_assert_not_null(at, "no '%s' in %s", label, svg);
  const char *open = at;
  while (open > svg && strncmp(open, "<text", 5) != 0)
    open--;
  const char *y = strstr(open, " y=\"");
  cr_assert(y && y < at);
  return strtod(y + 4, NULL);
}

Test(export_svg, a_maximum_at_the_top_of_the_axis_keeps_its_label_off_the_title)
{
  /* The title's baseline, then a line of text (~12 px) before the label's glyphs may start. */
  char *svg = chart_with_mark(0, 1);
  double title = text_y(svg, ">Deepest mailboxes</text>"), label = text_y(svg, ">max 1</text>");
  cr_assert_gt(label - 12, title, "the 'max 1' label (y %g) runs into the title (y %g)", label,
               title);
  free(svg);
  svg = chart_with_mark(600, 1003);
  label = text_y(svg, ">max 1003</text>");
  cr_assert_gt(label - 12, text_y(svg, ">Deepest mailboxes</text>"));
  free(svg);
}

/* The chart of three series, each flat at 1, with exact maxima MARKS[i] at x = 0.5. */
static char *chart_with_marks(const double marks[3])
{
  static const double xs[] = {0.0, 0.5, 1.0}, ys[] = {1, 1, 1};
  struct export_svg_series series[3] = {{"a", xs, ys, 3, 1, 0.5, marks[0]},
                                        {"b", xs, ys, 3, 1, 0.5, marks[1]},
                                        {"c", xs, ys, 3, 1, 0.5, marks[2]}};
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  cr_assert_not_null(out);
  export_svg_line_chart(out, "mailbox", "Deepest mailboxes", "since tracing started",
                        "messages waiting", series, 3, 0, 1);
  fclose(out);
  return text;
}

/* How many times NEEDLE occurs in TEXT. */
static int occurrences(const char *text, const char *needle)
{
  int n = 0;
  for (const char *at = text; (at = strstr(at, needle)); at++)
    n++;
  return n;
}

/* The x at which the diamond of series S starts (its path's "M X Y"). */
static double mark_x(const char *svg, int s)
{
  char key[48];
  snprintf(key, sizeof key, "data-mark=\"%d\" d=\"M", s);
  const char *at = strstr(svg, key);
  cr_assert_not_null(at, "no mark %d in %s", s, svg);
  return strtod(at + strlen(key), NULL);
}

Test(export_svg, maxima_reached_at_one_moment_stand_side_by_side_with_one_label_a_value)
{
  /* Three actors at 40 at once: three diamonds apart, "max 40" once. */
  char *svg = chart_with_marks((const double[]){40, 40, 40});
  cr_assert_eq(occurrences(svg, ">max 40</text>"), 1, "%s", svg);
  double x0 = mark_x(svg, 0), x1 = mark_x(svg, 1), x2 = mark_x(svg, 2);
  cr_assert(x1 - x0 >= 10 && x2 - x1 >= 10, "diamonds at %g, %g, %g cover one another", x0, x1, x2);
  free(svg);
  /* Close values at one place: each label readable, one above the other. */
  svg = chart_with_marks((const double[]){40, 41, 40});
  cr_assert_eq(occurrences(svg, ">max 40</text>"), 1);
  cr_assert_geq(text_y(svg, ">max 40</text>") - text_y(svg, ">max 41</text>"), 12);
  free(svg);
}

/* The text of every element of class CLASS in SVG, in order, with its x, y and anchor. */
struct svg_text {
  char text[256];
  double x, y;
  char anchor[8];
};

static size_t texts_of_class(const char *svg, const char *class, struct svg_text *found, size_t max)
{
  char key[64];
  snprintf(key, sizeof key, "<text class=\"%s\"", class);
  size_t n = 0;
  for (const char *at = svg; n < max && (at = strstr(at, key)); at++) {
    struct svg_text *t = &found[n++];
    const char *x = strstr(at, " x=\""), *y = strstr(at, " y=\""), *a = strstr(at, "anchor=\"");
    const char *gt = strchr(at, '>');
    t->x = strtod(x + 4, NULL);
    t->y = strtod(y + 4, NULL);
    snprintf(t->anchor, sizeof t->anchor, "%s", a && a < gt ? a + 8 : "start\"");
    *strchr(t->anchor, '"') = '\0';
    /* As shown: entities as the one character they stand for. */
    size_t k = 0;
    for (const char *c = gt + 1; *c && *c != '<' && k + 1 < sizeof t->text; k++)
      if (*c == '&') {
        t->text[k] = '?';
        c = strchr(c, ';') + 1;
      } else {
        t->text[k] = *c++;
      }
    t->text[k] = '\0';
  }
  return n;
}

/* Where the glyphs of T (font SIZE) are, generously: 0.6 em a character (sans-serif averages 0.55). */
static void text_box(const struct svg_text *t, double size, double box[4])
{
  size_t chars = 0;
  for (const char *c = t->text; *c; c++)
    chars += ((unsigned char)*c & 0xc0) != 0x80;
  double width = 0.6 * size * (double)chars;
  double x0 = strcmp(t->anchor, "end") == 0      ? t->x - width
              : strcmp(t->anchor, "middle") == 0 ? t->x - width / 2
                                                 : t->x;
  box[0] = x0, box[1] = x0 + width, box[2] = t->y - size, box[3] = t->y + 2;
}

static int boxes_meet(const double a[4], const double b[4])
{
  return a[0] < b[1] && b[0] < a[1] && a[2] < b[3] && b[2] < a[3];
}

/* The names of a real CAF run's actor systems (tests/data/runs/caf-long-names.jsonl). */
static const char *const long_names[] = {
    "company::product_line::ingestion_subsystem::detail::very_long_descriptive_ingestion_worker_"
    "actor_name",
    "driver",
    "company::product_line::ingestion_subsystem::detail::templated_stateful_processing_pipeline_"
    "stage<vector<…>, 7>",
    "company::product_line::ingestion_subsystem::detail::very_long_descriptive_ingestion_worker_"
    "actor_name_v2",
    "main",
};

static char *graph_of(const char *const *nodes, size_t n_nodes, const struct export_svg_edge *edges,
                      size_t n_edges)
{
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  cr_assert_not_null(out);
  export_svg_graph(out, "pairs", "messages", nodes, n_nodes, edges, n_edges, "messages");
  fclose(out);
  return text;
}

Test(export_svg, the_graphs_names_stay_apart_and_inside_however_long_and_many)
{
  const char *many[24];
  char names[24][120];
  for (size_t i = 0; i < 24; i++) {
    snprintf(names[i], sizeof names[i], "%s_%zu", long_names[i % 5], i);
    many[i] = names[i];
  }
  static const struct export_svg_edge edges[] = {{0, 1, 1842}, {1, 0, 1842}, {2, 1, 1839},
                                                 {3, 1, 1839}, {4, 2, 3},    {1, 3, 1839}};
  struct {
    const char *const *nodes;
    size_t n;
  } const cases[] = {{long_names, 5}, {many, 24}, {long_names + 1, 1}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char *svg = graph_of(cases[c].nodes, cases[c].n, edges, cases[c].n == 5 ? 6 : 0);
    struct svg_text labels[24];
    size_t n = texts_of_class(svg, "node-label", labels, 24);
    cr_assert_eq(n, cases[c].n, "%s", svg);
    double box[24][4];
    for (size_t i = 0; i < n; i++) {
      text_box(&labels[i], 14, box[i]);
      cr_assert(box[i][0] >= 0 && box[i][1] <= EXPORT_SVG_GRAPH_W,
                "'%s' runs off the graph (%g to %g)", labels[i].text, box[i][0], box[i][1]);
      for (size_t j = 0; j < i; j++)
        cr_assert(!boxes_meet(box[i], box[j]), "'%s' covers '%s'", labels[i].text, labels[j].text);
    }
    free(svg);
  }
}

Test(export_svg, long_names_that_share_their_start_read_differently_on_the_graph_and_the_bars)
{
  char *svg = graph_of(long_names, 5, NULL, 0);
  struct svg_text labels[5];
  cr_assert_eq(texts_of_class(svg, "node-label", labels, 5), 5);
  cr_assert_str_neq(labels[0].text, labels[3].text);
  cr_assert_str_neq(labels[0].text, labels[2].text);
  cr_assert(strstr(labels[3].text, "actor_name_v2"), "the end is kept: %s", labels[3].text);
  /* The whole name is the tooltip. */
  cr_assert(strstr(svg, long_names[0]));
  free(svg);

  const struct export_svg_bar bars[] = {{long_names[0], 2, 0, NULL, NULL},
                                        {long_names[3], 1, 0, NULL, NULL}};
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  export_svg_bar_chart(out, "handlers", "Slowest handlers", "ms", bars, 2, NULL, NULL);
  fclose(out);
  struct svg_text bar_labels[2];
  cr_assert_eq(texts_of_class(text, "bar-label", bar_labels, 2), 2);
  cr_assert_str_neq(bar_labels[0].text, bar_labels[1].text);
  free(text);
}

Test(export_svg, arrowheads_are_one_small_size_whatever_the_edges_width)
{
  static const struct export_svg_edge edges[] = {{0, 1, 1000000}, {1, 0, 1}};
  char *svg = graph_of(long_names, 2, edges, 2);
  /* Sized in the graph's units, not as a multiple of the (up to 6 wide) stroke. */
  cr_assert(strstr(svg, "markerUnits=\"userSpaceOnUse\""), "%s", svg);
  const char *w = strstr(svg, "markerWidth=\""), *h = strstr(svg, "markerHeight=\"");
  cr_assert(w && h);
  cr_assert_leq(strtod(w + 13, NULL), 12);
  cr_assert_leq(strtod(h + 14, NULL), 12);
  free(svg);
}

Test(export_svg, values_of_maxima_reached_close_together_keep_off_each_other_and_the_axis)
{
  /* The real run's: 858, 587 and 536 within a few pixels of one another near x = 0. */
  static const double xs[] = {0.0, 0.5, 4.0}, ys[] = {1, 1, 1};
  struct export_svg_series series[] = {{"a", xs, ys, 3, 1, 0.20, 1962},
                                       {"b", xs, ys, 3, 1, 0.0, 858},
                                       {"c", xs, ys, 3, 1, 0.2, 587},
                                       {"d", xs, ys, 3, 1, 0.28, 536}};
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  export_svg_line_chart(out, "mailbox", "Deepest mailboxes", "since tracing started",
                        "messages waiting", series, 4, 0, 4);
  fclose(out);
  struct svg_text labels[4];
  size_t n = texts_of_class(text, "tick mark-label", labels, 4);
  cr_assert_eq(n, 4, "%s", text);
  double box[4][4];
  for (size_t i = 0; i < n; i++) {
    text_box(&labels[i], 11.5, box[i]);
    cr_assert_geq(box[i][0], 64, "'%s' over the y axis's numbers", labels[i].text);
    for (size_t j = 0; j < i; j++)
      cr_assert(!boxes_meet(box[i], box[j]), "'%s' covers '%s'", labels[i].text, labels[j].text);
  }
  free(text);
}

/* ---- edges both ways ------------------------------------------------------------------------ */

struct svg_edge_drawn {
  double pts[7][2];    /* M, then one or two cubic segments */
  size_t n_pts;        /* 4 or 7 */
  double head[2];      /* the arrowhead's centre */
  char title[256];     /* "a → b: N messages" */
  double count_at[2];  /* where its count is written */
  char count_text[32]; /* what it says */
};

/* Where P is from the nearest of 64 points along the edge's line. */
static double edge_distance(const struct svg_edge_drawn *e, const double p[2])
{
  double best = 1e9;
  for (size_t s = 0; s + 3 < e->n_pts; s += 3)
    for (int k = 0; k <= 32; k++) {
      double t = k / 32.0, u = 1 - t, w[4] = {u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t};
      double x = 0, y = 0;
      for (int j = 0; j < 4; j++)
        x += w[j] * e->pts[s + (size_t)j][0], y += w[j] * e->pts[s + (size_t)j][1];
      best = fmin(best, hypot(x - p[0], y - p[1]));
    }
  return best;
}

/* Every edge of a graph with its head (between its two pieces with marker-mid; past its end
 * with marker-end, whose head starts at the end) and its count (by the count's tooltip). */
static size_t edges_drawn(const char *svg, struct svg_edge_drawn *found, size_t max)
{
  size_t n = 0;
  for (const char *at = svg; n < max && (at = strstr(at, "<path class=\"edge\"")); at++) {
    struct svg_edge_drawn *e = &found[n++];
    memset(e, 0, sizeof *e);
    const char *d = strstr(at, " d=\"") + 4, *end = strchr(d, '"');
    while (d < end && e->n_pts < 7) {
      while (d < end && !(*d == '-' || *d == '.' || (*d >= '0' && *d <= '9')))
        d++;
      if (d >= end)
        break;
      char *next;
      e->pts[e->n_pts][0] = strtod(d, &next);
      e->pts[e->n_pts][1] = strtod(next + 1, &next);
      e->n_pts++;
      d = next;
    }
    if (e->n_pts == 3) { /* a quadratic (Q), as the cubic it is */
      double q[2] = {e->pts[1][0], e->pts[1][1]};
      memcpy(e->pts[3], e->pts[2], sizeof e->pts[3]);
      for (int k = 0; k < 2; k++) {
        e->pts[1][k] = e->pts[0][k] + (q[k] - e->pts[0][k]) * 2 / 3;
        e->pts[2][k] = e->pts[3][k] + (q[k] - e->pts[3][k]) * 2 / 3;
      }
      e->n_pts = 4;
    }
    cr_assert(e->n_pts == 4 || e->n_pts == 7, "an edge of %zu points: %.80s", e->n_pts, at);
    const char *close = strstr(at, "</path>");
    const char *mid = strstr(at, "marker-mid=");
    size_t tip = mid && mid < close ? 3 : e->n_pts - 1;
    double dx = e->pts[tip][0] - e->pts[tip - 1][0], dy = e->pts[tip][1] - e->pts[tip - 1][1];
    double len = hypot(dx, dy);
    double ahead = mid && mid < close ? 0 : 5; /* an end head's centre is half a head past it */
    e->head[0] = e->pts[tip][0] + dx / len * ahead;
    e->head[1] = e->pts[tip][1] + dy / len * ahead;
    const char *title = strstr(at, "<title>") + 7;
    snprintf(e->title, sizeof e->title, "%.*s", (int)(strstr(title, "</title>") - title), title);
    /* Its count: the text whose tooltip is the edge's. */
    char key[300];
    snprintf(key, sizeof key, "<title>%s</title></text>", e->title);
    for (const char *c = svg; (c = strstr(c, "<text class=\"edge-count\"")); c++) {
      const char *t = strstr(c, "<title>");
      if (strncmp(t, key, strlen(key)) != 0)
        continue;
      e->count_at[0] = strtod(strstr(c, " x=\"") + 4, NULL);
      e->count_at[1] = strtod(strstr(c, " y=\"") + 4, NULL) - 4.5; /* its middle */
      const char *gt = strchr(c, '>') + 1;
      snprintf(e->count_text, sizeof e->count_text, "%.*s", (int)(t - gt), gt);
    }
  }
  return n;
}

/* The drawing of EDGES between NODES: each edge's count on its own line (nearer to it than to
 * its pair's other edge), reading its count; no two heads or counts on one another; a head
 * off the line of its pair's other edge. */
static void check_edges_read_apart(const char *const *nodes, size_t n_nodes,
                                   const struct export_svg_edge *edges, size_t n_edges)
{
  char *svg = graph_of(nodes, n_nodes, edges, n_edges);
  struct svg_edge_drawn drawn[32];
  cr_assert_eq(edges_drawn(svg, drawn, 32), n_edges, "%s", svg);
  for (size_t i = 0; i < n_edges; i++) {
    const struct svg_edge_drawn *e = &drawn[i];
    char count[32];
    snprintf(count, sizeof count, "%lld", edges[i].count);
    cr_assert_str_eq(e->count_text, count, "%s: its count is not on the graph", e->title);
    cr_assert_leq(edge_distance(e, e->count_at), 3, "%s: its count is off its line", e->title);
    for (size_t j = 0; j < n_edges; j++) {
      if (j == i)
        continue;
      const struct svg_edge_drawn *o = &drawn[j];
      cr_assert_geq(hypot(e->head[0] - o->head[0], e->head[1] - o->head[1]), 14,
                    "the heads of '%s' and '%s' cover each other", e->title, o->title);
      cr_assert(fabs(e->count_at[0] - o->count_at[0]) >= 20 ||
                    fabs(e->count_at[1] - o->count_at[1]) >= 15,
                "the counts of '%s' and '%s' cover each other", e->title, o->title);
      if (edges[j].from == edges[i].to && edges[j].to == edges[i].from) {
        cr_assert_lt(edge_distance(e, e->count_at) + 10, edge_distance(o, e->count_at),
                     "the count of '%s' is as near '%s'", e->title, o->title);
        cr_assert_geq(edge_distance(o, e->head), 9, "the head of '%s' is on '%s'", e->title,
                      o->title);
      }
    }
  }
  free(svg);
}

Test(export_svg, a_pair_that_talks_both_ways_reads_as_two_edges_each_with_its_head_and_count)
{
  /* Across the columns (zgossip left, zmonitor right), and within one (zgossip and main). */
  static const char *const two[] = {"zgossip", "zmonitor"};
  check_edges_read_apart(two, 2, (const struct export_svg_edge[]){{0, 1, 6}, {1, 0, 9}}, 2);
  static const char *const four[] = {"zgossip", "zmonitor", "main", "zauth"};
  check_edges_read_apart(four, 4,
                         (const struct export_svg_edge[]){{0, 2, 14}, {2, 0, 21}, {0, 1, 6}}, 3);
  /* The graph of a real run of CZMQ's self-tests (zgossip, zmonitor, zproxy, zbeacon, zauth):
   * main talks both ways with every name, its busiest pair across, the rest within a column. */
  static const char *const names[] = {"zproxy", "main", "zbeacon", "zgossip", "zmonitor", "zauth"};
  static const struct export_svg_edge czmq[] = {{0, 1, 77}, {1, 0, 62}, {1, 2, 21}, {3, 1, 21},
                                                {2, 1, 20}, {1, 3, 14}, {4, 1, 10}, {1, 4, 7},
                                                {5, 1, 7},  {1, 5, 6},  {3, 4, 6},  {4, 3, 6}};
  check_edges_read_apart(names, 6, czmq, sizeof czmq / sizeof czmq[0]);
}

Test(export_svg, a_pair_bends_no_farther_than_between_two_rows)
{
  /* Three rows of pairs: the lower edge of one row keeps off the upper edge of the next. */
  static const char *const six[] = {"a", "b", "c", "d", "e", "f"};
  static const struct export_svg_edge edges[] = {{0, 1, 81}, {1, 0, 80}, {2, 3, 51},
                                                 {3, 2, 50}, {4, 5, 21}, {5, 4, 20}};
  check_edges_read_apart(six, 6, edges, 6);
  char *svg = graph_of(six, 6, edges, 6);
  struct svg_edge_drawn drawn[6];
  cr_assert_eq(edges_drawn(svg, drawn, 6), 6);
  /* Row 0's edge from b to a, row 1's from c to d: their counts nearer their own lines. */
  for (size_t row = 0; row + 1 < 3; row++) {
    const struct svg_edge_drawn *lower = &drawn[2 * row + 1], *upper = &drawn[2 * row + 2];
    cr_assert_geq(edge_distance(upper, lower->count_at), 12, "'%s' runs through the count of '%s'",
                  upper->title, lower->title);
    cr_assert_geq(edge_distance(lower, upper->count_at), 12, "'%s' runs through the count of '%s'",
                  lower->title, upper->title);
  }
  free(svg);
}

/* ---- names as the page shows them ------------------------------------------------------------ */

/* Names a program can give its actors and threads (a CAF actor's name(), pthread_setname_np),
 * and how the graph reads them. */
static const char *const odd_names[] = {"tab\there", "new\nline", "cr\rbell\a del\x7f esc\x1b[31m",
                                        "rtl\xe2\x80\xaeoverride", "bad\xff\xfe utf8 \xc3("};
static const char *const odd_shown[] = {"tab\\there", "new\\nline",
                                        "cr\\rbell\\x07 del\\x7f esc\\x1b[31m",
                                        "rtl\\u202eoverride", "bad\\xff\\xfe utf8 \\xc3("};

Test(export_svg, control_characters_in_names_read_as_escapes_on_the_graph)
{
  static const struct export_svg_edge edges[] = {{0, 1, 3}, {1, 0, 2}, {2, 3, 1}, {4, 0, 1}};
  char *svg = graph_of(odd_names, 5, edges, 4);
  struct svg_text labels[5];
  cr_assert_eq(texts_of_class(svg, "node-label", labels, 5), 5);
  for (size_t i = 0; i < 5; i++)
    cr_assert_str_eq(labels[i].text, odd_shown[i]);
  /* Nothing that hides, breaks a line or turns the text: not in a label nor in a tooltip. */
  for (const unsigned char *p = (const unsigned char *)svg; *p; p++)
    cr_assert(*p >= 0x20 && *p != 0x7f, "a control character (%#x) in the graph", *p);
  cr_assert_null(strstr(svg, "\xe2\x80\xae"), "U+202E in the graph");
  cr_assert_not_null(strstr(svg, "<title>tab\\there \xe2\x86\x92 new\\nline: 3 messages</title>"));
  free(svg);
}

Test(export_svg, the_pages_text_is_escaped_for_html_and_readable)
{
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  export_svg_text(out, "quo\"te <b>&amp;</b> 'x'\t\xe2\x80\xa8");
  fclose(out);
  cr_assert_str_eq(text, "quo&quot;te &lt;b&gt;&amp;amp;&lt;/b&gt; &#39;x&#39;\\t\\u2028");
  free(text);
  char buf[64];
  for (size_t i = 0; i < 5; i++)
    cr_assert_str_eq(export_svg_readable(odd_names[i], buf, sizeof buf), odd_shown[i]);
  /* A backslash of the name's own is doubled: "\\n" is no newline. */
  cr_assert_str_eq(export_svg_readable("ev\\name\n", buf, sizeof buf), "ev\\\\name\\n");
  /* Cut at a whole escape. */
  cr_assert_str_eq(export_svg_readable("a\tb", buf, 4), "a\\t");
  cr_assert_str_eq(export_svg_readable("a\tb", buf, 3), "a");
  /* A long name cut in its middle keeps its escapes, not '?'. */
  cr_assert_str_eq(
      export_svg_cut("company::product_line::ingestion::stage\t2", 30, buf, sizeof buf),
      "company::...ngestion::stage\\t2");
  cr_assert_str_eq(export_svg_cut("stage\t2", 30, buf, sizeof buf), "stage\\t2");
  /* However long, its end is kept. */
  char longer[3000];
  memset(longer, 'a', sizeof longer);
  snprintf(longer + sizeof longer - 9, 9, "\tthe_end");
  cr_assert_str_eq(export_svg_cut(longer, 30, buf, sizeof buf), "aaaaaaaaa...aaaaaaaaa\\tthe_end");
}
