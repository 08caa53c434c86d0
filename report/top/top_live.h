/* actorscope top: the live feed (live_feed.h) in a thread, handing snapshots to the screen. */
#ifndef ACTORSCOPE_TOP_LIVE_H
#define ACTORSCOPE_TOP_LIVE_H

#include "live_feed.h"

#include <stddef.h>

/* The same in a thread, for the terminal: snapshots are handed over one at a time, the
 * newest replacing one not yet taken, so a slow screen never holds the stream up. */
struct top_live;
struct top_snap;
int top_live_start(struct top_live **live, const struct live_feed_options *o);
/* Readable when there is something to take. */
int top_live_fd(const struct top_live *live);
/* Takes the newest snapshot (NULL if none; *NEW_STREAM when a new connection began since the
 * last take) and the state text. Returns 1 when anything changed. */
int top_live_take(struct top_live *live, struct top_snap **snap, int *new_stream, char *state,
                  size_t cap);
/* Asks the thread to stop retrying (it ends with the current stream). */
void top_live_stop(struct top_live *live);

#endif
