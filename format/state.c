#define _GNU_SOURCE
#include "state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void *state_arena_alloc(struct state_arena *a, size_t n)
{
  /* Nothing to hold: no pointer (an empty arena's data is NULL, and NULL + 0 is undefined). */
  if (n == 0)
    return NULL;
  n = (n + 15) & ~(size_t)15;
  if (a->used + n > a->cap) {
    /* Records point into the arena: it may not move. A full one is replaced by a compaction
     * before this can happen (state_compact); a first or larger need gets a fresh block. */
    return NULL;
  }
  void *p = a->data + a->used;
  a->used += n;
  return p;
}

static int state_arena_reserve(struct state_arena *a, size_t cap)
{
  if (a->cap >= cap)
    return 0;
  char *data = malloc(cap);
  if (!data)
    return -ENOMEM;
  free(a->data);
  a->data = data;
  a->cap = cap;
  a->used = 0;
  return 0;
}

static const char *state_str(struct reader_state *st, const char *text, int *nomem)
{
  if (!text)
    return NULL;
  uint32_t i = strtab_intern(&st->strings, text);
  if (i == UINT32_MAX) {
    *nomem = 1;
    return NULL;
  }
  return strtab_text(&st->strings, i);
}

static size_t state_arrays_size(const struct as_rec_actor *a)
{
  size_t n = 0;
  n += (a->n_links * sizeof(int64_t) + 15) & ~(size_t)15;
  n += (a->n_monitors * sizeof(int64_t) + 15) & ~(size_t)15;
  n += (a->n_message_types * sizeof(struct as_rec_msgtype) + 15) & ~(size_t)15;
  n += (a->n_sockets * sizeof(struct as_rec_socket) + 15) & ~(size_t)15;
  n += (a->n_peers * sizeof(struct as_rec_peer) + 15) & ~(size_t)15;
  n += (a->n_histogram * 2 * sizeof(int64_t) + 15) & ~(size_t)15;
  n += (a->n_wait_histogram * 2 * sizeof(int64_t) + 15) & ~(size_t)15;
  n += (a->n_handling_stack * sizeof(const char *) + 15) & ~(size_t)15;
  n += (a->n_stuck_stack * sizeof(const char *) + 15) & ~(size_t)15;
  return n;
}

/* Copies an actor's arrays into the current arena (whose room was reserved). */
static void state_copy_arrays(struct reader_state *st, struct as_rec_actor *a, int *nomem)
{
  struct state_arena *arena = &st->arrays[st->cur];
  int64_t *links = state_arena_alloc(arena, a->n_links * sizeof *links);
  int64_t *monitors = state_arena_alloc(arena, a->n_monitors * sizeof *monitors);
  struct as_rec_msgtype *types = state_arena_alloc(arena, a->n_message_types * sizeof *types);
  struct as_rec_socket *sockets = state_arena_alloc(arena, a->n_sockets * sizeof *sockets);
  struct as_rec_peer *peers = state_arena_alloc(arena, a->n_peers * sizeof *peers);
  int64_t *histogram = state_arena_alloc(arena, a->n_histogram * 2 * sizeof *histogram);
  int64_t *waits = state_arena_alloc(arena, a->n_wait_histogram * 2 * sizeof *waits);
  const char **stack = state_arena_alloc(arena, a->n_handling_stack * sizeof *stack);
  const char **stuck = state_arena_alloc(arena, a->n_stuck_stack * sizeof *stuck);
  if ((!links && a->n_links) || (!monitors && a->n_monitors) || (!types && a->n_message_types) ||
      (!sockets && a->n_sockets) || (!peers && a->n_peers) || (!histogram && a->n_histogram) ||
      (!waits && a->n_wait_histogram) || (!stack && a->n_handling_stack) ||
      (!stuck && a->n_stuck_stack)) {
    *nomem = 1;
    return;
  }
  if (a->n_links)
    memcpy(links, a->links, a->n_links * sizeof *links);
  if (a->n_monitors)
    memcpy(monitors, a->monitors, a->n_monitors * sizeof *monitors);
  for (size_t i = 0; i < a->n_message_types; i++) {
    types[i].count = a->message_types[i].count;
    types[i].name = state_str(st, a->message_types[i].name, nomem);
  }
  for (size_t i = 0; i < a->n_sockets; i++) {
    sockets[i] = a->sockets[i];
    sockets[i].kind = state_str(st, a->sockets[i].kind, nomem);
    sockets[i].endpoint = state_str(st, a->sockets[i].endpoint, nomem);
  }
  for (size_t i = 0; i < a->n_peers; i++) {
    peers[i] = a->peers[i];
    peers[i].to_thread = state_str(st, a->peers[i].to_thread, nomem);
    peers[i].from_thread = state_str(st, a->peers[i].from_thread, nomem);
  }
  if (a->n_histogram)
    memcpy(histogram, a->histogram, a->n_histogram * 2 * sizeof *histogram);
  if (a->n_wait_histogram)
    memcpy(waits, a->wait_histogram, a->n_wait_histogram * 2 * sizeof *waits);
  for (size_t i = 0; i < a->n_handling_stack; i++)
    stack[i] = state_str(st, a->handling_stack[i], nomem);
  for (size_t i = 0; i < a->n_stuck_stack; i++)
    stuck[i] = state_str(st, a->stuck_stack[i], nomem);
  a->links = links;
  a->monitors = monitors;
  a->message_types = types;
  a->sockets = sockets;
  a->peers = a->n_peers ? peers : NULL;
  a->histogram = a->n_histogram ? histogram : NULL;
  a->wait_histogram = a->n_wait_histogram ? waits : NULL;
  a->handling_stack = a->n_handling_stack ? stack : NULL;
  a->stuck_stack = a->n_stuck_stack ? stuck : NULL;
  st->live += state_arrays_size(a);
}

