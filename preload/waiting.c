#include "waiting.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int waiting_view_cmp(const void *a, const void *b)
{
  const struct as_actor_view *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static int waiting_id_cmp(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int waiting_reserve(struct as_waiting *set, size_t n)
{
  if (n <= set->capacity)
    return 0;
  size_t capacity = set->capacity ? set->capacity : 64;
  while (capacity < n)
    capacity *= 2;
  struct as_actor_view *grown = realloc(set->views, capacity * sizeof *grown);
  if (!grown)
    return -ENOMEM;
  set->views = grown;
  set->capacity = capacity;
  return 0;
}

static int waiting_waits(const struct as_actor_view *view) { return view->wait_target != 0; }

int as_waiting_update(struct as_waiting *set, const struct as_registry_collection *c, int full)
{
  return as_waiting_update_where(set, c, full, waiting_waits);
}

int as_waiting_update_where(struct as_waiting *set, const struct as_registry_collection *c,
                            int full, int (*keep)(const struct as_actor_view *view))
{
  /* The ids the collection speaks for: listed (changed or all) or reaped. Needed only to drop
   * members of the set kept from before (a keyframe replaces them all). */
  int sift = !full && set->count > 0;
  size_t n_ids = sift ? c->count + c->reaped_count : 0;
  uint64_t *ids = malloc((n_ids + 1) * sizeof *ids);
  if (!ids || waiting_reserve(set, set->count + c->count) < 0) {
    free(ids);
    set->count = 0;
    return -ENOMEM;
  }
  for (size_t i = 0; sift && i < c->count; i++)
    ids[i] = c->views[i].id;
  if (sift && c->reaped_count)
    memcpy(ids + c->count, c->reaped, c->reaped_count * sizeof *ids);
  if (sift)
    qsort(ids, n_ids, sizeof *ids, waiting_id_cmp);
  size_t kept = 0;
  for (size_t i = 0; !full && i < set->count; i++)
    if (!bsearch(&set->views[i].id, ids, n_ids, sizeof *ids, waiting_id_cmp))
      set->views[kept++] = set->views[i];
  for (size_t i = 0; i < c->count; i++)
    if (keep(&c->views[i]))
      set->views[kept++] = c->views[i];
  set->count = kept;
  if (kept > 1)
    qsort(set->views, set->count, sizeof *set->views, waiting_view_cmp);
  free(ids);
  return 0;
}

static const struct as_actor_view *waiting_find(const struct as_waiting *set, uint64_t id)
{
  struct as_actor_view key = {.id = id};
  return bsearch(&key, set->views, set->count, sizeof key, waiting_view_cmp);
}

static void waiting_confirm(const struct as_waiting *set, struct as_waitgraph_cycles *cycles)
{
  size_t kept = 0, members = 0;
  for (size_t i = 0; i < cycles->cycle_count; i++) {
    int steady = 1;
    for (size_t k = 0; k < cycles->lengths[i] && steady; k++) {
      const struct as_actor_view *v = waiting_find(set, cycles->members[cycles->starts[i] + k]);
      steady = v && as_registry_wait_unchanged(v);
    }
    if (!steady)
      continue;
    memmove(&cycles->members[members], &cycles->members[cycles->starts[i]],
            cycles->lengths[i] * sizeof cycles->members[0]);
    cycles->starts[kept] = members;
    cycles->lengths[kept] = cycles->lengths[i];
    members += cycles->lengths[i];
    kept++;
  }
  cycles->cycle_count = kept;
  cycles->member_count = members;
}

void as_waiting_find_deadlocks(const struct as_waiting *set, struct as_waitgraph_cycles *cycles)
{
  memset(cycles, 0, sizeof *cycles);
  if (set->count == 0)
    return;
  struct as_wait_edge *edges = malloc(set->count * sizeof *edges);
  if (!edges)
    return;
  for (size_t i = 0; i < set->count; i++)
    edges[i] = (struct as_wait_edge){set->views[i].id, set->views[i].wait_target};
  if (as_waitgraph_find_cycles(edges, set->count, cycles) == 0)
    waiting_confirm(set, cycles);
  free(edges);
}

void as_waiting_free(struct as_waiting *set)
{
  free(set->views);
  memset(set, 0, sizeof *set);
}
