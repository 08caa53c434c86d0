#include "jsonw.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *write_number(uint64_t value)
{
  struct as_jsonw w;
  as_jsonw_init(&w, 4); /* tiny, so growing is exercised too */
  as_jsonw_u64(&w, value);
  return as_jsonw_finish(&w);
}

Test(jsonw, numbers_print_exactly_at_every_digit_boundary)
{
  const uint64_t values[] = {
      0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 123456789, 1795500000123000000ULL, UINT64_MAX};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    char expected[32];
    snprintf(expected, sizeof expected, "%llu", (unsigned long long)values[i]);
    char *text = write_number(values[i]);
    cr_assert_str_eq(text, expected);
    free(text);
  }
}

/* as_jsonw__digits writes in 8-byte stores: the digits must be snprintf's, and nothing may be
 * written before out or past out + AS_JSONW_U64_MAX (the room callers reserve). */
static void expect_digits(uint64_t value)
{
  char out[8 + AS_JSONW_U64_MAX + 8], expected[32];
  memset(out, '#', sizeof out);
  size_t n = as_jsonw__digits(out + 8, value);
  snprintf(expected, sizeof expected, "%llu", (unsigned long long)value);
  cr_assert_eq(n, strlen(expected), "%s: %zu digits", expected, n);
  cr_assert(memcmp(out + 8, expected, n) == 0, "%s: wrote %.*s", expected, (int)n, out + 8);
  for (size_t i = 0; i < 8; i++)
    cr_assert_eq(out[i], '#', "%s: wrote before out", expected);
  for (size_t i = 8 + AS_JSONW_U64_MAX; i < sizeof out; i++)
    cr_assert_eq(out[i], '#', "%s: wrote past the room", expected);
}

Test(jsonw, digits_match_snprintf_at_edges_and_over_a_sweep)
{
  uint64_t power = 1;
  for (int i = 0; i < 20; i++) {
    expect_digits(power - 1);
    expect_digits(power);
    expect_digits(power + 1);
    expect_digits(power * 2 - 1);
    expect_digits(power * 9 + (power - 1)); /* all nines of the next length */
    if (i < 19)
      power *= 10;
  }
  expect_digits(0);
  expect_digits(UINT64_MAX);
  expect_digits(UINT64_MAX - 1);
  expect_digits(UINT32_MAX);
  expect_digits((uint64_t)UINT32_MAX + 1);
  expect_digits((uint64_t)INT64_MAX); /* the signed extremes as the unsigned words they are */
  expect_digits((uint64_t)INT64_MIN);
  expect_digits((uint64_t)-1 / 2 + 1);
  for (uint64_t v = 0; v < 200000; v++)
    expect_digits(v);
  uint64_t x = 88172645463325252ull; /* xorshift: every length, every digit */
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    expect_digits(x);
    expect_digits(x >> (x & 63));
  }
}

Test(jsonw, strings_are_escaped_and_kept_valid_utf8)
{
  struct as_jsonw w;
  as_jsonw_init(&w, 1);
  as_jsonw_str(
      &w, "q\"b\\n\n\x01 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 bad\xff \xed\xa0\x80 \xc0\xaf");
  char *text = as_jsonw_finish(&w);
  cr_assert_str_eq(text, "\"q\\\"b\\\\n\\u000a\\u0001 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
                         "bad\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\"");
  free(text);
}

Test(jsonw, a_long_document_grows_and_ends_with_a_terminator)
{
  struct as_jsonw w;
  as_jsonw_init(&w, 8);
  for (int i = 0; i < 10000; i++)
    as_jsonw_lit(&w, "[1,2,3]");
  char *text = as_jsonw_finish(&w);
  cr_assert_not_null(text);
  cr_assert_eq(strlen(text), 70000);
  free(text);
}

struct chunks {
  char text[4096];
  size_t len, calls, largest;
  int refuse_after; /* calls accepted before refusing; -1 = never refuse */
};

static int chunks_take(void *context, const char *text, size_t len)
{
  struct chunks *c = context;
  if (c->refuse_after >= 0 && c->calls == (size_t)c->refuse_after)
    return -1;
  c->calls++;
  c->largest = len > c->largest ? len : c->largest;
  memcpy(c->text + c->len, text, len);
  c->len += len;
  return 0;
}

Test(jsonw, a_streaming_writer_hands_out_the_text_in_order_in_buffer_sized_chunks)
{
  struct chunks c = {.refuse_after = -1};
  struct as_jsonw w;
  as_jsonw_init_streaming(&w, 16, chunks_take, &c);
  for (int i = 0; i < 100; i++) {
    as_jsonw_lit(&w, "[");
    as_jsonw_u64(&w, (uint64_t)i);
    as_jsonw_lit(&w, "]");
  }
  cr_assert_eq(as_jsonw_flush(&w), 0);
  as_jsonw_release(&w);
  char expected[4096] = "";
  for (int i = 0; i < 100; i++)
    snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "[%d]", i);
  c.text[c.len] = '\0';
  cr_assert_str_eq(c.text, expected);
  cr_assert_eq(w.flushed, strlen(expected));
  cr_assert_gt(c.calls, 10);
  cr_assert_lt(c.largest, 16, "a chunk of %zu bytes outgrew the buffer", c.largest);
}

Test(jsonw, a_refused_chunk_fails_the_writer_and_nothing_more_is_handed_out)
{
  struct chunks c = {.refuse_after = 2};
  struct as_jsonw w;
  as_jsonw_init_streaming(&w, 8, chunks_take, &c);
  for (int i = 0; i < 100; i++)
    as_jsonw_lit(&w, "abcdef");
  cr_assert_eq(w.failed, 1);
  cr_assert_eq(as_jsonw_flush(&w), -1);
  cr_assert_eq(c.calls, 2);
  as_jsonw_release(&w);
}

Test(jsonw, a_kept_buffer_serves_text_after_text_and_grows_for_a_piece_larger_than_itself)
{
  char *kept = malloc(16);
  size_t kept_bytes = 16;
  cr_assert_not_null(kept);
  for (int text = 0; text < 3; text++) {
    struct chunks c = {.refuse_after = -1};
    struct as_jsonw w;
    as_jsonw_init_streaming_into(&w, kept, kept_bytes, chunks_take, &c);
    cr_assert_eq(w.buf, kept, "text %d: the caller's buffer, not a new one", text);
    as_jsonw_lit(&w, "[");
    if (text == 1)
      as_jsonw_str(&w, "a piece of more than sixteen bytes");
    as_jsonw_lit(&w, "]");
    cr_assert_eq(as_jsonw_flush(&w), 0);
    c.text[c.len] = '\0';
    cr_assert_str_eq(c.text, text == 1 ? "[\"a piece of more than sixteen bytes\"]" : "[]");
    kept = w.buf; /* taken back, grown or not */
    kept_bytes = w.cap;
    cr_assert_geq(kept_bytes, text >= 1 ? 37u : 16u);
  }
  free(kept);
}
