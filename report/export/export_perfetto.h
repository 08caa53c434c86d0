/* Chrome Trace Event JSON (the format ui.perfetto.dev and chrome://tracing open) from one or
 * more recorded runs, written as the runs are read: memory is the current snapshot plus a few
 * numbers per listed actor.
 *
 * A process per run (pid), a track per actor (tid = actor id, named "#id name"), and:
 *   spawn / stop     thread instants ("ph":"i","s":"t") at the exact instants the tracer
 *                    recorded (spawned_at_ns, stopped.at_ns); stop carries args.reason
 *   handler slices   "B"/"E" pairs for handlers seen running at a capture: the start is exact
 *                    (capture - elapsed), the end is the last capture that saw it running
 *                    (sampled: it ended before the next capture); a handler that began and ended
 *                    between two captures is not shown (the actor's totals are in its stop args)
 *   deadlock         a process instant ("s":"p") and an instant on each member's track, at the
 *                    first capture that found the cycle
 *   counters         "actors" {alive} and "messages" {received/s} per process, and
 *                    "mailbox #id name" {depth} per actor whose depth changed: sampled values at
 *                    each capture (messages/s: the average over the interval that starts there)
 * Timestamps are microseconds (three decimals: nanosecond resolution) from the earliest run's
 * start; runs are placed on the wall clock relative to each other. On every track the events
 * are in timestamp order. */
#ifndef ACTORSCOPE_EXPORT_PERFETTO_H
#define ACTORSCOPE_EXPORT_PERFETTO_H

#include <stdio.h>

#include "reader.h"

/* Reads every run to its end and writes the trace to OUT (runtime-internal actors only with
 * INCLUDE_INTERNAL; FLOWS_V1: a run recorded with events gets flow events v1, not v2, as
 * export_events.h says). Returns 0,
 * or a negative errno with ERR filled (the output is then incomplete). */
int export_perfetto_write(FILE *out, struct as_reader *const *runs, size_t n_runs,
                          int include_internal, int flows_v1, struct as_reader_error *err);

#endif
