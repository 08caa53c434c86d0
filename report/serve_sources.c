/* Stream and directory threads of actorscope serve (serve_sources.h). */
#define _GNU_SOURCE
#include "serve_sources.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "destination.h"
#include "reader.h"

#define SERVE_RETRY_MS 1000
#define SERVE_SCAN_MS 500

struct feed {
  struct serve_hub *hub;
  char *source;      /* what the reader opens */
  char *socket_path; /* a directory's socket: the feed ends once it is gone; else NULL */
  long stat;         /* index of its statistics in the hub */
  pthread_t thread;
  atomic_int done;
  struct feed *next;
  char last_error[1024];
};

static void serve_sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* A problem is said once, not every second while it lasts. */
static void feed_say(struct feed *f, const char *text)
{
  if (strcmp(f->last_error, text) == 0)
    return;
  snprintf(f->last_error, sizeof f->last_error, "%s", text);
  fprintf(stderr, "actorscope serve: %s\n", text);
}

static int feed_socket_exists(const struct feed *f)
{
  struct stat st;
  return lstat(f->socket_path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* One connection: the header attaches the process, every snapshot is folded in. */
static void feed_read(struct feed *f, struct as_reader *reader)
{
  struct serve_hub *hub = f->hub;
  int busy = 0;
  pthread_mutex_lock(&hub->lock);
  struct serve_process *p = serve_hub_attach(hub, as_reader_header(reader), &busy);
  if (p) {
    hub->sources[f->stat].up = 1;
    hub->sources[f->stat].connections++;
  }
  pthread_mutex_unlock(&hub->lock);
  char text[1000];
  if (!p) {
    snprintf(text, sizeof text, "%s: %s", f->source,
             busy ? "this process is read from another source already" : "out of memory");
    feed_say(f, text);
    return;
  }
  f->last_error[0] = 0;
  const struct as_rec_snapshot *snap;
  struct as_reader_error err;
  int rc;
  while ((rc = as_reader_next(reader, &snap, &err)) > 0) {
    pthread_mutex_lock(&hub->lock);
    rc = serve_process_update(p, snap);
    pthread_mutex_unlock(&hub->lock);
    if (rc < 0) {
      snprintf(err.text, sizeof err.text, "%s: out of memory", f->source);
      break;
    }
  }
  if (rc < 0)
    feed_say(f, err.text);
  pthread_mutex_lock(&hub->lock);
  serve_hub_detach(hub, p);
  hub->sources[f->stat].up = 0;
  pthread_mutex_unlock(&hub->lock);
}

static void *feed_main(void *arg)
{
  struct feed *f = arg;
  struct as_reader_options options = AS_READER_OPTIONS_DEFAULT;
  /* 256 MiB: half a million actors a line; a source sending an endless line costs no more. */
  options.max_line_bytes = (size_t)256 << 20;
  for (;;) {
    struct as_reader *reader;
    struct as_reader_error err;
    if (as_reader_open(&reader, f->source, &options, &err) == 0) {
      feed_read(f, reader);
      as_reader_close(reader);
    } else if (!f->socket_path || feed_socket_exists(f)) {
      feed_say(f, err.text);
    }
    if (f->socket_path && !feed_socket_exists(f))
      break;
    serve_sleep_ms(SERVE_RETRY_MS);
  }
  pthread_mutex_lock(&f->hub->lock);
  f->hub->sources[f->stat].gone = 1;
  pthread_mutex_unlock(&f->hub->lock);
  atomic_store(&f->done, 1);
  return NULL;
}

static void feed_free(struct feed *f)
{
  free(f->source);
  free(f->socket_path);
  free(f);
}

static struct feed *feed_start(struct serve_hub *hub, const char *source, const char *socket_path)
{
  struct feed *f = calloc(1, sizeof *f);
  if (!f || !(f->source = strdup(source)) || (socket_path && !(f->socket_path = strdup(socket_path)))) {
    if (f)
      feed_free(f);
    return NULL;
  }
  f->hub = hub;
  pthread_mutex_lock(&hub->lock);
  f->stat = serve_hub_source(hub, source);
  pthread_mutex_unlock(&hub->lock);
  if (f->stat < 0 || pthread_create(&f->thread, NULL, feed_main, f) != 0) {
    feed_free(f);
    return NULL;
  }
  return f;
}

struct watch {
  struct serve_hub *hub;
  char *dir;
  struct feed *feeds;
};

static int watch_has(const struct watch *w, const char *path)
{
  for (const struct feed *f = w->feeds; f; f = f->next)
    if (strcmp(f->socket_path, path) == 0)
      return 1;
  return 0;
}

static void watch_scan(struct watch *w)
{
  DIR *d = opendir(w->dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    char path[AS_DEST_UNIX_PATH_MAX + 8], source[AS_DEST_UNIX_PATH_MAX + 16];
    struct stat st;
    int len = snprintf(path, sizeof path, "%s/%s", w->dir, e->d_name);
    /* Only sockets themselves (no symlinks), with a path a unix socket address can hold. */
    if (len < 0 || (size_t)len >= AS_DEST_UNIX_PATH_MAX || lstat(path, &st) != 0 ||
        !S_ISSOCK(st.st_mode) || watch_has(w, path))
      continue;
    snprintf(source, sizeof source, "unix:%s", path);
    struct feed *f = feed_start(w->hub, source, path);
    if (f) {
      f->next = w->feeds;
      w->feeds = f;
    }
  }
  closedir(d);
}

static void watch_reap(struct watch *w)
{
  for (struct feed **at = &w->feeds; *at;) {
    struct feed *f = *at;
    if (atomic_load(&f->done)) {
      pthread_join(f->thread, NULL);
      *at = f->next;
      feed_free(f);
    } else {
      at = &f->next;
    }
  }
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
    watch_reap(w);
    watch_scan(w);
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

static int serve_source_check(const char *spec, int *is_dir, char *source, size_t len,
                              char *why, size_t why_len)
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
      struct feed *f = feed_start(hub, source, NULL);
      if (!f) {
        snprintf(why, why_len, "cannot read '%s': out of resources", specs[i]);
        return -1;
      }
      pthread_detach(f->thread);
    }
  }
  return 0;
}
