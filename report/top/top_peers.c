/* The inspect panel's "talks to" and "hears from": an actor's top peers out (its own `peers`)
 * and in (the listed actors whose peers name it, and the threads that sent to it). */
#include "top_peers.h"

#include "top_snap.h"

#include <stdlib.h>
#include <string.h>

#define PEERS_SHOWN 8

struct peers_row {
  int64_t id; /* 0: a thread */
  const char *name;
  int64_t count;
};

static int peers_row_cmp(const void *x, const void *y)
{
  const struct peers_row *a = x, *b = y;
  if (a->count != b->count)
    return a->count > b->count ? -1 : 1;
  return a->id < b->id ? -1 : a->id > b->id;
}

static const char *peers_name(const struct as_rec_snapshot *s, int64_t id)
{
  long at = top_snap_find(s, id);
  return at >= 0 ? s->actors[at].name : "(not listed)";
}

static void peers_list(struct top_canvas *c, const char *label, struct peers_row *rows, size_t n,
                       int64_t other)
{
  if (n == 0 && other == 0) {
    top_canvas_add(c, TOP_STYLE_NORMAL, "%-10s none seen", label);
    return;
  }
  qsort(rows, n, sizeof *rows, peers_row_cmp);
  top_canvas_add(c, TOP_STYLE_NORMAL, "%-10s %zu peer%s", label, n, n == 1 ? "" : "s");
  for (size_t i = 0; i < n && i < PEERS_SHOWN; i++) {
    if (rows[i].id)
      top_canvas_add(c, TOP_STYLE_NORMAL, "  %10lld  #%lld %s", (long long)rows[i].count,
                     (long long)rows[i].id, rows[i].name);
    else
      top_canvas_add(c, TOP_STYLE_NORMAL, "  %10lld  thread %s", (long long)rows[i].count,
                     rows[i].name);
  }
  if (n > PEERS_SHOWN)
    top_canvas_add(c, TOP_STYLE_NORMAL, "  and %zu more", n - PEERS_SHOWN);
  if (other)
    top_canvas_add(c, TOP_STYLE_NORMAL, "  %10lld  to peers past its first %d", (long long)other,
                   AS_PEERS_PER_ACTOR_MAX);
}

void top_inspect_peers(struct top_canvas *c, const struct as_rec_snapshot *s,
                       const struct as_rec_actor *a)
{
  struct peers_row out[AS_PEERS_PER_ACTOR_MAX * 2];
  size_t n_out = 0, n_in = 0, cap_in = 0;
  struct peers_row *in = NULL;
  for (size_t i = 0; i < a->n_peers; i++) {
    const struct as_rec_peer *p = &a->peers[i];
    if (p->from_thread) {
      if (n_in == cap_in) {
        cap_in = cap_in ? 2 * cap_in : 16;
        struct peers_row *grown = reallocarray(in, cap_in, sizeof *grown);
        if (!grown)
          break;
        in = grown;
      }
      in[n_in++] = (struct peers_row){0, p->from_thread, p->count};
    } else if (n_out < sizeof out / sizeof out[0]) {
      out[n_out++] =
          (struct peers_row){p->to, p->to ? peers_name(s, p->to) : p->to_thread, p->count};
    }
  }
  /* Who sends to it: every listed actor's peers that name it. */
  for (size_t k = 0; k < s->n_actors; k++)
    for (size_t i = 0; i < s->actors[k].n_peers; i++) {
      if (s->actors[k].peers[i].to != a->id)
        continue;
      if (n_in == cap_in) {
        cap_in = cap_in ? 2 * cap_in : 16;
        struct peers_row *grown = reallocarray(in, cap_in, sizeof *grown);
        if (!grown)
          goto show;
        in = grown;
      }
      in[n_in++] =
          (struct peers_row){s->actors[k].id, s->actors[k].name, s->actors[k].peers[i].count};
    }
show:
  peers_list(c, "talks to", out, n_out, a->peers_other);
  peers_list(c, "hears from", in, n_in, 0);
  free(in);
}

int64_t top_peers_between(const struct as_rec_snapshot *s, const char *from, const char *to)
{
  int64_t sum = 0;
  for (size_t k = 0; k < s->n_actors; k++) {
    const struct as_rec_actor *a = &s->actors[k];
    for (size_t i = 0; i < a->n_peers; i++) {
      const struct as_rec_peer *p = &a->peers[i];
      const char *sender = p->from_thread ? p->from_thread : a->name;
      const char *receiver = p->from_thread ? a->name
                             : p->to_thread ? p->to_thread
                             : top_snap_find(s, p->to) >= 0
                                 ? s->actors[top_snap_find(s, p->to)].name
                                 : NULL;
      if (receiver && strcmp(sender, from) == 0 && strcmp(receiver, to) == 0)
        sum += p->count;
    }
  }
  return sum;
}
