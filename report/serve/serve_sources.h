/* Where actorscope serve reads snapshots: a thread per stream (unix:PATH, tcp:HOST:PORT) that
 * connects, reads through the streaming reader into the hub, and connects again a second after
 * the stream ends or fails; and a thread per directory that looks for unix sockets in it every
 * half second (`ACTORSCOPE_OUTPUT=unix:/run/actorscope/NAME.sock` for every service on a host),
 * starting a stream thread for each new one and forgetting those whose socket is gone. */
#ifndef ACTORSCOPE_SERVE_SOURCES_H
#define ACTORSCOPE_SERVE_SOURCES_H

#include <stddef.h>

#include "serve_hub.h"

/* Starts reading SPECS (unix:PATH, tcp:HOST:PORT, a socket's path, or a directory). Returns 0,
 * or -1 with WHY naming the source that cannot be used (nothing is started then). Threads run
 * until the process exits. */
int serve_sources_start(struct serve_hub *hub, char *const *specs, size_t n, char *why,
                        size_t why_len);

#endif
