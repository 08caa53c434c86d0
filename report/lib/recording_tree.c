/* A recorded run's actor tree and groups (recording.h), through actor_model.h: the same order
 * and headings report prints, the HTML draws and top lists. */
#define _GNU_SOURCE
#include "actor_model.h"
#include "recording.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void recording_group(const struct recording *m, const struct rm_actor *a, struct actor_group *g)
{
  g->runtime = a->runtime != RM_NONE ? strtab_text(&m->strings, a->runtime) : NULL;
  g->has_system = a->has_runtime_id;
  g->system = a->runtime_scope;
}

int recording_group_cmp(const struct recording *m, const struct rm_actor *a,
                       const struct rm_actor *b)
{
  struct actor_group ga, gb;
  recording_group(m, a, &ga);
  recording_group(m, b, &gb);
  return actor_group_cmp(&ga, &gb);
}

static int tree_group_order(const void *x, const void *y, void *ctx)
{
  const struct recording *m = ctx;
  const struct rm_actor *a = &m->actors[*(const size_t *)x], *b = &m->actors[*(const size_t *)y];
  int c = recording_group_cmp(m, a, b);
  return c ? c : (a->id > b->id) - (a->id < b->id);
}

int recording_tree(const struct recording *m, struct rm_tree *t)
{
  memset(t, 0, sizeof *t);
  size_t n = 0, cap = m->n_actors + 1;
  size_t *visible = malloc(cap * sizeof *visible), *by_group = malloc(cap * sizeof *by_group);
  struct actor_tree_item *items = malloc(cap * sizeof *items);
  t->order = malloc(cap * sizeof *t->order);
  t->depth = malloc(cap * sizeof *t->depth);
  t->cyclic = calloc(cap, 1);
  if (!visible || !by_group || !items || !t->order || !t->depth || !t->cyclic) {
    free(visible), free(by_group), free(items);
    recording_tree_free(t);
    return -ENOMEM;
  }
  for (size_t i = 0; i < m->n_actors; i++)
    if (recording_visible(m, &m->actors[i]))
      visible[n++] = i;
  /* Group ranks: the visible actors in group order, numbered where the group changes. */
  memcpy(by_group, visible, n * sizeof *by_group);
  qsort_r(by_group, n, sizeof *by_group, tree_group_order, (void *)m);
  size_t *rank_of = t->order; /* borrowed: indexed by actor, before the order is written */
  size_t *where = t->depth;   /* likewise: actor index -> item */
  for (size_t k = 0, g = 0; k < n; k++) {
    if (k && recording_group_cmp(m, &m->actors[by_group[k - 1]], &m->actors[by_group[k]]))
      g++;
    rank_of[k] = g;
    where[k] = by_group[k];
  }
  /* visible[] ascends by id, as the items must: find each one's rank. */
  for (size_t k = 0; k < n; k++) {
    const struct rm_actor *a = &m->actors[where[k]];
    size_t lo = 0, hi = n;
    while (lo < hi) { /* items by id: visible[] */
      size_t mid = lo + (hi - lo) / 2;
      if (m->actors[visible[mid]].id < a->id)
        lo = mid + 1;
      else
        hi = mid;
    }
    items[lo] = (struct actor_tree_item){a->id, a->parent, rank_of[k], a->has_parent, 0};
  }
  int rc = actor_tree_order(items, n, t->order, t->depth, t->cyclic);
  for (size_t k = 0; rc == 0 && k < n; k++)
    t->order[k] = visible[t->order[k]];
  t->n = rc == 0 ? n : 0;
  free(visible), free(by_group), free(items);
  if (rc < 0)
    recording_tree_free(t);
  return rc;
}

void recording_tree_free(struct rm_tree *t)
{
  free(t->order), free(t->depth), free(t->cyclic);
  memset(t, 0, sizeof *t);
}
