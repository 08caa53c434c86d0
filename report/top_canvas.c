/* actorscope top: lines of a frame, and fitting hostile text into columns. */
#define _GNU_SOURCE
#include "top_canvas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void top_canvas_init(struct top_canvas *c, int width, int ascii)
{
  memset(c, 0, sizeof *c);
  c->width = width < 1 ? 1 : width;
  c->ascii = ascii;
}

void top_canvas_clear(struct top_canvas *c)
{
  for (size_t i = 0; i < c->count; i++)
    free(c->lines[i].text);
  c->count = 0;
}

void top_canvas_free(struct top_canvas *c)
{
  top_canvas_clear(c);
  free(c->lines);
  c->lines = NULL;
  c->capacity = 0;
}

/* The length of the UTF-8 sequence starting with byte B (1 for a stray byte). */
static size_t text_seq_len(unsigned char b)
{
  if (b >= 0xf0 && b < 0xf8)
    return 4;
  if (b >= 0xe0)
    return b < 0xf0 ? 3 : 1;
  if (b >= 0xc0)
    return 2;
  return 1;
}

int top_text_width(const char *text)
{
  int n = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p;) {
    size_t len = text_seq_len(*p);
    for (size_t i = 1; i < len; i++)
      if (!p[i]) {
        len = i;
        break;
      }
    p += len;
    n++;
  }
  return n;
}

/* Appends one character of TEXT at *P to OUT (sanitised); returns bytes appended. */
static size_t text_put_char(char *out, const unsigned char **p, int ascii)
{
  const unsigned char *s = *p;
  size_t len = text_seq_len(*s);
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xc0) != 0x80) {
      len = 1;
      break;
    }
  *p = s + len;
  int c1 = len == 2 && s[0] == 0xc2 && s[1] < 0xa0; /* U+0080..U+009F */
  /* Zero-width and direction controls (U+200B..U+200F, U+2028..U+202E, U+2066..U+2069) would
   * reorder or hide the columns around a name. */
  int format = len == 3 && s[0] == 0xe2 &&
               ((s[1] == 0x80 && ((s[2] >= 0x8b && s[2] <= 0x8f) || (s[2] >= 0xa8 && s[2] <= 0xae))) ||
                (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9));
  if (ascii && len == 2 && s[0] == 0xc2 && s[1] == 0xb5) { /* µ, as in "µs" */
    out[0] = 'u';
    return 1;
  }
  if (*s < 0x20 || *s == 0x7f || c1 || format || (len == 1 && *s >= 0x80) || (ascii && len > 1)) {
    out[0] = '?';
    return 1;
  }
  memcpy(out, s, len);
  return len;
}

size_t top_text_fit(char *out, size_t cap, const char *text, int width, int right, int ascii)
{
  if (cap < (size_t)width * 4 + 1 || width < 0) {
    if (cap)
      out[0] = '\0';
    return 0;
  }
  if (!text)
    text = "";
  int total = top_text_width(text);
  int take = total > width ? width - 1 : total;
  size_t used = 0;
  if (right && total < width) {
    memset(out, ' ', (size_t)(width - total));
    used = (size_t)(width - total);
  }
  const unsigned char *p = (const unsigned char *)text;
  for (int i = 0; i < take && *p; i++)
    used += text_put_char(out + used, &p, ascii);
  if (total > width && width > 0)
    out[used++] = '~';
  if (!right)
    for (int i = total; i < width; i++)
      out[used++] = ' ';
  out[used] = '\0';
  return used;
}

struct top_line *top_canvas_addv(struct top_canvas *c, enum top_style style, const char *fmt,
                                 va_list ap)
{
  if (c->count == c->capacity) {
    size_t cap = c->capacity ? c->capacity * 2 : 64;
    struct top_line *lines = realloc(c->lines, cap * sizeof *lines);
    if (!lines)
      return NULL;
    c->lines = lines;
    c->capacity = cap;
  }
  char *raw = NULL;
  if (vasprintf(&raw, fmt, ap) < 0)
    return NULL;
  /* Cut to the width, then drop the padding: batch output has no trailing blanks. */
  size_t cap = (size_t)c->width * 4 + 1;
  char *text = malloc(cap);
  if (!text) {
    free(raw);
    return NULL;
  }
  int width = top_text_width(raw) < c->width ? top_text_width(raw) : c->width;
  size_t len = top_text_fit(text, cap, raw, width, 0, c->ascii);
  while (len > 0 && text[len - 1] == ' ')
    text[--len] = '\0';
  free(raw);
  struct top_line *line = &c->lines[c->count++];
  *line = (struct top_line){.text = text, .style = style};
  return line;
}

struct top_line *top_canvas_add(struct top_canvas *c, enum top_style style, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  struct top_line *line = top_canvas_addv(c, style, fmt, ap);
  va_end(ap);
  return line;
}