/* Makes room for NEED more bytes of arrays: when the arena is full, the live arrays move to the
 * other one (grown to twice what lives), so memory follows the state, not the stream's length. */
static int state_make_room(struct reader_state *st, size_t need)
{
  struct state_arena *cur = &st->arrays[st->cur];
  if (cur->used + need <= cur->cap)
    return 0;
  size_t cap = 2 * (st->live + need) + (1u << 20);
  struct state_arena *other = &st->arrays[!st->cur];
  if (state_arena_reserve(other, cap) < 0)
    return -ENOMEM;
  other->used = 0;
  st->cur = !st->cur;
  st->live = 0;
  int nomem = 0;
  for (size_t i = 0; i < st->n; i++)
    state_copy_arrays(st, &st->actors[i], &nomem);
  cur->used = 0;
  return nomem ? -ENOMEM : 0;
}

/* The global index of a line's spawn site. */
static int64_t state_site(struct reader_state *st, const struct as_rec_site *site, int *nomem)
{
  size_t len = 1;
  for (size_t i = 0; i < site->n_frames; i++)
    len += strlen(site->frames[i]) + 1;
  char *key = malloc(len), *p = key;
  if (!key) {
    *nomem = 1;
    return 0;
  }
  for (size_t i = 0; i < site->n_frames; i++)
    p = stpcpy(stpcpy(p, site->frames[i]), "\n");
  *p = '\0';
  uint32_t known = strtab_find(&st->site_keys, key);
  if (known != UINT32_MAX) {
    free(key);
    return known;
  }
  uint32_t index = strtab_intern(&st->site_keys, key);
  free(key);
  if (index == UINT32_MAX || index != st->n_sites) {
    *nomem = 1;
    return 0;
  }
  if (st->n_sites == st->cap_sites) {
    size_t cap = st->cap_sites ? st->cap_sites * 2 : 16;
    struct as_rec_site *grown = reallocarray(st->sites, cap, sizeof *grown);
    if (!grown) {
      *nomem = 1;
      return 0;
    }
    st->sites = grown;
    st->cap_sites = cap;
  }
  const char **frames = calloc(site->n_frames + 1, sizeof *frames);
  if (!frames) {
    *nomem = 1;
    return 0;
  }
  for (size_t i = 0; i < site->n_frames; i++)
    frames[i] = state_str(st, site->frames[i], nomem);
  st->sites[st->n_sites++] = (struct as_rec_site){frames, site->n_frames};
  return index;
}

/* What a delta leaves out of an actor described before: its origin, as described. */
static void state_keep_origin(struct as_rec_actor *fresh, const struct as_rec_actor *old)
{
  if (fresh->has_origin || !old)
    return;
  fresh->runtime = old->runtime;
  fresh->runtime_kind = old->runtime_kind;
  fresh->spawned_at_ns = old->spawned_at_ns;
  fresh->has_spawn_site = old->has_spawn_site;
  fresh->spawn_site = old->spawn_site;
  fresh->has_parent = old->has_parent;
  fresh->parent = old->parent;
  fresh->attached_late = old->attached_late;
  if (!fresh->has_runtime_id) {
    fresh->has_runtime_id = old->has_runtime_id;
    fresh->runtime_id = old->runtime_id;
    fresh->runtime_scope = old->runtime_scope;
  }
  fresh->has_origin = 1;
}

