/* actorscope top: deep copies of reader records into one arena per snapshot. */
#include "top_snap.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK ((size_t)1 << 20)

struct top_arena_chunk {
  struct top_arena_chunk *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
};

struct arena {
  struct top_arena_chunk **head;
  int failed;
};

static void *arena_alloc(struct arena *a, size_t size)
{
  size = (size + 15) & ~(size_t)15;
  struct top_arena_chunk *c = *a->head;
  if (!c || c->size - c->used < size) {
    size_t want = size > ARENA_CHUNK ? size : ARENA_CHUNK;
    c = malloc(sizeof *c + want);
    if (!c) {
      a->failed = 1;
      return NULL;
    }
    c->next = *a->head;
    c->used = 0;
    c->size = want;
    *a->head = c;
  }
  void *p = c->data + c->used;
  c->used += size;
  return p;
}

static const char *arena_str(struct arena *a, const char *s)
{
  if (!s)
    return NULL;
  size_t len = strlen(s) + 1;
  char *p = arena_alloc(a, len);
  if (p)
    memcpy(p, s, len);
  return p;
}

static void *arena_dup(struct arena *a, const void *src, size_t size)
{
  if (!src || !size)
    return NULL;
  void *p = arena_alloc(a, size);
  if (p)
    memcpy(p, src, size);
  return p;
}

static const char *const *arena_strs(struct arena *a, const char *const *src, size_t n)
{
  if (!src || !n)
    return NULL;
  const char **out = arena_alloc(a, n * sizeof *out);
  if (out)
    for (size_t i = 0; i < n; i++)
      out[i] = arena_str(a, src[i]);
  return out;
}

/* Most actors share a few names: the previous actor's copy serves when it is the same. */
static const char *arena_str_like(struct arena *a, const char *s, const char *prev)
{
  return s && prev && strcmp(s, prev) == 0 ? prev : arena_str(a, s);
}

static void snap_copy_actor(struct arena *a, struct as_rec_actor *d, const struct as_rec_actor *s,
                            const struct as_rec_actor *prev)
{
  *d = *s;
  d->name = arena_str_like(a, s->name, prev ? prev->name : NULL);
  d->full_name = arena_str_like(a, s->full_name, prev ? prev->full_name : NULL);
  d->runtime = arena_str_like(a, s->runtime, prev ? prev->runtime : NULL);
  d->stop_reason = arena_str(a, s->stop_reason);
  d->mailbox_kind = arena_str_like(a, s->mailbox_kind, prev ? prev->mailbox_kind : NULL);
  d->handling_type = arena_str(a, s->handling_type);
  d->children = arena_dup(a, s->children, s->n_children * sizeof *s->children);
  d->links = arena_dup(a, s->links, s->n_links * sizeof *s->links);
  d->monitors = arena_dup(a, s->monitors, s->n_monitors * sizeof *s->monitors);
  struct as_rec_msgtype *types =
      arena_dup(a, s->message_types, s->n_message_types * sizeof *s->message_types);
  for (size_t i = 0; types && i < s->n_message_types; i++)
    types[i].name = arena_str(a, s->message_types[i].name);
  d->message_types = types;
  struct as_rec_socket *sockets = arena_dup(a, s->sockets, s->n_sockets * sizeof *s->sockets);
  for (size_t i = 0; sockets && i < s->n_sockets; i++) {
    sockets[i].kind = arena_str(a, s->sockets[i].kind);
    sockets[i].endpoint = arena_str(a, s->sockets[i].endpoint);
  }
  d->sockets = sockets;
  struct as_rec_peer *peers = arena_dup(a, s->peers, s->n_peers * sizeof *s->peers);
  for (size_t i = 0; peers && i < s->n_peers; i++) {
    peers[i].to_thread = arena_str(a, s->peers[i].to_thread);
    peers[i].from_thread = arena_str(a, s->peers[i].from_thread);
  }
  d->peers = peers;
  d->histogram = arena_dup(a, s->histogram, s->n_histogram * 2 * sizeof *s->histogram);
  d->wait_histogram =
      arena_dup(a, s->wait_histogram, s->n_wait_histogram * 2 * sizeof *s->wait_histogram);
  d->handling_stack = arena_strs(a, s->handling_stack, s->n_handling_stack);
  d->handling_stack_source = arena_str(a, s->handling_stack_source);
  d->stuck_type = arena_str(a, s->stuck_type);
  d->stuck_source = arena_str(a, s->stuck_source);
  d->stuck_end = arena_str(a, s->stuck_end);
  d->stuck_stack = arena_strs(a, s->stuck_stack, s->n_stuck_stack);
}

