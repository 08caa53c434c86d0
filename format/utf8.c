#include "utf8.h"

#include <stdint.h>
#include <string.h>

size_t as_utf8_char(const unsigned char *p, size_t left)
{
  unsigned char c = p[0];
  size_t n = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
  if (n == 0 || n > left)
    return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  int out_of_range = (c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) ||
                     (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90);
  return out_of_range ? 0 : n;
}

/* Bytes of ASCII at p (left bytes on), 8 at a time. */
static size_t utf8_ascii_run(const unsigned char *p, size_t left)
{
  size_t i = 0;
  for (uint64_t word; i + 8 <= left; i += 8) {
    memcpy(&word, p + i, 8);
    if (word & 0x8080808080808080u)
      break;
  }
  while (i < left && p[i] < 0x80)
    i++;
  return i;
}

size_t as_utf8_bad_count(const unsigned char *s, size_t n)
{
  size_t bad = 0;
  for (size_t i = utf8_ascii_run(s, n), k; i < n; i += utf8_ascii_run(s + i, n - i)) {
    bad += (k = as_utf8_char(s + i, n - i)) == 0;
    i += k ? k : 1;
  }
  return bad;
}

size_t as_utf8_mend(const unsigned char *s, size_t n, char *out)
{
  char *at = out;
  for (size_t i = 0, k; i < n; i += k ? k : 1) {
    k = as_utf8_char(s + i, n - i);
    memcpy(at, k ? (const char *)s + i : "\xef\xbf\xbd", k ? k : 3);
    at += k ? k : 3;
  }
  return (size_t)(at - out);
}
