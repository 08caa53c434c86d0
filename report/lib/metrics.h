/* The Prometheus metric families of traced processes (metrics_process.h holds their numbers),
 * rendered in the text exposition format 0.0.4 or in OpenMetrics 1.0: HELP and TYPE for each
 * family, counters named _total, durations in seconds.
 *
 * Labels: pid and program (the process), runtime and name (an actor name); never an actor id
 * unless per-actor series are asked for, with a cap. */
#ifndef ACTORSCOPE_METRICS_H
#define ACTORSCOPE_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "reader.h"

#include "metrics_process.h"

/* One data source of serve (a socket), for actorscope_source_* families. */
struct metrics_source_stat {
  const char *source;
  int up;              /* connected and reading */
  int64_t connections; /* successful connections so far */
  int gone;            /* a socket no longer in its directory: not shown */
};

struct metrics_render_options {
  int openmetrics;    /* OpenMetrics 1.0 instead of text 0.0.4 */
  long per_actor_cap; /* 0: no per-actor series; else at most this many actors a process */
};

/* Writes every family with HELP and TYPE lines (and "# EOF" for OpenMetrics). */
void metrics_render(FILE *out, struct metrics_process *const *processes, size_t n_processes,
                    const struct metrics_source_stat *sources, size_t n_sources,
                    const struct metrics_render_options *options);

#define METRICS_CONTENT_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_CONTENT_TYPE_OPENMETRICS                                                           \
  "application/openmetrics-text; version=1.0.0; charset=utf-8"

#endif
