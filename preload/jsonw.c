#include "jsonw.h"

#include <stdlib.h>

void as_jsonw_init(struct as_jsonw *w, size_t capacity)
{
  as_jsonw_init_streaming(w, capacity, NULL, NULL);
}

void as_jsonw_init_streaming(struct as_jsonw *w, size_t capacity, as_jsonw_flush_fn flush,
                             void *context)
{
  as_jsonw_init_streaming_into(w, NULL, capacity, flush, context);
}

void as_jsonw_init_streaming_into(struct as_jsonw *w, char *buffer, size_t capacity,
                                  as_jsonw_flush_fn flush, void *context)
{
  w->len = 0;
  w->cap = capacity ? capacity : 4096;
  w->buf = buffer ? buffer : malloc(w->cap);
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

/* The eight decimal digits of x < 10^8 (leading zeros included) as eight byte values 0..9, the
 * first digit in the lowest byte: two 4-digit halves in 32-bit lanes, each split into two
 * 2-digit parts in 16-bit lanes, each split into two digits in bytes, every split one multiply
 * for all lanes at once (divisions by 100 and 10 as multiply-shifts, exact below 43,699 and
 * 179 respectively; no lane carries into the next). About 15 instructions for eight digits,
 * where dividing by 100 and looking pairs up took some 40. */
static inline uint64_t jsonw_eight_digits(uint32_t x)
{
  uint64_t halves = (uint64_t)(x / 10000) | (uint64_t)(x % 10000) << 32;
  uint64_t high2 = (halves * 10486) >> 20 & (0x7full << 32 | 0x7full);
  uint64_t quarters = (halves - 100 * high2) << 16 | high2;
  uint64_t tens = (quarters * 103) >> 10 & 0x000f000f000f000full;
  return tens | (quarters - 10 * tens) << 8;
}

#define JSONW_ZEROS 0x3030303030303030ull /* '0' in every byte */

/* Stores eight bytes, the lowest first (the text order of jsonw_eight_digits). */
static inline void jsonw_store8(char *out, uint64_t bytes)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  bytes = __builtin_bswap64(bytes);
#endif
  memcpy(out, &bytes, 8);
}

/* x < 10^8 without its leading zeros (one digit for 0), in one 8-byte store; the digit count. */
static inline size_t jsonw_leading(char *out, uint32_t x)
{
  uint64_t digits = jsonw_eight_digits(x);
  /* The first nonzero digit is the lowest nonzero byte. */
  unsigned zeros = x ? (unsigned)__builtin_ctzll(digits) / 8 : 7;
  jsonw_store8(out, (digits + JSONW_ZEROS) >> (8 * zeros));
  return 8 - zeros;
}

/* x < 100000 from the pairs table, exactly its digits: cheaper than a chunk for the ids,
 * durations and timestamps' high parts that fit. */
static inline size_t jsonw_small(char *out, uint32_t x)
{
  const char *pairs = as_jsonw__pairs;
  if (x < 100) {
    if (x < 10) {
      *out = (char)('0' + x);
      return 1;
    }
    memcpy(out, pairs + x * 2, 2);
    return 2;
  }
  uint32_t high = x / 100, low = x - high * 100; /* high < 1000 */
  size_t n;
  if (high < 10) {
    *out = (char)('0' + high);
    n = 1;
  } else if (high < 100) {
    memcpy(out, pairs + high * 2, 2);
    n = 2;
  } else {
    uint32_t top = high / 100;
    *out = (char)('0' + top);
    memcpy(out + 1, pairs + (high - top * 100) * 2, 2);
    n = 3;
  }
  memcpy(out + n, pairs + low * 2, 2);
  return n + 2;
}

size_t as_jsonw__digits(char *out, uint64_t value)
{
  if (value < 100000)
    return jsonw_small(out, (uint32_t)value);
  /* In chunks of eight digits, the first without its leading zeros. Stores are eight bytes
   * wide: at most 20 bytes from out are written (a 4-digit first chunk, then two of eight),
   * the room jsonw.h promises; bytes past the digits are left for the next append. */
  if (value < 100000000)
    return jsonw_leading(out, (uint32_t)value);
  uint64_t high = value / 100000000;
  uint32_t low = (uint32_t)(value - high * 100000000);
  size_t n;
  if (high < 100000) { /* nanosecond times below 10^13 (a run of less than 2.7 hours) */
    n = jsonw_small(out, (uint32_t)high);
  } else if (high < 100000000) {
    n = jsonw_leading(out, (uint32_t)high);
  } else {
    uint64_t top = high / 100000000; /* at most 1844 */
    n = jsonw_small(out, (uint32_t)top);
    jsonw_store8(out + n, jsonw_eight_digits((uint32_t)(high - top * 100000000)) + JSONW_ZEROS);
    n += 8;
  }
  jsonw_store8(out + n, jsonw_eight_digits(low) + JSONW_ZEROS);
  return n + 8;
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
