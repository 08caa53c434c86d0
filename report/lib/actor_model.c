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

static int group_order(const void *x, const void *y, void *ctx)
{
  const struct actor_group *groups = ctx;
  size_t i = *(const size_t *)x, j = *(const size_t *)y;
  int c = actor_group_cmp(&groups[i], &groups[j]);
  return c ? c : (i > j) - (i < j);
}

long actor_group_ranks(const struct actor_group *groups, size_t n, size_t *rank)
{
  size_t *by_group = malloc((n + 1) * sizeof *by_group);
  if (!by_group)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    by_group[i] = i;
  qsort_r(by_group, n, sizeof *by_group, group_order, (void *)groups);
  long count = 0;
  for (size_t k = 0; k < n; k++) {
    if (k == 0 || actor_group_cmp(&groups[by_group[k - 1]], &groups[by_group[k]]) != 0)
      count++;
    rank[by_group[k]] = (size_t)count - 1;
  }
  free(by_group);
  return count;
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

/* The parent an item hangs from in the tree: among the items, not itself, in its group; else
 * INT64_MIN (a root). */
static int64_t tree_parent_key(const struct actor_tree_item *items, size_t n, size_t i)
{
  const struct actor_tree_item *a = &items[i];
  if (!a->has_parent)
    return INT64_MIN;
  size_t p = tree_find(items, n, a->parent);
  return p < n && p != i && items[p].group == a->group ? a->parent : INT64_MIN;
}

struct tree_sort {
  const struct actor_tree_item *items;
  const int64_t *parent; /* tree_parent_key of each item */
};

/* By group, then parent (roots first), then the siblings' rank and id: each actor's children,
 * and each group's roots, form one run in the order they are listed. */
static int tree_cmp(const void *x, const void *y, void *ctx)
{
  const struct tree_sort *t = ctx;
  size_t i = *(const size_t *)x, j = *(const size_t *)y;
  const struct actor_tree_item *a = &t->items[i], *b = &t->items[j];
  if (a->group != b->group)
    return a->group < b->group ? -1 : 1;
  if (t->parent[i] != t->parent[j])
    return t->parent[i] < t->parent[j] ? -1 : 1;
  if (a->rank != b->rank)
    return a->rank < b->rank ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

/* The children of item P: a run in BY_PARENT. */
static size_t tree_children(const struct tree_sort *t, const size_t *by_parent, size_t n, size_t p,
                            size_t *first)
{
  const struct actor_tree_item *items = t->items;
  size_t group = items[p].group;
  int64_t id = items[p].id;
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    size_t g = items[by_parent[mid]].group;
    if (g < group || (g == group && t->parent[by_parent[mid]] < id))
      lo = mid + 1;
    else
      hi = mid;
  }
  *first = lo;
  size_t k = lo;
  while (k < n && items[by_parent[k]].group == group && t->parent[by_parent[k]] == id)
    k++;
  return k - lo;
}

int actor_tree_order(const struct actor_tree_item *items, size_t n, size_t *order, size_t *depth,
                     unsigned char *cyclic)
{
  size_t *by_parent = malloc((n + 1) * sizeof *by_parent);
  size_t *stack = malloc((n + 1) * sizeof *stack);
  size_t *depth_of = malloc((n + 1) * sizeof *depth_of);
  int64_t *parent = malloc((n + 1) * sizeof *parent);
  unsigned char *done = calloc(n + 1, 1);
  if (!by_parent || !stack || !depth_of || !parent || !done) {
    free(by_parent), free(stack), free(depth_of), free(parent), free(done);
    return -ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    by_parent[i] = i;
    parent[i] = tree_parent_key(items, n, i);
  }
  struct tree_sort t = {items, parent};
  qsort_r(by_parent, n, sizeof *by_parent, tree_cmp, &t);
  memset(cyclic, 0, n);
  size_t n_order = 0;
  /* Per group: roots first; then, in a second pass, whatever is left hangs from a cycle. */
  for (size_t gs = 0, ge; gs < n; gs = ge) {
    for (ge = gs + 1; ge < n && items[by_parent[ge]].group == items[by_parent[gs]].group;)
      ge++;
    for (int pass = 0; pass < 2; pass++) {
      for (size_t i = gs; i < ge; i++) {
        size_t idx = by_parent[i];
        if (done[idx] || (pass == 0 && parent[idx] != INT64_MIN))
          continue;
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
          size_t first, count = tree_children(&t, by_parent, n, cur, &first);
          /* pushed in reverse so the first sibling comes out first */
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
  free(by_parent), free(stack), free(depth_of), free(parent), free(done);
  return 0;
}

static struct actor_model_hidden hidden_of(const struct as_rec_actor *a)
{
  return (struct actor_model_hidden){a->id, a->messages_received, a->received_all,
                                     a->status == AS_STATUS_STOPPED};
}

/* Folds the actors snapshot S hides into BUF's list, each as now seen: a merge, both being
 * sorted by id (linear, whatever order ids come in from one snapshot to the next). Returns how
 * many S hides, or -ENOMEM. */
static long view_note_hidden(struct actor_model_view *buf, const struct as_rec_snapshot *s,
                             int include_internal)
{
  size_t fresh = 0, count = 0, j = 0;
  for (size_t i = 0; i < s->n_actors; i++) {
    const struct as_rec_actor *a = &s->actors[i];
    if (actor_model_visible(a->internal, include_internal))
      continue;
    count++;
    while (j < buf->n_hidden && buf->hidden[j].id < a->id)
      j++;
    if (j < buf->n_hidden && buf->hidden[j].id == a->id)
      buf->hidden[j] = hidden_of(a);
    else
      fresh++;
  }
  if (!fresh)
    return (long)count;
  size_t n = buf->n_hidden + fresh, at = 0;
  struct actor_model_hidden *merged = malloc(n * sizeof *merged);
  if (!merged)
    return -ENOMEM;
  j = 0;
  for (size_t i = 0; i < s->n_actors; i++) {
    const struct as_rec_actor *a = &s->actors[i];
    if (actor_model_visible(a->internal, include_internal))
      continue;
    while (j < buf->n_hidden && buf->hidden[j].id < a->id)
      merged[at++] = buf->hidden[j++];
    j += j < buf->n_hidden && buf->hidden[j].id == a->id;
    merged[at++] = hidden_of(a);
  }
  while (j < buf->n_hidden)
    merged[at++] = buf->hidden[j++];
  free(buf->hidden);
  buf->hidden = merged;
  buf->n_hidden = at;
  return (long)count;
}

const struct as_rec_snapshot *actor_model_snapshot(const struct as_rec_snapshot *s,
                                                   int include_internal,
                                                   struct actor_model_view *buf,
                                                   struct as_rec_snapshot *out)
{
  long hidden = view_note_hidden(buf, s, include_internal);
  if (hidden < 0)
    return NULL;
  if (!hidden && !buf->n_hidden)
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
  int64_t alive = 0, stopped = 0, received = 0, received_all = 0;
  for (size_t i = 0; i < s->n_actors; i++) {
    int listed = s->listed && k < s->n_listed && s->listed[k] == i;
    k += listed;
    const struct as_rec_actor *a = &s->actors[i];
    if (!actor_model_visible(a->internal, include_internal))
      continue;
    if (listed)
      buf->listed[n_listed++] = n;
    alive += a->status != AS_STATUS_STOPPED;
    stopped += a->status == AS_STATUS_STOPPED;
    received = as_sat_add(received, a->messages_received);
    received_all = as_sat_add(received_all, a->received_all);
    buf->actors[n++] = *a;
  }
  struct actor_model_hidden h = {0};
  for (size_t i = 0; i < buf->n_hidden; i++) {
    h.stopped += buf->hidden[i].stopped;
    h.received = as_sat_add(h.received, buf->hidden[i].received);
    h.received_all = as_sat_add(h.received_all, buf->hidden[i].received_all);
  }
  out->actors = buf->actors;
  out->n_actors = n;
  out->listed = s->listed ? buf->listed : NULL;
  out->n_listed = n_listed;
  out->alive = alive;
  out->total_spawned = actor_model_total(s->total_spawned, (int64_t)buf->n_hidden, (int64_t)n);
  out->total_stopped = actor_model_total(s->total_stopped, h.stopped, stopped);
  out->messages_received = actor_model_total(s->messages_received, h.received, received);
  out->received_all = actor_model_total(s->received_all, h.received_all, received_all);
  return out;
}

int actor_model_view_hides(const struct actor_model_view *buf, int64_t id)
{
  size_t lo = 0, hi = buf->n_hidden;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (buf->hidden[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < buf->n_hidden && buf->hidden[lo].id == id;
}

void actor_model_view_free(struct actor_model_view *buf)
{
  free(buf->actors);
  free(buf->listed);
  free(buf->hidden);
  memset(buf, 0, sizeof *buf);
}
