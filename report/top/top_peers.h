/* The inspect panel's top peers of an actor, out and in (top_peers.c). */
#ifndef ACTORSCOPE_TOP_PEERS_H
#define ACTORSCOPE_TOP_PEERS_H

#include "reader.h"
#include "top_canvas.h"

void top_inspect_peers(struct top_canvas *c, const struct as_rec_snapshot *s,
                       const struct as_rec_actor *a);

/* Messages the listed actors (or threads) named FROM sent to those named TO, as the snapshot's
 * peers say (check's no-messages, live). */
int64_t top_peers_between(const struct as_rec_snapshot *s, const char *from, const char *to);

#endif
