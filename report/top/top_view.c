/* actorscope top: ordering the table's rows. */
#define _GNU_SOURCE
#include "top_view.h"

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
      [TOP_STATE_DEADLOCK] = 7, [TOP_STATE_STUCK] = 6,   [TOP_STATE_BUSY] = 5,
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
  case TOP_SORT_AGE: c = cmp_i64(top_actor_age_ns(&ctx->m->snap->snapshot, b), top_actor_age_ns(&ctx->m->snap->snapshot, a)); break;
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
  v->rows[v->n_rows++] = (struct top_row){.actor = actor, .id = s->actors[actor].id, .depth = depth};
  return 0;
}

/* Marks the descendants of a collapsed actor as seen (not listed). STACK has room for every
 * actor not yet seen. */
static void view_hide(const size_t *first, const size_t *next, unsigned char *seen, size_t *stack,
                      size_t root)
{
  size_t none = (size_t)-1, top = 0;
  stack[top++] = root;
  while (top > 0) {
    size_t i = stack[--top];
    for (size_t c = first[i]; c != none; c = next[c])
      if (!seen[c]) {
        seen[c] = 1;
        stack[top++] = c;
      }
  }
}

void top_view_group_label(char *out, size_t cap, const struct as_rec_actor *a)
{
  if (a->has_runtime_id)
    snprintf(out, cap, "%s, actor system %lld", a->runtime ? a->runtime : "?",
             (long long)a->runtime_scope);
  else
    snprintf(out, cap, "%s", a->runtime ? a->runtime : "?");
}

/* Actors group by runtime, CAF ones by actor system (as in report). */
static int view_group_cmp(const struct as_rec_actor *a, const struct as_rec_actor *b)
{
  int c = strcmp(a->runtime ? a->runtime : "", b->runtime ? b->runtime : "");
  if (c)
    return c;
  return cmp_i64(a->has_runtime_id ? a->runtime_scope : -1,
                 b->has_runtime_id ? b->runtime_scope : -1);
}

static int view_group_order(const void *x, const void *y, void *ctx)
{
  const struct as_rec_actor *actors = ctx;
  size_t i = *(const size_t *)x, j = *(const size_t *)y;
  int c = view_group_cmp(&actors[i], &actors[j]);
  return c ? c : (i > j) - (i < j);
}

/* GROUP[i]: the group of actor i, numbered in report's order; returns how many groups (0 when
 * out of memory). FIRST[g]: an actor of group g. */
static size_t view_groups(const struct as_rec_snapshot *s, size_t n, size_t *group, size_t *first)
{
  size_t *by_group = malloc((n ? n : 1) * sizeof *by_group), groups = 0;
  if (!by_group)
    return 0;
  for (size_t i = 0; i < n; i++)
    by_group[i] = i;
  qsort_r(by_group, n, sizeof *by_group, view_group_order, (void *)s->actors);
  for (size_t k = 0; k < n; k++) {
    size_t i = by_group[k];
    if (k == 0 || view_group_cmp(&s->actors[by_group[k - 1]], &s->actors[i]) != 0)
      first[groups++] = i;
    group[i] = groups - 1;
  }
  free(by_group);
  return groups;
}

/* The tree in sorted order: siblings keep the sort's order. A parent that is not listed (or a
 * parent cycle in a hostile file) makes an actor a root; every actor is listed once. With more
 * than one runtime or CAF actor system, each group's roots sit under a heading row. */
static int view_tree(struct top_view *v, const struct top_model *m, const size_t *order, size_t n)
{
  const struct as_rec_snapshot *s = &m->snap->snapshot;
  size_t none = (size_t)-1;
  size_t *first = malloc(n * sizeof *first), *next = malloc(n * sizeof *next);
  size_t *parent = malloc(n * sizeof *parent), *stack = malloc(n * sizeof *stack);
  unsigned *depth = malloc(n * sizeof *depth);
  unsigned char *seen = calloc(n ? n : 1, 1);
  size_t *group = malloc((n ? n : 1) * sizeof *group);
  size_t *group_first = malloc((n ? n : 1) * sizeof *group_first);
  int rc = first && next && parent && stack && depth && seen && group && group_first ? 0 : -ENOMEM;
  size_t groups = rc == 0 ? view_groups(s, n, group, group_first) : 0;
  unsigned base = groups > 1; /* the depth of the roots */
  for (size_t i = 0; rc == 0 && i < n; i++) {
    first[i] = next[i] = none;
    long p = s->actors[i].has_parent ? top_snap_find(s, s->actors[i].parent) : -1;
    parent[i] = p >= 0 && (size_t)p != i ? (size_t)p : none;
  }
  /* Children lists in sorted order: push in reverse order onto each parent's list. */
  for (size_t k = n; rc == 0 && k-- > 0;) {
    size_t i = order[k];
    if (parent[i] != none) {
      next[i] = first[parent[i]];
      first[parent[i]] = i;
    }
  }
  for (size_t g = 0; rc == 0 && g < (groups > 1 ? groups : 1); g++) {
    if (groups > 1) {
      int64_t id = TOP_VIEW_GROUP_ID(g);
      rc = view_push(v, s, group_first[g], 0);
      if (rc)
        break;
      struct top_row *h = &v->rows[v->n_rows - 1];
      h->id = id;
      h->group = 1;
      h->has_children = 1;
      h->collapsed = top_view_is_collapsed(v, id);
      if (h->collapsed)
        continue;
    }
    for (size_t pass = 0; rc == 0 && pass < 2; pass++)
      for (size_t k = 0; rc == 0 && k < n; k++) {
        size_t root = order[k];
        /* First the real roots, then whatever a parent cycle left unreached. */
        if (seen[root] || (pass == 0 && parent[root] != none) || (groups > 1 && group[root] != g))
          continue;
        size_t top = 0;
        stack[top++] = root;
        depth[root] = base;
        seen[root] = 1;
        while (top > 0 && rc == 0) {
          size_t i = stack[--top];
          int collapsed = top_view_is_collapsed(v, s->actors[i].id);
          rc = view_push(v, s, i, depth[i]);
          if (rc)
            break;
          size_t count = 0; /* children not listed yet (a parent cycle lists each actor once) */
          for (size_t c = first[i]; c != none; c = next[c])
            if (!seen[c])
              count++;
          v->rows[v->n_rows - 1].has_children = count > 0;
          v->rows[v->n_rows - 1].collapsed = collapsed && count > 0;
          if (collapsed) {
            view_hide(first, next, seen, stack + top, i);
            continue;
          }
          /* Push children in reverse so the first is popped first. */
          size_t at = top + count;
          for (size_t c = first[i]; c != none; c = next[c])
            if (!seen[c]) {
              seen[c] = 1;
              depth[c] = depth[i] + 1;
              stack[--at] = c;
            }
          top += count;
        }
      }
  }
  free(group);
  free(group_first);
  free(first);
  free(next);
  free(parent);
  free(stack);
  free(depth);
  free(seen);
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
    if (top_filter_match(&v->filter, &s->actors[i], m->views[i].state))
      order[k++] = i;
  struct sort_ctx ctx = {m, v->sort, v->reverse};
  qsort_r(order, k, sizeof *order, view_compare, &ctx);
  int rc = 0;
  if (v->flat || v->filter.n_terms)
    for (size_t i = 0; i < k && rc == 0; i++)
      rc = view_push(v, s, order[i], 0);
  else
    rc = view_tree(v, m, order, n);
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
