/* What every view of a run says alike about its actors, defined once: which are shown
 * (runtime-internal ones only when asked for), how they group (by runtime, CAF ones by actor
 * system) and what a group is called, and the actor tree's order (cycle-safe). report, check,
 * diff, top, the exports and serve all decide these here; the per-actor state as last seen and
 * "most alive at once" are the recording's (recording.h), which top and the HTML fold too. */
#ifndef ACTORSCOPE_ACTOR_MODEL_H
#define ACTORSCOPE_ACTOR_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Whether an actor is shown: runtime-internal actors (CAF's spawn server, middleman ...) only
 * with --internal (top: also its key). */
static inline int actor_model_visible(int internal, int include_internal)
{
  return include_internal || !internal;
}

/* An actor's group: its runtime, and for CAF its actor system (runtime_scope). */
struct actor_group {
  const char *runtime; /* NULL: not known */
  int has_system;
  int64_t system;
};

/* Groups in the order every view lists them: by runtime name, then actor system. */
int actor_group_cmp(const struct actor_group *a, const struct actor_group *b);
/* "caf, actor system 2" or "czmq". */
void actor_group_label(char *out, size_t cap, const struct actor_group *g);
/* RANK[i]: the number of group GROUPS[i] among the N groups' distinct ones in actor_group_cmp's
 * order (an actor_tree_item's group). Returns how many there are, or -ENOMEM. */
long actor_group_ranks(const struct actor_group *groups, size_t n, size_t *rank);

/* One actor as the tree order sees it: its group's rank (numbered in actor_group_cmp's
 * order), its parent, and its rank among its siblings (0 for all: by id; top passes its sort
 * column's order). */
struct actor_tree_item {
  int64_t id, parent;
  size_t group;
  int has_parent;
  size_t rank;
};

/* The tree order of N items sorted by id, the one every view lists: group by group, depth
 * first from each group's roots (no parent, a parent not among the items or in another
 * group), siblings (a parent's children, a group's roots) by rank then id; actors whose parent
 * chain loops come last in their group, as roots marked CYCLIC. ORDER, DEPTH and CYCLIC have
 * room for N. No recursion: chains may be deep. Returns 0 or -ENOMEM. */
int actor_tree_order(const struct actor_tree_item *items, size_t n, size_t *order, size_t *depth,
                     unsigned char *cyclic);

/* A process total over the visible actors: ALL (the process's, reaped actors included) less
 * what the runtime-internal actors account for (HIDDEN), never below what the visible actors
 * themselves show (SEEN). Every view's spawned, stopped and messages received, so that
 * report, top, the HTML, Perfetto and Prometheus print one number. */
static inline int64_t actor_model_total(int64_t all, int64_t hidden, int64_t seen)
{
  int64_t visible = all - hidden;
  return visible > seen ? visible : seen;
}

#include "reader.h"

/* A snapshot as a view that leaves runtime-internal actors out shows it, for the views that
 * read snapshots as they come (export perfetto, prometheus, serve): OUT shares everything
 * with SNAPSHOT but its actors, its delta's listed indexes and its totals (actor_model_total:
 * `alive`, spawned, stopped and messages over the visible actors; a hidden actor counts for
 * what it was last seen at, also once reaped). Returns SNAPSHOT itself when nothing is left
 * out, else OUT; NULL when out of memory. BUF holds OUT's arrays until the next call and the
 * hidden actors seen so far: one BUF per process's stream, actor_model_view_free between two. */
struct actor_model_hidden {
  int64_t id, received, received_all;
  int stopped;
};
struct actor_model_view {
  struct as_rec_actor *actors;
  size_t *listed;
  size_t cap;
  struct actor_model_hidden *hidden; /* sorted by id */
  size_t n_hidden;
};
const struct as_rec_snapshot *actor_model_snapshot(const struct as_rec_snapshot *snapshot,
                                                   int include_internal,
                                                   struct actor_model_view *buf,
                                                   struct as_rec_snapshot *out);
void actor_model_view_free(struct actor_model_view *buf);
/* Whether the actor with ID is one BUF's view has left out (runtime-internal, seen so far). */
int actor_model_view_hides(const struct actor_model_view *buf, int64_t id);

#endif
