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

int recording_tree(const struct recording *m, struct rm_tree *t)
{
  memset(t, 0, sizeof *t);
  size_t n = 0, cap = m->n_actors + 1;
  size_t *visible = malloc(cap * sizeof *visible), *rank = malloc(cap * sizeof *rank);
  struct actor_group *groups = malloc(cap * sizeof *groups);
  struct actor_tree_item *items = malloc(cap * sizeof *items);
  t->order = malloc(cap * sizeof *t->order);
  t->depth = malloc(cap * sizeof *t->depth);
  t->cyclic = calloc(cap, 1);
  if (!visible || !rank || !groups || !items || !t->order || !t->depth || !t->cyclic) {
    free(visible), free(rank), free(groups), free(items);
    recording_tree_free(t);
    return -ENOMEM;
  }
  for (size_t i = 0; i < m->n_actors; i++)
    if (recording_visible(m, &m->actors[i])) {
      recording_group(m, &m->actors[i], &groups[n]);
      visible[n++] = i;
    }
  int rc = actor_group_ranks(groups, n, rank) < 0 ? -ENOMEM : 0;
  /* visible[] ascends by id, as the items must. */
  for (size_t k = 0; rc == 0 && k < n; k++) {
    const struct rm_actor *a = &m->actors[visible[k]];
    items[k] = (struct actor_tree_item){a->id, a->parent, rank[k], a->has_parent, 0};
  }
  if (rc == 0)
    rc = actor_tree_order(items, n, t->order, t->depth, t->cyclic);
  for (size_t k = 0; rc == 0 && k < n; k++)
    t->order[k] = visible[t->order[k]];
  t->n = rc == 0 ? n : 0;
  free(visible), free(rank), free(groups), free(items);
  if (rc < 0)
    recording_tree_free(t);
  return rc;
}

void recording_tree_free(struct rm_tree *t)
{
  free(t->order), free(t->depth), free(t->cyclic);
  memset(t, 0, sizeof *t);
}
