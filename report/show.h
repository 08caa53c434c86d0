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

/* A stuck handler's stack in one line, from frames as the tracer writes them ("fn+0xOFF
 * (object)", innermost first): the C library's frames on top left out (the blocking call is
 * the caller's), then up to three function names joined by " <- " (UTF-8 arrow), and " <- ..."
 * when more follow. Returns BUF ("" when no frame has a name). */
const char *show_stack_line(const char *const *frames, size_t n, char *buf, size_t len);
/* Where the stack came from and how far it goes (end: stack_end, why it is not complete), or
 * for a thread found on a CPU without one, how much CPU it used: "stack read from its system
 * call, complete", "stack sampled on a CPU (perf), ...", "on a CPU, no stack (...): spinning
 * 4.9 s of CPU in 5.0 s". Returns BUF. */
const char *show_stack_source(const char *source, int complete, const char *end, int64_t cpu_ns,
                              int64_t cpu_window_ns, char *buf, size_t len);

#endif
