/* actorscope top: waiting for, reading and re-reading a live stream. */
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

static void feed_sleep(unsigned *ms)
{
  struct timespec ts = {0, (long)*ms * 1000000L};
  *ms = *ms * 2 > FEED_RETRY_MS ? FEED_RETRY_MS : *ms * 2;
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

int live_feed_run(const struct live_feed_options *o, const struct live_feed_handler *h, void *ctx,
                 struct as_reader_error *err)
{
  struct as_reader_options opt = AS_READER_OPTIONS_DEFAULT;
  opt.follow = o->follow;
  char text[sizeof err->text + 64];
  int ended = 0;
  unsigned retry_ms = FEED_RETRY_FIRST_MS;
  h->state(ctx, "waiting");
  while (h->retry(ctx)) {
    struct as_reader *r = NULL;
    int rc = as_reader_open(&r, o->source, &opt, err);
    if (rc < 0) {
      if (!feed_error_is_absence(rc))
        return rc;
      if (!ended) {
        snprintf(text, sizeof text, "waiting (%s)", err->text);
        h->state(ctx, text);
      }
      feed_sleep(&retry_ms);
      continue;
    }
    h->state(ctx, "live");
    retry_ms = FEED_RETRY_FIRST_MS;
    const struct as_rec_snapshot *s;
    int new_stream = 1, final = 0;
    while ((rc = as_reader_next(r, &s, err)) > 0) {
      final = s->final;
      int stop = h->snapshot(ctx, as_reader_header(r), s, new_stream);
      new_stream = 0;
      if (stop < 0) {
        as_reader_close(r);
        return stop;
      }
    }
    char when[16];
    feed_clock(when, sizeof when);
    snprintf(text, sizeof text, "ended %s (%s)%s", when,
             rc < 0 ? err->text : final ? "final snapshot" : "the stream closed",
             o->stop_at_end ? "" : " - waiting for a restart");
    int truncated = as_reader_truncated(r);
    as_reader_close(r);
    if (truncated && rc == 0)
      snprintf(text + strlen(text), sizeof text - strlen(text), "; its last line was cut short");
    h->state(ctx, text);
    ended = 1;
    if (o->stop_at_end)
      return rc == -ECONNRESET || rc == 0 ? 0 : rc;
    feed_sleep(&retry_ms);
  }
  return 0;
}
