/* Plots as inline SVG for the HTML export: line charts over time and horizontal bar charts,
 * with axes, tick labels, units and a legend, in fixed colours that print and read well, and
 * the graph of messages between names. No script, no font files: the page's own font is used.
 * Also the page's text as it shows it (export_svg_text), in the plots and around them alike. */
#ifndef ACTORSCOPE_EXPORT_SVG_H
#define ACTORSCOPE_EXPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

/* The charts' titles, labels, legends and tooltips are text as the page shows it (of
 * export_svg_readable, for a name), written with only markup escaped; the graph's are names as
 * the program gave them. */

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
 * the log of its count, its count written on it (class edge-count), with a tooltip "from → to:
 * COUNT UNIT". The nodes stand in two columns, their names outward (cut in the middle to fit,
 * whole in the tooltip), so no name covers another however long; arrowheads are one size,
 * their tips at the node they point at. The two edges of a pair that talks both ways are two
 * curves well apart, each with its own count and arrowhead: across the columns on either side
 * of the line between the nodes, within a column one shallow and one deep, meeting each dot
 * at angles far apart. SVG_CLASS: the svg element's class, for the page's style. */
void export_svg_graph(FILE *out, const char *svg_class, const char *aria_label,
                      const char *const *nodes, size_t n_nodes, const struct export_svg_edge *edges,
                      size_t n_edges, const char *unit);

/* The graph's size in its own units (its viewBox), and the most bytes of a node's name shown. */
#define EXPORT_SVG_GRAPH_W 1100.0
#define EXPORT_SVG_GRAPH_NAME_MAX 38

/* Text as the page shows it. A name may hold any byte a program gave it: each control character
 * reads as C escapes it ("\t", "\n", "\r", "\x1b"), a character that is invisible or turns
 * the text's direction (U+2028, U+202E, U+200B ...) as "\u202e", a byte of invalid UTF-8 as
 * "\xff", and so a backslash as "\\". So a name reads as what it holds, in any font, as C would
 * write it, and no name breaks a line, hides, or
 * reorders the text around it (a tab or a newline read as a space, a control character as
 * nothing or a box). export_svg_readable writes it into BUF (LEN bytes, cut at a character)
 * and returns BUF; export_svg_text writes it as HTML or SVG text (& < > " ' as references). */
const char *export_svg_readable(const char *text, char *buf, size_t len);
void export_svg_text(FILE *out, const char *text);
/* NAME readable and, past MAX bytes, cut in its middle (show_name), into BUF of LEN bytes. */
const char *export_svg_cut(const char *name, size_t max, char *buf, size_t len);

/* The step between axis ticks: 1, 2 or 5 times a power of ten, for about TICKS ticks. */
double export_svg_nice_step(double range, int ticks);

#endif
