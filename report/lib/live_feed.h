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
   * A negative return stops the feed and is returned (options.persist: ends the connection,
   * a failed attempt). */
  int (*snapshot)(void *ctx, const struct as_rec_header *header,
                  const struct as_rec_snapshot *snapshot, int new_stream);
  /* Asked before each new attempt to open the source: 0 stops the feed. */
  int (*retry)(void *ctx);
  /* Optional (NULL: none). A connection is open and its header read: a negative return refuses
   * it with WHY (a failed attempt). */
  int (*opened)(void *ctx, const struct as_reader *reader, char *why, size_t len);
  /* The connection OPENED accepted has ended: RC 0 at the stream's end, else why it broke. */
  void (*closed)(void *ctx, int rc);
  /* An attempt failed: the source could not be opened, or was refused, or its stream broke. */
  void (*failed)(void *ctx, const char *why);
};

struct live_feed_options {
  const char *source;
  int follow;      /* a file: read what is appended, until a final snapshot */
  int stop_at_end; /* return when the first stream ends instead of waiting for another */
  /* How the source is read (line cap, header deadline, a shared budget); NULL: the defaults.
   * follow applies on top of it. */
  const struct as_reader_options *reader;
  /* Waits between attempts: the first after a failure (and after a stream's end), doubled
   * after each further failure up to the longest. 0: 5 ms and 200 ms (a program just started
   * may be brief). */
  unsigned retry_ms, retry_max_ms;
  /* Every error is tried again (a server outlives a source that misbehaves), not only those
   * that mean "not there yet". */
  int persist;
  /* One attempt only: returns after it (its error, negative, if it failed). */
  int once;
};

/* Runs until the handler stops it, or (stop_at_end) the stream ends. Returns 0, the handler's
 * negative return, or a negative errno for a source that can never be read (a file of a newer
 * format, not a snapshot stream ...), with ERR filled. */
int live_feed_run(const struct live_feed_options *o, const struct live_feed_handler *h, void *ctx,
                  struct as_reader_error *err);

#endif
