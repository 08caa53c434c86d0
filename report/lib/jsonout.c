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

/* Where an item goes: after its key, or on a line of its own in the open container. */
static void jsonout_item(struct jsonout *j, const char *key)
{
  if (j->depth) {
    unsigned at = j->depth < JSONOUT_DEPTH_MAX ? j->depth : JSONOUT_DEPTH_MAX - 1;
    if (j->has[at])
      putc(',', j->out);
    j->has[at] = 1;
    jsonout_indent(j, j->depth);
  }
  if (key) {
    escape_json_string(j->out, key);
    fputs(": ", j->out);
  }
}

static void jsonout_open(struct jsonout *j, const char *key, char bracket)
{
  jsonout_item(j, key);
  putc(bracket, j->out);
  j->depth++;
  if (j->depth < JSONOUT_DEPTH_MAX)
    j->has[j->depth] = 0;
}

static void jsonout_close(struct jsonout *j, char bracket)
{
  if (!j->depth)
    return;
  unsigned at = j->depth < JSONOUT_DEPTH_MAX ? j->depth : JSONOUT_DEPTH_MAX - 1;
  j->depth--;
  if (j->has[at])
    jsonout_indent(j, j->depth);
  putc(bracket, j->out);
}

void jsonout_object_begin(struct jsonout *j, const char *key) { jsonout_open(j, key, '{'); }
void jsonout_object_end(struct jsonout *j) { jsonout_close(j, '}'); }
void jsonout_array_begin(struct jsonout *j, const char *key) { jsonout_open(j, key, '['); }
void jsonout_array_end(struct jsonout *j) { jsonout_close(j, ']'); }

void jsonout_str(struct jsonout *j, const char *key, const char *text)
{
  jsonout_item(j, key);
  if (text)
    escape_json_string(j->out, text);
  else
    fputs("null", j->out);
}

void jsonout_int(struct jsonout *j, const char *key, int64_t value)
{
  jsonout_item(j, key);
  fprintf(j->out, "%" PRId64, value);
}

void jsonout_bool(struct jsonout *j, const char *key, int value)
{
  jsonout_item(j, key);
  fputs(value ? "true" : "false", j->out);
}

void jsonout_null(struct jsonout *j, const char *key)
{
  jsonout_item(j, key);
  fputs("null", j->out);
}

/* 17 significant digits read back as the same double; the exponent without '+' or leading
 * zeros ("1e20", "1.5e-7"). */
void jsonout_real(struct jsonout *j, const char *key, double value)
{
  jsonout_item(j, key);
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
  putc('\n', j->out);
  return ferror(j->out) ? -1 : 0;
}
