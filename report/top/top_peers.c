/* The inspect panel's "talks to" and "hears from": an actor's top peers out (its own `peers`)
 * and in (the listed actors whose peers name it, and the threads that sent to it). */
#include "top_peers.h"

#include "actor_model.h"
#include "pairs.h"
#include "top_snap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEERS_SHOWN 8

struct peers_row {
  int64_t id; /* 0: a thread */
  const char *name;
  int64_t count;
  char reaped[80]; /* the name, when the row's actor is no longer listed */
};

static int peers_row_cmp(const void *x, const void *y)
{
  const struct peers_row *a = x, *b = y;
  if (a->count != b->count)
    return a->count > b->count ? -1 : 1;
  return a->id < b->id ? -1 : a->id > b->id;
}

/* "NAME (reaped)" in BUF, for an actor RUN saw and the snapshot no longer lists. */
static const char *peers_reaped_name(const struct recording *run, const struct rm_actor *gone,
                                     char *buf, size_t len)
{
  snprintf(buf, len, "%s (reaped)",
           gone->name == RM_NONE ? "?" : strtab_text(&run->strings, gone->name));
  return buf;
}

const char *top_peers_actor_name(const struct as_rec_snapshot *s, const struct recording *run,
                                 int64_t id, char *buf, size_t len)
{
  long at = top_snap_find(s, id);
  if (at >= 0)
    return s->actors[at].name;
  const struct rm_actor *gone = run ? recording_find(run, id) : NULL;
  if (!gone || gone->name == RM_NONE)
    return "(not listed)";
  return peers_reaped_name(run, gone, buf, len);
}

/* Whether actor ID is a runtime-internal one the view leaves out (without --internal): report
 * leaves its pairs out too. */
static int peers_hidden(const struct as_rec_snapshot *s, const struct recording *run, int64_t id,
                        int include_internal)
{
  long at = top_snap_find(s, id);
  if (at >= 0)
    return !actor_model_visible(s->actors[at].internal, include_internal);
  const struct rm_actor *gone = run ? recording_find(run, id) : NULL;
  return gone && !recording_visible(run, gone);
}

/* Room for one more row of IN (grown by doubling): 0, or -1 out of memory. */
static int peers_room(struct peers_row **in, size_t n, size_t *cap)
{
  if (n < *cap)
    return 0;
  size_t grown_cap = *cap ? 2 * *cap : 16;
  struct peers_row *grown = reallocarray(*in, grown_cap, sizeof *grown);
  if (!grown)
    return -1;
  *in = grown;
  *cap = grown_cap;
  return 0;
}

/* OTHER: the actor's own messages to or from peers past its listed ones; UNLISTED: the words
 * saying that N is a floor (some peers are not told apart, report's "others"), NULL when not. */
static void peers_list(struct top_canvas *c, const char *label, struct peers_row *rows, size_t n,
                       int64_t other, const char *unlisted)
{
  if (n == 0 && other == 0 && !unlisted) {
    top_canvas_add(c, TOP_STYLE_NORMAL, "%-10s none seen", label);
    return;
  }
  qsort(rows, n, sizeof *rows, peers_row_cmp);
  if (unlisted)
    top_canvas_add(c, TOP_STYLE_NORMAL, "%-10s %zu listed peer%s, %s %d", label, n,
                   n == 1 ? "" : "s", unlisted, AS_PEERS_PER_ACTOR_MAX);
  else
    top_canvas_add(c, TOP_STYLE_NORMAL, "%-10s %zu peer%s", label, n, n == 1 ? "" : "s");
  for (size_t i = 0; i < n && i < PEERS_SHOWN; i++) {
    if (rows[i].id)
      top_canvas_add(c, TOP_STYLE_NORMAL, "  %10lld  #%lld %s", (long long)rows[i].count,
                     (long long)rows[i].id, rows[i].name ? rows[i].name : rows[i].reaped);
    else
      top_canvas_add(c, TOP_STYLE_NORMAL, "  %10lld  thread %s", (long long)rows[i].count,
                     rows[i].name);
  }
  if (n > PEERS_SHOWN)
    top_canvas_add(c, TOP_STYLE_NORMAL, "  and %zu more", n - PEERS_SHOWN);
  if (other)
    top_canvas_add(c, TOP_STYLE_NORMAL, "  %10lld  to or from peers past its first %d",
                   (long long)other, AS_PEERS_PER_ACTOR_MAX);
}

void top_inspect_peers(struct top_canvas *c, const struct as_rec_snapshot *s,
                       const struct recording *run, const struct as_rec_actor *a,
                       int include_internal)
{
  struct peers_row out[AS_PEERS_PER_ACTOR_MAX * 2];
  size_t n_out = 0, n_in = 0, cap_in = 0;
  struct peers_row *in = NULL;
  for (size_t i = 0; i < a->n_peers; i++) {
    const struct as_rec_peer *p = &a->peers[i];
    if (p->from_thread) {
      if (peers_room(&in, n_in, &cap_in) < 0)
        break;
      in[n_in++] = (struct peers_row){.name = p->from_thread, .count = p->count};
    } else if (p->to && peers_hidden(s, run, p->to, include_internal)) {
      continue;
    } else if (n_out < sizeof out / sizeof out[0]) {
      struct peers_row *row = &out[n_out++];
      *row = (struct peers_row){.id = p->to, .name = p->to_thread, .count = p->count};
      if (p->to) {
        const char *name = top_peers_actor_name(s, run, p->to, row->reaped, sizeof row->reaped);
        row->name = name == row->reaped ? NULL : name; /* the row may move: no pointer into it */
      }
    }
  }
  /* Who sends to it: every listed actor's peers that name it, and the reaped ones' last. What
   * another actor sent past its listed peers may have gone to it too, unnamed. */
  int others_unlisted = 0;
  for (size_t k = 0; k < s->n_actors; k++) {
    if (!actor_model_visible(s->actors[k].internal, include_internal))
      continue;
    others_unlisted |= s->actors[k].id != a->id && s->actors[k].peers_other > 0;
    for (size_t i = 0; i < s->actors[k].n_peers; i++) {
      if (s->actors[k].peers[i].to != a->id)
        continue;
      if (peers_room(&in, n_in, &cap_in) < 0)
        goto show;
      in[n_in++] = (struct peers_row){
          .id = s->actors[k].id, .name = s->actors[k].name, .count = s->actors[k].peers[i].count};
    }
  }
  for (size_t k = 0; run && k < run->n_actors; k++) {
    const struct rm_actor *gone = &run->actors[k];
    if (!recording_visible(run, gone))
      continue;
    others_unlisted |= gone->id != a->id && gone->peers_other > 0;
    for (size_t i = 0; i < gone->n_peers; i++) {
      /* Its peers first: the lookup is for the few that name A. One the snapshot lists was
       * counted above; the others were reaped (or ended, reaped at once). */
      if (gone->peers[i].from_thread || gone->peers[i].to != a->id ||
          top_snap_find(s, gone->id) >= 0)
        continue;
      if (peers_room(&in, n_in, &cap_in) < 0)
        goto show;
      struct peers_row *row = &in[n_in++];
      *row = (struct peers_row){.id = gone->id, .count = gone->peers[i].count};
      peers_reaped_name(run, gone, row->reaped, sizeof row->reaped);
    }
  }
show:
  peers_list(c, "talks to", out, n_out, a->peers_other,
             a->peers_other ? "more past its first" : NULL);
  peers_list(c, "hears from", in, n_in, 0,
             others_unlisted ? "maybe more past other actors' first" : NULL);
  free(in);
}
