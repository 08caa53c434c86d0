#include "metrics_pairs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *pairs_name(struct metrics_pairs *p, const char *name)
{
  for (size_t i = p->n_names; i-- > 0;)
    if (strcmp(p->names[i], name) == 0)
      return p->names[i];
  if (p->n_names == p->cap_names) {
    size_t cap = p->cap_names ? 2 * p->cap_names : 16;
    char **grown = reallocarray(p->names, cap, sizeof *grown);
    if (!grown)
      return NULL;
    p->names = grown;
    p->cap_names = cap;
  }
  char *copy = strdup(name);
  if (copy)
    p->names[p->n_names++] = copy;
  return copy;
}

static int pairs_add(struct metrics_pairs *p, const char *from, const char *to, int64_t count)
{
  if (count <= 0)
    return 0;
  for (size_t i = 0; i < p->n; i++)
    if (p->items[i].from == from && p->items[i].to == to) {
      p->items[i].count = as_sat_add(p->items[i].count, count);
      return 0;
    }
  if (p->n == METRICS_PAIRS_MAX) {
    p->other = as_sat_add(p->other, count);
    return 0;
  }
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 16;
    struct metrics_pair *grown = reallocarray(p->items, cap, sizeof *grown);
    if (!grown)
      return -ENOMEM;
    p->items = grown;
    p->cap = cap;
  }
  p->items[p->n++] = (struct metrics_pair){from, to, count};
  return 0;
}

/* The name of the actor with this id in the snapshot being folded in, else NAME_OF's; NULL for
 * one the view hides (runtime-internal, without --internal). */
static const char *pairs_actor_name(const struct metrics_pairs *p, int64_t id,
                                    const char *(*name_of)(int64_t, void *), void *ctx)
{
  if (p->view && actor_model_view_hides(p->view, id))
    return NULL;
  const struct as_rec_snapshot *s = p->snapshot;
  size_t lo = 0, hi = s ? s->n_actors : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->actors[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (s && lo < s->n_actors && s->actors[lo].id == id)
    return s->actors[lo].name;
  const char *name = name_of ? name_of(id, ctx) : NULL;
  return name ? name : AS_NAME_UNKNOWN;
}

int metrics_pairs_fold(struct metrics_pairs *pairs, struct metrics_pairs_seen *seen,
                       const char *from, const struct as_rec_actor *a,
                       const char *(*name_of)(int64_t id, void *ctx), void *ctx)
{
  struct metrics_peer_seen *now = NULL;
  if (a->n_peers && !(now = calloc(a->n_peers, sizeof *now)))
    return -ENOMEM;
  const char *self = pairs_name(pairs, from);
  if (!self)
    goto nomem;
  for (size_t i = 0; i < a->n_peers; i++) {
    const struct as_rec_peer *peer = &a->peers[i];
    const char *thread = peer->to_thread ? peer->to_thread : peer->from_thread;
    now[i] = (struct metrics_peer_seen){thread ? 0 : peer->to, NULL, peer->from_thread != NULL,
                                        peer->count};
    if (thread && !(now[i].thread = pairs_name(pairs, thread)))
      goto nomem;
    int64_t before = 0;
    for (size_t k = 0; k < seen->n; k++)
      if (seen->items[k].to == now[i].to && seen->items[k].thread == now[i].thread &&
          seen->items[k].from_thread == now[i].from_thread)
        before = seen->items[k].count;
    const char *to = thread ? now[i].thread : pairs_actor_name(pairs, peer->to, name_of, ctx);
    if (!to)
      continue; /* remembered above; a hidden peer's messages are no pair's */
    const char *other = thread ? to : pairs_name(pairs, to);
    if (!other)
      goto nomem;
    int64_t grown = peer->count > before ? peer->count - before : 0;
    if (pairs_add(pairs, now[i].from_thread ? other : self, now[i].from_thread ? self : other,
                  grown) < 0)
      goto nomem;
  }
  if (a->peers_other > seen->other)
    pairs->other = as_sat_add(pairs->other, a->peers_other - seen->other);
  seen->other = a->peers_other;
  free(seen->items);
  seen->items = now;
  seen->n = a->n_peers;
  return 0;
nomem:
  free(now);
  return -ENOMEM;
}

void metrics_pairs_seen_free(struct metrics_pairs_seen *seen)
{
  free(seen->items);
  memset(seen, 0, sizeof *seen);
}

void metrics_pairs_free(struct metrics_pairs *pairs)
{
  for (size_t i = 0; i < pairs->n_names; i++)
    free(pairs->names[i]);
  free(pairs->names);
  free(pairs->items);
  memset(pairs, 0, sizeof *pairs);
}
