/* actorscope top: ordering the table's rows. */
#define _GNU_SOURCE
#include "top_view.h"

#include "actor_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sort_names[TOP_SORT_COUNT] = {
    "id", "name", "state", "mailbox", "msg/s", "received", "exceptions", "age",
};

const char *top_sort_name(enum top_sort sort)
{
  return sort < TOP_SORT_COUNT ? sort_names[sort] : "?";
}

void top_view_init(struct top_view *v)
{
  memset(v, 0, sizeof *v);
  v->cursor_id = -1;
}

void top_view_free(struct top_view *v)
{
  free(v->collapsed);
  free(v->rows);
  top_view_init(v);
}

static long view_find_collapsed(const struct top_view *v, int64_t id, size_t *at)
{
  size_t lo = 0, hi = v->n_collapsed;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v->collapsed[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  *at = lo;
  return lo < v->n_collapsed && v->collapsed[lo] == id ? (long)lo : -1;
}

int top_view_is_collapsed(const struct top_view *v, int64_t id)
{
  size_t at;
  return view_find_collapsed(v, id, &at) >= 0;
}

void top_view_collapse(struct top_view *v, int64_t id, int how)
{
  size_t at;
  int is = view_find_collapsed(v, id, &at) >= 0;
  int want = how < 0 ? !is : how;
  if (want == is)
    return;
  if (!want) {
    memmove(&v->collapsed[at], &v->collapsed[at + 1], (v->n_collapsed - at - 1) * sizeof(int64_t));
    v->n_collapsed--;
    return;
  }
  if (v->n_collapsed == v->cap_collapsed) {
    size_t cap = v->cap_collapsed ? v->cap_collapsed * 2 : 16;
    int64_t *c = realloc(v->collapsed, cap * sizeof *c);
    if (!c)
      return;
    v->collapsed = c;
    v->cap_collapsed = cap;
  }
  memmove(&v->collapsed[at + 1], &v->collapsed[at], (v->n_collapsed - at) * sizeof(int64_t));
  v->collapsed[at] = id;
  v->n_collapsed++;
}

/* How bad a state is, for sorting by state: the worst first. */
static int state_rank(enum top_state s)
{
  static const int rank[TOP_STATE_COUNT] = {
      [TOP_STATE_DEADLOCK] = 7, [TOP_STATE_STUCK] = 6,    [TOP_STATE_BUSY] = 5,
      [TOP_STATE_WAITING] = 4,  [TOP_STATE_STOPPING] = 3, [TOP_STATE_STARTING] = 2,
      [TOP_STATE_RUNNING] = 1,  [TOP_STATE_STOPPED] = 0,
  };
  return rank[s];
}

struct sort_ctx {
  const struct top_model *m;
  enum top_sort sort;
  int reverse;
};

static int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }

/* Names and ids ascend; counts, rates and ages descend (the busiest first), like top. */
static int view_compare(const void *pa, const void *pb, void *pctx)
{
  const struct sort_ctx *ctx = pctx;
  size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
  const struct as_rec_actor *a = &ctx->m->snap->snapshot.actors[ia];
  const struct as_rec_actor *b = &ctx->m->snap->snapshot.actors[ib];
  const struct top_actor_view *va = &ctx->m->views[ia], *vb = &ctx->m->views[ib];
  int c = 0;
  switch (ctx->sort) {
  case TOP_SORT_NAME: c = strcmp(a->name, b->name); break;
  case TOP_SORT_STATE: c = state_rank(vb->state) - state_rank(va->state); break;
  case TOP_SORT_MAILBOX: c = cmp_i64(b->queued_all, a->queued_all); break;
  case TOP_SORT_RATE: c = (vb->rate > va->rate) - (vb->rate < va->rate); break;
  case TOP_SORT_RECEIVED: c = cmp_i64(b->received_all, a->received_all); break;
  case TOP_SORT_EXCEPTIONS: c = cmp_i64(b->exceptions, a->exceptions); break;
  case TOP_SORT_AGE:
    c = cmp_i64(top_actor_age_ns(&ctx->m->snap->snapshot, b),
                top_actor_age_ns(&ctx->m->snap->snapshot, a));
    break;
  default: break;
  }
  if (c == 0)
    c = cmp_i64(a->id, b->id);
  return ctx->reverse ? -c : c;
}

