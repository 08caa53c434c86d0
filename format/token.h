/* The secret a socket reader sends first (ACTORSCOPE_TOKEN, or the file ACTORSCOPE_TOKEN_FILE
 * names), as the tracer and the tool both read it. Allocation-free: the preload uses it. */
#ifndef AS_TOKEN_H
#define AS_TOKEN_H

#include <stddef.h>

/* Whether TEXT (LEN bytes) is a valid token: AS_TOKEN_MIN to AS_TOKEN_MAX printable ASCII
 * characters without spaces. */
int as_token_valid(const char *text, size_t len);

/* Reads a token file into OUT (at least AS_TOKEN_MAX + 1 bytes): a regular file (a link is not
 * followed) owned by this user and readable by nobody else (mode 0600 or 0400), holding the
 * token and at most one "\n". Returns 0, or a negative errno with WHY saying what is wrong
 * (never the token). */
int as_token_read_file(const char *path, char *out, char *why, size_t why_len);

/* The token of this environment: ACTORSCOPE_TOKEN_FILE's, else ACTORSCOPE_TOKEN's, into OUT
 * (AS_TOKEN_MAX + 1 bytes); a variable set empty is unset. Returns 1 (a token), 0 (none set)
 * or a negative errno with WHY.
 * LOOKUP is getenv or the preload's own environment lookup. */
int as_token_from_env(const char *(*lookup)(const char *), char *out, char *why, size_t why_len);

#endif