/* A line's actor made the state's own: strings interned, arrays copied, site made global. */
static void state_adopt(struct reader_state *st, struct as_rec_actor *a,
                        const struct as_rec_snapshot *line, int *nomem)
{
  a->name = state_str(st, a->name, nomem);
  a->full_name = state_str(st, a->full_name, nomem);
  a->runtime = state_str(st, a->runtime, nomem);
  a->stop_reason = state_str(st, a->stop_reason, nomem);
  a->mailbox_kind = state_str(st, a->mailbox_kind, nomem);
  a->handling_type = state_str(st, a->handling_type, nomem);
  a->handling_stack_source = state_str(st, a->handling_stack_source, nomem);
  a->stuck_type = state_str(st, a->stuck_type, nomem);
  a->stuck_source = state_str(st, a->stuck_source, nomem);
  a->stuck_end = state_str(st, a->stuck_end, nomem);
  if (a->has_spawn_site)
    a->spawn_site = state_site(st, &line->spawn_sites[a->spawn_site], nomem);
  a->children = NULL;
  a->n_children = 0;
  state_copy_arrays(st, a, nomem);
}

static int state_grow(struct as_rec_actor **v, size_t *cap, size_t need)
{
  if (need <= *cap)
    return 0;
  size_t c = *cap ? *cap : 256;
  while (c < need)
    c *= 2;
  struct as_rec_actor *grown = reallocarray(*v, c, sizeof *grown);
  if (!grown)
    return -ENOMEM;
  *v = grown;
  *cap = c;
  return 0;
}

static size_t state_line_arrays(const struct as_rec_snapshot *s)
{
  size_t need = 0;
  for (size_t i = 0; i < s->n_actors; i++)
    need += state_arrays_size(&s->actors[i]);
  return need;
}

static int state_id_cmp(const void *x, const void *y)
{
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return a < b ? -1 : a > b;
}

static const struct as_rec_actor *state_find(const struct as_rec_actor *v, size_t n, int64_t id)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && v[lo].id == id ? &v[lo] : NULL;
}

/* Each actor's children: the actors whose parent it is, by id. */
static int state_children(struct reader_state *st)
{
  if (st->children_cap < st->n + 1) {
    int64_t *grown = realloc(st->children, (st->n + 1) * sizeof *grown);
    if (!grown)
      return -ENOMEM;
    st->children = grown;
    st->children_cap = st->n + 1;
  }
  for (size_t i = 0; i < st->n; i++)
    st->actors[i].n_children = 0;
  for (size_t i = 0; i < st->n; i++) {
    const struct as_rec_actor *p =
        st->actors[i].has_parent ? state_find(st->actors, st->n, st->actors[i].parent) : NULL;
    if (p)
      ((struct as_rec_actor *)p)->n_children++;
  }
  size_t at = 0;
  for (size_t i = 0; i < st->n; i++) {
    st->actors[i].children = st->children + at;
    at += st->actors[i].n_children;
    st->actors[i].n_children = 0;
  }
  /* ids ascend, so each child list comes out sorted */
  for (size_t i = 0; i < st->n; i++) {
    struct as_rec_actor *p =
        (struct as_rec_actor *)(st->actors[i].has_parent
                                    ? state_find(st->actors, st->n, st->actors[i].parent)
                                    : NULL);
    if (p)
      ((int64_t *)p->children)[p->n_children++] = st->actors[i].id;
  }
  return 0;
}

static void state_free_line_parts(struct reader_state *st, int which)
{
  if (which & AS_STATE_HAS_DEADLOCKS) {
    for (size_t i = 0; i < st->n_cycles; i++) {
      free((void *)st->cycles[i].actors);
      free((void *)st->cycles[i].names);
    }
    free(st->cycles);
    st->cycles = NULL;
    st->n_cycles = 0;
  }
  if (which & AS_STATE_HAS_DIAGNOSTICS) {
    free(st->diagnostics);
    st->diagnostics = NULL;
    st->n_diagnostics = 0;
  }
}