static int view_push(struct top_view *v, const struct as_rec_snapshot *s, size_t actor,
                     unsigned depth)
{
  if (v->n_rows == v->cap_rows) {
    size_t cap = v->cap_rows ? v->cap_rows * 2 : 256;
    struct top_row *rows = realloc(v->rows, cap * sizeof *rows);
    if (!rows)
      return -ENOMEM;
    v->rows = rows;
    v->cap_rows = cap;
  }
  v->rows[v->n_rows++] =
      (struct top_row){.actor = actor, .id = s->actors[actor].id, .depth = depth};
  return 0;
}

static void view_group(const struct as_rec_actor *a, struct actor_group *g)
{
  *g = (struct actor_group){a->runtime, a->has_runtime_id, a->runtime_scope};
}

void top_view_group_label(char *out, size_t cap, const struct as_rec_actor *a)
{
  struct actor_group g;
  view_group(a, &g);
  actor_group_label(out, cap, &g);
}

/* GROUP[i]: the group of listed actor i (LISTED: K snapshot indexes), numbered in report's
 * order (actor_group_ranks); returns how many groups (0 when out of memory). FIRST[g]: an
 * actor of group g. */
static size_t view_groups(const struct as_rec_snapshot *s, const size_t *listed, size_t k,
                          size_t *group, size_t *first)
{
  struct actor_group *groups = malloc((k ? k : 1) * sizeof *groups);
  size_t *rank = malloc((k ? k : 1) * sizeof *rank);
  long count = groups && rank ? 0 : -ENOMEM;
  for (size_t j = 0; count == 0 && j < k; j++)
    view_group(&s->actors[listed[j]], &groups[j]);
  if (count == 0)
    count = actor_group_ranks(groups, k, rank);
  for (size_t j = 0; count > 0 && j < k; j++) {
    group[listed[j]] = rank[j];
    first[rank[j]] = listed[j];
  }
  free(groups);
  free(rank);
  return count > 0 ? (size_t)count : 0;
}

/* The tree in the model's one order (actor_model.h), siblings in the sort's order. A parent
 * that is not listed (a hidden runtime-internal actor, another group's, or a parent cycle in a
 * hostile file) makes an actor a root; every actor is listed once. With more than one runtime
 * or CAF actor system, each group's roots sit under a heading row. ORDER: the K listed
 * actors, sorted. */
