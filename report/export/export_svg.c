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

/* ---- text as the page shows it ------------------------------------------------------------ */

/* The bytes of a UTF-8 character led by LEAD, and the range its second byte must be in (no
 * overlong forms, no surrogates, nothing past U+10FFFF); 0 for a byte that leads none. */
static int svg_utf8_length(unsigned char lead, unsigned char *lo, unsigned char *hi)
{
  *lo = 0x80, *hi = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf)
    return 2;
  if (lead >= 0xe0 && lead <= 0xef) {
    if (lead == 0xe0)
      *lo = 0xa0;
    if (lead == 0xed)
      *hi = 0x9f;
    return 3;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    if (lead == 0xf0)
      *lo = 0x90;
    if (lead == 0xf4)
      *hi = 0x8f;
    return 4;
  }
  return 0;
}

/* Characters that show nothing or turn the text around them: C1 controls, zero-width and
 * direction marks, line and paragraph separators, embeddings, overrides and isolates, the BOM. */
static int svg_invisible(unsigned long c)
{
  return (c >= 0x80 && c <= 0x9f) || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
         (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

/* The character at *P as the page shows it, into PIECE; returns its length and moves *P past
 * the character. Escapes as C writes them, in ASCII: a page's fonts may have no control
 * pictures (U+2409 ...; Debian's DejaVu has none, and they showed as empty boxes). */
static size_t svg_shown_char(const unsigned char **p, char piece[12])
{
  unsigned char b = **p, lo, hi;
  if (b < 0x20 || b == 0x7f) {
    (*p)++;
    const char *named = b == '\t' ? "\\t" : b == '\n' ? "\\n" : b == '\r' ? "\\r" : NULL;
    return named ? (size_t)snprintf(piece, 12, "%s", named)
                 : (size_t)snprintf(piece, 12, "\\x%02x", b);
  }
  if (b < 0x80) {
    (*p)++;
    piece[0] = (char)b;
    piece[1] = (char)b; /* a backslash doubled: "\\n" is a backslash and an n, not a newline */
    return b == '\\' ? 2 : 1;
  }
  int n = svg_utf8_length(b, &lo, &hi);
  unsigned long c = n ? b & (0x7f >> n) : 0;
  for (int k = 1; k < n; k++) {
    unsigned char next = (*p)[k];
    if (next < (k == 1 ? lo : 0x80) || next > (k == 1 ? hi : 0xbf)) {
      n = 0;
      break;
    }
    c = c << 6 | (next & 0x3f);
  }
  if (!n) { /* a byte of invalid UTF-8 */
    (*p)++;
    return (size_t)snprintf(piece, 12, "\\x%02x", b);
  }
  *p += n;
  if (svg_invisible(c))
    return (size_t)snprintf(piece, 12, "\\u%04lx", c);
  memcpy(piece, *p - n, (size_t)n);
  return (size_t)n;
}

const char *export_svg_readable(const char *text, char *buf, size_t len)
{
  size_t at = 0;
  char piece[12];
  for (const unsigned char *p = (const unsigned char *)text; *p;) {
    size_t n = svg_shown_char(&p, piece);
    if (at + n >= len)
      break;
    memcpy(buf + at, piece, n);
    at += n;
  }
  if (len)
    buf[at] = '\0';
  return buf;
}

void export_svg_text(FILE *out, const char *text)
{
  char piece[12];
  for (const unsigned char *p = (const unsigned char *)text; *p;) {
    size_t n = svg_shown_char(&p, piece);
    for (size_t k = 0; k < n; k++)
      switch (piece[k]) {
      case '&': fputs("&amp;", out); break;
      case '<': fputs("&lt;", out); break;
      case '>': fputs("&gt;", out); break;
      case '"': fputs("&quot;", out); break;
      case '\'': fputs("&#39;", out); break;
      default: putc(piece[k], out);
      }
  }
}

const char *export_svg_cut(const char *name, size_t max, char *buf, size_t len)
{
  /* Whole before it is cut, however long: its end is kept. An escape is 4 bytes at most a
   * byte ("\xff"). */
  char room[1024];
  size_t need = 4 * strlen(name) + 1;
  char *shown = need <= sizeof room ? room : malloc(need);
  if (!shown)
    return show_name("", max, buf, len);
  show_name(export_svg_readable(name, shown, need), max, buf, len);
  if (shown != room)
    free(shown);
  return buf;
}

/* LABEL (text as shown) cut to MAX bytes with its middle given up, as report cuts names: long
 * namespaced names share their start and differ at their end. */
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
#define GRAPH_HEAD 12.0 /* arrowhead's length and width, in the graph's units */
/* How far an edge across the columns bends aside, as a share of its length (its control point
 * from the line's middle): a lone edge a little; each of a pair's two edges more, on its own
 * side, so that they stand well apart; but less than a row's pitch, or a row's pair crossed the
 * pairs of the rows beside it. */
#define GRAPH_BEND 0.15
#define GRAPH_PAIR_BEND 0.24
#define GRAPH_PAIR_BEND_PITCH 0.6
#define GRAPH_COUNT_H 15.0 /* a count's box: 13 px digits on a halo */

struct graph_point {
  double x, y;
};

/* An edge's line: a cubic Bézier from p[0] to p[3]. */
struct graph_curve {
  struct graph_point p[4];
};

static struct graph_point graph_at(const struct graph_curve *c, double t)
{
  double u = 1 - t, w[4] = {u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t};
  struct graph_point at = {0, 0};
  for (int k = 0; k < 4; k++) {
    at.x += w[k] * c->p[k].x;
    at.y += w[k] * c->p[k].y;
  }
  return at;
}

/* The curve through control point Q from A to B (a quadratic, as a cubic). */
static struct graph_curve graph_quadratic(struct graph_point a, struct graph_point q,
                                          struct graph_point b)
{
  return (struct graph_curve){{a,
                               {a.x + (q.x - a.x) * 2 / 3, a.y + (q.y - a.y) * 2 / 3},
                               {b.x + (q.x - b.x) * 2 / 3, b.y + (q.y - b.y) * 2 / 3},
                               b}};
}

/* The line of an edge from A to B; PAIRED: an edge from B to A is drawn too. PITCH: between
 * rows. */
static struct graph_curve graph_curve_of(struct graph_point a, struct graph_point b, int paired,
                                         double pitch)
{
  double dx = b.x - a.x, dy = b.y - a.y;
  if (dx != 0) {
    /* Across: bent to its left, so that A→B and B→A lie on either side of the line AB. */
    double length = sqrt(dx * dx + dy * dy), k = GRAPH_BEND;
    if (paired)
      k = fmin(GRAPH_PAIR_BEND, GRAPH_PAIR_BEND_PITCH * pitch / length);
    struct graph_point q = {(a.x + b.x) / 2 + dy * k, (a.y + b.y) / 2 - dx * k};
    return graph_quadratic(a, q, b);
  }
  /* Within a column: bowed into the middle, away from the names. */
  double in = a.x < EXPORT_SVG_GRAPH_W / 2 ? 1 : -1, h = fabs(dy), down = dy > 0 ? 1 : -1;
  if (!paired) {
    struct graph_point q = {a.x + in * (30 + 0.45 * h), (a.y + b.y) / 2};
    return graph_quadratic(a, q, b);
  }
  /* A pair: downward shallow, leaving and reaching its dots at 45 degrees; upward deep, leaving
   * and reaching them level, so the two meet each dot far apart (two bows of one shape met it
   * within a few degrees, their heads on top of each other). */
  if (down > 0)
    return (struct graph_curve){
        {a, {a.x + in * 0.35 * h, a.y + 0.35 * h}, {b.x + in * 0.35 * h, b.y - 0.35 * h}, b}};
  double deep = fmin(0.75 * h + 24, 260);
  return (struct graph_curve){
      {a, {a.x + in * deep, a.y + 0.1 * h}, {b.x + in * deep, b.y - 0.1 * h}, b}};
}

/* Moves (*X, *Y) BY units toward (TX, TY). */
static void graph_toward(double *x, double *y, double tx, double ty, double by)
{
  double dx = tx - *x, dy = ty - *y, d = sqrt(dx * dx + dy * dy);
  if (d > by) {
    *x += dx / d * by;
    *y += dy / d * by;
  }
}

static struct graph_point graph_mix(struct graph_point a, struct graph_point b, double t)
{
  return (struct graph_point){a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t};
}

/* C split at T (de Casteljau) into the curve before, *FIRST, and after, *SECOND. */
static void graph_split(const struct graph_curve *c, double t, struct graph_curve *first,
                        struct graph_curve *second)
{
  struct graph_point ab = graph_mix(c->p[0], c->p[1], t), bc = graph_mix(c->p[1], c->p[2], t);
  struct graph_point cd = graph_mix(c->p[2], c->p[3], t);
  struct graph_point abc = graph_mix(ab, bc, t), bcd = graph_mix(bc, cd, t);
  struct graph_point at = graph_mix(abc, bcd, t);
  *first = (struct graph_curve){{c->p[0], ab, abc, at}};
  *second = (struct graph_curve){{at, bcd, cd, c->p[3]}};
}

/* Where an edge's arrowhead and count go: the head on the line, the count beside it. */
struct graph_mark {
  double t;             /* the head's place along the curve */
  struct svg_box head;  /* about where the head is */
  struct svg_box count; /* where the count is */
};

/* A box of W by H centred at (X, Y). */
static struct svg_box graph_box(double x, double y, double w, double h)
{
  return (struct svg_box){x - w / 2, x + w / 2, y - h / 2, y + h / 2};
}

static int graph_box_clear(const struct svg_box *box, const struct graph_mark *placed,
                           size_t n_placed, const double *x, const double *y, size_t n_nodes)
{
  for (size_t p = 0; p < n_placed; p++)
    if (svg_boxes_meet(box, &placed[p].head) || svg_boxes_meet(box, &placed[p].count))
      return 0;
  for (size_t j = 0; j < n_nodes; j++) {
    struct svg_box dot = graph_box(x[j], y[j], 2 * GRAPH_DOT_R + 4, 2 * GRAPH_DOT_R + 4);
    if (svg_boxes_meet(box, &dot))
      return 0;
  }
  return 1;
}

/* The unit tangent of C at T. */
static struct graph_point graph_direction(const struct graph_curve *c, double t)
{
  struct graph_curve before, after;
  graph_split(c, t, &before, &after);
  double tx = after.p[1].x - after.p[0].x, ty = after.p[1].y - after.p[0].y;
  if (t >= 1 || !(tx * tx + ty * ty > 0))
    tx = c->p[3].x - c->p[2].x, ty = c->p[3].y - c->p[2].y;
  double length = sqrt(tx * tx + ty * ty);
  return length > 0 ? (struct graph_point){tx / length, ty / length} : (struct graph_point){1, 0};
}

/* The count of edge C (WIDTH wide) on its line, with its head just before it: "──▶ 81 ──". On
 * the line, a count belongs to no other edge (beside it, it stood as near a neighbour's line),
 * and in the middle, where the two edges of a pair are farthest apart (at the nodes, where every
 * edge of a busy name meets, heads covered one another). Where that is not clear of the heads
 * and counts PLACED so far and of the dots, both move a little toward either end. */
static struct graph_mark graph_mark_place(const struct graph_curve *c, double width,
                                          const struct graph_mark *placed, size_t n_placed,
                                          const double *x, const double *y, size_t n_nodes)
{
  static const double tries[] = {0.55, 0.47, 0.63, 0.39, 0.71, 0.31, 0.79};
  struct graph_mark first = {0};
  for (size_t k = 0; k < sizeof tries / sizeof tries[0]; k++) {
    struct graph_point at = graph_at(c, tries[k]), d = graph_direction(c, tries[k]);
    /* The head's centre this far back along the line: clear of the count's box. */
    double back = GRAPH_HEAD / 2 + 2 + fabs(d.x) * width / 2 + fabs(d.y) * GRAPH_COUNT_H / 2;
    double t = tries[k];
    struct graph_point head = at;
    while (t > 0.02 && hypot(head.x - at.x, head.y - at.y) < back)
      head = graph_at(c, t -= 0.005);
    struct graph_mark mark = {t, graph_box(head.x, head.y, GRAPH_HEAD, GRAPH_HEAD),
                              graph_box(at.x, at.y, width, GRAPH_COUNT_H)};
    if (k == 0)
      first = mark;
    if (graph_box_clear(&mark.head, placed, n_placed, x, y, n_nodes) &&
        graph_box_clear(&mark.count, placed, n_placed, x, y, n_nodes))
      return mark;
  }
  return first;
}

/* A count as the page writes it, thin spaces between thousands (escape_html_count); returns
 * how many characters it shows. */
static size_t graph_count_chars(long long count)
{
  char digits[32];
  size_t n = (size_t)snprintf(digits, sizeof digits, "%lld", count);
  return n + (n - 1) / 3;
}

/* The tooltip of the edge from A to B. */
static void graph_edge_title(FILE *out, const char *a, const char *b, long long count,
                             const char *unit)
{
  fputs("<title>", out);
  export_svg_text(out, a);
  fputs(" \xe2\x86\x92 ", out);
  export_svg_text(out, b);
  fprintf(out, ": %lld ", count);
  export_svg_text(out, unit);
  fputs("</title>", out);
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
  unsigned char *sends = calloc(n_nodes * n_nodes + 1, 1); /* [from * n + to]: an edge */
  struct graph_curve *curves = calloc(n_edges + 1, sizeof *curves);
  struct graph_mark *marks = calloc(n_edges + 1, sizeof *marks);
  if (!x || !y || !sends || !curves || !marks) {
    free(x), free(y), free(sends), free(curves), free(marks);
    return;
  }
  for (size_t j = 0; j < n_nodes; j++) {
    size_t in_column = (n_nodes - j % 2 + 1) / 2;           /* nodes in this one */
    double offset = (double)(rows - in_column) * pitch / 2; /* the shorter column centred */
    x[j] = j % 2 ? EXPORT_SVG_GRAPH_W - GRAPH_COLUMN_X : GRAPH_COLUMN_X;
    y[j] = 40 + offset + (double)(j / 2) * pitch;
  }
  long long top_count = 1;
  for (size_t i = 0; i < n_edges; i++) {
    if (edges[i].count > top_count)
      top_count = edges[i].count;
    if (edges[i].from < n_nodes && edges[i].to < n_nodes)
      sends[edges[i].from * n_nodes + edges[i].to] = 1;
  }
  double top = log((double)top_count + 1);
  /* Each edge's line, its ends just short of the dots, and the places of its head and count;
   * the graph grows to hold the bends. */
  double y_min = 0, y_max = height;
  for (size_t i = 0; i < n_edges; i++) {
    size_t a = edges[i].from, b = edges[i].to;
    if (a >= n_nodes || b >= n_nodes || a == b)
      continue;
    struct graph_curve *c = &curves[i];
    *c = graph_curve_of((struct graph_point){x[a], y[a]}, (struct graph_point){x[b], y[b]},
                        sends[b * n_nodes + a], pitch);
    graph_toward(&c->p[0].x, &c->p[0].y, c->p[1].x, c->p[1].y, GRAPH_DOT_R + 2);
    graph_toward(&c->p[3].x, &c->p[3].y, c->p[2].x, c->p[2].y, GRAPH_DOT_R + 2);
    double width = 7.8 * (double)graph_count_chars(edges[i].count) + 6;
    marks[i] = graph_mark_place(c, width, marks, i, x, y, n_nodes);
    for (int k = 0; k <= 16; k++) {
      struct graph_point at = graph_at(&curves[i], k / 16.0);
      y_min = fmin(y_min, at.y - 4);
      y_max = fmax(y_max, at.y + 4);
    }
    y_min = fmin(y_min, marks[i].count.y0 - 2);
    y_max = fmax(y_max, marks[i].count.y1 + 2);
  }
  fprintf(out,
          "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 %.0f %.0f %.0f\" "
          "role=\"img\" aria-label=\"",
          svg_class, floor(y_min), EXPORT_SVG_GRAPH_W, ceil(y_max) - floor(y_min));
  escape_html_text(out, aria_label);
  /* Heads in the graph's units, not the stroke's: a heavy edge's head is no larger. Centred
   * on the point of the line it marks. */
  fprintf(out,
          "\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"5\" refY=\"5\" "
          "markerUnits=\"userSpaceOnUse\" markerWidth=\"%.0f\" markerHeight=\"%.0f\" "
          "orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#2c4a75\"/></marker></defs>",
          GRAPH_HEAD, GRAPH_HEAD);
  for (size_t i = 0; i < n_edges; i++) {
    size_t a = edges[i].from, b = edges[i].to;
    if (a >= n_nodes || b >= n_nodes || a == b)
      continue;
    double width = 1 + 5 * log((double)edges[i].count + 1) / (top > 0 ? top : 1);
    /* Two pieces, the head on the point between them. */
    struct graph_curve c[2];
    graph_split(&curves[i], marks[i].t, &c[0], &c[1]);
    fprintf(out,
            "<path class=\"edge\" d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f "
            "C%.1f,%.1f %.1f,%.1f %.1f,%.1f\" stroke-width=\"%.2f\" data-count=\"%lld\" "
            "marker-mid=\"url(#arrow)\">",
            c[0].p[0].x, c[0].p[0].y, c[0].p[1].x, c[0].p[1].y, c[0].p[2].x, c[0].p[2].y,
            c[0].p[3].x, c[0].p[3].y, c[1].p[1].x, c[1].p[1].y, c[1].p[2].x, c[1].p[2].y,
            c[1].p[3].x, c[1].p[3].y, width, edges[i].count);
    graph_edge_title(out, nodes[a], nodes[b], edges[i].count, unit);
    fputs("</path>", out);
  }
  /* The counts over every line, so none is hidden by another edge. */
  for (size_t i = 0; i < n_edges; i++) {
    size_t a = edges[i].from, b = edges[i].to;
    if (a >= n_nodes || b >= n_nodes || a == b)
      continue;
    fprintf(out, "<text class=\"edge-count\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            (marks[i].count.x0 + marks[i].count.x1) / 2, marks[i].count.y1 - 3);
    escape_html_count(out, edges[i].count);
    graph_edge_title(out, nodes[a], nodes[b], edges[i].count, unit);
    fputs("</text>", out);
  }
  for (size_t j = 0; j < n_nodes; j++) {
    int left = x[j] < EXPORT_SVG_GRAPH_W / 2;
    fprintf(out,
            "<g class=\"node\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.0f\"/>"
            "<text class=\"node-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">",
            x[j], y[j], GRAPH_DOT_R, x[j] + (left ? -10 : 10), y[j] + 4.5, left ? "end" : "start");
    char cut[256];
    escape_html_text(out, export_svg_cut(nodes[j], EXPORT_SVG_GRAPH_NAME_MAX, cut, sizeof cut));
    fputs("<title>", out);
    export_svg_text(out, nodes[j]);
    fputs("</title></text></g>", out);
  }
  fputs("</svg>", out);
  free(x), free(y), free(sends), free(curves), free(marks);
}
