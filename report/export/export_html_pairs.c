#define _GNU_SOURCE
#include "export_html_pairs.h"

#include "escape.h"
#include "export_svg.h"
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

/* The graph of the busiest names and the pairs between them (export_svg_graph). */
static int pairs_svg(FILE *out, const struct html_pair *pairs, size_t n)
{
  const char *nodes[PAIRS_NODES_MAX];
  size_t k = pairs_nodes(pairs, n, nodes);
  struct export_svg_edge *edges = calloc(n ? n : 1, sizeof *edges);
  if (!edges)
    return -ENOMEM;
  size_t n_edges = 0;
  for (size_t i = 0; i < n; i++) {
    long a = pairs_node_at(nodes, k, pairs[i].from), b = pairs_node_at(nodes, k, pairs[i].to);
    if (a >= 0 && b >= 0)
      edges[n_edges++] = (struct export_svg_edge){(size_t)a, (size_t)b, (long long)pairs[i].count};
  }
  export_svg_graph(out, "pairs", "messages between actor names", nodes, k, edges, n_edges,
                   "messages");
  free(edges);
  return 0;
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
        "<style>svg.pairs{display:block;width:100%;height:auto;"
        "background:var(--card);border:1px solid var(--line);border-radius:10px;margin-bottom:12px}"
        "svg.pairs .edge{fill:none;stroke:#4a6fa5;stroke-opacity:.7}"
        "svg.pairs .node-label{font-size:14px;fill:var(--fg)}"
        /* A count on its line, over the lines it crosses: dark digits on a halo of the card. */
        "svg.pairs .edge-count{font-size:13px;font-weight:600;fill:#2c4a75;paint-order:stroke;"
        "stroke:var(--card);stroke-width:4px;stroke-linejoin:round}</style>",
        out);
  if (n && pairs_svg(out, pairs, n) < 0) {
    free(pairs);
    return -ENOMEM;
  }
  fputs("<table class=\"pairs\"><thead><tr><th>from</th><th>to</th><th "
        "class=\"num\">messages</th></tr>"
        "</thead><tbody>",
        out);
  for (size_t i = 0; i < n && i < PAIRS_ROWS_MAX; i++) {
    fputs("<tr><td>", out);
    export_svg_text(out, pairs[i].from);
    fputs("</td><td>", out);
    export_svg_text(out, pairs[i].to);
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
        "Edges are as wide as the log of their count, the count written on each, its arrowhead "
        "just before it.</p></section>\n",
        out);
  free(pairs);
  return 0;
}
