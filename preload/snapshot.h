/* Encodes the header line and snapshot lines of the actorscope JSON Lines format
 * (documented in FORMAT.md; bump AS_FORMAT_VERSION on any incompatible change). */
#ifndef AS_SNAPSHOT_H
#define AS_SNAPSHOT_H

#include "diag.h"
#include "format.h"
#include "jsonw.h"
#include "registry.h"
#include "registry_view.h"
#include "waitgraph.h"

#include <stddef.h>
#include <stdint.h>

struct as_header_info {
  long pid;
  const char *program;
  const char *const *argv;
  size_t argc;
  uint64_t started_wall_ns;
  unsigned interval_ms, grave_ms, stack_depth;
};

/* What producing one snapshot line cost the collector. */
struct as_snapshot_cost {
  uint64_t collect_ns; /* copying the registry and finding deadlocks */
  uint64_t encode_ns;  /* building the JSON line */
  uint64_t write_ns;   /* handing it to the sink */
  uint64_t bytes;
};

struct as_snapshot_info {
  uint64_t seq;
  uint64_t wall_ns;
  uint64_t uptime_ns;
  uint64_t start_ticks; /* "uptime 0": spawn and stop times are relative to it */
  uint64_t now_ticks;   /* the moment of capture, for elapsed times */
  int final;
  /* A delta line: only the actors of the collection (those that changed), no children, and
   * the ids reaped since (collection->reaped). */
  int delta;
  /* Delta lines only: what differs from the line before (the rest is left out). */
  int totals_changed, deadlocks_changed, diagnostics_changed;
  /* Views of every actor waiting now, sorted by id: the names of deadlock cycle members. */
  const struct as_actor_view *waiting;
  size_t waiting_count;
  const char *ended_by;    /* final lines: "exit", "signal" or "exec"; NULL = not said */
  const char *signal_name; /* ended_by "signal": "SIGSEGV" … */
  const struct as_diag_entry *diagnostics;
  size_t diagnostic_count;
  const struct as_snapshot_cost *last_cost; /* the previous line's, NULL for the first */
};

/* Writes one snapshot line (no newline) into w, flushing it at the end when w streams.
 * Returns 0, or -1 when w failed (out of memory, or its flush refused). */
int as_snapshot_write(struct as_jsonw *w, const struct as_registry_collection *collection,
                      const struct as_waitgraph_cycles *deadlocks,
                      const struct as_snapshot_info *info);
/* Frees what the encoder keeps from line to line when it was sized for more than this many
 * actors (a line after a burst; a line of the live actors needs it again at the next keyframe). */
void as_snapshot_trim(size_t actors);
/* Each returns one line (no newline), malloc()ed, or NULL on ENOMEM. */
char *as_snapshot_encode_header(const struct as_header_info *header);
char *as_snapshot_encode(const struct as_registry_collection *collection,
                         const struct as_waitgraph_cycles *deadlocks,
                         const struct as_snapshot_info *info);

/* "2026-11-24T06:00:00.123Z" */
void as_snapshot_format_time(uint64_t wall_ns, char out[32]);

#endif
