/* Inline SVG line and bar charts (export_svg.h). */
#include "export_svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "show.h"

#define W 720.0
#define H 260.0
#define LEFT 64.0
#define RIGHT 16.0
#define TOP 34.0
#define BOTTOM 44.0
#define PLOT_W (W - LEFT - RIGHT)
#define PLOT_H (H - TOP - BOTTOM)
#define SVG_SPOTS_MAX 16 /* places where maxima are marked, told apart in one chart */

static const char *const palette[] = {"#2f6db5", "#e8762b", "#2e9e6a", "#c8423b",
                                      "#8a5cc2", "#9a7b2f", "#d45fa6", "#5f6b7a"};
#define PALETTE_N (sizeof palette / sizeof palette[0])

double export_svg_nice_step(double range, int ticks)
{
  if (!(range > 0) || !isfinite(range))
    return 1;
  double raw = range / ticks;
  double power = pow(10, floor(log10(raw)));
  double f = raw / power;
  double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * power;
}

/* A tick label: integers plainly, else up to 3 significant decimals; k/M for thousands. */
static void svg_number_text(char *buf, size_t len, double v)
{
  double a = fabs(v);
  if (a >= 1e6)
    snprintf(buf, len, "%gM", v / 1e6);
  else if (a >= 1e4)
    snprintf(buf, len, "%gk", v / 1e3);
  else
    snprintf(buf, len, "%g", fabs(v) < 1e-12 ? 0.0 : v);
}

static void svg_number(FILE *out, double v)
{
  char text[32];
  svg_number_text(text, sizeof text, v);
  fputs(text, out);
}

/* Where a label's glyphs are, about: tick-sized text is ~6.5 units a character, 11 high. */
struct svg_box {
  double x0, x1, y0, y1;
};

