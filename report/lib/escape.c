/* Escaping for JSON strings, HTML text and metric label values (escape.h). */
#define _GNU_SOURCE
#include "escape.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "show.h"

void escape_json_chars(FILE *out, const char *text)
{
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    switch (*p) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    default:
      /* U+2028/2029 are legal JSON but end a line in JavaScript: escaped for viewers that
       * evaluate the file. */
      if (*p < 0x20 || *p == 0x7f)
        fprintf(out, "\\u%04x", *p);
      else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
        fprintf(out, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
        p += 2;
      } else
        putc(*p, out);
    }
  }
}

void escape_json_string(FILE *out, const char *text)
{
  putc('"', out);
  escape_json_chars(out, text);
  putc('"', out);
}

void escape_html_text(FILE *out, const char *text)
{
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    switch (*p) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&#39;", out); break;
    default:
      if (*p < 0x20 && *p != '\n' && *p != '\t')
        fputs("\xef\xbf\xbd", out); /* U+FFFD: control characters are not allowed in HTML */
      else
        putc(*p, out);
    }
  }
}

void escape_label_value(FILE *out, const char *text)
{
  for (const char *p = text; *p; p++) {
    if (*p == '\\')
      fputs("\\\\", out);
    else if (*p == '"')
      fputs("\\\"", out);
    else if (*p == '\n')
      fputs("\\n", out);
    else
      putc(*p, out);
  }
}

char *escape_cycle_text(const struct as_rec_cycle *c, const char *arrow)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return NULL;
  for (size_t i = 0; i < c->n_actors; i++)
    fprintf(f, "#%" PRId64 " %s%s", c->actors[i], i < c->n_names ? c->names[i] : "", arrow);
  if (c->n_actors)
    fprintf(f, "#%" PRId64, c->actors[0]);
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

void escape_html_duration(FILE *out, int64_t ns)
{
  char text[SHOW_DURATION_MAX];
  fputs(show_duration(ns, 0, text, sizeof text), out);
}

void escape_html_count(FILE *out, int64_t n)
{
  /* Thin spaces between thousands: 1 234 567. */
  char digits[32];
  int len = snprintf(digits, sizeof digits, "%" PRId64, n);
  for (int i = 0; i < len; i++) {
    if (i && (len - i) % 3 == 0)
      fputs("\xe2\x80\x89", out);
    fputc(digits[i], out);
  }
}
