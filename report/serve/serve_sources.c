/* Stream and directory threads of actorscope serve (serve_sources.h). */
#define _GNU_SOURCE
#include "serve_sources.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "destination.h"
#include "live_feed.h"
#include "reader.h"

#define SERVE_SCAN_MS 500

/* What one attempt at a source did, and how it is said: once, and again when it changes. */
struct feed_voice {
  char said[1024];
  int64_t backoff_ms; /* until the next attempt after a failure: doubles, up to a minute */
};

struct feed {
  struct serve_hub *hub;
  char *source;      /* what the reader opens */
  char *socket_path; /* a directory's socket: one attempt, then the watcher decides; else NULL */
  long stat;         /* index of its statistics in the hub; -1: none */
  pthread_t thread;
  atomic_int done;
  int failed; /* the attempt ended with an error (a directory's socket) */
  struct feed_voice *voice;
  struct metrics_process *process; /* the open connection's process in the hub, or NULL */
  long peer_pid;                   /* who serves the open connection (a unix socket), else <= 0 */
  enum serve_end last_end;         /* what the open connection's last line told */
  char last_signal[16];
  /* A process read over tcp whose stream ended without a final line: gone if the next attempt
   * fails or finds another process (serve cannot ask its pid; it may live on another host). */
  int orphan, attempting;
  int64_t orphan_pid, orphan_started_ns;
};

static void serve_sleep_ms(int64_t ms)
{
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* A problem is said once, not on every reconnection while it lasts. */
static void voice_say(struct feed_voice *v, const char *text)
{
  if (strcmp(v->said, text) == 0)
    return;
  snprintf(v->said, sizeof v->said, "%s", text);
  fprintf(stderr, "actorscope serve: %s\n", text);
}

/* The next wait after an attempt: a second after a clean end, doubling after each failure. */
static int64_t voice_next_wait(struct feed_voice *v, int failed)
{
  if (!failed) {
    v->said[0] = '\0';
    return v->backoff_ms = SERVE_RETRY_MS;
  }
  v->backoff_ms = v->backoff_ms < SERVE_RETRY_MS ? SERVE_RETRY_MS : v->backoff_ms * 2;
  if (v->backoff_ms > SERVE_RETRY_MAX_MS)
    v->backoff_ms = SERVE_RETRY_MAX_MS;
  return v->backoff_ms;
}

/* The pids a socket's name holds: runs of three or more digits standing alone between
 * separators (`%p.sock`, `svc.%p.sock`, `svc-%p.sock`), not `v2` or `worker-2`. A socket that names
 * a pid must be served by that process. Returns how many were found (at most MAX). */
static size_t serve_name_pids(const char *path, long *pids, size_t max)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = 0;
  for (const char *p = base; *p && n < max;) {
    if (!isdigit((unsigned char)*p)) {
      p++;
      continue;
    }
    const char *end = p;
    while (isdigit((unsigned char)*end))
      end++;
    int alone = (p == base || strchr("._-", p[-1])) && (!*end || strchr("._-", *end));
    if (alone && end - p >= 3 && end - p < 10)
      pids[n++] = strtol(p, NULL, 10);
    p = end;
  }
  return n;
}