static int view_tree(struct top_view *v, const struct top_model *m, const size_t *order, size_t k)
{
  const struct as_rec_snapshot *s = &m->snap->snapshot;
  size_t n = s->n_actors, one = k ? k : 1;
  size_t *group = malloc((n ? n : 1) * sizeof *group);
  size_t *group_first = malloc((n ? n : 1) * sizeof *group_first);
  size_t *item_of = malloc((n ? n : 1) * sizeof *item_of),
         *actor_of = malloc(one * sizeof *actor_of);
  size_t *tree = malloc(one * sizeof *tree), *depth = malloc(one * sizeof *depth);
  unsigned char *listed = calloc(n ? n : 1, 1), *cyclic = malloc(one);
  struct actor_tree_item *items = malloc(one * sizeof *items);
  int rc = group && group_first && item_of && actor_of && tree && depth && listed && cyclic && items
               ? 0
               : -ENOMEM;
  size_t groups = rc == 0 ? view_groups(s, order, k, group, group_first) : 0;
  if (rc == 0 && k && !groups)
    rc = -ENOMEM;
  if (rc == 0) {
    /* The items in id order (the snapshot's), each ranked where the sort puts it. */
    for (size_t j = 0; j < k; j++)
      listed[order[j]] = 1;
    for (size_t i = 0, j = 0; i < n; i++)
      if (listed[i]) {
        actor_of[j] = i;
        item_of[i] = j++;
      }
    for (size_t r = 0; r < k; r++) {
      const struct as_rec_actor *a = &s->actors[order[r]];
      items[item_of[order[r]]] =
          (struct actor_tree_item){a->id, a->parent, group[order[r]], a->has_parent, r};
    }
    rc = actor_tree_order(items, k, tree, depth, cyclic);
  }
  unsigned base = groups > 1; /* the depth of the roots */
  size_t none = (size_t)-1, shown_group = none, hide_below = none;
  int group_collapsed = 0;
  for (size_t p = 0; rc == 0 && p < k; p++) {
    size_t g = items[tree[p]].group;
    if (groups > 1 && g != shown_group) {
      int64_t id = TOP_VIEW_GROUP_ID(g);
      rc = view_push(v, s, group_first[g], 0);
      if (rc)
        break;
      struct top_row *h = &v->rows[v->n_rows - 1];
      h->id = id;
      h->group = 1;
      h->has_children = 1;
      h->collapsed = group_collapsed = top_view_is_collapsed(v, id);
      hide_below = none;
    }
    shown_group = g;
    /* Below a collapsed actor: its descendants, the rows deeper than it that follow. */
    if (group_collapsed || (hide_below != none && depth[p] > hide_below))
      continue;
    hide_below = none;
    size_t i = actor_of[tree[p]];
    rc = view_push(v, s, i, base + (unsigned)depth[p]);
    if (rc)
      break;
    struct top_row *row = &v->rows[v->n_rows - 1];
    row->has_children = p + 1 < k && depth[p + 1] > depth[p];
    row->collapsed = row->has_children && top_view_is_collapsed(v, s->actors[i].id);
    if (row->collapsed)
      hide_below = depth[p];
  }
  free(group), free(group_first), free(item_of), free(actor_of);
  free(tree), free(depth), free(listed), free(cyclic), free(items);
  return rc;
}

int top_view_rebuild(struct top_view *v, const struct top_model *m)
{
  v->n_rows = 0;
  if (!m->snap)
    return 0;
  const struct as_rec_snapshot *s = &m->snap->snapshot;
  size_t n = s->n_actors;
  size_t *order = malloc((n ? n : 1) * sizeof *order);
  if (!order)
    return -ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (actor_model_visible(s->actors[i].internal, v->internal) &&
        top_filter_match(&v->filter, &s->actors[i], m->views[i].state))
      order[k++] = i;
  struct sort_ctx ctx = {m, v->sort, v->reverse};
  qsort_r(order, k, sizeof *order, view_compare, &ctx);
  int rc = 0;
  if (v->flat || v->filter.n_terms)
    for (size_t i = 0; i < k && rc == 0; i++)
      rc = view_push(v, s, order[i], 0);
  else
    rc = view_tree(v, m, order, k);
  free(order);
  /* Keep the cursor on its actor; if it is gone, on the same row. */
  if (v->cursor_id >= 0)
    for (size_t r = 0; r < v->n_rows; r++)
      if (v->rows[r].id == v->cursor_id) {
        v->cursor = r;
        break;
      }
  top_view_move(v, 0, 0);
  return rc;
}

void top_view_move(struct top_view *v, long delta, size_t page)
{
  if (v->n_rows == 0) {
    v->cursor = v->scroll = 0;
    return;
  }
  long c = (long)v->cursor + delta;
  if (c < 0)
    c = 0;
  if ((size_t)c >= v->n_rows)
    c = (long)v->n_rows - 1;
  v->cursor = (size_t)c;
  if (page) {
    if (v->cursor < v->scroll)
      v->scroll = v->cursor;
    if (v->cursor >= v->scroll + page)
      v->scroll = v->cursor - page + 1;
  }
  if (v->scroll >= v->n_rows)
    v->scroll = v->n_rows - 1;
  v->cursor_id = v->rows[v->cursor].id;
}
