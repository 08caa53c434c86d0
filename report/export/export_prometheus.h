/* The final state of recorded runs as Prometheus text (exposition format 0.0.4), e.g. a
 * node_exporter textfile: the same families as `actorscope serve` (metrics.h), with every
 * snapshot of each run folded in so counters include reaped actors. */
#ifndef ACTORSCOPE_EXPORT_PROMETHEUS_H
#define ACTORSCOPE_EXPORT_PROMETHEUS_H

#include <stdio.h>

#include "reader.h"

/* Reads every run to its end and writes their metrics to OUT. PER_ACTOR_CAP: 0 for none.
 * Runtime-internal actors count only with INCLUDE_INTERNAL. Returns 0, or a negative errno
 * with ERR filled. */
int export_prometheus_write(FILE *out, struct as_reader *const *runs, size_t n_runs,
                            long per_actor_cap, int include_internal, struct as_reader_error *err);

#endif
