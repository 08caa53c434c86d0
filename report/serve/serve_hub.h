/* What actorscope serve knows, shared between the threads that read snapshot streams and the
 * HTTP thread that renders it: the traced processes (metrics_process.h) and the sources, under
 * one lock. A process whose stream ended stays for a while (keep_ms), so the final counts of a
 * short-lived program are scraped too; a process that reconnects (the same pid and start) goes
 * on with its accumulated counters. */
#ifndef ACTORSCOPE_SERVE_HUB_H
#define ACTORSCOPE_SERVE_HUB_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "reader.h"
#include "metrics.h"
#include "metrics_programs.h"

struct serve_hub_entry {
  struct metrics_process *process;
  int attached;        /* a stream is feeding it now */
  int64_t detached_ms; /* when its stream ended (monotonic ms) */
  int joined;          /* a scrape has seen it: it counts in its program's sums */
};

struct serve_hub {
  pthread_mutex_t lock;
  struct serve_hub_entry *entries;
  size_t n, cap;
  struct metrics_source_stat *sources; /* source texts are owned by the hub */
  size_t n_sources, cap_sources;
  int64_t keep_ms;
  struct metrics_render_options render;
  struct metrics_programs programs; /* per-program sums across processes */
  struct as_reader_budget budget;   /* shared by every source's reader */
  int include_internal;             /* runtime-internal actors' series too (--internal) */
};

int serve_hub_init(struct serve_hub *hub, int64_t keep_ms, long per_actor_cap);

/* Called with the lock held. */
/* The process HEADER describes, attached to a new stream: an ended one is taken up again.
 * NULL when out of memory, or *BUSY = 1 when another stream is feeding it already. */
struct metrics_process *serve_hub_attach(struct serve_hub *hub, const struct as_rec_header *header,
                                         int *busy);
void serve_hub_detach(struct serve_hub *hub, struct metrics_process *process);
/* The index of SOURCE's statistics (added on first use), or -1 when out of memory. */
/* Sources read at once, at most (each has a thread); more wait for a free one, those named
 * after a live process first. */
#define SERVE_SOURCES_MAX 512
/* Sources whose statistics are kept (and shown); the rest are read without. */
#define SERVE_SOURCES_SHOWN_MAX 4096
long serve_hub_source(struct serve_hub *hub, const char *source);
/* A stream: its longest line, how long its header may take, when it is tried again. */
#define SERVE_LINE_MAX ((size_t)256 << 20)
#define SERVE_HEADER_MS 5000
#define SERVE_RETRY_MS 1000
#define SERVE_RETRY_MAX_MS 60000
/* What the lines being read take, all sources together. */
#define SERVE_MEMORY_BUDGET ((size_t)256 << 20)

/* Renders everything (takes the lock); drops processes ended more than keep_ms ago. */
void serve_hub_render(struct serve_hub *hub, FILE *out, int openmetrics);

int64_t serve_now_ms(void);

#endif
