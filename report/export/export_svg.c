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
static void svg_number(FILE *out, double v)
{
  double a = fabs(v);
  if (a >= 1e6)
    fprintf(out, "%gM", v / 1e6);
  else if (a >= 1e4)
    fprintf(out, "%gk", v / 1e3);
  else
    fprintf(out, "%g", fabs(v) < 1e-12 ? 0.0 : v);
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

/* LABEL cut to MAX bytes (at a character boundary) with an ellipsis. */
static void svg_text_cut(FILE *out, const char *label, size_t max)
{
  size_t len = strlen(label);
  if (len <= max) {
    escape_html_text(out, label);
    return;
  }
  char cut[128];
  size_t k = max - 3 < sizeof cut - 4 ? max - 3 : sizeof cut - 4;
  while (k > 0 && ((unsigned char)label[k] & 0xc0) == 0x80)
    k--;
  memcpy(cut, label, k);
  strcpy(cut + k, "\xe2\x80\xa6");
  escape_html_text(out, cut);
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
  size_t n_spots = 0;
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
    fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">max ", mx,
            my - 8 - 12.0 * label_row, mx > LEFT + PLOT_W * 0.85 ? "end" : "middle");
    svg_number(out, series[s].mark_y);
    fputs("</text>", out);
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
    escape_html_text(out, bars[i].label);
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
