/* Reading a live stream (top, serve) — a traced process's unix or tcp socket, or a file
 * followed while it is written. Waits until the source is there, reads it to its end, says
 * how it ended, and (unless told to stop at the end) waits for the process to come back. */
#ifndef ACTORSCOPE_LIVE_FEED_H
#define ACTORSCOPE_LIVE_FEED_H

#include "reader.h"

#include <stddef.h>

struct live_feed_handler {
  /* The source's state for the header: "waiting ...", "live", "ended 06:01:02: ...". */
  void (*state)(void *ctx, const char *text);
  /* Each snapshot; NEW_STREAM for the first of each connection (a new process perhaps).
   * A negative return stops the feed and is returned. */
  int (*snapshot)(void *ctx, const struct as_rec_header *header,
                  const struct as_rec_snapshot *snapshot, int new_stream);
  /* Asked before each new attempt to open the source: 0 stops the feed. */
  int (*retry)(void *ctx);
};

struct live_feed_options {
  const char *source;
  int follow;      /* a file: read what is appended, until a final snapshot */
  int stop_at_end; /* return when the first stream ends instead of waiting for another */
};

/* Runs until the handler stops it, or (stop_at_end) the stream ends. Returns 0, the handler's
 * negative return, or a negative errno for a source that can never be read (a file of a newer
 * format, not a snapshot stream ...), with ERR filled. */
int live_feed_run(const struct live_feed_options *o, const struct live_feed_handler *h, void *ctx,
                 struct as_reader_error *err);

#endif