static int svg_boxes_meet(const struct svg_box *a, const struct svg_box *b)
{
  return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* TEXT (the value of a maximum marked at MX, MY) at its first place that clears the labels
 * PLACED so far, the y axis's numbers and the title: centred over the mark with its baseline at
 * Y, else beside it, below it, or stacked higher. Values of maxima reached close together each
 * stay readable, and near their own mark. */
static void svg_place_label(FILE *out, struct svg_box *placed, size_t *n_placed, double mx,
                            double my, double y, const char *text)
{
  double width = 6.5 * (double)strlen(text) + 4;
  struct {
    double x0, base;
  } const tries[] = {
      {mx - width / 2, y},       {mx + 8, my + 4},         {mx - width / 2, my + 19},
      {mx - 8 - width, my + 4},  {mx - width / 2, y - 13}, {mx - width / 2, y - 26},
      {mx - width / 2, my + 32}, {mx - width / 2, y - 39}, {mx - width / 2, my + 45},
  };
  struct svg_box box = {0};
  for (size_t k = 0; k < sizeof tries / sizeof tries[0]; k++) {
    double x0 = fmin(fmax(tries[k].x0, LEFT + 4), LEFT + PLOT_W - width);
    struct svg_box at = {x0, x0 + width, tries[k].base - 11, tries[k].base + 2};
    if (k == 0)
      box = at; /* where it goes when nothing is clear */
    int clear = at.y0 >= TOP && at.y1 <= TOP + PLOT_H;
    for (size_t p = 0; clear && p < *n_placed; p++)
      clear = !svg_boxes_meet(&at, &placed[p]);
    if (clear) {
      box = at;
      break;
    }
  }
  if (*n_placed < SVG_SPOTS_MAX)
    placed[(*n_placed)++] = box;
  fprintf(out, "<text class=\"tick mark-label\" x=\"%.1f\" y=\"%.1f\">", box.x0 + 2, box.y1 - 2);
  escape_html_text(out, text);
  fputs("</text>", out);
}

static void svg_open(FILE *out, const char *id, const char *title, double height)
{
  fprintf(out,
          "<figure class=\"plot\" data-plot=\"%s\"><svg xmlns=\"http://www.w3.org/2000/svg\" "
          "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"",
          id, W, height);
  escape_html_text(out, title);
  fputs("\"><title>", out);
  escape_html_text(out, title);
  fprintf(out, "</title><text class=\"plot-title\" x=\"%.0f\" y=\"20\">", LEFT);
  escape_html_text(out, title);
  fputs("</text>", out);
}

static void svg_close(FILE *out) { fputs("</svg></figure>\n", out); }

/* LABEL cut to MAX bytes with its middle given up, as report cuts names: long namespaced names
 * share their start and differ at their end. */
static void svg_text_cut(FILE *out, const char *label, size_t max)
{
  char cut[256];
  escape_html_text(out, show_name(label, max, cut, sizeof cut));
}

static void svg_legend(FILE *out, double x, double y, const char *color, const char *label)
{
  fprintf(out,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" rx=\"2\" fill=\"%s\"/>"
          "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">",
          x, y - 10, color, x + 16, y);
  svg_text_cut(out, label, 46);
  fputs("<title>", out);
  escape_html_text(out, label);
  fputs("</title></text>", out);
}

static void svg_empty(FILE *out, double height)
{
  fprintf(out,
          "<text class=\"empty\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">no data in "
          "this run</text>",
          W / 2, height / 2);
}

void export_svg_line_chart(FILE *out, const char *id, const char *title, const char *x_label,
                           const char *y_unit, const struct export_svg_series *series,
                           size_t n_series, double x_from, double x_to)
{
  double x_min = x_from, x_max = x_to, y_max = 0;
  size_t points = 0;
  for (size_t s = 0; s < n_series; s++)
    for (size_t i = 0; i < series[s].n; i++) {
      x_min = fmin(x_min, series[s].x[i]);
      x_max = fmax(x_max, series[s].x[i]);
      y_max = fmax(y_max, series[s].y[i]);
      points++;
    }
  for (size_t s = 0; s < n_series; s++)
    if (series[s].has_mark) {
      x_min = fmin(x_min, series[s].mark_x);
      x_max = fmax(x_max, series[s].mark_x);
      y_max = fmax(y_max, series[s].mark_y);
    }
  double legend_rows = n_series > 1 ? (double)((n_series + 1) / 2) : 0;
  double height = H + legend_rows * 18;
  svg_open(out, id, title, height);
  if (!points) {
    svg_empty(out, height);
    svg_close(out);
    return;
  }
  if (x_max <= x_min)
    x_max = x_min + 1;
  double y_step = export_svg_nice_step(y_max > 0 ? y_max : 1, 4);
  /* Counts of things: no half actors on the axis. */
  if (y_max >= 1 && y_step < 1)
    y_step = 1;
  double y_top = ceil((y_max > 0 ? y_max : 1) / y_step) * y_step;
  /* A diamond at the very top would have its "max" label over the chart's title: one more step
   * of headroom (a deepest mailbox of 1 on an axis that ends at 1). */
  for (size_t s = 0; s < n_series; s++)
    if (series[s].has_mark && series[s].mark_y / y_top * PLOT_H > PLOT_H - 20) {
      y_top += y_step;
      break;
    }
  double x_step = export_svg_nice_step(x_max - x_min, 6);
  /* Ticks in the unit the axis's largest time reads best in: "200 ms", not "0.2 s". */
  struct show_unit x_unit = show_duration_unit((int64_t)(fmax(fabs(x_min), fabs(x_max)) * 1e9));
  double x_scale = 1e9 / (double)x_unit.ns;
  /* Grid and y ticks. */
  for (double v = 0; v <= y_top + y_step / 2; v += y_step) {
    double y = TOP + PLOT_H - v / y_top * PLOT_H;
    fprintf(out, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", LEFT,
            LEFT + PLOT_W, y, y);
    fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", LEFT - 6,
            y + 4);
    svg_number(out, v);
    fputs("</text>", out);
  }
  for (double v = ceil(x_min / x_step) * x_step; v <= x_max + x_step * 1e-9; v += x_step) {
    double x = LEFT + (v - x_min) / (x_max - x_min) * PLOT_W;
    fprintf(out, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x,
            TOP + PLOT_H, TOP + PLOT_H + 4);
    fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x,
            TOP + PLOT_H + 16);
    svg_number(out, v * x_scale);
    fputs("</text>", out);
  }
  fprintf(out, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", LEFT,
          LEFT + PLOT_W, TOP + PLOT_H, TOP + PLOT_H);
  fprintf(out, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", LEFT, LEFT,
          TOP, TOP + PLOT_H);
  fprintf(out, "<text class=\"unit\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
          LEFT + PLOT_W / 2, TOP + PLOT_H + 34);
  escape_html_text(out, x_unit.name);
  fputc(' ', out);
  escape_html_text(out, x_label);
  fprintf(out,
          "</text><text class=\"unit\" transform=\"translate(14 %.1f) rotate(-90)\" "
          "text-anchor=\"middle\">",
          TOP + PLOT_H / 2);
  escape_html_text(out, y_unit);
  fputs("</text>", out);
  /* One polyline per series; points that share a pixel column keep their largest value. */
  for (size_t s = 0; s < n_series; s++) {
    const char *color = palette[s % PALETTE_N];
    fprintf(out,
            "<polyline class=\"series\" data-series=\"%zu\" fill=\"none\" stroke=\"%s\" "
            "stroke-width=\"2\" stroke-linejoin=\"round\" points=\"",
            s, color);
    long column = -1;
    double best = 0, best_x = 0;
    for (size_t i = 0; i <= series[s].n; i++) {
      long c = i < series[s].n ? (long)((series[s].x[i] - x_min) / (x_max - x_min) * PLOT_W) : -2;
      if (c != column && column != -1)
        fprintf(out, "%.1f,%.1f ", LEFT + best_x, TOP + PLOT_H - best / y_top * PLOT_H);
      if (i == series[s].n)
        break;
      if (c != column) {
        column = c;
        best = series[s].y[i];
        best_x = (series[s].x[i] - x_min) / (x_max - x_min) * PLOT_W;
      } else if (series[s].y[i] > best) {
        best = series[s].y[i];
      }
    }
    fputs("\"/>", out);
    if (series[s].n == 1)
      fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
              LEFT + (series[s].x[0] - x_min) / (x_max - x_min) * PLOT_W,
              TOP + PLOT_H - series[s].y[0] / y_top * PLOT_H, color);
  }
  /* Exact maxima: a diamond where the samples may show less, with its value. Diamonds that
   * would cover one another (several actors reaching a maximum at one moment) stand side by
   * side, and one value is labelled once. */
  struct {
    double x, y, value;
    int diamonds, labels;
  } spots[SVG_SPOTS_MAX];
  size_t n_spots = 0, n_placed = 0;
  struct svg_box placed[SVG_SPOTS_MAX];
  for (size_t s = 0; s < n_series; s++) {
    if (!series[s].has_mark)
      continue;
    double mx = LEFT + (series[s].mark_x - x_min) / (x_max - x_min) * PLOT_W;
    double my = TOP + PLOT_H - series[s].mark_y / y_top * PLOT_H;
    size_t at = 0;
    while (at < n_spots && (fabs(spots[at].x - mx) >= 12 || fabs(spots[at].y - my) >= 12))
      at++;
    int label = 1, label_row = 0;
    double dx = 0;
    if (at < n_spots) {
      dx = 11.0 * spots[at].diamonds++;
      label = spots[at].value != series[s].mark_y;
      label_row = label ? spots[at].labels++ : 0;
    } else if (n_spots < SVG_SPOTS_MAX) {
      spots[n_spots++] = (__typeof__(spots[0])){mx, my, series[s].mark_y, 1, 1};
    }
    fprintf(out,
            "<path class=\"mark\" data-mark=\"%zu\" d=\"M%.1f %.1fl5 5l-5 5l-5 -5z\" "
            "fill=\"%s\" stroke=\"#fff\"><title>exact maximum: %g</title></path>",
            s, mx + dx, my - 5, palette[s % PALETTE_N], series[s].mark_y);
    if (!label)
      continue;
    char text[48];
    snprintf(text, sizeof text, "max ");
    svg_number_text(text + 4, sizeof text - 4, series[s].mark_y);
    svg_place_label(out, placed, &n_placed, mx + dx, my, my - 8 - 12.0 * label_row, text);
  }
  if (n_series > 1)
    for (size_t s = 0; s < n_series; s++)
      svg_legend(out, LEFT + (double)(s % 2) * 330, H + (double)(s / 2) * 18 + 4,
                 palette[s % PALETTE_N], series[s].label);
  svg_close(out);
}

