/* actorscope top: a frame as lines of text, each with one style and an optional styled span.
 * The curses screen and --batch print the same frames: what a test reads is what a user sees. */
#ifndef ACTORSCOPE_TOP_CANVAS_H
#define ACTORSCOPE_TOP_CANVAS_H

#include <stdarg.h>
#include <stddef.h>

enum top_style {
  TOP_STYLE_NORMAL,
  TOP_STYLE_TITLE,    /* the header's first line */
  TOP_STYLE_COLUMNS,  /* the table's column names */
  TOP_STYLE_SELECTED, /* the row under the cursor */
  TOP_STYLE_BANNER,   /* deadlock */
  TOP_STYLE_WARNING,
  TOP_STYLE_DIM, /* stopped actors, hints */
  TOP_STYLE_BUSY,
  TOP_STYLE_STUCK,
  TOP_STYLE_WAITING,
  TOP_STYLE_COUNT
};

struct top_line {
  char *text; /* sanitised UTF-8, at most the canvas width in columns */
  enum top_style style;
  int span_from, span_to; /* columns [from, to) drawn in span_style; from == to: none */
  enum top_style span_style;
};

struct top_canvas {
  int width;
  int ascii; /* only ASCII characters: names' other characters become '?' */
  struct top_line *lines;
  size_t count, capacity;
};

void top_canvas_init(struct top_canvas *c, int width, int ascii);
void top_canvas_clear(struct top_canvas *c);
void top_canvas_free(struct top_canvas *c);
/* Adds a line (cut to the width) and returns it, or NULL when out of memory. */
struct top_line *top_canvas_add(struct top_canvas *c, enum top_style style, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct top_line *top_canvas_addv(struct top_canvas *c, enum top_style style, const char *fmt,
                                 va_list ap);

/* Text from a traced program is hostile: control characters (C0, DEL, C1) become '?', and so
 * does every non-ASCII character when ascii is set. Writes TEXT into OUT (size CAP) cut or
 * padded to exactly WIDTH columns (right-aligned when RIGHT); a cut text ends in '~'.
 * Returns the bytes written (OUT is NUL-terminated). */
size_t top_text_fit(char *out, size_t cap, const char *text, int width, int right, int ascii);
/* Like top_text_fit (left-aligned) but a name too long for WIDTH loses its middle, marked by
 * "\u2026" ('~' when ascii): the end tells names apart. HEAD < 0: a qualified name keeps its
 * first part and whole "::part"s from its end ("broker::\u2026::master_actor"), any other only
 * its end; HEAD >= 0: exactly HEAD columns of its start, then as much of its end as fits. */
size_t top_text_fit_cut(char *out, size_t cap, const char *text, int width, int head, int ascii);
/* Columns TEXT takes on a terminal (wcwidth; what top_text_fit would print as '?' takes one). */
int top_text_width(const char *text);

#endif
