/* The shared state of actorscope serve (serve_hub.h). */
#define _GNU_SOURCE
#include "serve_hub.h"

#include "escape.h"
#include "grow.h"
#include "recording.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* ---- how a process ended -------------------------------------------------------------------- */

static const char *const serve_end_names[] = {"", "exit", "signal", "exec", "detach", "lost"};

enum serve_end serve_end_of(const struct as_rec_snapshot *snapshot)
{
  switch (recording_snapshot_end(snapshot)) {
  case RM_END_FINAL: return SERVE_END_EXIT;
  case RM_END_SIGNAL: return SERVE_END_SIGNAL;
  case RM_END_EXEC: return SERVE_END_EXEC;
  case RM_END_DETACH: return SERVE_END_DETACH;
  default: return SERVE_END_NONE;
  }
}

enum proc_seen { PROC_RUNS, PROC_ZOMBIE, PROC_UNSEEN };

/* What /proc/PID/stat says of PID: it runs (*START: its start in clock ticks since boot, plus
 * one), it is a zombie (dead, its parent has not collected it), or there is no entry (no such
 * process, or one /proc hides from this user: hidepid). */
static enum proc_seen hub_proc_stat(int64_t pid, uint64_t *start)
{
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/%" PRId64 "/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return PROC_UNSEEN;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  text[n > 0 ? n : 0] = '\0';
  /* The command name may hold any byte, ')' too: the fields follow its last ')'. */
  const char *p = strrchr(text, ')');
  if (!p || p[1] != ' ')
    return PROC_UNSEEN;
  p += 2;
  if (*p == 'Z' || *p == 'X' || *p == 'x')
    return PROC_ZOMBIE;
  for (int field = 3; field < 22 && p; field++) /* p is at field 3, the state; start is 22 */
    if ((p = strchr(p, ' ')))
      p++;
  if (!p || !isdigit((unsigned char)*p))
    return PROC_UNSEEN;
  *start = strtoull(p, NULL, 10) + 1;
  return PROC_RUNS;
}

/* The process serving a stream: its start is noted, so that a pid another process took later
 * is not mistaken for it. */
static void hub_end_watch(struct serve_end_state *end, long peer_pid)
{
  if (peer_pid <= 0 || end->pid)
    return;
  end->pid = peer_pid;
  if (hub_proc_stat(end->pid, &end->start_ticks) != PROC_RUNS)
    end->start_ticks = 0;
}

/* Whether the process is known to be gone: its pid is a zombie, runs nothing, or runs a process
 * started at another time (the pid was reused). */
static int hub_process_gone(const struct serve_end_state *end)
{
  uint64_t start = 0;
  if (end->pid <= 0)
    return 0;
  switch (hub_proc_stat(end->pid, &start)) {
  case PROC_RUNS: return end->start_ticks && start != end->start_ticks;
  case PROC_ZOMBIE: return 1;
  default: return kill((pid_t)end->pid, 0) < 0 && errno == ESRCH; /* maybe hidden by hidepid */
  }
}

/* A process found gone: its gauges of the present read 0 (metrics_process_gone), and it is
 * served for keep_ms from now. */
static void hub_mark_lost(struct serve_hub_entry *e, int64_t now)
{
  e->end.end = SERVE_END_LOST;
  e->detached_ms = now;
  metrics_process_gone(e->process);
}

/* A stream that ended without a final line: is its process gone? */
static void hub_judge(struct serve_hub_entry *e, int64_t now)
{
  if (!e->attached && e->end.end == SERVE_END_NONE && hub_process_gone(&e->end))
    hub_mark_lost(e, now);
}

