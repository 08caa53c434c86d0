/* A line's spawn sites (each distinct spawning stack once) and each actor's children. */
#include "snapshot_internal.h"
#include "jsonw.h"
#include "symcache.h"
#include "symbatch.h"

#include <stdlib.h>
#include <string.h>

static int snapshot_edge_cmp(const void *a, const void *b)
{
  const struct snapshot_edge *x = a, *y = b;
  if (x->parent != y->parent)
    return x->parent < y->parent ? -1 : 1;
  return x->child < y->child ? -1 : x->child > y->child;
}

/* Grows an array kept from line to line to hold n elements; 0 or -1 (unchanged). */
static int snapshot_array_fit(void **array, size_t *capacity, size_t n, size_t size)
{
  if (n <= *capacity)
    return 0;
  void *grown = realloc(*array, n * size);
  if (!grown)
    return -1;
  *array = grown;
  *capacity = n;
  return 0;
}

int snapshot_family_build(struct snapshot_family *f, const struct as_actor_view **by_id, size_t n)
{
  f->count = 0;
  if (snapshot_array_fit((void **)&f->edges, &f->edges_capacity, n + 1, sizeof *f->edges) < 0 ||
      snapshot_array_fit((void **)&f->first, &f->first_capacity, n + 1, sizeof *f->first) < 0)
    return -1;
  f->count = n;
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
  *f = (struct snapshot_family){0};
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

/* The table of sites seen (site number + 1 by hash), twice their count: a line of 100k actors
 * from a handful of places needs a few slots, not 200k. */
static int snapshot_sites_table_fit(struct snapshot_sites *sites, size_t slots)
{
  if (slots <= sites->table_slots) {
    memset(sites->table, 0, sites->table_slots * sizeof *sites->table);
    return 0;
  }
  uint32_t *table = calloc(slots, sizeof *table);
  if (!table)
    return -1;
  free(sites->table);
  sites->table = table;
  sites->table_slots = slots;
  return 0;
}

static size_t snapshot_sites_slot(const struct snapshot_sites *sites, const struct as_actor_view *v)
{
  size_t mask = sites->table_slots - 1, at = snapshot_site_hash(v) & mask;
  while (sites->table[at] && !snapshot_site_equal(sites->first[sites->table[at] - 1], v))
    at = (at + 1) & mask;
  return at;
}

/* Doubles the table, placing the sites found so far again. */
static int snapshot_sites_table_grow(struct snapshot_sites *sites)
{
  uint32_t *old = sites->table;
  size_t old_slots = sites->table_slots;
  sites->table = NULL;
  sites->table_slots = 0;
  if (snapshot_sites_table_fit(sites, old_slots * 2) < 0) {
    sites->table = old;
    sites->table_slots = old_slots;
    return -1;
  }
  for (size_t s = 0; s < old_slots; s++)
    if (old[s])
      sites->table[snapshot_sites_slot(sites, sites->first[old[s] - 1])] = old[s];
  free(old);
  return 0;
}

int snapshot_sites_build(struct snapshot_sites *sites, const struct as_actor_view **by_id, size_t n,
                         const struct as_snapshot_info *info)
{
  sites->count = 0;
  if (snapshot_array_fit((void **)&sites->first, &sites->first_capacity, n + 1,
                         sizeof *sites->first) < 0 ||
      snapshot_array_fit((void **)&sites->numbers, &sites->numbers_capacity, n + 1,
                         sizeof *sites->numbers) < 0 ||
      snapshot_sites_table_fit(sites, sites->table_slots ? sites->table_slots : 64) < 0)
    return -1;
  const struct as_actor_view *last = NULL; /* the last actor given a site, and its number */
  uint32_t last_number = 0;
  for (size_t i = 0; i < n; i++) {
    const struct as_actor_view *v = by_id[i];
    sites->numbers[i] = 0;
    if (v->spawn_frame_count == 0 || !snapshot_says_origin(v, info))
      continue;
    /* Actors from one place share their interned frames: no hash for a run of them. */
    if (last && v->spawn_frames == last->spawn_frames &&
        v->spawn_frame_count == last->spawn_frame_count) {
      sites->numbers[i] = last_number;
      continue;
    }
    size_t at = snapshot_sites_slot(sites, v);
    if (!sites->table[at]) {
      if ((sites->count + 1) * 2 > sites->table_slots) {
        if (snapshot_sites_table_grow(sites) < 0)
          return -1;
        at = snapshot_sites_slot(sites, v);
      }
      sites->first[sites->count] = v;
      sites->table[at] = (uint32_t)++sites->count;
    }
    sites->numbers[i] = sites->table[at];
    last = v;
    last_number = sites->table[at];
  }
  return 0;
}

void snapshot_sites_free(struct snapshot_sites *sites)
{
  free(sites->first);
  free(sites->numbers);
  free(sites->table);
  *sites = (struct snapshot_sites){0};
}

/* A spawn site's frames as a line writes them (a JSON array of their descriptions), kept by the
 * address of its interned frames: an origin is never freed nor changed (spawn_site.c), nor is the
 * symbol cache's text of a frame, so the same address writes the same bytes. Every line that
 * names a site wrote its frames again, escaping ~100 bytes a frame (the collector thread's, or
 * the exiting thread's for the last line: one writer at a time). */
#define SNAPSHOT_SITE_TEXTS 64
#define SNAPSHOT_SITE_TEXT_MAX 8192 /* 64 of them: half a megabyte at most */
struct snapshot_site_text {
  void *const *frames;
  uint32_t count;
  size_t len;
  char *text; /* malloc'd; NULL: none */
};
static struct snapshot_site_text snapshot_site_texts[SNAPSHOT_SITE_TEXTS];

static struct snapshot_site_text *snapshot_site_text_of(const struct as_actor_view *v)
{
  return &snapshot_site_texts[((uintptr_t)v->spawn_frames >> 4) % SNAPSHOT_SITE_TEXTS];
}

static int snapshot_site_text_kept(const struct snapshot_site_text *t,
                                   const struct as_actor_view *v)
{
  return t->text && t->frames == v->spawn_frames && t->count == v->spawn_frame_count;
}

static void snapshot_site_frames(struct as_jsonw *w, const struct as_actor_view *v)
{
  struct snapshot_site_text *t = snapshot_site_text_of(v);
  if (snapshot_site_text_kept(t, v)) {
    as_jsonw_raw(w, t->text, t->len);
    return;
  }
  size_t flushed = w->flushed, at = w->len;
  as_jsonw_lit(w, "[");
  for (uint32_t i = 0; i < v->spawn_frame_count; i++) {
    if (i)
      as_jsonw_lit(w, ",");
    as_jsonw_str(w, as_symcache_frame(v->spawn_frames[i]));
  }
  as_jsonw_lit(w, "]");
  if (w->failed || w->flushed != flushed || w->len - at > SNAPSHOT_SITE_TEXT_MAX)
    return; /* part of it was handed on (kept next time), or too long to keep */
  char *text = malloc(w->len - at);
  if (!text)
    return;
  memcpy(text, w->buf + at, w->len - at);
  free(t->text);
  *t = (struct snapshot_site_text){v->spawn_frames, v->spawn_frame_count, w->len - at, text};
}

void snapshot_sites_write(struct as_jsonw *w, const struct snapshot_sites *sites)
{
  /* The frames of the sites written anew, symbolised together: most lie in the runtime's
   * library, whose symbol table was read once a frame. */
  void *fresh[AS_STACK_DESCRIBE_MANY];
  size_t n = 0;
  for (size_t s = 0; s < sites->count; s++) {
    const struct as_actor_view *v = sites->first[s];
    if (snapshot_site_text_kept(snapshot_site_text_of(v), v))
      continue;
    for (uint32_t i = 0; i < v->spawn_frame_count; i++) {
      if (n == AS_STACK_DESCRIBE_MANY) {
        as_symcache_frames(fresh, n);
        n = 0;
      }
      fresh[n++] = v->spawn_frames[i];
    }
  }
  as_symcache_frames(fresh, n);
  as_jsonw_lit(w, "[");
  for (size_t s = 0; s < sites->count; s++) {
    if (s)
      as_jsonw_lit(w, ",");
    snapshot_site_frames(w, sites->first[s]);
  }
  as_jsonw_lit(w, "]");
}