/* Keeps the members of S that a later delta may leave out (WHICH: AS_STATE_HAS_* bits). */
static int state_keep_line_parts(struct reader_state *st, const struct as_rec_snapshot *s,
                                 int which)
{
  int nomem = 0;
  if (which & AS_STATE_HAS_TOTALS) {
    st->totals[0] = s->alive;
    st->totals[1] = s->total_spawned;
    st->totals[2] = s->total_stopped;
    st->totals[3] = s->messages_received;
    st->totals[4] = s->received_all;
    st->totals[5] = s->has_runtime_running ? s->runtime_running : -1;
  }
  state_free_line_parts(st, which);
  if ((which & AS_STATE_HAS_DEADLOCKS) && s->n_deadlocks) {
    st->cycles = calloc(s->n_deadlocks, sizeof *st->cycles);
    if (!st->cycles)
      return -ENOMEM;
    st->n_cycles = s->n_deadlocks;
    for (size_t i = 0; i < s->n_deadlocks; i++) {
      const struct as_rec_cycle *c = &s->deadlocks[i];
      int64_t *ids = malloc((c->n_actors + 1) * sizeof *ids);
      const char **names = calloc(c->n_names + 1, sizeof *names);
      st->cycles[i] = (struct as_rec_cycle){ids, names, c->n_actors, c->n_names};
      if (!ids || !names)
        return -ENOMEM;
      memcpy(ids, c->actors, c->n_actors * sizeof *ids);
      for (size_t k = 0; k < c->n_names; k++)
        names[k] = state_str(st, c->names[k], &nomem);
    }
  }
  if ((which & AS_STATE_HAS_DIAGNOSTICS) && s->n_diagnostics) {
    st->diagnostics = calloc(s->n_diagnostics, sizeof *st->diagnostics);
    if (!st->diagnostics)
      return -ENOMEM;
    st->n_diagnostics = s->n_diagnostics;
    for (size_t i = 0; i < s->n_diagnostics; i++) {
      st->diagnostics[i].code = state_str(st, s->diagnostics[i].code, &nomem);
      st->diagnostics[i].message = state_str(st, s->diagnostics[i].message, &nomem);
    }
  }
  return nomem ? -ENOMEM : 0;
}

static void state_show(struct reader_state *st, struct as_rec_snapshot *s)
{
  s->alive = st->totals[0];
  s->total_spawned = st->totals[1];
  s->total_stopped = st->totals[2];
  s->messages_received = st->totals[3];
  s->received_all = st->totals[4];
  s->has_runtime_running = st->totals[5] >= 0;
  s->runtime_running = st->totals[5] >= 0 ? st->totals[5] : 0;
  s->deadlocks = st->cycles;
  s->n_deadlocks = st->n_cycles;
  s->diagnostics = st->diagnostics;
  s->n_diagnostics = st->n_diagnostics;
  s->actors = st->actors;
  s->n_actors = st->n;
  s->spawn_sites = st->sites;
  s->n_spawn_sites = st->n_sites;
}

int as_state_keyframe(struct reader_state *st, struct as_rec_snapshot *s)
{
  if (state_grow(&st->actors, &st->cap, s->n_actors) < 0)
    return -ENOMEM;
  /* The keyframe replaces everything: the arrays start over in the current arena. */
  st->n = 0;
  st->live = 0;
  st->arrays[st->cur].used = 0;
  if (state_make_room(st, state_line_arrays(s)) < 0)
    return -ENOMEM;
  int nomem = 0;
  for (size_t i = 0; i < s->n_actors; i++) {
    st->actors[i] = s->actors[i];
    state_adopt(st, &st->actors[i], s, &nomem);
  }
  st->n = s->n_actors;
  if (nomem || state_children(st) < 0 ||
      state_keep_line_parts(
          st, s, AS_STATE_HAS_TOTALS | AS_STATE_HAS_DEADLOCKS | AS_STATE_HAS_DIAGNOSTICS) < 0)
    return -ENOMEM;
  st->active = 1;
  state_show(st, s);
  return 0;
}

/* Elapsed times of handlers and waits still running: from since_ns at the line's uptime. */
static void state_age(struct as_rec_actor *a, int64_t uptime_ns)
{
  if (a->has_handling && a->has_handling_since && uptime_ns >= a->handling_since_ns)
    a->handling_elapsed_ns = uptime_ns - a->handling_since_ns;
  if (a->has_waiting && a->has_waiting_since && uptime_ns >= a->waiting_since_ns)
    a->waiting_elapsed_ns = uptime_ns - a->waiting_since_ns;
}

/* A delta that neither spawns nor reaps: its actors replace theirs in place, so a quiet line
 * costs what it lists (and a glance at each actor for running handlers). Returns 1 when done
 * this way, 0 when the line needs a merge. */
