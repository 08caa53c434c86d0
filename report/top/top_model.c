/* actorscope top: deriving states, rates and histories from consecutive snapshots. */
#include "top_model.h"

#include "show.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const state_names[TOP_STATE_COUNT] = {
    "running", "starting", "stopping", "busy", "stuck", "waiting", "deadlock", "stopped",
};

const char *top_state_name(enum top_state state)
{
  return state < TOP_STATE_COUNT ? state_names[state] : "?";
}

int top_state_parse(const char *name, enum top_state *out)
{
  for (int i = 0; i < TOP_STATE_COUNT; i++)
    if (strcasecmp(name, state_names[i]) == 0 ||
        (i == TOP_STATE_DEADLOCK && strcasecmp(name, "deadlocked") == 0)) {
      *out = (enum top_state)i;
      return 0;
    }
  return -1;
}

void top_state_text(char *out, size_t cap, const struct as_rec_actor *a, enum top_state state,
                    int ascii)
{
  char d[SHOW_DURATION_MAX];
  switch (state) {
  case TOP_STATE_BUSY:
  case TOP_STATE_STUCK:
    show_duration(a->handling_elapsed_ns, SHOW_DURATION_COMPACT, d, sizeof d);
    snprintf(out, cap, "%s %s", state == TOP_STATE_BUSY ? "Busy" : "Stuck", d);
    return;
  case TOP_STATE_WAITING:
    show_duration(a->waiting_elapsed_ns, SHOW_DURATION_COMPACT, d, sizeof d);
    snprintf(out, cap, "Waiting%s#%lld %s", ascii ? "->" : "\u2192", (long long)a->waiting_target,
             d);
    return;
  case TOP_STATE_DEADLOCK: snprintf(out, cap, "Deadlock"); return;
  case TOP_STATE_STOPPED:
    snprintf(out, cap, "Stopped: %s", a->stop_reason ? a->stop_reason : "?");
    return;
  case TOP_STATE_STARTING: snprintf(out, cap, "Starting"); return;
  case TOP_STATE_STOPPING: snprintf(out, cap, "Stopping"); return;
  default: snprintf(out, cap, "Running");
  }
}

void top_model_init(struct top_model *m, const struct top_thresholds *thresholds)
{
  memset(m, 0, sizeof *m);
  m->thresholds = *thresholds;
}

void top_model_reset(struct top_model *m)
{
  struct top_thresholds t = m->thresholds;
  top_model_free(m);
  top_model_init(m, &t);
}

void top_model_free(struct top_model *m)
{
  top_snap_free(m->snap);
  free(m->views);
  m->snap = NULL;
  m->views = NULL;
  m->n_views = 0;
}

void top_model_drop_snapshot(struct top_model *m)
{
  top_snap_free(m->snap);
  m->snap = NULL;
}

static enum top_state model_classify(const struct top_model *m, const struct as_rec_actor *a)
{
  if (a->status == AS_STATUS_STOPPED)
    return TOP_STATE_STOPPED;
  if (a->has_waiting)
    return TOP_STATE_WAITING; /* turned into Deadlock below when it is in a cycle */
  if (a->has_handling && a->handling_elapsed_ns >= m->thresholds.stuck_ns)
    return TOP_STATE_STUCK;
  if (a->has_handling && a->handling_elapsed_ns >= m->thresholds.busy_ns)
    return TOP_STATE_BUSY;
  if (a->status == AS_STATUS_STARTING)
    return TOP_STATE_STARTING;
  if (a->status == AS_STATUS_STOPPING)
    return TOP_STATE_STOPPING;
  return TOP_STATE_RUNNING;
}

static double model_rate(int64_t count_delta, int64_t ns)
{
  return ns > 0 && count_delta > 0 ? (double)count_delta * 1e9 / (double)ns : 0.0;
}

static void history_push(struct top_history *h, double rate, int64_t mailbox)
{
  h->rate[h->next] = (float)rate;
  h->mailbox[h->next] = mailbox > UINT32_MAX ? UINT32_MAX : (uint32_t)mailbox;
  h->next = (uint8_t)((h->next + 1) % TOP_HISTORY);
  if (h->count < TOP_HISTORY)
    h->count++;
}

int top_model_apply(struct top_model *m, struct top_snap *snap, int64_t received)
{
  const struct as_rec_snapshot *s = &snap->snapshot;
  struct top_actor_view *views = calloc(s->n_actors ? s->n_actors : 1, sizeof *views);
  if (!views) {
    top_snap_free(snap);
    return -ENOMEM;
  }
  /* The views of the snapshot before carry all the merge needs: that snapshot may be gone. */
  int have_old = m->applied > 0;
  int64_t old_uptime = have_old ? m->last_uptime_ns : 0;
  /* A span much shorter than the one before (the final snapshot, written at exit a moment
   * after the last periodic one) gives a rate over the span before it too: one message in
   * 20 ms is not 50 messages a second. */
  int64_t span = s->uptime_ns - old_uptime;
  int widen = m->applied > 1 && span < (old_uptime - m->before_uptime_ns) / 2;
  int64_t window_start = widen ? m->before_uptime_ns : old_uptime;
  const struct top_actor_view *old = m->views;
  size_t j = 0;
  for (size_t i = 0; i < s->n_actors; i++) {
    const struct as_rec_actor *a = &s->actors[i];
    /* Both lists are sorted by id: one merge finds each actor's previous record. */
    while (j < m->n_views && old[j].id < a->id)
      j++;
    struct top_actor_view *v = &views[i];
    v->id = a->id;
    v->received = a->received_all;
    v->received_before = -1;
    if (j < m->n_views && old[j].id == a->id) {
      v->history = old[j].history;
      v->received_before = old[j].received;
      int64_t base =
          widen && old[j].received_before >= 0 ? old[j].received_before : old[j].received;
      int64_t start = widen && old[j].received_before >= 0 ? window_start : old_uptime;
      v->rate = model_rate(a->received_all - base, s->uptime_ns - start);
    } else {
      /* New since the previous snapshot: over the same span as everyone else (a rate over
       * the few microseconds since its spawn would be meaningless). */
      v->rate = model_rate(a->received_all, s->uptime_ns - window_start);
    }
    v->state = model_classify(m, a);
    history_push(&v->history, v->rate, a->queued_all);
  }
  for (size_t c = 0; c < s->n_deadlocks; c++)
    for (size_t k = 0; k < s->deadlocks[c].n_actors; k++) {
      long at = top_snap_find(s, s->deadlocks[c].actors[k]);
      if (at >= 0)
        views[at].state = TOP_STATE_DEADLOCK;
    }
  memset(m->counts, 0, sizeof m->counts);
  for (size_t i = 0; i < s->n_actors; i++)
    m->counts[views[i].state]++;
  m->message_rate = !have_old ? model_rate(received, s->uptime_ns)
                    : widen ? model_rate(received - m->before_received, s->uptime_ns - window_start)
                            : model_rate(received - m->last_received, span);
  m->before_uptime_ns = old_uptime;
  m->before_received = m->last_received;
  m->last_uptime_ns = s->uptime_ns;
  m->last_received = received;
  if (s->has_last_cost) {
    m->has_cost = 1;
    m->cost_ns = as_sat_add(as_sat_add(s->cost_collect_ns, s->cost_encode_ns), s->cost_write_ns);
    m->cost_bytes = s->cost_bytes;
  }
  top_snap_free(m->snap);
  free(m->views);
  m->snap = snap;
  m->views = views;
  m->n_views = s->n_actors;
  m->applied++;
  return 0;
}
