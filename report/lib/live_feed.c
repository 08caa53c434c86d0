/* Waiting for, reading and re-reading a live stream (live_feed.h): top's and serve's one loop. */
#define _GNU_SOURCE
#include "live_feed.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Looking for the source again: quickly at first (a program just started may be brief), then
 * every 200 ms. */
#define FEED_RETRY_FIRST_MS 5
#define FEED_RETRY_MS 200

/* Errors that mean "not there yet": the process has not started, or is restarting. */
static int feed_error_is_absence(int code)
{
  return code == -ENOENT || code == -ECONNREFUSED || code == -ECONNRESET || code == -EAGAIN ||
         code == -ENOTCONN || code == -EPIPE || code == -ETIMEDOUT || code == -EHOSTUNREACH ||
         code == -ECONNABORTED;
}

static void feed_clock(char *out, size_t cap)
{
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(out, cap, "%H:%M:%S", &tm);
}

static void feed_sleep(unsigned ms)
{
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

static void feed_state(const struct live_feed_handler *h, void *ctx, const char *text)
{
  if (h->state)
    h->state(ctx, text);
}

static void feed_failed(const struct live_feed_handler *h, void *ctx, const char *why)
{
  if (h->failed)
    h->failed(ctx, why);
}

/* The wait before the next attempt: FIRST after a stream's clean end; after a failure the
 * current one, doubled for the next time up to MAX. */
static unsigned feed_next_wait(unsigned *backoff, int failed, unsigned first, unsigned max)
{
  if (!failed)
    return *backoff = first;
  unsigned wait = *backoff;
  *backoff = *backoff * 2 > max ? max : *backoff * 2;
  return wait;
}

/* One connection, opened: read to its end. Returns 0 (the stream ended: *FINAL whether with a
 * final snapshot), the reader's error (ERR filled), or the handler's negative return (*STOPPED
 * set). */
static int feed_read(struct as_reader *r, const struct live_feed_handler *h, void *ctx,
                     struct as_reader_error *err, int *final, int *stopped)
{
  const struct as_rec_snapshot *s;
  int new_stream = 1, rc;
  *final = *stopped = 0;
  while ((rc = as_reader_next(r, &s, err)) > 0) {
    *final = s->final;
    int stop = h->snapshot(ctx, as_reader_header(r), s, new_stream);
    new_stream = 0;
    if (stop < 0) {
      *stopped = 1;
      snprintf(err->text, sizeof err->text, "%s: %s", as_reader_source(r), strerror(-stop));
      return err->code = stop;
    }
  }
  return rc;
}

int live_feed_run(const struct live_feed_options *o, const struct live_feed_handler *h, void *ctx,
                  struct as_reader_error *err)
{
  struct as_reader_options opt = AS_READER_OPTIONS_DEFAULT;
  if (o->reader)
    opt = *o->reader;
  opt.follow = o->follow;
  unsigned first_ms = o->retry_ms ? o->retry_ms : FEED_RETRY_FIRST_MS;
  unsigned max_ms = o->retry_max_ms ? o->retry_max_ms : FEED_RETRY_MS;
  unsigned backoff = first_ms;
  char text[sizeof err->text + 64];
  int ended = 0;
  feed_state(h, ctx, "waiting");
  while (h->retry(ctx)) {
    struct as_reader *r = NULL;
    int rc = as_reader_open(&r, o->source, &opt, err);
    if (rc == 0 && h->opened) {
      char why[sizeof err->text];
      if (h->opened(ctx, r, why, sizeof why) < 0) {
        as_reader_close(r);
        snprintf(err->text, sizeof err->text, "%s", why);
        rc = err->code = -EPERM;
      }
    }
    if (rc < 0) {
      feed_failed(h, ctx, err->text);
      if (!o->persist && !feed_error_is_absence(rc))
        return rc;
      if (!ended) {
        snprintf(text, sizeof text, "waiting (%s)", err->text);
        feed_state(h, ctx, text);
      }
      if (o->once)
        return rc;
      feed_sleep(feed_next_wait(&backoff, 1, first_ms, max_ms));
      continue;
    }
    feed_state(h, ctx, "live");
    int final, stopped;
    rc = feed_read(r, h, ctx, err, &final, &stopped);
    if (h->closed)
      h->closed(ctx, rc);
    if (stopped && !o->persist) {
      as_reader_close(r);
      return rc;
    }
    if (rc < 0)
      feed_failed(h, ctx, err->text);
    char when[16];
    feed_clock(when, sizeof when);
    snprintf(text, sizeof text, "ended %s (%s)%s", when,
             rc < 0  ? err->text
             : final ? "final snapshot"
                     : "the stream closed",
             o->stop_at_end ? "" : " - waiting for a restart");
    int truncated = as_reader_truncated(r);
    as_reader_close(r);
    if (truncated && rc == 0)
      snprintf(text + strlen(text), sizeof text - strlen(text), "; its last line was cut short");
    feed_state(h, ctx, text);
    ended = 1;
    if (o->stop_at_end || o->once)
      return rc == -ECONNRESET || rc == 0 ? 0 : rc;
    feed_sleep(feed_next_wait(&backoff, rc < 0, first_ms, max_ms));
  }
  return 0;
}
