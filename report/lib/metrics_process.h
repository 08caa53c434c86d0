/* One traced process's numbers for the metric families (metrics.h), kept up to date
 * snapshot by snapshot. Counters stay monotonic when actors are reaped: per-name accumulators
 * are fed by the growth of each actor's own counters between snapshots, and an actor's record
 * here lives only as long as the snapshots list it (memory follows the live actors).
 * Not thread-safe: serve holds its lock around update and render. */
#ifndef ACTORSCOPE_METRICS_PROCESS_H
#define ACTORSCOPE_METRICS_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "actor_model.h"
#include "actor_table.h"
#include "metrics_pairs.h"
#include "reader.h"

/* A count under a text label (message type, stop reason). */
struct metrics_count {
  char *key;
  int64_t count;
};

struct metrics_counts {
  struct metrics_count *items;
  size_t n, cap;
};

/* Everything about the actors of one (runtime, name) in a process. */
struct metrics_name {
  char *runtime, *name;
  /* Counters: monotonic. */
  int64_t spawned;                /* actors of this name seen */
  struct metrics_counts stopped;  /* by reason */
  struct metrics_counts received; /* messages by type */
  int64_t sent, exceptions, handler_ns;
  /* Finished handlers by histogram bucket (histogram.h), the growth of its actors' own; NULL
   * until one is seen. */
  uint64_t *handler_buckets;
  /* Messages by the time they waited in the mailbox, likewise (mailbox_wait_histogram). */
  uint64_t *wait_buckets;
  /* High-water marks. */
  int64_t handler_max_ns, mailbox_max;
  /* Gauges: the latest snapshot. */
  int64_t by_status[AS_STATUS_COUNT];
  int64_t mailbox_depth, running_max_ns, deadlocked;
};

/* The last-seen state of a listed actor (actor_table.h table record). */
struct metrics_actor {
  int64_t id;
  struct metrics_name *name;
  int stop_counted;
  int64_t received, sent, exceptions, handler_ns, mailbox_len;
  struct metrics_count *types; /* its counts by type; keys point into name->received */
  size_t n_types;
  int64_t *histogram; /* its handler_histogram as last seen: n_histogram (bucket, count) pairs */
  size_t n_histogram;
  int64_t *wait_histogram; /* its mailbox_wait_histogram as last seen, likewise */
  size_t n_wait_histogram;
  struct metrics_pairs_seen peers; /* its peers as last seen */
};

struct metrics_process {
  int64_t pid, started_at_ns;
  char *program; /* basename */
  /* Process totals and tracer figures from the latest snapshot. */
  int have_snapshot, exited;
  int64_t alive, spawned, stopped, received, deadlocks, captured_at_ns;
  int have_cost;
  int64_t cost_ns[3], cost_bytes; /* collect, encode, write */
  int64_t cost_total_ns[3];       /* every cost seen, summed */
  int64_t snapshots, lines_lost, last_seq;
  int64_t tick_fs;                   /* femtoseconds a tick: the histograms' unit (0: none seen) */
  struct metrics_counts diagnostics; /* codes present in the latest snapshot */
  /* Names, in order of first sight, and a hash index over them. */
  struct metrics_name **names;
  size_t n_names, cap_names;
  size_t *index; /* slots: 0 empty, else position + 1 */
  size_t index_cap;
  struct actor_table actors;    /* of struct metrics_actor */
  struct metrics_pairs pairs;   /* messages between names (metrics_pairs.h) */
  int include_internal;         /* runtime-internal actors' series too (--internal) */
  struct actor_model_view view; /* snapshots read through the model (actor_model.h) */
};

/* A process as its stream's HEADER describes it. NULL when out of memory. */
struct metrics_process *metrics_process_new(const struct as_rec_header *header);
void metrics_process_free(struct metrics_process *process);
/* Whether PROCESS is the one HEADER describes (the same pid and start). */
int metrics_process_is(const struct metrics_process *process, const struct as_rec_header *header);
/* Folds a snapshot in. Returns 0 or -ENOMEM. */
int metrics_process_update(struct metrics_process *process, const struct as_rec_snapshot *snapshot);
/* The process is gone without a final snapshot (serve: SIGKILL, a crash): no actor runs, waits or
 * holds a message any more, and it exited. Its counters keep their last values; a snapshot, if
 * one came, would set the gauges again. */
void metrics_process_gone(struct metrics_process *process);

#endif
