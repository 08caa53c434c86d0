/* A line's spawn sites (each distinct spawning stack once) and each actor's children. */
#include "snapshot_internal.h"
#include "jsonw.h"
#include "symcache.h"

#include <stdlib.h>
#include <string.h>

static int snapshot_edge_cmp(const void *a, const void *b)
{
  const struct snapshot_edge *x = a, *y = b;
  if (x->parent != y->parent)
    return x->parent < y->parent ? -1 : 1;
  return x->child < y->child ? -1 : x->child > y->child;
}

int snapshot_family_build(struct snapshot_family *f, const struct as_actor_view **by_id,
                                 size_t n)
{
  f->edges = malloc((n + 1) * sizeof *f->edges);
  f->first = malloc((n + 1) * sizeof *f->first);
  f->count = n;
  if (!f->edges || !f->first)
    return -1;
  int sorted = 1;
  for (size_t i = 0; i < n; i++) {
    f->edges[i] = (struct snapshot_edge){by_id[i]->parent_id, by_id[i]->id};
    sorted &= i == 0 || snapshot_edge_cmp(&f->edges[i - 1], &f->edges[i]) < 0;
  }
  if (!sorted)
    qsort(f->edges, n, sizeof *f->edges, snapshot_edge_cmp);
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    while (at < n && f->edges[at].parent < by_id[i]->id)
      at++;
    f->first[i] = at;
  }
  return 0;
}

void snapshot_family_free(struct snapshot_family *f)
{
  free(f->edges);
  free(f->first);
}

void snapshot_children(struct as_jsonw *w, const struct snapshot_family *f, size_t index,
                              uint64_t id)
{
  as_jsonw_lit(w, "[");
  size_t start = f->first[index];
  for (size_t k = start; k < f->count && f->edges[k].parent == id; k++) {
    if (k > start)
      as_jsonw_lit(w, ",");
    as_jsonw_u64(w, f->edges[k].child);
  }
  as_jsonw_lit(w, "]");
}

static uint64_t snapshot_site_hash(const struct as_actor_view *v)
{
  uint64_t h = 1469598103934665603ULL ^ v->spawn_frame_count;
  for (uint32_t i = 0; i < v->spawn_frame_count; i++)
    h = (h ^ (uint64_t)(uintptr_t)v->spawn_frames[i]) * 1099511628211ULL;
  return h;
}

static int snapshot_site_equal(const struct as_actor_view *a, const struct as_actor_view *b)
{
  return a->spawn_frame_count == b->spawn_frame_count &&
         memcmp(a->spawn_frames, b->spawn_frames, a->spawn_frame_count * sizeof(void *)) == 0;
}

int snapshot_sites_build(struct snapshot_sites *sites, const struct as_actor_view **by_id,
                                size_t n, const struct as_snapshot_info *info)
{
  size_t slots = 64;
  while (slots < n * 2)
    slots *= 2;
  uint32_t *table = calloc(slots, sizeof *table); /* site number + 1 */
  sites->first = malloc((n + 1) * sizeof *sites->first);
  sites->numbers = calloc(n + 1, sizeof *sites->numbers);
  sites->count = 0;
  if (!table || !sites->first || !sites->numbers) {
    free(table);
    return -1;
  }
  const struct as_actor_view *last = NULL; /* the last actor given a site, and its number */
  uint32_t last_number = 0;
  for (size_t i = 0; i < n; i++) {
    const struct as_actor_view *v = by_id[i];
    if (v->spawn_frame_count == 0 || !snapshot_says_origin(v, info))
      continue;
    /* Actors from one place share their interned frames: no hash for a run of them. */
    if (last && v->spawn_frames == last->spawn_frames &&
        v->spawn_frame_count == last->spawn_frame_count) {
      sites->numbers[i] = last_number;
      continue;
    }
    size_t at = snapshot_site_hash(v) & (slots - 1);
    while (table[at] && !snapshot_site_equal(sites->first[table[at] - 1], v))
      at = (at + 1) & (slots - 1);
    if (!table[at]) {
      sites->first[sites->count] = v;
      table[at] = (uint32_t)++sites->count;
    }
    sites->numbers[i] = table[at];
    last = v;
    last_number = table[at];
  }
  free(table);
  return 0;
}

void snapshot_sites_write(struct as_jsonw *w, const struct snapshot_sites *sites)
{
  as_jsonw_lit(w, "[");
  for (size_t s = 0; s < sites->count; s++) {
    const struct as_actor_view *v = sites->first[s];
    if (s)
      as_jsonw_lit(w, ",");
    as_jsonw_lit(w, "[");
    for (uint32_t i = 0; i < v->spawn_frame_count; i++) {
      if (i)
        as_jsonw_lit(w, ",");
      as_jsonw_str(w, as_symcache_frame(v->spawn_frames[i]));
    }
    as_jsonw_lit(w, "]");
  }
  as_jsonw_lit(w, "]");
}
