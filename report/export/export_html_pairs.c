#define _GNU_SOURCE
#include "export_html_pairs.h"

#include "escape.h"
#include "pairs.h"
#include "recording.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAIRS_NODES_MAX 24 /* names on the graph: the busiest */
#define PAIRS_ROWS_MAX 200 /* rows of the table */

struct html_pair {
  const char *from, *to; /* the recording's strings: equal names are equal pointers */
  int64_t count;
};

/* Every (from name, to name) pair with its messages: report's (recording_pairs), in its order. */
static struct html_pair *pairs_collect(const struct html_model *m, size_t *n, int64_t *other,
                                       int *any)
{
  struct rm_pairs by_name;
  if (recording_pairs(&m->run, 0, &by_name) < 0)
    return NULL;
  struct html_pair *pairs = calloc(by_name.n ? by_name.n : 1, sizeof *pairs);
  for (size_t i = 0; pairs && i < by_name.n; i++)
    pairs[i] = (struct html_pair){strtab_text(&m->run.strings, by_name.items[i].from),
                                  strtab_text(&m->run.strings, by_name.items[i].to),
                                  by_name.items[i].count};
  *n = by_name.n;
  *other = by_name.other;
  *any = by_name.any;
  recording_pairs_free(&by_name);
  return pairs;
}

/* The graph's nodes: names in order of their traffic, the busiest PAIRS_NODES_MAX. */
static size_t pairs_nodes(const struct html_pair *pairs, size_t n, const char **nodes)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const char *ends[2] = {pairs[i].from, pairs[i].to};
    for (int e = 0; e < 2; e++) {
      size_t j = 0;
      while (j < k && nodes[j] != ends[e])
        j++;
      if (j == k && k < PAIRS_NODES_MAX)
        nodes[k++] = ends[e];
    }
  }
  return k;
}

static long pairs_node_at(const char **nodes, size_t k, const char *name)
{
  for (size_t j = 0; j < k; j++)
    if (nodes[j] == name)
      return (long)j;
  return -1;
}

/* Moves (*X, *Y) BY units toward (TX, TY). */
static void pairs_toward(double *x, double *y, double tx, double ty, double by)
{
  double dx = tx - *x, dy = ty - *y, d = sqrt(dx * dx + dy * dy);
  if (d > by) {
    *x += dx / d * by;
    *y += dy / d * by;
  }
}

static void pairs_svg(FILE *out, const struct html_pair *pairs, size_t n)
{
  const char *nodes[PAIRS_NODES_MAX];
  size_t k = pairs_nodes(pairs, n, nodes);
  const double w = 760, h = 420, cx = w / 2, cy = h / 2, r = k > 1 ? 150 : 0;
  double x[PAIRS_NODES_MAX], y[PAIRS_NODES_MAX];
  for (size_t j = 0; j < k; j++) {
    double t = 2 * M_PI * (double)j / (double)k - M_PI / 2;
    x[j] = cx + r * cos(t) * 1.6;
    y[j] = cy + r * sin(t);
  }
  double top = log((double)(n ? pairs[0].count : 1) + 1);
  fprintf(out,
          "<svg class=\"pairs\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
          "aria-label=\"messages between actor names\">"
          "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
          "markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\">"
          "<path d=\"M0,0L10,5L0,10z\" fill=\"#4a6fa5\"/></marker></defs>",
          w, h);
  for (size_t i = 0; i < n; i++) {
    long a = pairs_node_at(nodes, k, pairs[i].from), b = pairs_node_at(nodes, k, pairs[i].to);
    if (a < 0 || b < 0 || a == b)
      continue;
    /* Bent to one side, so that A→B and B→A are two edges. */
    double mx = (x[a] + x[b]) / 2 + (y[b] - y[a]) * 0.15,
           my = (y[a] + y[b]) / 2 - (x[b] - x[a]) * 0.15;
    double width = 1 + 6 * log((double)pairs[i].count + 1) / (top > 0 ? top : 1);
    /* Ends short of the nodes' dots, so the arrow head shows. */
    double sx = x[a], sy = y[a], ex = x[b], ey = y[b];
    pairs_toward(&sx, &sy, mx, my, 8);
    pairs_toward(&ex, &ey, mx, my, 10);
    fprintf(out,
            "<path class=\"edge\" d=\"M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f\" stroke-width=\"%.2f\" "
            "data-count=\"%lld\" marker-end=\"url(#arrow)\"><title>",
            sx, sy, mx, my, ex, ey, width, (long long)pairs[i].count);
    escape_html_text(out, pairs[i].from);
    fputs(" \u2192 ", out);
    escape_html_text(out, pairs[i].to);
    fprintf(out, ": %lld messages</title></path>", (long long)pairs[i].count);
  }
  for (size_t j = 0; j < k; j++) {
    fprintf(out,
            "<g class=\"node\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            x[j], y[j], x[j], y[j] - 9);
    escape_html_text(out, nodes[j]);
    fputs("</text></g>", out);
  }
  fputs("</svg>", out);
}

int export_html_pairs(FILE *out, const struct html_model *m)
{
  size_t n;
  int64_t other;
  int any;
  struct html_pair *pairs = pairs_collect(m, &n, &other, &any);
  if (!pairs)
    return -ENOMEM;
  if (!any) {
    free(pairs);
    return 0;
  }
  fputs("<section id=\"pairs\"><h2>Messages between actors</h2>"
        "<style>svg.pairs{width:100%;max-width:760px;height:auto}"
        "svg.pairs .edge{fill:none;stroke:#4a6fa5;stroke-opacity:.7}"
        "svg.pairs text{font-size:11px}</style>",
        out);
  if (n)
    pairs_svg(out, pairs, n);
  fputs("<table class=\"pairs\"><thead><tr><th>from</th><th>to</th><th>messages</th></tr>"
        "</thead><tbody>",
        out);
  for (size_t i = 0; i < n && i < PAIRS_ROWS_MAX; i++) {
    fputs("<tr><td>", out);
    escape_html_text(out, pairs[i].from);
    fputs("</td><td>", out);
    escape_html_text(out, pairs[i].to);
    fputs("</td><td class=\"num\">", out);
    escape_html_count(out, pairs[i].count);
    fputs("</td></tr>", out);
  }
  if (n > PAIRS_ROWS_MAX)
    fprintf(out, "<tr><td colspan=\"3\" class=\"note\">… %zu more pairs</td></tr>",
            n - PAIRS_ROWS_MAX);
  if (other)
    fprintf(out,
            "<tr><td colspan=\"2\" class=\"note\">" PAIRS_OTHER_TEXT "</td>"
            "<td class=\"num\">%lld</td></tr>",
            AS_PEERS_PER_ACTOR_MAX, (long long)other);
  fputs("</tbody></table><p class=\"note\">A thread that runs no actor (main) by its name. "
        "Edges are as wide as the log of their count.</p></section>\n",
        out);
  free(pairs);
  return 0;
}