static void hub_render_ends(const struct serve_hub *hub, FILE *out)
{
  fputs("# HELP actorscope_process_ended 1 once the process's tracing ended, by how: ended_by "
        "exit, signal (signal: its name), exec or detach (the process ran on) from its final "
        "snapshot, or lost (no final snapshot, and the process is gone: SIGKILL, a crash); a "
        "lost process's actor gauges read 0. No series while it runs.\n"
        "# TYPE actorscope_process_ended gauge\n",
        out);
  for (size_t i = 0; i < hub->n; i++) {
    const struct serve_hub_entry *e = &hub->entries[i];
    if (e->end.end == SERVE_END_NONE || !e->process->have_snapshot)
      continue;
    fprintf(out, "actorscope_process_ended{pid=\"%" PRId64 "\",program=\"", e->process->pid);
    escape_label_value(out, e->process->program);
    fprintf(out, "\",ended_by=\"%s\"", serve_end_names[e->end.end]);
    if (e->end.signal[0])
      fprintf(out, ",signal=\"%s\"", e->end.signal);
    fputs("} 1\n", out);
  }
}

/* ---- processes ------------------------------------------------------------------------------ */

struct metrics_process *serve_hub_attach(struct serve_hub *hub, const struct as_rec_header *header,
                                         long peer_pid, int *busy)
{
  *busy = 0;
  for (size_t i = 0; i < hub->n; i++) {
    struct serve_hub_entry *e = &hub->entries[i];
    if (!metrics_process_is(e->process, header))
      continue;
    if (e->attached) {
      *busy = 1;
      return NULL;
    }
    e->attached = 1;
    e->end.end = SERVE_END_NONE;
    e->end.signal[0] = '\0';
    hub_end_watch(&e->end, peer_pid);
    return e->process;
  }
  /* Another process under an ended one's pid (the pid reused, or the same process's next image
   * after an exec): the old one's series would carry every label the new one's do, and a lost
   * one's zeros would read as the live one's. The old one goes at the next scrape, its counts
   * folded into its program's sums as at the end of --keep. */
  for (size_t i = 0; i < hub->n; i++)
    if (!hub->entries[i].attached && hub->entries[i].process->pid == header->pid)
      hub->entries[i].superseded = 1;
  if (grow_array((void **)&hub->entries, &hub->cap, hub->n, sizeof *hub->entries) < 0)
    return NULL;
  struct metrics_process *p = metrics_process_new(header);
  if (!p)
    return NULL;
  p->include_internal = hub->include_internal;
  struct serve_hub_entry *e = &hub->entries[hub->n++];
  *e = (struct serve_hub_entry){.process = p, .attached = 1};
  hub_end_watch(&e->end, peer_pid);
  return p;
}

void serve_hub_detach(struct serve_hub *hub, struct metrics_process *process, enum serve_end end,
                      const char *signal)
{
  int64_t now = serve_now_ms();
  for (size_t i = 0; i < hub->n; i++) {
    struct serve_hub_entry *e = &hub->entries[i];
    if (e->process != process)
      continue;
    e->attached = 0;
    e->detached_ms = now;
    e->end.end = end;
    /* A signal's name as the tracer writes it (SIGTERM); anything else a source says is not. */
    size_t k = 0;
    for (const char *c = end == SERVE_END_SIGNAL && signal ? signal : "";
         *c && k + 1 < sizeof e->end.signal && isalnum((unsigned char)*c); c++)
      e->end.signal[k++] = *c;
    e->end.signal[k] = '\0';
    hub_judge(e, now);
  }
}

void serve_hub_lost(struct serve_hub *hub, int64_t pid, int64_t started_at_ns)
{
  for (size_t i = 0; i < hub->n; i++) {
    struct serve_hub_entry *e = &hub->entries[i];
    if (e->process->pid == pid && e->process->started_at_ns == started_at_ns && !e->attached &&
        e->end.end == SERVE_END_NONE)
      hub_mark_lost(e, serve_now_ms());
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
    if (!e->attached && (e->superseded || now - e->detached_ms > hub->keep_ms)) {
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
  /* A process whose stream ended without a final line may have died since. */
  int64_t now = serve_now_ms();
  for (size_t i = 0; i < hub->n; i++)
    hub_judge(&hub->entries[i], now);
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
    hub_render_ends(hub, out);
    metrics_render(out, ps, hub->n, hub->sources, hub->n_sources, &options);
    /* Seen by a scrape: from the next one on, in its program's sums. */
    for (size_t i = 0; i < hub->n; i++)
      hub->entries[i].joined = 1;
  }
  free(ps);
  free(joined);
  pthread_mutex_unlock(&hub->lock);
}
