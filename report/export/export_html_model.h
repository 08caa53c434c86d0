/* What the HTML page shows about a run, gathered as the run is read: every actor ever listed
 * in its last-seen state (a few dozen bytes each, names interned), one point per snapshot for
 * the plots over time, the distinct deadlock cycles, and — reading a file a second time — the
 * mailbox depth over time of the deepest actors. */
#ifndef ACTORSCOPE_EXPORT_HTML_MODEL_H
#define ACTORSCOPE_EXPORT_HTML_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "actor_table.h"
#include "intern.h"
#include "recording.h"
#include "reader.h"

struct html_actor {
  int64_t id, parent; /* parent -1: none */
  int has_system;     /* CAF: its actor system (runtime_scope) */
  int64_t system;
  const char *name, *runtime, *reason, *slow_type; /* interned; reason NULL until stopped */
  enum as_status status;
  int64_t spawned_at_ns, stopped_at_ns;
  int64_t received, sent, exceptions, mailbox_max, handler_max_ns, handler_total_ns;
  int64_t handled;        /* handlers finished */
  int64_t running_max_ns; /* the longest handler seen in progress */
  double mailbox_max_s;   /* the first snapshot that showed mailbox_max (it was reached by then) */
  int deadlocked;
  /* Its longest stuck handler run: where it was ("nanosleep <- zclock_sleep <- napper <- ...",
   * interned) and how long it ran; NULL and 0 when none. */
  const char *stuck_in, *stuck_how;
  int64_t stuck_ns;
  /* Its mailbox_wait_histogram as last listed: n_waits (bucket, count) pairs; NULL: none. */
  int64_t *waits;
  size_t n_waits;
};

/* Whether it ever ran a handler (finished, or seen in progress): else its longest is "—". */
static inline int html_actor_ran(const struct html_actor *a)
{
  return a->handled > 0 || a->handler_max_ns > 0 || a->running_max_ns > 0;
}

/* Its longest handler: finished, or seen in progress. */
static inline int64_t html_actor_longest_ns(const struct html_actor *a)
{
  return a->handler_max_ns > a->running_max_ns ? a->handler_max_ns : a->running_max_ns;
}

struct html_point {
  double t;                /* seconds since tracing started */
  int64_t alive, received; /* totals at that snapshot */
};

struct html_cycle {
  char *text; /* "#1 a -> #2 b -> #1" */
  double first_s, last_s;
};

#define HTML_DEEPEST 5

struct html_model {
  const char *program, *argv, *started_at; /* interned; program: its name for people */
  int64_t pid;
  struct intern_table strings;
  struct html_actor *actors; /* by first sight; sorted by id at the end */
  size_t n_actors, cap_actors;
  struct actor_table index; /* listed actors -> position in actors */
  struct html_point *points;
  size_t n_points, cap_points;
  struct html_cycle *cycles;
  size_t n_cycles, cap_cycles;
  int include_internal; /* runtime-internal actors listed too (--internal) */
  /* The run as report and top fold it (report/lib/recording.h): the page's counts, maxima and
   * which actors it lists are that model's. */
  struct recording run;
  struct rm_counts counts; /* of run, at the end */
  double now_s;            /* the snapshot being read */
  int64_t tick_fs;         /* femtoseconds a tick of the histograms: the last line's (0: none) */
  int truncated;           /* how the run ended: run.end, as report says it */
  /* The deepest actors' mailbox depth over time: deep_t[i], deep_depth[k][i]. */
  size_t n_deep, n_deep_points;
  int64_t deep_ids[HTML_DEEPEST];
  double *deep_t, *deep_depth[HTML_DEEPEST];
  int deep_unavailable; /* the source cannot be read twice (a socket, standard input) */
};

/* Reads RUN (already open) to its end (runtime-internal actors only with INCLUDE_INTERNAL), then SOURCE again when it is a regular file. Returns 0
 * or a negative errno with ERR filled. */
int html_model_read(struct html_model *model, struct as_reader *run, const char *source,
                    int include_internal, struct as_reader_error *err);
void html_model_free(struct html_model *model);
/* The actor with ID, or NULL (after html_model_read: actors sorted by id). */
const struct html_actor *html_model_actor(const struct html_model *model, int64_t id);

#endif
