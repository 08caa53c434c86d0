/* Small text helpers shared by the commands' text output. */
#ifndef ACTORSCOPE_SHOW_H
#define ACTORSCOPE_SHOW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* NAME cut to at most MAX bytes at UTF-8 character boundaries, its middle given up for "..."
 * when cut (names that share a long start differ at their end), with control characters
 * shown as '?'. Returns BUF. */
const char *show_name(const char *name, size_t max, char *buf, size_t len);

/* Writes TEXT with control characters shown as '?' (names come from the traced program: an
 * escape sequence must not reach a terminal or a CI log as such). */
void show_clean(const char *text, FILE *out);

/* Durations for people, in one way for every view (report, top, HTML, diff, check): three
 * significant digits in the unit that fits the value — "812 ns", "4.10 µs", "23.5 ms",
 * "1.50 s" — and past 999 s minutes, hours, days ("16m40s", "2h03m", "3d04h"). The value is
 * rounded once, so 999.6 µs reads "1.00 ms", never "1000 µs". Returns BUF. */
enum show_duration_flags {
  SHOW_DURATION_COMPACT = 1, /* no space before the unit ("23.5ms"): top's narrow columns */
  SHOW_DURATION_SIGN = 2,    /* "+" before a value >= 0 (a change) */
};
#define SHOW_DURATION_MAX 32 /* bytes any duration's text takes, NUL included */
const char *show_duration(int64_t ns, unsigned flags, char *buf, size_t len);

/* NS as show_duration writes it, with more digits when three would not read above LIMIT_NS
 * though NS is ("ran 250.4 ms" against a limit of 250 ms, not "ran 250 ms"). */
const char *show_duration_above(int64_t ns, int64_t limit_ns, unsigned flags, char *buf,
                                size_t len);

/* A unit for a column or an axis of durations up to MAX_NS: the one show_duration writes MAX_NS
 * in (seconds past 999 s). NAME is "ns", "µs", "ms" or "s"; NS the nanoseconds in one. */
struct show_unit {
  const char *name;
  int64_t ns;
};
struct show_unit show_duration_unit(int64_t max_ns);

/* The printf field width that gives TEXT WIDTH columns: a UTF-8 character ("µs") takes one
 * column, however many bytes. */
int show_field(const char *text, int width);
/* The columns TEXT takes, as show_field counts them. */
size_t show_columns(const char *text);

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
