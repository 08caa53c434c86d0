/* Message-type slots for actors that see more distinct types than their record holds. They
 * are taken on the hot path, so never from malloc: from a free list first, else from a region
 * reserved at start-up and touched only as it is used. Lock-free; blocks are recycled, never
 * unmapped, so a stale pointer read by a losing thread stays readable. */
#ifndef AS_TALLYPOOL_H
#define AS_TALLYPOOL_H

#include <stdatomic.h>
#include <stdint.h>

#define AS_TALLY_MORE_SLOTS 12

struct as_tally_more {
  _Atomic uint64_t slots[AS_TALLY_MORE_SLOTS]; /* as the record's type_tally */
  _Atomic uint64_t other;                      /* messages of types beyond every slot */
  struct as_tally_more *_Atomic next_free;
};

/* Reserves the region (idempotent; not on the hot path). Returns 0 or a negative errno. */
int as_tallypool_reserve(void);
/* A zeroed block, or NULL when none is left (the caller counts the type as "<other>"). */
struct as_tally_more *as_tallypool_take(void);
void as_tallypool_give(struct as_tally_more *block);
/* Blocks handed out and not given back (for tests and memory accounting). */
uint64_t as_tallypool_in_use(void);

#endif
