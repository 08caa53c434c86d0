/* The views' shared decisions about actors (actor_model.h). */
#define _GNU_SOURCE
#include "actor_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int actor_group_cmp(const struct actor_group *a, const struct actor_group *b)
{
  int c = strcmp(a->runtime ? a->runtime : "", b->runtime ? b->runtime : "");
  if (c)
    return c;
  int64_t sa = a->has_system ? a->system : -1, sb = b->has_system ? b->system : -1;
  return (sa > sb) - (sa < sb);
}

void actor_group_label(char *out, size_t cap, const struct actor_group *g)
{
  if (g->has_system)
    snprintf(out, cap, "%s, actor system %lld", g->runtime ? g->runtime : "?",
             (long long)g->system);
  else
    snprintf(out, cap, "%s", g->runtime ? g->runtime : "?");
}

/* Where ID is among items sorted by id, or N. */
static size_t tree_find(const struct actor_tree_item *items, size_t n, int64_t id)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (items[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && items[lo].id == id ? lo : n;
}

/* By group, then parent (roots first), then id: each actor's children form one run. */
static int tree_cmp(const void *x, const void *y, void *ctx)
{
  const struct actor_tree_item *items = ctx;
  const struct actor_tree_item *a = &items[*(const size_t *)x], *b = &items[*(const size_t *)y];
  if (a->group != b->group)
    return a->group < b->group ? -1 : 1;
  int64_t pa = a->has_parent ? a->parent : INT64_MIN, pb = b->has_parent ? b->parent : INT64_MIN;
  if (pa != pb)
    return pa < pb ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

/* The children of P: a run in BY_PARENT. */
static size_t tree_children(const struct actor_tree_item *items, const size_t *by_parent, size_t n,
                            const struct actor_tree_item *p, size_t *first)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct actor_tree_item *a = &items[by_parent[mid]];
    int64_t pa = a->has_parent ? a->parent : INT64_MIN;
    if (a->group < p->group || (a->group == p->group && pa < p->id))
      lo = mid + 1;
    else
      hi = mid;
  }
  *first = lo;
  size_t k = lo;
  while (k < n && items[by_parent[k]].has_parent && items[by_parent[k]].parent == p->id &&
         items[by_parent[k]].group == p->group)
    k++;
  return k - lo;
}

int actor_tree_order(const struct actor_tree_item *items, size_t n, size_t *order, size_t *depth,
                     unsigned char *cyclic)
{
  size_t *by_parent = malloc((n + 1) * sizeof *by_parent);
  size_t *stack = malloc((n + 1) * sizeof *stack);
  size_t *depth_of = malloc((n + 1) * sizeof *depth_of);
  unsigned char *done = calloc(n + 1, 1);
  if (!by_parent || !stack || !depth_of || !done) {
    free(by_parent), free(stack), free(depth_of), free(done);
    return -ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    by_parent[i] = i;
  qsort_r(by_parent, n, sizeof *by_parent, tree_cmp, (void *)items);
  memset(cyclic, 0, n);
  size_t n_order = 0;
  /* Per group: roots first; then, in a second pass, whatever is left hangs from a cycle. */
  for (size_t gs = 0, ge; gs < n; gs = ge) {
    for (ge = gs + 1; ge < n && items[by_parent[ge]].group == items[by_parent[gs]].group;)
      ge++;
    for (int pass = 0; pass < 2; pass++) {
      for (size_t i = gs; i < ge; i++) {
        size_t idx = by_parent[i];
        const struct actor_tree_item *a = &items[idx];
        if (done[idx])
          continue;
        if (pass == 0 && a->has_parent) {
          size_t p = tree_find(items, n, a->parent);
          if (p < n && p != idx && items[p].group == a->group)
            continue;
        }
        if (pass == 1)
          cyclic[n_order] = 1;
        size_t top = 0;
        stack[top++] = idx;
        depth_of[idx] = 0;
        done[idx] = 1;
        while (top) {
          size_t cur = stack[--top];
          depth[n_order] = depth_of[cur];
          order[n_order++] = cur;
          size_t first, count = tree_children(items, by_parent, n, &items[cur], &first);
          /* pushed in reverse so the smallest id comes out first */
          for (size_t k = count; k-- > 0;) {
            size_t child = by_parent[first + k];
            if (done[child])
              continue;
            done[child] = 1;
            depth_of[child] = depth_of[cur] + 1;
            stack[top++] = child;
          }
        }
      }
    }
  }
  free(by_parent), free(stack), free(depth_of), free(done);
  return 0;
}

const struct as_rec_snapshot *actor_model_snapshot(const struct as_rec_snapshot *s,
                                                   int include_internal,
                                                   struct actor_model_view *buf,
                                                   struct as_rec_snapshot *out)
{
  size_t hidden = 0;
  for (size_t i = 0; i < s->n_actors; i++)
    hidden += !actor_model_visible(s->actors[i].internal, include_internal);
  if (!hidden)
    return s;
  if (buf->cap < s->n_actors) {
    struct as_rec_actor *actors = realloc(buf->actors, s->n_actors * sizeof *actors);
    if (actors)
      buf->actors = actors;
    size_t *listed = realloc(buf->listed, s->n_actors * sizeof *listed);
    if (listed)
      buf->listed = listed;
    if (!actors || !listed)
      return NULL;
    buf->cap = s->n_actors;
  }
  *out = *s;
  size_t n = 0, n_listed = 0, k = 0;
  int64_t alive = 0;
  for (size_t i = 0; i < s->n_actors; i++) {
    int listed = s->listed && k < s->n_listed && s->listed[k] == i;
    k += listed;
    if (!actor_model_visible(s->actors[i].internal, include_internal))
      continue;
    if (listed)
      buf->listed[n_listed++] = n;
    alive += s->actors[i].status != AS_STATUS_STOPPED;
    buf->actors[n++] = s->actors[i];
  }
  out->actors = buf->actors;
  out->n_actors = n;
  out->listed = s->listed ? buf->listed : NULL;
  out->n_listed = n_listed;
  out->alive = alive;
  return out;
}

void actor_model_view_free(struct actor_model_view *buf)
{
  free(buf->actors);
  free(buf->listed);
  memset(buf, 0, sizeof *buf);
}
