/* Token boundaries of a JSON line (reader_lex.h). */
#define _GNU_SOURCE
#include "reader_lex.h"

#include <string.h>

enum { LEX_OUT, LEX_STRING, LEX_ESCAPE, LEX_WORD };

void reader_lex_reset(struct reader_lex *lx)
{
  memset(lx, 0, sizeof *lx);
  lx->token_start = SIZE_MAX;
}

int reader_lex_in_string(const struct reader_lex *lx) { return lx->state != LEX_WORD; }

static int lex_in_object(const struct reader_lex *lx)
{
  unsigned d = lx->depth - 1;
  return lx->depth && d < READER_LEX_DEPTH && (lx->is_object[d / 64] >> (d % 64) & 1);
}

static void lex_open(struct reader_lex *lx, int object)
{
  unsigned d = lx->depth++;
  if (d < READER_LEX_DEPTH) {
    if (object)
      lx->is_object[d / 64] |= (uint64_t)1 << (d % 64);
    else
      lx->is_object[d / 64] &= ~((uint64_t)1 << (d % 64));
  }
}

/* Inside a string from i: the offset after its closing quote, or len (still inside). Each byte
 * is looked at a bounded number of times, however many escapes the string has. */
static size_t lex_string(struct reader_lex *lx, const unsigned char *p, size_t i, size_t len)
{
  size_t quote = 0;
  int have_quote = 0;
  while (i < len) {
    if (lx->state == LEX_ESCAPE) {
      lx->state = LEX_STRING;
      i++;
      continue;
    }
    if (!have_quote || quote < i) {
      const unsigned char *q = memchr(p + i, '"', len - i);
      quote = q ? (size_t)(q - p) : len;
      have_quote = 1;
    }
    const unsigned char *backslash = memchr(p + i, '\\', quote - i);
    if (backslash) {
      lx->state = LEX_ESCAPE;
      i = (size_t)(backslash - p) + 1;
      continue;
    }
    if (quote == len)
      return len;
    lx->state = LEX_OUT;
    return quote + 1;
  }
  return len;
}

static int lex_is_word(unsigned char c)
{
  return !(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{' || c == '}' || c == '[' ||
           c == ']' || c == ':' || c == ',' || c == '"');
}

enum reader_lex_result reader_lex_scan(struct reader_lex *lx, const unsigned char *p, size_t len,
                                       size_t limit, size_t *at)
{
  int continuing = lx->state != LEX_OUT;
  lx->token_start = continuing ? SIZE_MAX : len;
  size_t i = 0;
  while (i < len) {
    if (lx->state == LEX_OUT) {
      unsigned char c = p[i];
      if (c == '"') {
        lx->state = LEX_STRING;
        lx->key = lx->expect_key;
        lx->token = 0;
        lx->token_start = i;
      } else if (lex_is_word(c)) {
        lx->state = LEX_WORD;
        lx->token = 0;
        lx->token_start = i;
        lx->expect_key = 0;
        continue;
      } else {
        if (c == '{' || c == '[')
          lex_open(lx, c == '{');
        else if ((c == '}' || c == ']') && lx->depth)
          lx->depth--;
        if (c != ' ' && c != '\t' && c != '\r')
          lx->expect_key = c == '{' || (c == ',' && lex_in_object(lx));
        i++;
        continue;
      }
      /* The opening quote is part of the string. */
      i++;
      lx->token = 1;
    }
    size_t from = i, end;
    if (lx->state == LEX_WORD) {
      end = i;
      while (end < len && lex_is_word(p[end]))
        end++;
      if (end < len)
        lx->state = LEX_OUT;
    } else {
      end = lex_string(lx, p, i, len);
      lx->expect_key = 0;
    }
    lx->token += end - from;
    if (lx->token > limit) {
      *at = end;
      return READER_LEX_TOO_LONG;
    }
    if (lx->state == LEX_OUT) {
      if (continuing) {
        *at = end;
        return READER_LEX_TOKEN_ENDED;
      }
      lx->token_start = len;
    }
    i = end;
  }
  *at = continuing && lx->state != LEX_OUT ? 0 : lx->token_start;
  return READER_LEX_DONE;
}
