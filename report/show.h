/* Small text helpers shared by the commands' text output. */
#ifndef ACTORSCOPE_SHOW_H
#define ACTORSCOPE_SHOW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* NAME cut to at most MAX bytes at a UTF-8 character boundary, ending in "..." when cut, and
 * with control characters shown as '?'. Returns BUF. */
const char *show_name(const char *name, size_t max, char *buf, size_t len);

/* Writes TEXT with control characters shown as '?' (names come from the traced program: an
 * escape sequence must not reach a terminal or a CI log as such). */
void show_clean(const char *text, FILE *out);

/* Text sections of a run with 100k actors would be 100k lines: each stops at a budget. */
struct show_budget {
  size_t left;
  size_t skipped;
};
int show_spend(struct show_budget *b);
void show_skipped(const struct show_budget *b, const char *what);

#endif
