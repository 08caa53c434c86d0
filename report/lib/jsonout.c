/* Indented JSON, written as it goes (jsonout.h). */
#include "jsonout.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "escape.h"

void jsonout_init(struct jsonout *j, FILE *out)
{
  memset(j, 0, sizeof *j);
  j->out = out;
}

static void jsonout_indent(struct jsonout *j, unsigned depth)
{
  putc('\n', j->out);
  for (unsigned i = 0; i < depth; i++)
    fputs("  ", j->out);
}

/* Where an item goes: after its key, or on a line of its own in the open container. Returns 0,
 * or -1 when nothing may be written. */
static int jsonout_item(struct jsonout *j, const char *key)
{
  if (j->too_deep)
    return -1;
  if (j->depth) {
    uint64_t bit = (uint64_t)1 << (j->depth - 1);
    if (j->has & bit)
      putc(',', j->out);
    j->has |= bit;
    jsonout_indent(j, j->depth);
  }
  if (key) {
    escape_json_string(j->out, key);
    fputs(": ", j->out);
  }
  return 0;
}

static void jsonout_open(struct jsonout *j, const char *key, char bracket)
{
  if (j->depth >= JSONOUT_DEPTH_MAX)
    j->too_deep = 1;
  if (jsonout_item(j, key) < 0)
    return;
  putc(bracket, j->out);
  j->has &= ~((uint64_t)1 << j->depth);
  j->depth++;
}

static void jsonout_close(struct jsonout *j, char bracket)
{
  if (j->too_deep || !j->depth)
    return;
  uint64_t bit = (uint64_t)1 << (j->depth - 1);
  j->depth--;
  if (j->has & bit)
    jsonout_indent(j, j->depth);
  putc(bracket, j->out);
}

void jsonout_object_begin(struct jsonout *j, const char *key) { jsonout_open(j, key, '{'); }
void jsonout_object_end(struct jsonout *j) { jsonout_close(j, '}'); }
void jsonout_array_begin(struct jsonout *j, const char *key) { jsonout_open(j, key, '['); }
void jsonout_array_end(struct jsonout *j) { jsonout_close(j, ']'); }

void jsonout_str(struct jsonout *j, const char *key, const char *text)
{
  if (jsonout_item(j, key) < 0)
    return;
  if (text)
    escape_json_string(j->out, text);
  else
    fputs("null", j->out);
}

void jsonout_int(struct jsonout *j, const char *key, int64_t value)
{
  if (jsonout_item(j, key) == 0)
    fprintf(j->out, "%" PRId64, value);
}

void jsonout_bool(struct jsonout *j, const char *key, int value)
{
  if (jsonout_item(j, key) == 0)
    fputs(value ? "true" : "false", j->out);
}

void jsonout_null(struct jsonout *j, const char *key)
{
  if (jsonout_item(j, key) == 0)
    fputs("null", j->out);
}

/* 17 significant digits read back as the same double; the exponent without '+' or leading
 * zeros ("1e20", "1.5e-7"). */
void jsonout_real(struct jsonout *j, const char *key, double value)
{
  if (jsonout_item(j, key) < 0)
    return;
  if (!isfinite(value)) {
    fputs("null", j->out);
    return;
  }
  char text[48];
  snprintf(text, sizeof text, "%.17g", value);
  char *e = strchr(text, 'e');
  if (e) {
    char *digits = e + 1 + (e[1] == '-' || e[1] == '+'), *from = digits;
    while (*from == '0' && from[1])
      from++;
    char *to = e[1] == '+' ? e + 1 : digits;
    memmove(to, from, strlen(from) + 1);
  } else if (!strchr(text, '.')) {
    strcat(text, ".0");
  }
  fputs(text, j->out);
}

int jsonout_finish(struct jsonout *j)
{
  if (!j->too_deep)
    putc('\n', j->out);
  return j->too_deep || fflush(j->out) != 0 || ferror(j->out) ? -1 : 0;
}
