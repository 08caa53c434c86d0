/* The inspect panel's top peers of an actor, out and in (top_peers.c). */
#ifndef ACTORSCOPE_TOP_PEERS_H
#define ACTORSCOPE_TOP_PEERS_H

#include "reader.h"
#include "recording.h"
#include "top_canvas.h"

#include <stddef.h>

/* How the inspect panel names actor ID: as the snapshot S lists it, else as the run RUN (NULL:
 * none) last saw it, "NAME (reaped)" (made in BUF, LEN bytes), else "(not listed)". */
const char *top_peers_actor_name(const struct as_rec_snapshot *s, const struct recording *run,
                                 int64_t id, char *buf, size_t len);

/* "talks to" and "hears from" of A in S; RUN (NULL: none) names reaped peers, and its reaped
 * actors that sent to A count among those A hears from. Runtime-internal peers only with
 * INCLUDE_INTERNAL, as report's pairs. */
void top_inspect_peers(struct top_canvas *c, const struct as_rec_snapshot *s,
                       const struct recording *run, const struct as_rec_actor *a,
                       int include_internal);

#endif
