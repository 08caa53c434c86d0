/* actorscope top: the screen's model. The current snapshot (owned) and, per actor, what the
 * screen derives from it and from the snapshots before: its state (Busy, Stuck, Waiting,
 * Deadlock ...), its message rate, and a short history of its mailbox and rate. Memory is the
 * current snapshot plus a fixed ring per listed actor. */
#ifndef ACTORSCOPE_TOP_MODEL_H
#define ACTORSCOPE_TOP_MODEL_H

#include "top_snap.h"

#include <stddef.h>
#include <stdint.h>

#define TOP_HISTORY 30 /* snapshots of mailbox and rate kept per actor */

enum top_state {
  TOP_STATE_RUNNING,
  TOP_STATE_STARTING,
  TOP_STATE_STOPPING,
  TOP_STATE_BUSY,     /* in one handler past the busy threshold */
  TOP_STATE_STUCK,    /* ... past the stuck threshold */
  TOP_STATE_WAITING,  /* blocked on another actor */
  TOP_STATE_DEADLOCK, /* in a wait-for cycle */
  TOP_STATE_STOPPED,
  TOP_STATE_COUNT
};

struct top_history {
  float rate[TOP_HISTORY];
  uint32_t mailbox[TOP_HISTORY];
  uint8_t count, next; /* a ring: next is where the next point goes */
};

struct top_actor_view {
  int64_t id, received;    /* the actor's (every socket's), for the next snapshot's rates */
  int64_t received_before; /* at the snapshot before the previous one (-1: not seen then) */
  double rate; /* its own messages received per second over the rate window (top_model.c) */
  enum top_state state;
  struct top_history history;
};

struct top_thresholds {
  int64_t busy_ns;  /* default 500 ms */
  int64_t stuck_ns; /* default 5 s */
};
#define TOP_BUSY_NS_DEFAULT 500000000LL
#define TOP_STUCK_NS_DEFAULT 5000000000LL

struct top_model {
  struct top_snap *snap;        /* NULL until the first snapshot */
  struct top_actor_view *views; /* parallel to snap->snapshot.actors */
  size_t n_views;
  size_t applied;                            /* snapshots applied since the last reset */
  int64_t last_uptime_ns, last_received;     /* of the snapshot before, for rates */
  int64_t before_uptime_ns, before_received; /* of the one before that (a short last span) */
  /* The tracer's cost as last reported: a format 2 line that changes nothing leaves it out. */
  int has_cost;
  int64_t cost_ns, cost_bytes;
  double message_rate; /* messages received per second, whole process */
  size_t counts[TOP_STATE_COUNT];
  struct top_thresholds thresholds;
};

/* How long the actor has lived at the snapshot: a stopped actor's age stops at its stop. */
static inline int64_t top_actor_age_ns(const struct as_rec_snapshot *s,
                                       const struct as_rec_actor *a)
{
  int64_t end = a->has_stopped && a->stopped_at_ns < s->uptime_ns ? a->stopped_at_ns : s->uptime_ns;
  return end > a->spawned_at_ns ? end - a->spawned_at_ns : 0;
}

void top_model_init(struct top_model *m, const struct top_thresholds *thresholds);
/* Forgets everything (a new process, or a replay going back). */
void top_model_reset(struct top_model *m);
/* Makes SNAP (owned from now on) the current snapshot; RECEIVED: the messages the listed actors
 * received in all (rm_counts.messages), for the process's message rate. Returns 0 or -ENOMEM
 * (SNAP freed). */
int top_model_apply(struct top_model *m, struct top_snap *snap, int64_t received);
/* Frees the current snapshot but keeps what the next one's rates and histories need: a reader
 * of a recording calls it before copying the next snapshot, so two never coexist. Nothing may
 * be drawn until the next top_model_apply. */
void top_model_drop_snapshot(struct top_model *m);
void top_model_free(struct top_model *m);

/* The lower-case name of a state ("stuck"), for filters; and its parser. */
const char *top_state_name(enum top_state state);
int top_state_parse(const char *name, enum top_state *out);
/* The state column: "Busy 1.20s", "Waiting->#12 3.00s", "Stopped: destroyed" (durations as
 * show_duration writes them, compact). */
void top_state_text(char *out, size_t cap, const struct as_rec_actor *a, enum top_state state,
                    int ascii);

#endif
