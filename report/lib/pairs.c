#include "pairs.h"

#include "recording.h"

#include <stdlib.h>
#include <string.h>

int rm_peers_update(struct recording *m, struct rm_actor *a, const struct as_rec_actor *r)
{
  a->peers_other = r->peers_other;
  size_t n = r->n_peers < AS_PEERS_PER_ACTOR_MAX * 2 ? r->n_peers : AS_PEERS_PER_ACTOR_MAX * 2;
  if (n == 0 && a->n_peers == 0)
    return 0;
  if (n != a->n_peers) {
    struct rm_peer *grown = reallocarray(a->peers, n ? n : 1, sizeof *grown);
    if (!grown)
      return -1;
    a->peers = grown;
    a->n_peers = (uint8_t)n;
  }
  for (size_t i = 0; i < n; i++) {
    const struct as_rec_peer *p = &r->peers[i];
    const char *thread = p->to_thread ? p->to_thread : p->from_thread;
    uint32_t name = thread ? strtab_intern(&m->strings, thread) : RM_NONE;
    if (thread && name == UINT32_MAX)
      return -1;
    a->peers[i] = (struct rm_peer){thread ? 0 : p->to, name, p->from_thread != NULL, p->count};
  }
  return 0;
}

static int pairs_key_cmp(const void *x, const void *y)
{
  const struct rm_pair *a = x, *b = y;
  if (a->from != b->from)
    return a->from < b->from ? -1 : 1;
  if (a->to != b->to)
    return a->to < b->to ? -1 : 1;
  if (a->from_id != b->from_id)
    return a->from_id < b->from_id ? -1 : 1;
  return a->to_id < b->to_id ? -1 : a->to_id > b->to_id;
}

static const struct recording *pairs_sort_model;

static int pairs_count_cmp(const void *x, const void *y)
{
  const struct rm_pair *a = x, *b = y;
  if (a->count != b->count)
    return a->count > b->count ? -1 : 1;
  const struct strtab *t = &pairs_sort_model->strings;
  int c = strcmp(strtab_text(t, a->from), strtab_text(t, b->from));
  if (c)
    return c;
  c = strcmp(strtab_text(t, a->to), strtab_text(t, b->to));
  if (c)
    return c;
  return pairs_key_cmp(x, y);
}

/* The name of a visible actor with this id; RM_NONE when it is hidden. */
static uint32_t pairs_actor_name(const struct recording *m, int64_t id, uint32_t unknown)
{
  const struct rm_actor *a = recording_find(m, id);
  if (!a)
    return unknown; /* reaped before any line listed it */
  return recording_visible(m, a) ? a->name : RM_NONE;
}

int recording_pairs(const struct recording *m, int by_actor, struct rm_pairs *out)
{
  memset(out, 0, sizeof *out);
  size_t cap = 0;
  uint32_t unknown = strtab_find(&m->strings, AS_NAME_UNKNOWN);
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (a->n_peers || a->peers_other)
      out->any = 1;
    if (!recording_visible(m, a))
      continue;
    out->other += a->peers_other;
    for (size_t k = 0; k < a->n_peers; k++) {
      const struct rm_peer *p = &a->peers[k];
      struct rm_pair pair = {a->name, RM_NONE, by_actor ? a->id : 0, 0, p->count};
      if (p->from_thread) {
        pair = (struct rm_pair){p->thread, a->name, 0, by_actor ? a->id : 0, p->count};
      } else if (p->thread != RM_NONE) {
        pair.to = p->thread;
      } else {
        pair.to = pairs_actor_name(m, p->to, unknown);
        pair.to_id = by_actor ? p->to : 0;
      }
      if (pair.to == RM_NONE || pair.from == RM_NONE)
        continue;
      if (out->n == cap) {
        cap = cap ? 2 * cap : 64;
        struct rm_pair *grown = reallocarray(out->items, cap, sizeof *grown);
        if (!grown) {
          recording_pairs_free(out);
          return -1;
        }
        out->items = grown;
      }
      out->items[out->n++] = pair;
    }
  }
  if (!out->n)
    return 0;
  qsort(out->items, out->n, sizeof *out->items, pairs_key_cmp);
  size_t w = 0;
  for (size_t i = 0; i < out->n; i++) {
    if (w && pairs_key_cmp(&out->items[w - 1], &out->items[i]) == 0)
      out->items[w - 1].count += out->items[i].count;
    else
      out->items[w++] = out->items[i];
  }
  out->n = w;
  pairs_sort_model = m;
  qsort(out->items, out->n, sizeof *out->items, pairs_count_cmp);
  return 0;
}

void recording_pairs_free(struct rm_pairs *pairs)
{
  free(pairs->items);
  memset(pairs, 0, sizeof *pairs);
}

int64_t recording_pairs_between(const struct recording *m, const struct rm_pairs *pairs,
                                const char *from, const char *to)
{
  int64_t sum = 0;
  for (size_t i = 0; i < pairs->n; i++)
    if (strcmp(strtab_text(&m->strings, pairs->items[i].from), from) == 0 &&
        strcmp(strtab_text(&m->strings, pairs->items[i].to), to) == 0)
      sum += pairs->items[i].count;
  return sum;
}