static int state_delta_in_place(struct reader_state *st, struct as_rec_snapshot *s, int *nomem)
{
  if (s->n_reaped)
    return 0;
  for (size_t k = 0; k < s->n_actors; k++)
    if (!state_find(st->actors, st->n, s->actors[k].id))
      return 0;
  for (size_t i = 0; i < st->n; i++)
    state_age(&st->actors[i], s->uptime_ns);
  for (size_t k = 0; k < s->n_actors; k++) {
    struct as_rec_actor *old =
        (struct as_rec_actor *)state_find(st->actors, st->n, s->actors[k].id);
    struct as_rec_actor fresh = s->actors[k];
    state_adopt(st, &fresh, s, nomem);
    state_keep_origin(&fresh, old);
    st->live -= state_arrays_size(old);
    fresh.children = old->children;
    fresh.n_children = old->n_children;
    *old = fresh;
    st->listed[k] = (size_t)(old - st->actors);
  }
  return 1;
}

int as_state_delta(struct reader_state *st, struct as_rec_snapshot *s, int carried)
{
  if (!st->active)
    return -EPROTO;
  if (state_make_room(st, state_line_arrays(s)) < 0)
    return -ENOMEM;
  if (st->listed_cap < s->n_actors + 1) {
    size_t *grown = reallocarray(st->listed, s->n_actors + 1, sizeof *grown);
    if (!grown)
      return -ENOMEM;
    st->listed = grown;
    st->listed_cap = s->n_actors + 1;
  }
  int in_place_nomem = 0;
  if (state_delta_in_place(st, s, &in_place_nomem)) {
    if (in_place_nomem || state_keep_line_parts(st, s, carried) < 0)
      return -ENOMEM;
    size_t n_listed = s->n_actors;
    state_show(st, s);
    s->listed = st->listed;
    s->n_listed = n_listed;
    return 0;
  }
  if (state_grow(&st->next, &st->next_cap, st->n + s->n_actors) < 0)
    return -ENOMEM;
  int64_t *reaped = NULL;
  if (s->n_reaped) {
    reaped = malloc(s->n_reaped * sizeof *reaped);
    if (!reaped)
      return -ENOMEM;
    memcpy(reaped, s->reaped, s->n_reaped * sizeof *reaped);
    qsort(reaped, s->n_reaped, sizeof *reaped, state_id_cmp);
  }
  int nomem = 0, family_changed = 0;
  size_t i = 0, k = 0, n = 0;
  while (i < st->n || k < s->n_actors) {
    int take_line = i == st->n || (k < s->n_actors && s->actors[k].id <= st->actors[i].id);
    if (take_line) {
      const struct as_rec_actor *old =
          i < st->n && st->actors[i].id == s->actors[k].id ? &st->actors[i++] : NULL;
      if (!old && !s->actors[k].has_origin) {
        st->unknown_id = s->actors[k].id;
        free(reaped);
        return -EPROTO;
      }
      st->listed[k] = n;
      st->next[n] = s->actors[k++];
      state_adopt(st, &st->next[n], s, &nomem);
      state_keep_origin(&st->next[n], old);
      if (old) { /* replaced: a parent never changes, so neither do its children */
        st->live -= state_arrays_size(old);
        st->next[n].children = old->children;
        st->next[n].n_children = old->n_children;
      } else {
        family_changed = 1;
      }
      n++;
      continue;
    }
    struct as_rec_actor *a = &st->actors[i++];
    if (reaped && bsearch(&a->id, reaped, s->n_reaped, sizeof *reaped, state_id_cmp)) {
      st->live -= state_arrays_size(a);
      family_changed = 1;
      continue;
    }
    /* Not listed: still in the same handler or wait, or it would have been. */
    state_age(a, s->uptime_ns);
    st->next[n++] = *a;
  }
  free(reaped);
  struct as_rec_actor *swap = st->actors;
  size_t swap_cap = st->cap;
  st->actors = st->next;
  st->cap = st->next_cap;
  st->next = swap;
  st->next_cap = swap_cap;
  st->n = n;
  if (nomem || (family_changed && state_children(st) < 0) ||
      state_keep_line_parts(st, s, carried) < 0)
    return -ENOMEM;
  size_t n_listed = s->n_actors;
  state_show(st, s);
  s->listed = st->listed;
  s->n_listed = n_listed;
  return 0;
}

void as_state_free(struct reader_state *st)
{
  free(st->actors);
  free(st->next);
  free(st->arrays[0].data);
  free(st->arrays[1].data);
  for (size_t i = 0; i < st->n_sites; i++)
    free((void *)st->sites[i].frames);
  free(st->sites);
  free(st->children);
  free(st->listed);
  state_free_line_parts(st, AS_STATE_HAS_DEADLOCKS | AS_STATE_HAS_DIAGNOSTICS);
  strtab_free(&st->strings);
  strtab_free(&st->site_keys);
  memset(st, 0, sizeof *st);
}
