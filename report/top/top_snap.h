/* actorscope top: a snapshot the screen owns. The reader's records live until its next call;
 * the screen keeps one snapshot (and the header of its stream) past that, whole, so the
 * inspect panel can show everything the snapshot holds. */
#ifndef ACTORSCOPE_TOP_SNAP_H
#define ACTORSCOPE_TOP_SNAP_H

#include "reader.h"

struct top_arena_chunk;

struct top_snap {
  struct as_rec_header header;     /* pointers into the arena */
  struct as_rec_snapshot snapshot; /* pointers into the arena */
  struct top_arena_chunk *arena;
};

/* A deep copy of HEADER and SNAPSHOT, or NULL when out of memory. */
struct top_snap *top_snap_copy(const struct as_rec_header *header,
                               const struct as_rec_snapshot *snapshot);
void top_snap_free(struct top_snap *snap);

/* The index of the actor with id ID in the snapshot (actors are sorted by id), or -1. */
long top_snap_find(const struct as_rec_snapshot *s, int64_t id);

#endif
