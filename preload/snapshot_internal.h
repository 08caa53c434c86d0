/* What the parts of the snapshot encoder share: snapshot.c writes a line (its header, totals,
 * deadlocks, costs), snapshot_actor.c an actor's object (full or ended), snapshot_sites.c the
 * spawn sites and each actor's children. The collector thread only. */
#ifndef AS_SNAPSHOT_INTERNAL_H
#define AS_SNAPSHOT_INTERNAL_H

#include "snapshot.h"
#include "jsonw.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The last string of a kind written, escaped: a keyframe names 100k actors with a handful of
 * names, runtimes and reasons, each escaped once rather than once an actor. Keyed by pointer
 * (interned and cached strings do not change while a line is written). */
struct snapshot_str_cache {
  const char *src;
  size_t len;
  char text[160]; /* a multiple of 16 (snapshot_str copies it so) */
};
#define SNAPSHOT_TYPE_CACHE 8 /* message type names, by address */

/* A run of an ended actor's text that depends on a few of its fields alone, kept as the last
 * ended actor wrote it: the compact form repeats the same runs for actor after actor of a loop
 * (names, reason and counts, message types and peers), and an actor whose fields equal that
 * one's copies the bytes, the same by construction (snapshot_ended). */
struct snapshot_memo {
  int kept; /* the text is the last ended actor's run */
  size_t len;
  char text[512]; /* a multiple of 32 (copied so) */
};

struct snapshot_strs {
  struct snapshot_str_cache name, runtime, reason, thread;
  struct snapshot_str_cache types[SNAPSHOT_TYPE_CACHE];
  /* Of ended actors: the last one listed, the name and full name it was listed with, its runs. */
  const struct as_actor_view *last_ended;
  const char *last_name, *last_full_name;
  struct snapshot_memo head, middle, tail;
  /* Of full actors: the last one listed and its message types and peers. */
  const struct as_actor_view *last_full;
  struct snapshot_memo lists;
};

static inline void snapshot_strs_init(struct snapshot_strs *strs)
{
  strs->name.src = strs->runtime.src = strs->reason.src = strs->thread.src = NULL;
  for (size_t i = 0; i < SNAPSHOT_TYPE_CACHE; i++)
    strs->types[i].src = NULL;
  strs->last_ended = strs->last_full = NULL;
  strs->head.kept = strs->middle.kept = strs->tail.kept = strs->lists.kept = 0;
}

void snapshot_str_miss(struct as_jsonw *w, struct snapshot_str_cache *cache, const char *text);
/* A string as as_jsonw_str writes it, escaped once while the cache keeps it. */
static inline void snapshot_str(struct as_jsonw *w, struct snapshot_str_cache *cache,
                                const char *text)
{
  if (!text || text != cache->src) {
    snapshot_str_miss(w, cache, text);
    return;
  }
  /* In 16-byte moves rather than a call to memcpy: within the reserved room, and within the
   * cache's text (a multiple of 16 bytes) on the other side. */
  char *p = as_jsonw_put_begin(w, sizeof cache->text);
  if (!p)
    return;
  for (size_t at = 0; at < cache->len; at += 16)
    memcpy(p + at, cache->text + at, 16);
  as_jsonw_put_end(w, p + cache->len);
}

/* Nanoseconds from `then` to `now`, both in clock ticks. */
static inline uint64_t snapshot_since(uint64_t now, uint64_t then)
{
  return now > then ? as_clock_ticks_to_ns(now - then) : 0;
}

/* Whether a line says where an actor comes from: always, but in a delta line for an actor an
 * earlier line described (its runtime, spawn time and site, parent and runtime id cannot have
 * changed). */
static inline int snapshot_says_origin(const struct as_actor_view *v,
                                       const struct as_snapshot_info *info)
{
  return !info->delta || !v->known;
}

/* The symbol of the actor's code, else its runtime's name for it, else "<task in CALLER>". */
const char *snapshot_actor_name(const struct as_actor_view *v);
void snapshot_ids(struct as_jsonw *w, const uint64_t *ids, size_t count);

/* Each actor's children: (parent, child) pairs sorted, and per actor (in id order) where its
 * run of pairs starts — found in one merge pass, not a search per actor through the views. */
struct snapshot_edge {
  uint64_t parent, child;
};

struct snapshot_family {
  struct snapshot_edge *edges; /* sorted by parent, then child */
  size_t *first;               /* by view index in id order */
  size_t count;
  size_t edges_capacity, first_capacity; /* kept from line to line (snapshot.c's scratch) */
};

/* 0, or -1 on ENOMEM. by_id: the n views sorted by id. Reuses f's arrays. */
int snapshot_family_build(struct snapshot_family *f, const struct as_actor_view **by_id, size_t n);
void snapshot_family_free(struct snapshot_family *f);
/* Whether the actor at this index of by_id has children (version 5 leaves out an empty
 * "children"). */
static inline int snapshot_has_children(const struct snapshot_family *f, size_t index, uint64_t id)
{
  size_t start = f->first[index];
  return start < f->count && f->edges[start].parent == id;
}
/* The children of the actor at this index of by_id, as an id array. */
void snapshot_children(struct as_jsonw *w, const struct snapshot_family *f, size_t index,
                       uint64_t id);

/* Spawn sites, each distinct call stack once per snapshot: a loop spawning 100k actors has
 * one site, not 100k copies of it. */
struct snapshot_sites {
  const struct as_actor_view **first; /* by site number: the view that introduced it */
  uint32_t *numbers;                  /* by view index in by_id order: site number + 1, or 0 */
  size_t count;
  /* Kept from line to line (snapshot.c's scratch): */
  size_t first_capacity, numbers_capacity;
  uint32_t *table; /* site number + 1 by hash */
  size_t table_slots;
};

/* 0, or -1 on ENOMEM. Reuses sites' arrays. */
int snapshot_sites_build(struct snapshot_sites *sites, const struct as_actor_view **by_id, size_t n,
                         const struct as_snapshot_info *info);
void snapshot_sites_free(struct snapshot_sites *sites);
void snapshot_sites_write(struct as_jsonw *w, const struct snapshot_sites *sites);

/* One actor's object in a line's actors array (site: its spawn site's number + 1, or 0), and
 * an ended actor's compact object (FORMAT.md, "Ended actors"). */
void snapshot_actor(struct as_jsonw *w, const struct as_actor_view *v, size_t index, uint32_t site,
                    const struct snapshot_family *family, const struct as_registry_collection *c,
                    const struct as_snapshot_info *info, struct snapshot_strs *strs);
void snapshot_ended(struct as_jsonw *w, const struct as_actor_view *v, uint32_t site,
                    const struct as_registry_collection *c, const struct as_snapshot_info *info,
                    struct snapshot_strs *strs);

#endif
