/* What actorscope serve knows, shared between the threads that read snapshot streams and the
 * HTTP thread that renders it: the traced processes (metrics_process.h), how each ended, and the
 * sources, under one lock. A process whose stream ended stays for a while (keep_ms), so the
 * final counts of a short-lived program are scraped too; a process that reconnects (the same pid
 * and start) goes on with its accumulated counters.
 *
 * How a process ended is its final line's ended_by (exit, signal, exec, detach), or lost: its
 * stream ended without a final line and the process is gone (SIGKILL, the OOM killer, a crash
 * the tracer could not write). serve tells a process by its pid and its start time in /proc, so
 * a zombie or a reused pid is not it. A lost process's gauges of the present (actors by status,
 * mailbox depths, handlers running, deadlocks) read 0: nothing of it runs any more; its counters
 * keep their last values for keep_ms, as any ended process's do. */
#ifndef ACTORSCOPE_SERVE_HUB_H
#define ACTORSCOPE_SERVE_HUB_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "reader.h"
#include "metrics.h"
#include "metrics_programs.h"

enum serve_end {
  SERVE_END_NONE,   /* running, or its stream ended and it is not known to be gone */
  SERVE_END_EXIT,   /* a final line: it exited */
  SERVE_END_SIGNAL, /* a final line written as a deadly signal killed it */
  SERVE_END_EXEC,   /* a final line: the image was replaced (exec); the process ran on */
  SERVE_END_DETACH, /* a final line: the tracer was detached; the process ran on */
  SERVE_END_LOST,   /* no final line, and the process is gone */
};

/* How a process's stream ended, and how to tell whether the process still runs. */
struct serve_end_state {
  enum serve_end end;
  char signal[16];      /* SERVE_END_SIGNAL: its name ("SIGTERM") */
  int64_t pid;          /* the process serving a unix socket (SO_PEERCRED); 0: not known here */
  uint64_t start_ticks; /* its start in /proc/PID/stat when it was attached; 0: not known */
};

struct serve_hub_entry {
  struct metrics_process *process;
  int attached;        /* a stream is feeding it now */
  int64_t detached_ms; /* when its stream ended, or when it was found gone (monotonic ms) */
  int joined;          /* a scrape has seen it: it counts in its program's sums */
  int superseded;      /* ended, and another process has its pid now: gone at the next scrape */
  struct serve_end_state end;
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
 * PEER_PID: the pid the kernel says serves the stream (a unix socket), else <= 0. NULL when out
 * of memory, or *BUSY = 1 when another stream is feeding it already. */
struct metrics_process *serve_hub_attach(struct serve_hub *hub, const struct as_rec_header *header,
                                         long peer_pid, int *busy);
/* The end a snapshot tells: SERVE_END_NONE unless it is a final line. */
enum serve_end serve_end_of(const struct as_rec_snapshot *snapshot);
/* Its stream ended; END what its last line told (serve_end_of), SIGNAL the signal's name or
 * NULL. Without a final line, a process whose pid serve can ask about is judged at once, and
 * again at each scrape while it is kept. */
void serve_hub_detach(struct serve_hub *hub, struct metrics_process *process, enum serve_end end,
                      const char *signal);
/* A process read over tcp (no pid to ask about) whose stream ended without a final line, and
 * whose source then refused or answered for another process: it is gone. */
void serve_hub_lost(struct serve_hub *hub, int64_t pid, int64_t started_at_ns);
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
