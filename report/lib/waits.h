/* `report`'s view of the time messages waited in their mailbox (enqueue to handler start): a
 * section listing the actor names whose messages waited longest, and the same numbers per
 * actor, in text and JSON. The numbers come from recording (recording_waits). */
#ifndef ACTORSCOPE_WAITS_H
#define ACTORSCOPE_WAITS_H

#include <stddef.h>

#include "jsonout.h"
#include "recording.h"

/* KEY: {"p50_ns", "p90_ns", "p99_ns", "max_ns", "measured"} of a wait histogram; nothing
 * without one. */
void waits_json(struct jsonout *j, const char *key, const struct recording *m,
                const struct as_histogram_bin *bins, size_t n);
/* KEY: {"p50_ns", "p90_ns", "p99_ns", "max_ns", COUNT_KEY} of any such summary (the finished
 * handlers' too). */
void waits_json_percentiles(struct jsonout *j, const char *key, const struct rm_finished *f,
                            const char *count_key);
/* "INDENT waited in the mailbox: p50 … of N messages" and a newline, when there is a histogram. */
void waits_print_line(const struct recording *m, const char *indent,
                      const struct as_histogram_bin *bins, size_t n);
/* The section: names with measured waits, the longest p99 first, at most LINES of them. */
void waits_print_section(const struct recording *m, const struct rm_names *names, size_t lines);

#endif
