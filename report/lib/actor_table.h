/* Following actors from one snapshot to the next with a record of the caller's own per actor
 * (last values shown, accumulators ...). Snapshots list actors sorted by id, so the table is a
 * sorted array merged with each snapshot: no hashing, memory proportional to the actors listed
 * now (reaped actors leave the table). */
#ifndef ACTORSCOPE_ACTOR_TABLE_H
#define ACTORSCOPE_ACTOR_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

/* The caller's record begins with the actor's id. */
struct actor_table_state {
  int64_t id;
};

/* SEEN: the actor is listed in this snapshot; STATE is its record (zeroed but for the id when
 * the actor is new; is_new says so). GONE: the actor was listed before and no longer is (reaped);
 * STATE is dropped after the call. A negative return stops the update and is returned. */
typedef int (*actor_table_seen_fn)(void *state, const struct as_rec_actor *actor, int is_new,
                                   void *ctx);
typedef int (*actor_table_gone_fn)(void *state, void *ctx);

struct actor_table {
  size_t elem; /* size of the caller's record */
  char *items, *spare;
  size_t n, cap, spare_cap;
};

void actor_table_init(struct actor_table *table, size_t elem);
/* Merges SNAPSHOT's actors into the table. Returns 0, -ENOMEM, or a callback's negative value. */
int actor_table_update(struct actor_table *table, const struct as_rec_snapshot *snapshot,
                       actor_table_seen_fn seen, actor_table_gone_fn gone, void *ctx);
/* Calls FN for every record in id order (e.g. at the end of a run). */
int actor_table_each(struct actor_table *table, actor_table_gone_fn fn, void *ctx);
/* The record of ID, or NULL. */
void *actor_table_find(const struct actor_table *table, int64_t id);
void actor_table_free(struct actor_table *table);

#endif
