/* Messages between actor names for the metric family actorscope_messages_between_total (serve,
 * export prometheus): monotonic per (from, to) name pair, fed by the growth of each actor's
 * peers (FORMAT.md `peers`) between snapshots, so reaped actors' messages stay counted. At most
 * METRICS_PAIRS_MAX pairs a process, in order of first sight (a series, once there, stays);
 * later pairs and each actor's unlisted peers count under from="<other>", to="<other>". Messages
 * to runtime-internal actors the view leaves out are not counted, as report leaves them out. */
#ifndef ACTORSCOPE_METRICS_PAIRS_H
#define ACTORSCOPE_METRICS_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "actor_model.h"
#include "reader.h"

#define METRICS_PAIRS_MAX 100
#define METRICS_PAIRS_OTHER "<other>"

struct metrics_pair {
  const char *from, *to; /* owned by the pairs' name pool */
  int64_t count;
};

struct metrics_pairs {
  struct metrics_pair *items;
  size_t n, cap;
  int64_t other;
  char **names; /* every name a pair or a peer uses, once */
  size_t n_names, cap_names;
  const struct as_rec_snapshot *snapshot; /* being folded in: peers' names by id */
  const struct actor_model_view *view;    /* being folded in: the peers it hides (NULL: none) */
};

/* What was last seen of one peer of an actor. */
struct metrics_peer_seen {
  int64_t to;         /* an actor id; 0 for a thread */
  const char *thread; /* the thread's name (pool) */
  int from_thread;
  int64_t count;
};

struct metrics_pairs_seen {
  struct metrics_peer_seen *items;
  size_t n;
  int64_t other;
};

/* Adds the growth of A's peers since *SEEN to PAIRS under FROM (A's name) and remembers them.
 * NAME_OF gives a listed-earlier actor's name by id when the snapshot no longer lists it.
 * Returns 0 or -ENOMEM. */
int metrics_pairs_fold(struct metrics_pairs *pairs, struct metrics_pairs_seen *seen,
                       const char *from, const struct as_rec_actor *a,
                       const char *(*name_of)(int64_t id, void *ctx), void *ctx);
void metrics_pairs_seen_free(struct metrics_pairs_seen *seen);
void metrics_pairs_free(struct metrics_pairs *pairs);

#endif
