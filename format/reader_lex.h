/* Where the JSON tokens of a line start and end, so that the reader hands yajl only whole
 * tokens. yajl's lexer re-reads a token cut by the end of a chunk from its start at every
 * following chunk: one 100 MiB string read in 256 KiB chunks cost 7 s, 768 MiB six minutes.
 * Held back until it ends, a token is lexed once: reading is linear in the line's length. It
 * also measures every token, so an overlong one is refused before it is buffered.
 *
 * It jumps from quote to quote (memchr): bytes inside strings and between them are not looked
 * at one by one, but for the backslashes before a quote, the word a chunk ends in, and a stretch
 * between two strings longer than the limit (where a number could be too long). */
#ifndef AS_READER_LEX_H
#define AS_READER_LEX_H

#include <stddef.h>

struct reader_lex {
  unsigned char state;  /* outside a token, in a string, after a backslash in one, in a word */
  unsigned char before; /* the last byte before the token that is not white space; 0: unknown */
  size_t token;         /* bytes of the token being read so far (a string's quotes included) */
  size_t token_start;   /* where it started in the bytes last scanned; SIZE_MAX: before them */
};

enum reader_lex_result {
  READER_LEX_DONE,        /* *at: where an unfinished token starts (len: none) */
  READER_LEX_TOKEN_ENDED, /* a token begun before these bytes ends at *at */
  READER_LEX_TOO_LONG,    /* the token being read is longer than the limit */
};

void reader_lex_reset(struct reader_lex *lx);
/* Scans LEN bytes of a line on from where the last call stopped. */
enum reader_lex_result reader_lex_scan(struct reader_lex *lx, const unsigned char *p, size_t len,
                                       size_t limit, size_t *at);
/* Whether the token being read is a string (else a number or literal). */
int reader_lex_in_string(const struct reader_lex *lx);

#endif
