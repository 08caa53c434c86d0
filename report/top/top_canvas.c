/* actorscope top: lines of a frame, and fitting hostile text into columns. */
#define _GNU_SOURCE
#include "top_canvas.h"

#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

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

/* Columns a code point takes on a terminal, by the C library's UTF-8 tables whatever the
 * user's locale (batch output and golden frames must not depend on it). */
static int text_cp_width(uint32_t cp)
{
  static locale_t utf8;
  static int tried;
  if (!tried) {
    tried = 1;
    utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  }
  if (!utf8)
    return 1;
  locale_t old = uselocale(utf8);
  int w = wcwidth((wchar_t)cp);
  uselocale(old);
  return w;
}

/* Reads one character of TEXT at *P (advancing it); writes its sanitised form to OUT when OUT
 * is not NULL; returns the bytes it takes in OUT and sets *COLS to its columns. */
static size_t text_char(char *out, const unsigned char **p, int ascii, int *cols)
{
  const unsigned char *s = *p;
  size_t len = text_seq_len(*s);
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xc0) != 0x80) {
      len = 1;
      break;
    }
  *p = s + len;
  *cols = 1;
  int c1 = len == 2 && s[0] == 0xc2 && s[1] < 0xa0; /* U+0080..U+009F */
  /* Zero-width and direction controls (U+200B..U+200F, U+2028..U+202E, U+2066..U+2069) would
   * reorder or hide the columns around a name. */
  int format =
      len == 3 && s[0] == 0xe2 &&
      ((s[1] == 0x80 && ((s[2] >= 0x8b && s[2] <= 0x8f) || (s[2] >= 0xa8 && s[2] <= 0xae))) ||
       (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9));
  if (ascii && len == 2 && s[0] == 0xc2 && s[1] == 0xb5) { /* µ, as in "µs" */
    if (out)
      out[0] = 'u';
    return 1;
  }
  int bad =
      *s < 0x20 || *s == 0x7f || c1 || format || (len == 1 && *s >= 0x80) || (ascii && len > 1);
  if (!bad && len > 1) {
    uint32_t cp = len == 2 ? (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f)
                  : len == 3
                      ? (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f)
                      : (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
                            (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
    *cols = text_cp_width(cp);
    /* Unassigned or not printable; zero-width ones too: a name of a thousand combining marks
     * would take no column and overflow every fitted cell. */
    bad = *cols <= 0;
  }
  if (bad) {
    *cols = 1;
    if (out)
      out[0] = '?';
    return 1;
  }
  if (out)
    memcpy(out, s, len);
  return len;
}

/* Columns of the first BYTES bytes of TEXT (all of it when BYTES is SIZE_MAX). */
static int text_cols(const char *text, size_t bytes, int ascii)
{
  int n = 0, cols;
  const unsigned char *p = (const unsigned char *)text;
  const unsigned char *end = p + (bytes == SIZE_MAX ? strlen(text) : strnlen(text, bytes));
  while (p < end) {
    text_char(NULL, &p, ascii, &cols);
    n += cols;
  }
  return n;
}

int top_text_width(const char *text) { return text_cols(text, SIZE_MAX, 0); }

/* Bytes of the longest start of TEXT that takes at most COLS columns. */
static size_t text_head(const char *text, int cols, int ascii)
{
  const unsigned char *p = (const unsigned char *)text;
  while (*p) {
    const unsigned char *next = p;
    int w;
    text_char(NULL, &next, ascii, &w);
    if (w > cols)
      break;
    cols -= w;
    p = next;
  }
  return (size_t)(p - (const unsigned char *)text);
}

/* The first character of TEXT from which the rest takes at most COLS columns. */
static const char *text_tail(const char *text, int cols, int ascii)
{
  const unsigned char *p = (const unsigned char *)text;
  int left = text_cols(text, SIZE_MAX, ascii), w;
  while (*p && left > cols) {
    text_char(NULL, &p, ascii, &w);
    left -= w;
  }
  return (const char *)p;
}

/* Writes the first HEAD bytes of TEXT, MARK and TAIL (sanitised) padded to WIDTH columns;
 * the caller made them fit. */
static size_t text_put(char *out, const char *text, size_t head, const char *mark, const char *tail,
                       int width, int right, int ascii)
{
  int cols = text_cols(text, head, ascii) + text_cols(mark, SIZE_MAX, 0) +
             text_cols(tail, SIZE_MAX, ascii),
      w;
  size_t used = 0;
  for (; right && cols < width; cols++)
    out[used++] = ' ';
  for (const unsigned char *p = (const unsigned char *)text;
       p < (const unsigned char *)text + head;)
    used += text_char(out + used, &p, ascii, &w);
  memcpy(out + used, mark, strlen(mark));
  used += strlen(mark);
  for (const unsigned char *p = (const unsigned char *)tail; *p;)
    used += text_char(out + used, &p, ascii, &w);
  for (; !right && cols < width; cols++)
    out[used++] = ' ';
  out[used] = '\0';
  return used;
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
  if (text_cols(text, SIZE_MAX, ascii) <= width)
    return text_put(out, text, strlen(text), "", "", width, right, ascii);
  if (!width)
    return text_put(out, text, 0, "", "", 0, right, ascii);
  /* The mark every cut shows: "…", or "~" where only ASCII may be drawn. */
  return text_put(out, text, text_head(text, width - 1, ascii), ascii ? "~" : "\u2026", "", width,
                  right, ascii);
}

size_t top_text_fit_cut(char *out, size_t cap, const char *text, int width, int head, int ascii)
{
  if (!text)
    text = "";
  if (cap < (size_t)width * 4 + 4 || width < 2 || text_cols(text, SIZE_MAX, ascii) <= width)
    return top_text_fit(out, cap, text, width, 0, ascii);
  const char *mark = ascii ? "~" : "\u2026";
  size_t head_bytes = 0;
  if (head > 0) {
    head_bytes = text_head(text, head < width - 1 ? head : width - 1, ascii);
  } else if (head < 0) {
    /* A qualified name: its first part, the mark, then whole "::part"s from the end; only
     * the "::" outside template arguments and parentheses part a name. */
    const char *scope[64];
    size_t n = 0;
    int depth = 0;
    for (const char *q = text; *q && n < sizeof scope / sizeof *scope; q++) {
      depth += (*q == '<' || *q == '(') - (*q == '>' || *q == ')');
      if (depth == 0 && q[0] == ':' && q[1] == ':')
        scope[n++] = q++;
    }
    int room = n > 1 ? width - 1 - text_cols(text, (size_t)(scope[0] + 2 - text), ascii) : 0;
    for (size_t k = 1; k < n; k++)
      if (text_cols(scope[k], SIZE_MAX, ascii) <= room)
        return text_put(out, text, (size_t)(scope[0] + 2 - text), mark, scope[k], width, 0, ascii);
    /* No room for the first part: whole parts from the end alone ("…::core_actor", not
     * "…oker::core_actor"). */
    for (size_t k = 0; k < n; k++)
      if (text_cols(scope[k], SIZE_MAX, ascii) <= width - 1)
        return text_put(out, text, 0, mark, scope[k], width, 0, ascii);
  }
  int room = width - 1 - text_cols(text, head_bytes, ascii);
  const char *tail = text_tail(text + head_bytes, room, ascii);
  /* Half a "::" reads as a stray colon ("…:middleman_actor"). */
  if (head < 0 && tail > text && tail[0] == ':' && tail[-1] == ':')
    tail++;
  return text_put(out, text, head_bytes, mark, tail, width, 0, ascii);
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
