/* A recorded run reduced to what report, diff and check compare: every actor in its last-seen
 * state, per-name aggregates, and facts over all snapshots. */
#ifndef ACTORSCOPE_RUNMODEL_H
#define ACTORSCOPE_RUNMODEL_H

#include "snapfile.h"

#include <jansson.h>
#include <stddef.h>

struct runmodel {
  const struct snapfile *file;
  json_t *at;             /* the snapshot the model stops at (the last one by default) */
  size_t last_index;      /* its index in file->snapshots */
  json_t *actors;         /* array: each actor seen up to `at`, last-seen state, by id */
  json_t *by_name;        /* object: name -> {spawned, alive_at_end, mailbox_max, exceptions,
                             handler_max_ns, messages: {type: count}} */
  long long max_alive;    /* highest totals.alive in any snapshot up to `at` */
  json_t *deadlocks;      /* array of {first_seq, actors, names}, each cycle once */
  json_t *stuck_handlers; /* object: actor id -> longest in-progress handler seen (ns) */
};

/* Builds the model at snapshot `seq` (-1: the last). Returns 0, or -1 when there is no such
 * snapshot. */
int runmodel_build(struct runmodel *model, const struct snapfile *file, long long seq);
void runmodel_free(struct runmodel *model);

/* Loads a run and builds its model, as every command does: a problem is printed on stderr as
 * "actorscope COMMAND: ..." and -1 returned (file and model then hold nothing); a cut-off last
 * line is noted and tolerated. */
int runmodel_load(struct snapfile *file, struct runmodel *model, const char *path, long long seq,
                  const char *command);

/* Longest handler of an actor: finished (handler_ns.max) or still running when sampled. */
long long runmodel_handler_max_ns(const struct runmodel *model, json_t *actor);

#endif
