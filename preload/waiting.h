/* The actors waiting on another right now, kept across lines: a delta line copies only the
 * actors that changed, but a deadlock involves actors that stopped changing long ago. */
#ifndef AS_WAITING_H
#define AS_WAITING_H

#include "registry.h"
#include "registry_view.h"
#include "waitgraph.h"

struct as_waiting {
  struct as_actor_view *views; /* sorted by id; their id pools are not kept */
  size_t count, capacity;
};

/* Brings the set up to date: a full collection replaces it; a collection of changes updates
 * the actors it lists and drops those reaped. Returns 0 or -ENOMEM (the set is then empty). */
int as_waiting_update(struct as_waiting *set, const struct as_registry_collection *c, int full);
/* The same for another set of actors: those for which keep() is true (e.g. inside a handler). */
int as_waiting_update_where(struct as_waiting *set, const struct as_registry_collection *c,
                            int full, int (*keep)(const struct as_actor_view *view));
/* The wait-for cycles among them, each confirmed by a second read of every member (a ping-pong
 * read at two moments would otherwise look like one). */
void as_waiting_find_deadlocks(const struct as_waiting *set, struct as_waitgraph_cycles *cycles);

#endif