static void snap_copy_header(struct arena *a, struct as_rec_header *d,
                             const struct as_rec_header *s)
{
  *d = *s;
  d->program = arena_str(a, s->program);
  d->name = arena_str(a, s->name);
  d->argv = arena_strs(a, s->argv, s->argc);
  d->started_at = arena_str(a, s->started_at);
}

struct top_snap *top_snap_copy(const struct as_rec_header *header, const struct as_rec_snapshot *s)
{
  struct top_snap *snap = calloc(1, sizeof *snap);
  if (!snap)
    return NULL;
  struct arena a = {&snap->arena, 0};
  snap_copy_header(&a, &snap->header, header);
  struct as_rec_snapshot *d = &snap->snapshot;
  *d = *s;
  d->captured_at = arena_str(&a, s->captured_at);
  d->signal = arena_str(&a, s->signal);
  d->ended_by = arena_str(&a, s->ended_by);
  d->reaped = arena_dup(&a, s->reaped, s->n_reaped * sizeof *s->reaped);
  d->listed = arena_dup(&a, s->listed, s->n_listed * sizeof *s->listed);
  struct as_rec_cycle *cycles = arena_dup(&a, s->deadlocks, s->n_deadlocks * sizeof *cycles);
  for (size_t i = 0; cycles && i < s->n_deadlocks; i++) {
    cycles[i].actors =
        arena_dup(&a, s->deadlocks[i].actors, s->deadlocks[i].n_actors * sizeof *cycles[i].actors);
    cycles[i].names = arena_strs(&a, s->deadlocks[i].names, s->deadlocks[i].n_names);
  }
  d->deadlocks = cycles;
  struct as_rec_diagnostic *diags = arena_dup(&a, s->diagnostics, s->n_diagnostics * sizeof *diags);
  for (size_t i = 0; diags && i < s->n_diagnostics; i++) {
    diags[i].code = arena_str(&a, s->diagnostics[i].code);
    diags[i].message = arena_str(&a, s->diagnostics[i].message);
  }
  d->diagnostics = diags;
  struct as_rec_site *sites = arena_dup(&a, s->spawn_sites, s->n_spawn_sites * sizeof *sites);
  for (size_t i = 0; sites && i < s->n_spawn_sites; i++)
    sites[i].frames = arena_strs(&a, s->spawn_sites[i].frames, s->spawn_sites[i].n_frames);
  d->spawn_sites = sites;
  struct as_rec_actor *actors = s->n_actors ? arena_alloc(&a, s->n_actors * sizeof *actors) : NULL;
  for (size_t i = 0; actors && i < s->n_actors; i++)
    snap_copy_actor(&a, &actors[i], &s->actors[i], i ? &actors[i - 1] : NULL);
  d->actors = actors;
  if (a.failed) {
    top_snap_free(snap);
    return NULL;
  }
  return snap;
}

void top_snap_free(struct top_snap *snap)
{
  if (!snap)
    return;
  for (struct top_arena_chunk *c = snap->arena, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(snap);
}

static int snap_compare_id(const void *key, const void *actor)
{
  int64_t id = *(const int64_t *)key, other = ((const struct as_rec_actor *)actor)->id;
  return (id > other) - (id < other);
}

long top_snap_find(const struct as_rec_snapshot *s, int64_t id)
{
  const struct as_rec_actor *a =
      s->n_actors ? bsearch(&id, s->actors, s->n_actors, sizeof *s->actors, snap_compare_id) : NULL;
  return a ? (long)(a - s->actors) : -1;
}
