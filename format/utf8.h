/* UTF-8 as RFC 3629 has it (no overlong form, no surrogate, nothing past U+10FFFF), which is what
 * Prometheus and browsers check. yajl's own check lets such bytes through, and decodes a lone
 * "\udc80" escape into one: every string a reader gives is mended here, each byte that starts no
 * well-formed character becoming U+FFFD. */
#ifndef AS_UTF8_H
#define AS_UTF8_H

#include <stddef.h>

/* Bytes of the well-formed character at p (left bytes on): 1 to 4, or 0 when p starts none. */
size_t as_utf8_char(const unsigned char *p, size_t left);

/* How many bytes of s start no well-formed character: 0 for text as it should be. Most text is
 * ASCII, looked at 8 bytes at a time. */
size_t as_utf8_bad_count(const unsigned char *s, size_t n);

/* Writes s mended into out, which holds n + 2 * as_utf8_bad_count(s, n) bytes; returns how many
 * it wrote (no terminator). */
size_t as_utf8_mend(const unsigned char *s, size_t n, char *out);

#endif
