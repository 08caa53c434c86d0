/* The state a version 2 stream leaves: the last keyframe with every later delta applied
 * (internal to the reader). Records own their strings (interned) and arrays (an arena compacted
 * when mostly dead), so they outlive the line they came from. */
#ifndef AS_READER_STATE_H
#define AS_READER_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"
#include "strtab.h"

struct state_arena {
  char *data;
  size_t used, cap;
};

struct reader_state {
  int active;         /* a keyframe has been applied */
  int64_t unknown_id; /* -EPROTO: the actor a delta listed without an origin nobody gave */
  struct as_rec_actor *actors, *next; /* sorted by id; `next` is the merge's scratch */
  size_t n, cap, next_cap;
  struct strtab strings;
  struct state_arena arrays[2]; /* arrays live in arrays[cur]; the other is for compaction */
  int cur;
  size_t live;               /* bytes of arrays[cur] still referenced */
  struct as_rec_site *sites; /* every spawn site seen, by global index */
  size_t n_sites, cap_sites;
  struct strtab site_keys; /* a site's frames joined by '\n' -> its global index */
  size_t *listed;          /* a delta's listed actors' indexes */
  size_t listed_cap;
  int64_t *children; /* the children arrays, derived from parent links */
  size_t children_cap;
  /* What a delta line leaves out when unchanged: the last line's totals, cycles, diagnostics. */
  int64_t totals[6]; /* the last: runtime_running, -1 when not said */
  struct as_rec_cycle *cycles;
  size_t n_cycles;
  struct as_rec_diagnostic *diagnostics;
  size_t n_diagnostics;
};

/* Which of those members a delta line carries. */
#define AS_STATE_HAS_TOTALS 1
#define AS_STATE_HAS_DEADLOCKS 2
#define AS_STATE_HAS_DIAGNOSTICS 4

/* Makes S the state (a keyframe), then points S's actors and spawn sites at the state's own.
 * Returns 0 or -ENOMEM. */
int as_state_keyframe(struct reader_state *st, struct as_rec_snapshot *s);
/* Applies the delta S (its actors replace or join the state's, its reaped ids leave), then
 * points S at the whole state; totals, deadlocks and diagnostics the line leaves out (CARRIED
 * lacks their AS_STATE_HAS_* bit) are the line before's. Returns 0, -ENOMEM, or -EPROTO (no
 * keyframe yet). */
int as_state_delta(struct reader_state *st, struct as_rec_snapshot *s, int carried);
void as_state_free(struct reader_state *st);

#endif
