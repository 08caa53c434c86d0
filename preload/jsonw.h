/* A minimal JSON writer into one growable buffer. Snapshots of 100k actors must be encoded in
 * tens of milliseconds; building a jansson tree of millions of nodes takes seconds, so the
 * snapshot line is written directly (the small header line still goes through jansson). */
#ifndef AS_JSONW_H
#define AS_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct as_jsonw {
  char *buf;
  size_t len, cap;
  int failed; /* out of memory: the result is discarded */
};

void as_jsonw_init(struct as_jsonw *w, size_t capacity);
/* Grows the buffer for n more bytes; returns 0 or -1 (and sets failed). */
int as_jsonw__grow(struct as_jsonw *w, size_t n);

/* Makes room for n more bytes; returns 0 or -1 (and sets failed). Inline: the snapshot of
 * 100k actors appends a few million small pieces. */
static inline int as_jsonw_reserve(struct as_jsonw *w, size_t n)
{
  if (__builtin_expect(!w->failed && w->len + n + 1 <= w->cap, 1))
    return 0;
  return as_jsonw__grow(w, n);
}

static inline void as_jsonw_raw(struct as_jsonw *w, const char *text, size_t n)
{
  if (as_jsonw_reserve(w, n) < 0)
    return;
  memcpy(w->buf + w->len, text, n);
  w->len += n;
}
/* A JSON string: quoted, escaped, and with invalid UTF-8 replaced by U+FFFD. */
void as_jsonw_str(struct as_jsonw *w, const char *text);
void as_jsonw_u64(struct as_jsonw *w, uint64_t value);
void as_jsonw_double(struct as_jsonw *w, double value);
/* The NUL-terminated text (the caller frees it), or NULL after a failure. */
char *as_jsonw_finish(struct as_jsonw *w);

/* A string literal, e.g. as_jsonw_lit(w, ",\"id\":"). */
#define as_jsonw_lit(w, literal) as_jsonw_raw((w), (literal), sizeof(literal) - 1)
/* A literal then a number: as_jsonw_lit_u64(w, ",\"len\":", n). */
#define as_jsonw_lit_u64(w, literal, value) (as_jsonw_lit((w), literal), as_jsonw_u64((w), (value)))

#endif