void export_svg_bar_chart(FILE *out, const char *id, const char *title, const char *unit,
                          const struct export_svg_bar *bars, size_t n, const char *legend_plain,
                          const char *legend_highlight)
{
  const double row = 24, label_w = 250;
  double height = TOP + (double)(n ? n : 3) * row + 64;
  svg_open(out, id, title, height);
  if (!n) {
    svg_empty(out, height);
    svg_close(out);
    return;
  }
  double max = 0;
  for (size_t i = 0; i < n; i++)
    max = fmax(max, bars[i].value);
  double step = export_svg_nice_step(max > 0 ? max : 1, 5);
  double top = ceil((max > 0 ? max : 1) / step) * step;
  double x0 = label_w, width = W - label_w - RIGHT - 50;
  double bottom = TOP + (double)n * row;
  for (double v = 0; v <= top + step / 2; v += step) {
    double x = x0 + v / top * width;
    fprintf(out, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x, x,
            TOP, bottom);
    fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x,
            bottom + 16);
    svg_number(out, v);
    fputs("</text>", out);
  }
  for (size_t i = 0; i < n; i++) {
    double y = TOP + (double)i * row;
    double w = bars[i].value / top * width;
    fprintf(out, "<text class=\"bar-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 8,
            y + 16);
    /* Long names are cut for the axis; the full one is the tooltip. */
    svg_text_cut(out, bars[i].label, 36);
    fprintf(out,
            "</text><rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "rx=\"2\" fill=\"%s\"><title>",
            x0, y + 4, w > 1 ? w : 1, row - 8, palette[bars[i].highlight ? 3 : 0]);
    escape_html_text(out, bars[i].tip ? bars[i].tip : bars[i].label);
    char value[64];
    if (bars[i].text)
      snprintf(value, sizeof value, "%s", bars[i].text);
    else
      snprintf(value, sizeof value, "%.3g %s", bars[i].value, unit);
    fputs(": ", out);
    escape_html_text(out, value);
    fprintf(out, "</title></rect><text class=\"bar-value\" x=\"%.1f\" y=\"%.1f\">",
            x0 + (w > 1 ? w : 1) + 6, y + 16);
    escape_html_text(out, value);
    fputs("</text>", out);
  }
  fprintf(out, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", x0, x0,
          TOP, bottom);
  fprintf(out, "<text class=\"unit\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x0 + width / 2,
          bottom + 34);
  escape_html_text(out, unit);
  fputs("</text>", out);
  double lx = x0;
  if (legend_plain) {
    svg_legend(out, lx, bottom + 50, palette[0], legend_plain);
    lx += 200;
  }
  if (legend_highlight)
    svg_legend(out, lx, bottom + 50, palette[3], legend_highlight);
  svg_close(out);
}

