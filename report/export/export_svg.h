/* Plots as inline SVG for the HTML export: line charts over time and horizontal bar charts,
 * with axes, tick labels, units and a legend, in fixed colours that print and read well. No
 * script, no font files: the page's own font is used. */
#ifndef ACTORSCOPE_EXPORT_SVG_H
#define ACTORSCOPE_EXPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

struct export_svg_series {
  const char *label;   /* legend text */
  const double *x, *y; /* n points, x ascending */
  size_t n;
  /* An exact value the samples may miss (a maximum between two snapshots): drawn as a marker
   * at (mark_x, mark_y) with its value, when has_mark. */
  int has_mark;
  double mark_x, mark_y;
};

/* A line chart of SERIES against a shared time axis: x in seconds, its ticks in the unit that
 * fits the time shown (show_duration_unit: "ms" for a run of 400 ms, "µs" for one of 400 µs),
 * titled with the unit and X_LABEL ("ms since tracing started"). More points than the plot has
 * pixels are reduced to the largest value per pixel column (peaks stay visible). ID names the
 * chart in the page (data-plot attribute). The x axis spans [X_FROM, X_TO] (widened to hold
 * every point), so charts over the same run line up. */
void export_svg_line_chart(FILE *out, const char *id, const char *title, const char *x_label,
                           const char *y_unit, const struct export_svg_series *series,
                           size_t n_series, double x_from, double x_to);

struct export_svg_bar {
  const char *label;
  double value;
  int highlight;    /* drawn in the second colour (e.g. still running) */
  const char *text; /* the value as people read it; NULL: the value and the unit */
  const char *tip;  /* the tooltip's text (the whole name); NULL: the label */
};

/* Horizontal bars, largest first as given. LEGEND: texts for the plain and highlighted bars
 * (either may be NULL). */
void export_svg_bar_chart(FILE *out, const char *id, const char *title, const char *unit,
                          const struct export_svg_bar *bars, size_t n, const char *legend_plain,
                          const char *legend_highlight);

struct export_svg_edge {
  size_t from, to; /* indexes of nodes */
  long long count;
};

/* A directed graph of NODES (names, the busiest first) and EDGES between them, each as wide as
 * the log of its count, with a tooltip "from → to: COUNT UNIT". The nodes stand in two columns,
 * their names outward (cut in the middle to fit, whole in the tooltip), so no name covers
 * another however long; arrowheads are one size, their tips at the node they point at.
 * SVG_CLASS: the svg element's class, for the page's style. */
void export_svg_graph(FILE *out, const char *svg_class, const char *aria_label,
                      const char *const *nodes, size_t n_nodes, const struct export_svg_edge *edges,
                      size_t n_edges, const char *unit);

/* The graph's size in its own units (its viewBox), and the most bytes of a node's name shown. */
#define EXPORT_SVG_GRAPH_W 1100.0
#define EXPORT_SVG_GRAPH_NAME_MAX 38

/* The step between axis ticks: 1, 2 or 5 times a power of ten, for about TICKS ticks. */
double export_svg_nice_step(double range, int ticks);

#endif
