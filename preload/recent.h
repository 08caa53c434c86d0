/* A small fixed table of recent (owner, id) -> value facts, for hooks that must later recall
 * something they saw on the hot path, e.g. whom an actor sent a request to, when it starts
 * waiting for the response. Lock-free and allocation-free; it forgets: a fact is overwritten
 * by a later one in the same slot, and a put that finds its slot mid-write is dropped. A get
 * never returns a value that was not put under that exact key (an owner whose memory is
 * reused by a new one can meet an old fact only where its own put under that id was dropped). */
#ifndef AS_RECENT_H
#define AS_RECENT_H

#include <stdint.h>

/* owner must not be NULL; id must not be 0. */
void as_recent_put(const void *owner, uint64_t id, uint64_t value);
/* The value put under (owner, id), or 0 when it is not (or no longer) known. */
uint64_t as_recent_get(const void *owner, uint64_t id);

#endif
