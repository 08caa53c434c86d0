/* actorscope top: which actors the table lists and in what order — the actor tree (children
 * under their parent, collapsible) or a flat list, sorted by a column, filtered — and the
 * cursor, which stays on its actor while snapshots come and go. */
#ifndef ACTORSCOPE_TOP_VIEW_H
#define ACTORSCOPE_TOP_VIEW_H

#include "top_filter.h"
#include "top_model.h"

enum top_sort {
  TOP_SORT_ID,
  TOP_SORT_NAME,
  TOP_SORT_STATE,
  TOP_SORT_MAILBOX,
  TOP_SORT_RATE,
  TOP_SORT_RECEIVED,
  TOP_SORT_EXCEPTIONS,
  TOP_SORT_AGE,
  TOP_SORT_COUNT
};

struct top_row {
  size_t actor; /* index into the snapshot's actors */
  int64_t id;
  unsigned depth; /* tree depth (0 in flat mode) */
  int has_children;
  int collapsed;
  int group; /* a heading: the actors below it are one runtime's or one CAF actor system's;
                ACTOR is one of them, ID is top_view_group_id */
};

struct top_view {
  enum top_sort sort;
  int reverse;
  int flat;     /* a filter also lists matches flat */
  int internal; /* list runtime-internal actors too (--internal, the I key) */
  struct top_filter filter;
  int64_t *collapsed; /* ids whose children are hidden, sorted */
  size_t n_collapsed, cap_collapsed;
  struct top_row *rows;
  size_t n_rows, cap_rows;
  size_t cursor, scroll; /* row indices */
  int64_t cursor_id;     /* the actor under the cursor; -1 none yet */
};

void top_view_init(struct top_view *v);
void top_view_free(struct top_view *v);
/* Recomputes the rows from the model (after a snapshot, a sort, a filter, a collapse). */
int top_view_rebuild(struct top_view *v, const struct top_model *m);
/* Moves the cursor by DELTA rows (clamped), keeping it within PAGE rows on screen. */
void top_view_move(struct top_view *v, long delta, size_t page);
/* Collapses (1), expands (0) or toggles (-1) the children of the actor with id ID. */
void top_view_collapse(struct top_view *v, int64_t id, int how);
int top_view_is_collapsed(const struct top_view *v, int64_t id);
/* The id of the heading row of group K (in the tree, when a snapshot has several runtimes or
 * CAF actor systems): negative, never an actor's, so it can be collapsed like one. */
#define TOP_VIEW_GROUP_ID(k) (-2 - (int64_t)(k))
/* "caf, actor system 2" or "czmq": the group actor A belongs to. */
void top_view_group_label(char *out, size_t cap, const struct as_rec_actor *a);
/* The column's name ("mailbox") for the footer and help. */
const char *top_sort_name(enum top_sort sort);

#endif
