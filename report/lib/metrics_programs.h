/* Per-program counters across processes, for batch jobs and other short-lived programs.
 *
 * A process's own counters (actorscope_process_*{pid=...}) start a new series per pid: a job
 * that runs 0.5 s is first scraped at its final values, and rate() or increase() see nothing
 * (Prometheus has no sample before the first). The program families here carry no pid: each
 * sums every process of a program serve has seen, the ended ones included once they leave
 * serve's table, so the series lives across runs and grows by each run's counts. A process
 * joins its program's sums only from the scrape after the one that first saw it: a program's
 * series first appears at 0 (or at what the runs before gave), and every run shows as an
 * increase, its first one included. The sums live as long as serve does (a restart is a
 * counter reset, which Prometheus handles). Not thread-safe: the hub's lock covers it. */
#ifndef ACTORSCOPE_METRICS_PROGRAMS_H
#define ACTORSCOPE_METRICS_PROGRAMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "metrics_process.h"

struct metrics_program_totals {
  int64_t processes, spawned, stopped, received;
};

struct metrics_program {
  char *program;
  struct metrics_program_totals ended; /* the processes gone from serve's table */
};

/* At most this many programs are told apart; the processes of any further one are left out
 * of these families (the per-process ones still have them). */
#define METRICS_PROGRAMS_MAX 10000

struct metrics_programs {
  struct metrics_program *items;
  size_t n, cap;
};

/* Adds an ended process's final totals to its program (it is about to be forgotten). */
void metrics_programs_fold(struct metrics_programs *programs,
                           const struct metrics_process *process);

/* Writes the families: for each program, its ended processes' totals plus those of the live
 * PROCESSES whose JOINED flag is set; a program with live processes only, none joined yet,
 * is written at 0. Returns 0, or -1 when out of memory (nothing written). */
int metrics_programs_render(FILE *out, int openmetrics, struct metrics_programs *programs,
                            struct metrics_process *const *processes, const int *joined, size_t n);

void metrics_programs_free(struct metrics_programs *programs);

#endif
