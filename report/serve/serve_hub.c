/* The shared state of actorscope serve (serve_hub.h). */
#define _GNU_SOURCE
#include "serve_hub.h"

#include "grow.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t serve_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int serve_hub_init(struct serve_hub *hub, int64_t keep_ms, long per_actor_cap)
{
  memset(hub, 0, sizeof *hub);
  hub->keep_ms = keep_ms;
  hub->render.per_actor_cap = per_actor_cap;
  hub->budget.limit = SERVE_MEMORY_BUDGET;
  return pthread_mutex_init(&hub->lock, NULL) == 0 ? 0 : -1;
}

struct metrics_process *serve_hub_attach(struct serve_hub *hub, const struct as_rec_header *header,
                                         int *busy)
{
  *busy = 0;
  for (size_t i = 0; i < hub->n; i++) {
    if (!metrics_process_is(hub->entries[i].process, header))
      continue;
    if (hub->entries[i].attached) {
      *busy = 1;
      return NULL;
    }
    hub->entries[i].attached = 1;
    return hub->entries[i].process;
  }
  if (grow_array((void **)&hub->entries, &hub->cap, hub->n, sizeof *hub->entries) < 0)
    return NULL;
  struct metrics_process *p = metrics_process_new(header);
  if (!p)
    return NULL;
  p->include_internal = hub->include_internal;
  hub->entries[hub->n++] = (struct serve_hub_entry){p, 1, 0, 0};
  return p;
}

void serve_hub_detach(struct serve_hub *hub, struct metrics_process *process)
{
  for (size_t i = 0; i < hub->n; i++)
    if (hub->entries[i].process == process) {
      hub->entries[i].attached = 0;
      hub->entries[i].detached_ms = serve_now_ms();
    }
}

long serve_hub_source(struct serve_hub *hub, const char *source)
{
  for (size_t i = 0; i < hub->n_sources; i++)
    if (strcmp(hub->sources[i].source, source) == 0) {
      hub->sources[i].gone = 0;
      return (long)i;
    }
  size_t live = 0;
  for (size_t i = 0; i < hub->n_sources; i++)
    live += !hub->sources[i].gone;
  if (live >= SERVE_SOURCES_SHOWN_MAX)
    return -1; /* a directory of thousands of sockets: the table of statistics stays bounded */
  char *copy = strdup(source);
  if (!copy)
    return -1;
  /* The slot of a socket that is gone (its stream thread has ended) is taken over: the table
   * follows the sockets present, not every pid a host ever had. */
  for (size_t i = 0; i < hub->n_sources; i++)
    if (hub->sources[i].gone) {
      free((char *)hub->sources[i].source);
      hub->sources[i] = (struct metrics_source_stat){copy, 0, 0, 0};
      return (long)i;
    }
  if (grow_array((void **)&hub->sources, &hub->cap_sources, hub->n_sources, sizeof *hub->sources) <
      0) {
    free(copy);
    return -1;
  }
  hub->sources[hub->n_sources] = (struct metrics_source_stat){copy, 0, 0, 0};
  return (long)hub->n_sources++;
}

static void hub_expire(struct serve_hub *hub)
{
  int64_t now = serve_now_ms();
  size_t out = 0;
  for (size_t i = 0; i < hub->n; i++) {
    struct serve_hub_entry *e = &hub->entries[i];
    if (!e->attached && now - e->detached_ms > hub->keep_ms) {
      metrics_programs_fold(&hub->programs, e->process); /* its program's sums keep its counts */
      metrics_process_free(e->process);
    } else {
      hub->entries[out++] = *e;
    }
  }
  hub->n = out;
}

void serve_hub_render(struct serve_hub *hub, FILE *out, int openmetrics)
{
  pthread_mutex_lock(&hub->lock);
  hub_expire(hub);
  struct metrics_process **ps = malloc((hub->n ? hub->n : 1) * sizeof *ps);
  int *joined = malloc((hub->n ? hub->n : 1) * sizeof *joined);
  if (ps && joined) {
    for (size_t i = 0; i < hub->n; i++) {
      ps[i] = hub->entries[i].process;
      joined[i] = hub->entries[i].joined;
    }
    struct metrics_render_options options = hub->render;
    options.openmetrics = openmetrics;
    metrics_programs_render(out, openmetrics, &hub->programs, ps, joined, hub->n);
    metrics_render(out, ps, hub->n, hub->sources, hub->n_sources, &options);
    /* Seen by a scrape: from the next one on, in its program's sums. */
    for (size_t i = 0; i < hub->n; i++)
      hub->entries[i].joined = 1;
  }
  free(joined);
  pthread_mutex_unlock(&hub->lock);
}
