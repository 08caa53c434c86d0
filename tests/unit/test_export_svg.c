/* The SVG charts of `actorscope export html`, drawn into memory and read back. */
#define _GNU_SOURCE
#include "export_svg.h"

#include <criterion/criterion.h>
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