/* Why a directory's socket is not the process it says it is, or NULL. */
static int feed_check_name(const struct feed *f, const struct as_reader *reader, char *why,
                           size_t len)
{
  long pids[8], peer = as_reader_peer_pid(reader);
  size_t n = f->socket_path ? serve_name_pids(f->socket_path, pids, 8) : 0;
  if (!n || peer <= 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (pids[i] == peer)
      return 0;
  snprintf(why, len, "%s: refused: its name says pid %ld, but it is served by pid %ld", f->source,
           pids[0], peer);
  return -1;
}

/* A connection: its header attaches the process (unless its name says another one). */
static int feed_opened(void *ctx, const struct as_reader *reader, char *why, size_t len)
{
  struct feed *f = ctx;
  struct serve_hub *hub = f->hub;
  if (feed_check_name(f, reader, why, len) < 0)
    return -1;
  int busy = 0;
  const struct as_rec_header *header = as_reader_header(reader);
  f->peer_pid = as_reader_peer_pid(reader);
  f->last_end = SERVE_END_NONE;
  pthread_mutex_lock(&hub->lock);
  if (f->orphan && (header->pid != f->orphan_pid || header->started_at_ns != f->orphan_started_ns))
    serve_hub_lost(hub, f->orphan_pid, f->orphan_started_ns);
  f->orphan = 0;
  f->process = serve_hub_attach(hub, header, f->peer_pid, &busy);
  if (f->process && f->stat >= 0) {
    hub->sources[f->stat].up = 1;
    hub->sources[f->stat].connections++;
  }
  pthread_mutex_unlock(&hub->lock);
  if (!f->process) {
    snprintf(why, len, "%s: %s", f->source,
             busy ? "this process is read from another source already" : "out of memory");
    return -1;
  }
  return 0;
}

/* Every snapshot is folded into the process's metrics. */
static int feed_snapshot(void *ctx, const struct as_rec_header *header,
                         const struct as_rec_snapshot *snapshot, int new_stream)
{
  struct feed *f = ctx;
  f->last_end = serve_end_of(snapshot);
  snprintf(f->last_signal, sizeof f->last_signal, "%s", snapshot->signal ? snapshot->signal : "");
  pthread_mutex_lock(&f->hub->lock);
  int rc = metrics_process_update(f->process, snapshot);
  pthread_mutex_unlock(&f->hub->lock);
  return rc < 0 ? -ENOMEM : 0;
}

static void feed_closed(void *ctx, int rc)
{
  struct feed *f = ctx;
  pthread_mutex_lock(&f->hub->lock);
  f->orphan = f->last_end == SERVE_END_NONE && f->peer_pid <= 0;
  f->orphan_pid = f->process->pid;
  f->orphan_started_ns = f->process->started_at_ns;
  serve_hub_detach(f->hub, f->process, f->last_end, f->last_signal);
  if (f->stat >= 0)
    f->hub->sources[f->stat].up = 0;
  pthread_mutex_unlock(&f->hub->lock);
  f->process = NULL;
  f->attempting = 0; /* a failure said next is the stream's own, not a new attempt's */
  if (rc == 0)
    f->voice->said[0] = '\0'; /* a clean end: the next problem is news */
}

static void feed_failed(void *ctx, const char *why)
{
  struct feed *f = ctx;
  f->failed = 1;
  if (f->orphan && f->attempting) {
    pthread_mutex_lock(&f->hub->lock);
    serve_hub_lost(f->hub, f->orphan_pid, f->orphan_started_ns);
    pthread_mutex_unlock(&f->hub->lock);
    f->orphan = 0;
  }
  voice_say(f->voice, why);
}

/* A source of its own is tried for as long as serve runs. */
static int feed_retry(void *ctx)
{
  ((struct feed *)ctx)->attempting = 1;
  return 1;
}

static int feed_socket_exists(const struct feed *f)
{
  struct stat st;
  return lstat(f->socket_path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void *feed_main(void *arg)
{
  struct feed *f = arg;
  static const struct live_feed_handler handler = {NULL,        feed_snapshot, feed_retry,
                                                   feed_opened, feed_closed,   feed_failed};
  struct as_reader_options reader = AS_READER_OPTIONS_DEFAULT;
  /* 256 MiB: half a million actors a line; what all sources hold together is bounded by the
   * hub's budget, and a peer that does not send its header soon is dropped. */
  reader.max_line_bytes = SERVE_LINE_MAX;
  reader.header_timeout_ms = SERVE_HEADER_MS;
  reader.budget = &f->hub->budget;
  /* Any error is tried again, a second after a stream's end, doubling after each failure. A
   * directory's socket: one attempt; its watcher decides when to try again. */
  struct live_feed_options options = {.source = f->source,
                                      .reader = &reader,
                                      .retry_ms = SERVE_RETRY_MS,
                                      .retry_max_ms = SERVE_RETRY_MAX_MS,
                                      .persist = 1,
                                      .once = f->socket_path != NULL};
  struct as_reader_error err;
  live_feed_run(&options, &handler, f, &err);
  if (f->socket_path) {
    f->failed = f->failed && feed_socket_exists(f);
    atomic_store(&f->done, 1);
  }
  return NULL;
}

static void feed_free(struct feed *f)
{
  free(f->source);
  free(f->socket_path);
  free(f);
}

static struct feed *feed_start(struct serve_hub *hub, const char *source, const char *socket_path,
                               long stat, struct feed_voice *voice)
{
  struct feed *f = calloc(1, sizeof *f);
  if (!f || !(f->source = strdup(source)) ||
      (socket_path && !(f->socket_path = strdup(socket_path)))) {
    if (f)
      feed_free(f);
    return NULL;
  }
  f->hub = hub;
  f->stat = stat;
  f->voice = voice;
  if (pthread_create(&f->thread, NULL, feed_main, f) != 0) {
    feed_free(f);
    return NULL;
  }
  return f;
}

/* ---- watched directories ------------------------------------------------------------------ */

/* A socket found in a directory: read by a feed now, or waiting for its next attempt. */
struct watched {
  char *path;
  dev_t dev;
  ino_t ino;
  long stat;
  struct feed *feed; /* NULL between attempts */
  int64_t next_ms;   /* the next attempt: not before */
  struct feed_voice voice;
  int seen; /* found by the last scan */
  struct watched *next;
};

struct watch {
  struct serve_hub *hub;
  char *dir;
  struct watched *sockets;
  int said_full; /* the cap was said since it was last not reached */
};

/* Feeds running over every watched directory: a thread each. */
static atomic_int serve_feeds_running;

static struct watched *watch_find(struct watch *w, const char *path, const struct stat *st)
{
  for (struct watched *s = w->sockets; s; s = s->next)
    if (strcmp(s->path, path) == 0) {
      /* Another socket under the same name (a new process): a fresh start. */
      if (!s->feed && (s->dev != st->st_dev || s->ino != st->st_ino)) {
        s->dev = st->st_dev;
        s->ino = st->st_ino;
        s->next_ms = 0;
        s->voice.backoff_ms = 0;
      }
      return s;
    }
  struct watched *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    return NULL;
  }
  s->dev = st->st_dev;
  s->ino = st->st_ino;
  s->stat = -1;
  s->next = w->sockets;
  w->sockets = s;
  return s;
}

/* A socket whose name holds the pid of a process alive now: served first when sockets are
 * more than the threads serve runs. */
static int watched_names_live_pid(const struct watched *s)
{
  long pids[8];
  size_t n = serve_name_pids(s->path, pids, 8);
  for (size_t i = 0; i < n; i++)
    if (kill((pid_t)pids[i], 0) == 0 || errno == EPERM)
      return 1;
  return 0;
}

static void watch_forget(struct watch *w, struct watched **at)
{
  struct watched *s = *at;
  *at = s->next;
  if (s->stat >= 0) {
    pthread_mutex_lock(&w->hub->lock);
    w->hub->sources[s->stat].gone = 1;
    pthread_mutex_unlock(&w->hub->lock);
  }
  free(s->path);
  free(s);
}

/* Ended feeds free their thread; sockets that are gone are forgotten. */
static void watch_reap(struct watch *w, int64_t now)
{
  for (struct watched **at = &w->sockets; *at;) {
    struct watched *s = *at;
    if (s->feed && atomic_load(&s->feed->done)) {
      pthread_join(s->feed->thread, NULL);
      s->next_ms = now + voice_next_wait(&s->voice, s->feed->failed);
      feed_free(s->feed);
      s->feed = NULL;
      atomic_fetch_sub(&serve_feeds_running, 1);
    }
    if (!s->feed && !s->seen)
      watch_forget(w, at);
    else
      at = &s->next;
  }
}

static int watched_start(struct watch *w, struct watched *s)
{
  char source[AS_DEST_UNIX_PATH_MAX + 16];
  snprintf(source, sizeof source, "unix:%s", s->path);
  if (s->stat < 0) {
    pthread_mutex_lock(&w->hub->lock);
    s->stat = serve_hub_source(w->hub, source);
    pthread_mutex_unlock(&w->hub->lock);
  }
  s->feed = feed_start(w->hub, source, s->path, s->stat, &s->voice);
  if (!s->feed)
    return -1;
  atomic_fetch_add(&serve_feeds_running, 1);
  return 0;
}

/* Starts the sockets due for an attempt, those named after a live process first, as long as
 * threads are left. */
static void watch_start_due(struct watch *w, int64_t now)
{
  size_t waiting = 0;
  for (int pass = 0; pass < 2; pass++)
    for (struct watched *s = w->sockets; s; s = s->next) {
      if (s->feed || !s->seen || s->next_ms > now || watched_names_live_pid(s) != !pass)
        continue;
      if (atomic_load(&serve_feeds_running) >= SERVE_SOURCES_MAX || watched_start(w, s) < 0)
        waiting++;
    }
  if (waiting && !w->said_full)
    fprintf(stderr,
            "actorscope serve: %s: %zu sockets wait: serve reads at most %d at once "
            "(sockets named after a live process first)\n",
            w->dir, waiting, SERVE_SOURCES_MAX);
  w->said_full = waiting > 0;
}

static void watch_scan(struct watch *w)
{
  for (struct watched *s = w->sockets; s; s = s->next)
    s->seen = 0;
  DIR *d = opendir(w->dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    char path[AS_DEST_UNIX_PATH_MAX + 8];
    struct stat st;
    int len = snprintf(path, sizeof path, "%s/%s", w->dir, e->d_name);
    /* Only sockets themselves (no symlinks), with a path a unix socket address can hold. */
    if (len < 0 || (size_t)len >= AS_DEST_UNIX_PATH_MAX || lstat(path, &st) != 0 ||
        !S_ISSOCK(st.st_mode))
      continue;
    struct watched *s = watch_find(w, path, &st);
    if (s)
      s->seen = 1;
  }
  closedir(d);
}

/* A socket appears when its process starts its first actor: inotify wakes the scan at once, so
 * a job that lives a fraction of a second is read (and its process, seeing a client, sends it
 * the final line before it exits). The scan every SERVE_SCAN_MS stays for what inotify cannot
 * tell (a queue overflow, a filesystem without it). */
static void *watch_main(void *arg)
{
  struct watch *w = arg;
  int notify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (notify >= 0 && inotify_add_watch(notify, w->dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
    close(notify);
    notify = -1;
  }
  for (;;) {
    watch_scan(w);
    int64_t now = serve_now_ms();
    watch_reap(w, now);
    watch_start_due(w, now);
    if (notify < 0) {
      serve_sleep_ms(SERVE_SCAN_MS);
      continue;
    }
    struct pollfd ready = {notify, POLLIN, 0};
    if (poll(&ready, 1, SERVE_SCAN_MS) > 0) {
      char events[4096];
      while (read(notify, events, sizeof events) > 0) {
      }
    }
  }
  return NULL;
}

static int serve_source_check(const char *spec, int *is_dir, char *source, size_t len, char *why,
                              size_t why_len)
{
  *is_dir = 0;
  if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "tcp:", 4) == 0) {
    struct as_dest dest;
    char reason[256];
    if (as_dest_parse(&dest, spec, NULL, reason, sizeof reason) < 0) {
      snprintf(why, why_len, "source '%s' is invalid: %s", spec, reason);
      return -1;
    }
    snprintf(source, len, "%s", spec);
    return 0;
  }
  struct stat st;
  if (stat(spec, &st) != 0) {
    snprintf(why, why_len, "source '%s': %s (expected unix:PATH, tcp:HOST:PORT or a directory)",
             spec, strerror(errno));
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    *is_dir = 1;
    return 0;
  }
  if (S_ISSOCK(st.st_mode) && snprintf(source, len, "unix:%s", spec) < (int)len)
    return 0;
  snprintf(why, why_len, "source '%s' is neither a socket nor a directory", spec);
  return -1;
}

int serve_sources_start(struct serve_hub *hub, char *const *specs, size_t n, char *why,
                        size_t why_len)
{
  char source[AS_DEST_PATH_MAX + 8];
  int is_dir;
  for (size_t i = 0; i < n; i++)
    if (serve_source_check(specs[i], &is_dir, source, sizeof source, why, why_len) < 0)
      return -1;
  for (size_t i = 0; i < n; i++) {
    serve_source_check(specs[i], &is_dir, source, sizeof source, why, why_len);
    pthread_t thread;
    if (is_dir) {
      struct watch *w = calloc(1, sizeof *w);
      if (w)
        w->hub = hub;
      if (!w || !(w->dir = strdup(specs[i])) || pthread_create(&thread, NULL, watch_main, w) != 0) {
        snprintf(why, why_len, "cannot watch '%s': out of resources", specs[i]);
        return -1;
      }
      pthread_detach(thread);
    } else {
      struct feed_voice *voice = calloc(1, sizeof *voice);
      long stat = -1;
      if (voice) {
        pthread_mutex_lock(&hub->lock);
        stat = serve_hub_source(hub, source);
        pthread_mutex_unlock(&hub->lock);
      }
      struct feed *f = voice ? feed_start(hub, source, NULL, stat, voice) : NULL;
      if (!f) {
        snprintf(why, why_len, "cannot read '%s': out of resources", specs[i]);
        return -1;
      }
      pthread_detach(f->thread);
    }
  }
  return 0;
}
