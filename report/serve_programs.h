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
#ifndef ACTORSCOPE_SERVE_PROGRAMS_H
#define ACTORSCOPE_SERVE_PROGRAMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "serve_process.h"

struct serve_program_totals {
  int64_t processes, spawned, stopped, received;
};

struct serve_program {
  char *program;
  struct serve_program_totals ended; /* the processes gone from serve's table */
};

/* At most this many programs are told apart; the processes of any further one are left out
 * of these families (the per-process ones still have them). */
#define SERVE_PROGRAMS_MAX 10000

struct serve_programs {
  struct serve_program *items;
  size_t n, cap;
};

/* Adds an ended process's final totals to its program (it is about to be forgotten). */
void serve_programs_fold(struct serve_programs *programs, const struct serve_process *process);

/* Writes the families: for each program, its ended processes' totals plus those of the live
 * PROCESSES whose JOINED flag is set; a program with live processes only, none joined yet,
 * is written at 0. Returns 0, or -1 when out of memory (nothing written). */
int serve_programs_render(FILE *out, int openmetrics, struct serve_programs *programs,
                          struct serve_process *const *processes, const int *joined, size_t n);

void serve_programs_free(struct serve_programs *programs);

#endif
