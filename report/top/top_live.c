/* actorscope top: the live feed in a thread, handing snapshots to the screen. */
#define _GNU_SOURCE
#include "top_live.h"
#include "top_snap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct top_live {
  struct live_feed_options options;
  char source[1024];
  pthread_t thread;
  pthread_mutex_t lock;
  struct top_snap *pending; /* the newest snapshot not yet taken */
  int new_stream, changed;
  char state[1024];
  int wake[2]; /* a byte written for each change; the screen polls the read end */
  atomic_int stop;
};

static void live_wake(struct top_live *l)
{
  char byte = 1;
  ssize_t n = write(l->wake[1], &byte, 1); /* non-blocking: a full pipe is awake enough */
  (void)n;
}

static void live_state(void *ctx, const char *text)
{
  struct top_live *l = ctx;
  pthread_mutex_lock(&l->lock);
  snprintf(l->state, sizeof l->state, "%s", text);
  l->changed = 1;
  pthread_mutex_unlock(&l->lock);
  live_wake(l);
}

/* How many ended actors PENDING lists that S does not. */
static size_t live_count_ended(const struct top_snap *pending, const struct as_rec_snapshot *s)
{
  size_t n = 0;
  for (size_t i = 0; pending && i < pending->snapshot.n_actors; i++)
    n += pending->snapshot.actors[i].ended && top_snap_find(s, pending->snapshot.actors[i].id) < 0;
  return n;
}

static int live_actor_cmp(const void *x, const void *y)
{
  int64_t a = ((const struct as_rec_actor *)x)->id, b = ((const struct as_rec_actor *)y)->id;
  return a < b ? -1 : a > b;
}

/* S's actors and those ended actors, sorted by id (malloc()ed; NULL: none to join, or no
 * memory, then they are not shown). */
static struct as_rec_actor *live_join_ended(const struct top_snap *pending,
                                            const struct as_rec_snapshot *s)
{
  size_t extra = live_count_ended(pending, s);
  if (!extra)
    return NULL;
  struct as_rec_actor *all = malloc((s->n_actors + extra) * sizeof *all);
  if (!all)
    return NULL;
  if (s->n_actors)
    memcpy(all, s->actors, s->n_actors * sizeof *all);
  size_t n = s->n_actors;
  for (size_t i = 0; i < pending->snapshot.n_actors; i++) {
    const struct as_rec_actor *a = &pending->snapshot.actors[i];
    if (a->ended && top_snap_find(s, a->id) < 0)
      all[n++] = *a;
  }
  qsort(all, n, sizeof *all, live_actor_cmp);
  return all;
}

static int live_snapshot(void *ctx, const struct as_rec_header *h, const struct as_rec_snapshot *s,
                         int new_stream)
{
  struct top_live *l = ctx;
  pthread_mutex_lock(&l->lock);
  /* A line replacing one the screen never took keeps that line's ended actors (listed by that
   * line only, reaped by this one): every actor is shown in some frame. */
  struct as_rec_actor *joined = live_join_ended(l->pending, s);
  struct as_rec_snapshot with_ended;
  if (joined) {
    with_ended = *s;
    with_ended.actors = joined;
    with_ended.n_actors = s->n_actors + live_count_ended(l->pending, s);
    s = &with_ended;
  }
  struct top_snap *copy = top_snap_copy(h, s);
  free(joined);
  if (!copy) {
    pthread_mutex_unlock(&l->lock);
    return 0; /* out of memory: this one is skipped, the next may fit */
  }
  top_snap_free(l->pending);
  l->pending = copy;
  l->new_stream |= new_stream;
  l->changed = 1;
  pthread_mutex_unlock(&l->lock);
  live_wake(l);
  return 0;
}

static int live_retry(void *ctx) { return !atomic_load(&((struct top_live *)ctx)->stop); }

static void *live_main(void *arg)
{
  struct top_live *l = arg;
  static const struct live_feed_handler handler = {
      .state = live_state, .snapshot = live_snapshot, .retry = live_retry};
  struct as_reader_error err;
  int rc = live_feed_run(&l->options, &handler, l, &err);
  if (rc < 0)
    live_state(l, err.text);
  return NULL;
}

int top_live_start(struct top_live **out, const struct live_feed_options *o)
{
  struct top_live *l = calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  snprintf(l->source, sizeof l->source, "%s", o->source);
  l->options = *o;
  l->options.source = l->source;
  pthread_mutex_init(&l->lock, NULL);
  if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
    free(l);
    return -errno;
  }
  /* The screen's thread takes the terminal's signals, never this one. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int rc = pthread_create(&l->thread, NULL, live_main, l);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc) {
    close(l->wake[0]);
    close(l->wake[1]);
    free(l);
    return -rc;
  }
  pthread_detach(l->thread);
  *out = l;
  return 0;
}

int top_live_fd(const struct top_live *l) { return l->wake[0]; }

int top_live_take(struct top_live *l, struct top_snap **snap, int *new_stream, char *state,
                  size_t cap)
{
  char drain[64];
  while (read(l->wake[0], drain, sizeof drain) > 0)
    ;
  pthread_mutex_lock(&l->lock);
  int changed = l->changed;
  *snap = l->pending;
  *new_stream = l->new_stream;
  l->pending = NULL;
  l->new_stream = 0;
  l->changed = 0;
  snprintf(state, cap, "%s", l->state);
  pthread_mutex_unlock(&l->lock);
  return changed;
}

void top_live_stop(struct top_live *l) { atomic_store(&l->stop, 1); }
