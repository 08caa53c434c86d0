#include "waiting.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int waiting_view_cmp(const void *a, const void *b)
{
  const struct as_actor_view *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
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

/* Index of the set's view with this id (the set is sorted by id), or -1. */
static ptrdiff_t waiting_index(const struct as_waiting *set, uint64_t id)
{
  size_t lo = 0, hi = set->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (set->views[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < set->count && set->views[lo].id == id ? (ptrdiff_t)lo : -1;
}

int as_waiting_update_where(struct as_waiting *set, const struct as_registry_collection *c,
                            int full, int (*keep)(const struct as_actor_view *view))
{
  /* The members kept from before that the collection speaks for (listed, changed or all, or
   * reaped) go: each listed or reaped id within the set's range is looked up in the set, which
   * is small and sorted, rather than the collection's ids sorted (a keyframe replaces them
   * all). */
  size_t before = full ? 0 : set->count;
  unsigned char *gone = before ? calloc(before, 1) : NULL;
  if (before && !gone) {
    set->count = 0;
    return -ENOMEM;
  }
  uint64_t low = before ? set->views[0].id : 1, high = before ? set->views[before - 1].id : 0;
  for (size_t i = 0; before && i < c->count + c->reaped_count; i++) {
    uint64_t id = i < c->count ? c->views[i].id : c->reaped[i - c->count];
    if (id < low || id > high || (i < c->count && c->views[i].ended))
      continue; /* an ended actor was never copied before: no set holds it */
    ptrdiff_t at = waiting_index(set, id);
    if (at >= 0)
      gone[at] = 1;
  }
  size_t kept = 0;
  for (size_t i = 0; i < before; i++)
    if (!gone[i])
      set->views[kept++] = set->views[i];
  free(gone);
  /* Room as members come: a set is a few actors, not every actor a line collected. An ended
   * actor (most of a storm's) neither waits nor handles (registry_view_ends): no set keeps it,
   * and the call to ask is skipped. */
  for (size_t i = 0; i < c->count; i++) {
    if (c->views[i].ended || !keep(&c->views[i]))
      continue;
    if (waiting_reserve(set, kept + 1) < 0) {
      set->count = 0;
      return -ENOMEM;
    }
    set->views[kept++] = c->views[i];
  }
  set->count = kept;
  if (kept > 1)
    qsort(set->views, set->count, sizeof *set->views, waiting_view_cmp);
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
