/* Token boundaries of a JSON line (reader_lex.h). */
#define _GNU_SOURCE
#include "reader_lex.h"

#include <stdint.h>
#include <string.h>

enum { LEX_OUT, LEX_STRING, LEX_ESCAPE, LEX_WORD };

/* Bytes that end a number or literal (and white space). */
static const unsigned char lex_not_word[256] = {
    [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, ['{'] = 1, ['}'] = 1,
    ['['] = 1, [']'] = 1,  [','] = 1,  [':'] = 1,  ['"'] = 1,
};

/* The next quote from I, or len: eight bytes at a time (names and numbers are short, a call to
 * memchr costs more than it saves on them). The lowest flagged byte of the word test is exact. */
static inline __attribute__((always_inline)) size_t lex_find_quote(const unsigned char *p, size_t i,
                                                                   size_t len)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  for (; i + 8 <= len; i += 8) {
    uint64_t word;
    memcpy(&word, p + i, 8);
    uint64_t x = word ^ (ones * '"');
    uint64_t found = (x - ones) & ~x & highs;
    if (found)
      return i + (size_t)__builtin_ctzll(found) / 8;
  }
#endif
  for (; i < len; i++)
    if (p[i] == '"')
      return i;
  return len;
}

void reader_lex_reset(struct reader_lex *lx)
{
  memset(lx, 0, sizeof *lx);
  lx->token_start = SIZE_MAX;
}

int reader_lex_in_string(const struct reader_lex *lx) { return lx->state != LEX_WORD; }

/* Inside a string whose content in P starts at LO (LEX_ESCAPE: P[LO] is escaped): the offset
 * after its closing quote, or len with lx->state saying whether a backslash is pending. */
static inline __attribute__((always_inline)) size_t
lex_string_end(struct reader_lex *lx, const unsigned char *p, size_t lo, size_t len)
{
  if (lx->state == LEX_ESCAPE && lo < len) {
    lo++;
    lx->state = LEX_STRING;
  }
  for (size_t i = lo; i < len;) {
    size_t at = lex_find_quote(p, i, len), backslashes = 0;
    if (at == len)
      break;
    while (at - backslashes > lo && p[at - backslashes - 1] == '\\')
      backslashes++;
    if (backslashes % 2 == 0) {
      lx->state = LEX_OUT;
      return at + 1;
    }
    i = at + 1;
  }
  size_t backslashes = 0;
  while (len - backslashes > lo && p[len - backslashes - 1] == '\\')
    backslashes++;
  if (len > lo || lx->state != LEX_ESCAPE)
    lx->state = backslashes % 2 ? LEX_ESCAPE : LEX_STRING;
  return len;
}

/* The last byte before AT in P that is not white space, or 0. */
static unsigned char lex_before(const unsigned char *p, size_t at)
{
  while (at > 0 && (p[at - 1] == ' ' || p[at - 1] == '\t' || p[at - 1] == '\r'))
    at--;
  return at ? p[at - 1] : 0;
}

/* A stretch between strings longer than LIMIT: the first word in it longer than LIMIT, or
 * SIZE_MAX. */
static size_t lex_long_word(const unsigned char *p, size_t from, size_t to, size_t limit)
{
  for (size_t i = from; i < to;) {
    size_t start = i;
    while (i < to && !lex_not_word[p[i]])
      i++;
    if (i - start > limit)
      return start;
    i += i == start;
  }
  return SIZE_MAX;
}

enum reader_lex_result reader_lex_scan(struct reader_lex *lx, const unsigned char *p, size_t len,
                                       size_t limit, size_t *at)
{
  size_t i = 0;
  lx->token_start = SIZE_MAX;
  if (lx->state == LEX_WORD) {
    while (i < len && !lex_not_word[p[i]])
      i++;
    lx->token += i;
    if (lx->token > limit)
      return *at = i, READER_LEX_TOO_LONG;
    if (i == len)
      return *at = 0, READER_LEX_DONE;
    lx->state = LEX_OUT;
    return *at = i, READER_LEX_TOKEN_ENDED;
  }
  if (lx->state != LEX_OUT) {
    i = lex_string_end(lx, p, 0, len);
    lx->token += i;
    if (lx->token > limit)
      return *at = i, READER_LEX_TOO_LONG;
    if (lx->state != LEX_OUT)
      return *at = 0, READER_LEX_DONE;
    return *at = i, READER_LEX_TOKEN_ENDED;
  }
  for (;;) {
    size_t quote = lex_find_quote(p, i, len);
    if (quote - i > limit) {
      size_t word = lex_long_word(p, i, quote, limit);
      if (word != SIZE_MAX) {
        lx->state = LEX_WORD;
        lx->token_start = word;
        lx->token = limit + 1;
        lx->before = lex_before(p, word);
        return *at = word + limit + 1, READER_LEX_TOO_LONG;
      }
    }
    if (quote == len) {
      /* The bytes end outside a string: maybe inside a number or literal. */
      size_t word = len;
      while (word > i && !lex_not_word[p[word - 1]])
        word--;
      lx->token_start = len;
      if (word < len) {
        lx->state = LEX_WORD;
        lx->token = len - word;
        lx->token_start = word;
        lx->before = lex_before(p, word);
      }
      return *at = lx->token_start, READER_LEX_DONE;
    }
    /* The common case, a whole string without escapes, without touching *lx. */
    size_t close = lex_find_quote(p, quote + 1, len);
    if (close < len && p[close - 1] != '\\' && close + 1 - quote <= limit) {
      i = close + 1;
      continue;
    }
    lx->state = LEX_STRING;
    size_t end = lex_string_end(lx, p, quote + 1, len);
    lx->token = end - quote;
    if (lx->token > limit || lx->state != LEX_OUT) {
      lx->token_start = quote;
      lx->before = lex_before(p, quote);
      if (lx->token > limit)
        return *at = end, READER_LEX_TOO_LONG;
      return *at = quote, READER_LEX_DONE;
    }
    i = end;
  }
}
