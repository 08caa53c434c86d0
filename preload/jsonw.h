/* A minimal JSON writer into one growable buffer. Snapshots of 100k actors must be encoded in
 * tens of milliseconds; building a jansson tree of millions of nodes takes seconds, so the
 * snapshot lines and the header are written directly, and the preload needs no JSON library. */
#ifndef AS_JSONW_H
#define AS_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Takes a full buffer's text when writing streams; returns 0, or -1 to stop the writer. */
typedef int (*as_jsonw_flush_fn)(void *context, const char *text, size_t len);

struct as_jsonw {
  char *buf;
  size_t len, cap;
  int failed;              /* out of memory or the flush refused: the result is discarded */
  as_jsonw_flush_fn flush; /* NULL: one growing buffer */
  void *flush_context;
  size_t flushed; /* bytes already handed to flush */
};

void as_jsonw_init(struct as_jsonw *w, size_t capacity);
/* A writer that hands its text to flush whenever its buffer of this capacity fills, so a
 * 50 MB line never sits in memory whole: the buffer stays in cache and no page is faulted in. */
void as_jsonw_init_streaming(struct as_jsonw *w, size_t capacity, as_jsonw_flush_fn flush,
                             void *context);
/* The same in the caller's BUFFER of CAPACITY bytes (malloc'd, or NULL for a new one), kept from
 * one text to the next: the caller takes w->buf and w->cap back when done instead of
 * as_jsonw_release (a long text may have grown the buffer). */
void as_jsonw_init_streaming_into(struct as_jsonw *w, char *buffer, size_t capacity,
                                  as_jsonw_flush_fn flush, void *context);
/* Hands what is buffered to flush (streaming writers); returns 0 or -1. */
int as_jsonw_flush(struct as_jsonw *w);
/* Frees the buffer of a streaming writer. */
void as_jsonw_release(struct as_jsonw *w);
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
/* The NUL-terminated text (the caller frees it), or NULL after a failure. */
char *as_jsonw_finish(struct as_jsonw *w);

/* A string literal, e.g. as_jsonw_lit(w, ",\"id\":"). */
#define as_jsonw_lit(w, literal) as_jsonw_raw((w), (literal), sizeof(literal) - 1)
/* Writes value in decimal at out; returns the digit count. It may write past the digits (in
 * 8-byte stores), never past out + AS_JSONW_U64_MAX: the caller has that room. */
size_t as_jsonw__digits(char *out, uint64_t value);

/* "00" to "99", the two digits of each number below 100. */
extern const char as_jsonw__pairs[201];

/* Appends value at p, returns the end: numbers below 1000 (most counters of most actors,
 * histogram buckets and counts) inline. */
static inline char *as_jsonw__put_u64(char *p, uint64_t value)
{
  if (value < 10) {
    *p = (char)('0' + value);
    return p + 1;
  }
  if (value < 100) {
    memcpy(p, as_jsonw__pairs + value * 2, 2);
    return p + 2;
  }
  if (value < 1000) {
    unsigned hundreds = (unsigned)value / 100;
    *p = (char)('0' + hundreds);
    memcpy(p + 1, as_jsonw__pairs + ((unsigned)value - hundreds * 100) * 2, 2);
    return p + 3;
  }
  return p + as_jsonw__digits(p, value);
}

static inline void as_jsonw__lit_u64(struct as_jsonw *w, const char *literal, size_t n,
                                     uint64_t value)
{
  if (as_jsonw_reserve(w, n + 20) < 0)
    return;
  char *p = w->buf + w->len;
  memcpy(p, literal, n);
  w->len = (size_t)(as_jsonw__put_u64(p + n, value) - w->buf);
}

/* A literal then a number, with one bounds check: as_jsonw_lit_u64(w, ",\"len\":", n). */
#define as_jsonw_lit_u64(w, literal, value)                                                        \
  as_jsonw__lit_u64((w), (literal), sizeof(literal) - 1, (value))

static inline void as_jsonw_u64(struct as_jsonw *w, uint64_t value)
{
  as_jsonw__lit_u64(w, "", 0, value);
}

/* A run of appends after one reservation, through a cursor held in a register (stores through
 * w->buf could otherwise alias w->len and reload it after every byte): the cursor at the end of
 * the text with room for n more bytes, or NULL (the writer failed); as_jsonw_put_end takes the
 * cursor back. Between the two only the as_jsonw_put_* below, within the n bytes. */
static inline char *as_jsonw_put_begin(struct as_jsonw *w, size_t n)
{
  return as_jsonw_reserve(w, n) < 0 ? NULL : w->buf + w->len;
}
static inline void as_jsonw_put_end(struct as_jsonw *w, char *p) { w->len = (size_t)(p - w->buf); }
static inline char *as_jsonw__put_raw(char *p, const char *text, size_t n)
{
  memcpy(p, text, n);
  return p + n;
}
/* A literal: p = as_jsonw_put_lit(p, ","); at most sizeof literal - 1 bytes. The cursor is
 * evaluated once: it may be an append (numbers write 8-byte words past their digits). */
#define as_jsonw_put_lit(p, literal) as_jsonw__put_raw((p), (literal), sizeof(literal) - 1)
/* A literal then a number: at most sizeof literal - 1 + AS_JSONW_U64_MAX bytes. */
#define as_jsonw_put_lit_u64(p, literal, value)                                                    \
  as_jsonw__put_u64(as_jsonw_put_lit((p), (literal)), (value))
#define AS_JSONW_U64_MAX 20

#endif