/* ---- graph --------------------------------------------------------------------------------- */

#define GRAPH_COLUMN_X 345.0 /* the left column; the right one mirrors it */
#define GRAPH_DOT_R 5.0
#define GRAPH_HEAD 10.0 /* arrowhead's length and width, in the graph's units */

/* Moves (*X, *Y) BY units toward (TX, TY). */
static void graph_toward(double *x, double *y, double tx, double ty, double by)
{
  double dx = tx - *x, dy = ty - *y, d = sqrt(dx * dx + dy * dy);
  if (d > by) {
    *x += dx / d * by;
    *y += dy / d * by;
  }
}

void export_svg_graph(FILE *out, const char *svg_class, const char *aria_label,
                      const char *const *nodes, size_t n_nodes, const struct export_svg_edge *edges,
                      size_t n_edges, const char *unit)
{
  /* Nodes alternate between the columns, so the busiest pair faces across the middle; a column's
   * rows are a line of text apart at least, and farther when few. */
  size_t rows = (n_nodes + 1) / 2;
  double pitch = fmin(90, fmax(42, 300 / (double)(rows ? rows : 1)));
  double height = 40 + (double)(rows ? rows - 1 : 0) * pitch + 20;
  double *x = calloc(n_nodes + 1, sizeof *x), *y = calloc(n_nodes + 1, sizeof *y);
  if (!x || !y) {
    free(x), free(y);
    return;
  }
  for (size_t j = 0; j < n_nodes; j++) {
    size_t in_column = (n_nodes - j % 2 + 1) / 2;           /* nodes in this one */
    double offset = (double)(rows - in_column) * pitch / 2; /* the shorter column centred */
    x[j] = j % 2 ? EXPORT_SVG_GRAPH_W - GRAPH_COLUMN_X : GRAPH_COLUMN_X;
    y[j] = 40 + offset + (double)(j / 2) * pitch;
  }
  long long top_count = 1;
  for (size_t i = 0; i < n_edges; i++)
    if (edges[i].count > top_count)
      top_count = edges[i].count;
  double top = log((double)top_count + 1);
  fprintf(out,
          "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
          "role=\"img\" aria-label=\"",
          svg_class, EXPORT_SVG_GRAPH_W, height);
  escape_html_text(out, aria_label);
  /* Heads in the graph's units, not the stroke's: a heavy edge's head is no larger. */
  fprintf(out,
          "\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"0\" refY=\"5\" "
          "markerUnits=\"userSpaceOnUse\" markerWidth=\"%.0f\" markerHeight=\"%.0f\" "
          "orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#4a6fa5\"/></marker></defs>",
          GRAPH_HEAD, GRAPH_HEAD);
  for (size_t i = 0; i < n_edges; i++) {
    size_t a = edges[i].from, b = edges[i].to;
    if (a >= n_nodes || b >= n_nodes || a == b)
      continue;
    double mx, my;
    if (x[a] != x[b]) {
      /* Across: bent to one side, so that A→B and B→A are two edges. */
      mx = (x[a] + x[b]) / 2 + (y[b] - y[a]) * 0.15;
      my = (y[a] + y[b]) / 2 - (x[b] - x[a]) * 0.15;
    } else {
      /* Within a column: bowed into the middle, away from the names, B→A farther than A→B. */
      double inward = x[a] < EXPORT_SVG_GRAPH_W / 2 ? 1 : -1;
      mx = x[a] + inward * (30 + 0.45 * fabs(y[b] - y[a]) + (y[a] < y[b] ? 0 : 30));
      my = (y[a] + y[b]) / 2;
    }
    double width = 1 + 5 * log((double)edges[i].count + 1) / (top > 0 ? top : 1);
    /* The line ends where the head starts; the head's tip just short of the dot. */
    double sx = x[a], sy = y[a], ex = x[b], ey = y[b];
    graph_toward(&sx, &sy, mx, my, GRAPH_DOT_R + 2);
    graph_toward(&ex, &ey, mx, my, GRAPH_DOT_R + 2 + GRAPH_HEAD);
    fprintf(out,
            "<path class=\"edge\" d=\"M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f\" stroke-width=\"%.2f\" "
            "data-count=\"%lld\" marker-end=\"url(#arrow)\"><title>",
            sx, sy, mx, my, ex, ey, width, edges[i].count);
    escape_html_text(out, nodes[a]);
    fputs(" \xe2\x86\x92 ", out);
    escape_html_text(out, nodes[b]);
    fprintf(out, ": %lld ", edges[i].count);
    escape_html_text(out, unit);
    fputs("</title></path>", out);
  }
  for (size_t j = 0; j < n_nodes; j++) {
    int left = x[j] < EXPORT_SVG_GRAPH_W / 2;
    fprintf(out,
            "<g class=\"node\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.0f\"/>"
            "<text class=\"node-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">",
            x[j], y[j], GRAPH_DOT_R, x[j] + (left ? -10 : 10), y[j] + 4.5, left ? "end" : "start");
    svg_text_cut(out, nodes[j], EXPORT_SVG_GRAPH_NAME_MAX);
    fputs("<title>", out);
    escape_html_text(out, nodes[j]);
    fputs("</title></text></g>", out);
  }
  fputs("</svg>", out);
  free(x), free(y);
}
