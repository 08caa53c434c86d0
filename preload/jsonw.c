#include "jsonw.h"

#include <stdlib.h>

void as_jsonw_init(struct as_jsonw *w, size_t capacity)
{
  as_jsonw_init_streaming(w, capacity, NULL, NULL);
}

void as_jsonw_init_streaming(struct as_jsonw *w, size_t capacity, as_jsonw_flush_fn flush,
                             void *context)
{
  w->len = 0;
  w->cap = capacity ? capacity : 4096;
  w->buf = malloc(w->cap);
  w->failed = w->buf == NULL;
  w->flush = flush;
  w->flush_context = context;
  w->flushed = 0;
}

int as_jsonw_flush(struct as_jsonw *w)
{
  if (w->failed)
    return -1;
  if (!w->flush || w->len == 0)
    return 0;
  if (w->flush(w->flush_context, w->buf, w->len) < 0) {
    w->failed = 1;
    return -1;
  }
  w->flushed += w->len;
  w->len = 0;
  return 0;
}

void as_jsonw_release(struct as_jsonw *w)
{
  free(w->buf);
  w->buf = NULL;
}

int as_jsonw__grow(struct as_jsonw *w, size_t n)
{
  if (w->failed)
    return -1;
  if (w->len + n + 1 <= w->cap)
    return 0;
  if (w->flush && (as_jsonw_flush(w) < 0 || n + 1 <= w->cap))
    return w->failed ? -1 : 0;
  size_t cap = w->cap * 2;
  while (cap < w->len + n + 1)
    cap *= 2;
  char *grown = realloc(w->buf, cap);
  if (!grown) {
    w->failed = 1;
    return -1;
  }
  w->buf = grown;
  w->cap = cap;
  return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not valid. */
static size_t jsonw_utf8_length(const unsigned char *s)
{
  if (s[0] < 0x80)
    return 1;
  size_t n = s[0] >= 0xf0 && s[0] <= 0xf4  ? 4
             : s[0] >= 0xe0                ? 3
             : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
                                           : 0;
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
    return 0; /* overlong, or a UTF-16 surrogate */
  if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
    return 0;
  return n;
}

void as_jsonw_str(struct as_jsonw *w, const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)(text ? text : "");
  if (as_jsonw_reserve(w, 2) < 0)
    return;
  w->buf[w->len++] = '"';
  while (*s) {
    /* A run that needs no escaping is copied at once: names are mostly plain ASCII. */
    size_t plain = 0;
    while (s[plain] >= 0x20 && s[plain] < 0x80 && s[plain] != '"' && s[plain] != '\\')
      plain++;
    if (plain) {
      as_jsonw_raw(w, (const char *)s, plain);
      s += plain;
      continue;
    }
    /* The worst case per input byte is six output bytes (\u00XX), or \ufffd for one. */
    if (as_jsonw_reserve(w, 8) < 0)
      return;
    unsigned char c = *s;
    if (c == '"' || c == '\\') {
      w->buf[w->len++] = '\\';
      w->buf[w->len++] = (char)c;
      s++;
    } else if (c < 0x20) {
      memcpy(w->buf + w->len, "\\u00", 4);
      w->buf[w->len + 4] = hex[c >> 4];
      w->buf[w->len + 5] = hex[c & 15];
      w->len += 6;
      s++;
    } else if (c < 0x80) {
      w->buf[w->len++] = (char)c;
      s++;
    } else {
      size_t n = jsonw_utf8_length(s);
      if (n == 0) {
        memcpy(w->buf + w->len, "\\ufffd", 6);
        w->len += 6;
        s++;
      } else {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
        s += n;
      }
    }
  }
  if (as_jsonw_reserve(w, 1) == 0)
    w->buf[w->len++] = '"';
}

const char as_jsonw__pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Digits of value (>= 1 digit): log2 gives log10 within one, a power of ten settles it. */
static unsigned jsonw_digit_count(uint64_t value)
{
  static const uint64_t powers[20] = {1ull,
                                      10ull,
                                      100ull,
                                      1000ull,
                                      10000ull,
                                      100000ull,
                                      1000000ull,
                                      10000000ull,
                                      100000000ull,
                                      1000000000ull,
                                      10000000000ull,
                                      100000000000ull,
                                      1000000000000ull,
                                      10000000000000ull,
                                      100000000000000ull,
                                      1000000000000000ull,
                                      10000000000000000ull,
                                      100000000000000000ull,
                                      1000000000000000000ull,
                                      10000000000000000000ull};
  value |= 1; /* the same digits, and 0 has one */
  unsigned log2 = 63u - (unsigned)__builtin_clzll(value);
  unsigned guess = (log2 + 1) * 1233u >> 12; /* about log10(2^(log2+1)), at most 19 */
  return guess + (value >= powers[guess]);
}

size_t as_jsonw__digits(char *out, uint64_t value)
{
  /* Two digits per division, written from the end straight into place: nanosecond timestamps
   * have up to 20 digits, and most numbers of a line fit 32 bits (cheaper divisions). */
  const char *pairs = as_jsonw__pairs;
  unsigned n = jsonw_digit_count(value);
  char *p = out + n;
  while (value > UINT32_MAX) {
    unsigned pair = (unsigned)(value % 100) * 2;
    value /= 100;
    p -= 2;
    memcpy(p, pairs + pair, 2);
  }
  uint32_t small = (uint32_t)value;
  while (small >= 10000) { /* four digits a division: the dividends stay below 2^32 */
    uint32_t four = small % 10000;
    small /= 10000;
    p -= 4;
    memcpy(p, pairs + four / 100 * 2, 2);
    memcpy(p + 2, pairs + four % 100 * 2, 2);
  }
  if (small >= 100) {
    unsigned pair = small % 100 * 2;
    small /= 100;
    p -= 2;
    memcpy(p, pairs + pair, 2);
  }
  if (small >= 10)
    memcpy(p - 2, pairs + small * 2, 2);
  else
    p[-1] = (char)('0' + small);
  return n;
}

char *as_jsonw_finish(struct as_jsonw *w)
{
  if (w->failed || as_jsonw_reserve(w, 1) < 0) {
    free(w->buf);
    w->buf = NULL;
    return NULL;
  }
  w->buf[w->len] = '\0';
  char *text = w->buf;
  w->buf = NULL;
  return text;
}
