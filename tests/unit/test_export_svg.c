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
