/* The clients of a listening sink. Lines reach each client through a bounded queue drained
 * with non-blocking sends, so no client, however slow or hostile, makes the writer wait
 * beyond the bounds below:
 *  - a client still behind (anything queued) when a line starts skips that whole line;
 *  - a client given a line takes it whole or is dropped. When its queue is full the writer
 *    waits, sending to every client meanwhile, but for one line never more than the snapshot
 *    interval (within SINK_LINE_WAIT_MIN_MS and SINK_LINE_WAIT_MS) in all, and for a client
 *    that takes nothing for half that (at most SINK_CLIENT_STALL_MS)
 *    no longer: it is dropped. At the end of a line the writer waits, within the same
 *    bounds, for the clients that took it to have it all;
 *  - a client behind for SINK_CLIENT_BEHIND_MS is dropped;
 *  - with a token, a client must send it and "\n" within SINK_TOKEN_WAIT_MS of being accepted.
 * A refused or dropped client is sent, where its socket has room and no part of a line is
 * pending, one last line {"format":"actorscope","error":"TEXT"} before it is closed. */
#ifndef AS_SINK_CLIENTS_H
#define AS_SINK_CLIENTS_H

#include "config.h"
#include "fdid.h"
#include "sink.h"

#include <stddef.h>
#include <stdint.h>

#define SINK_MAX_CLIENTS 16
#define SINK_CLIENT_QUEUE_BYTES (2u << 20)
#define SINK_LINE_WAIT_MS 2000u
/* A line's wait is the snapshot interval, within these bounds: a slow reader holds the writer
 * up no longer than the time between lines (the fast readers' next line is then on time), yet
 * a reader keeping pace gets a large line whole. */
#define SINK_LINE_WAIT_MIN_MS 200u
#define SINK_CLIENT_STALL_MS 500u
#define SINK_CLIENT_BEHIND_MS 10000u
#define SINK_TOKEN_WAIT_MS 2000u

struct sink_client {
  int fd;
  struct as_fd_id id; /* what fd was when accepted */
  int authenticated;
  int takes_line; /* receives the line being written */
  int gone;       /* to be closed at the end of this call; why says why ("": silently) */
  char why[96];
  char *queue; /* unsent bytes at queue + head, queued - sent of them */
  size_t head, cap;
  uint64_t queued, sent; /* bytes ever queued and sent */
  uint64_t line_start;   /* `queued` when the line being written started */
  uint64_t accepted_ns, behind_since_ns, progress_ns;
  uint64_t lines_skipped;
  /* Joined, or missed a line: a delta line would mean nothing to it until a keyframe. */
  int needs_keyframe;
  char token_got[AS_TOKEN_MAX + 1];
  size_t token_len;
};

struct sink_clients {
  int listen_fd;
  struct as_fd_id listen_id;
  const char *token; /* "" when none is required */
  struct sink_client slots[SINK_MAX_CLIENTS];
  size_t count;
  int in_line;
  int line_is_keyframe;  /* the line about to start (as_sink_next_line_is_keyframe) */
  unsigned line_wait_ms; /* how long a line may wait for its clients */
  unsigned stall_ms;     /* and for one that takes nothing meanwhile */
  uint64_t line_deadline_ns;
  struct as_sink_stats stats;
};

void sink_clients_init(struct sink_clients *cs, int listen_fd, const char *token,
                       unsigned interval_ms);
/* Accepts and vets new clients, reads tokens, sends what is queued and drops clients behind
 * for too long; header goes first to every client admitted. Never waits. */
void sink_clients_service(struct sink_clients *cs, const char *header);
/* Clients that would take a line started now (a keyframe, for those waiting for one). */
size_t sink_clients_ready(const struct sink_clients *cs);
/* Whether a client waits for a keyframe. */
int sink_clients_want_keyframe(const struct sink_clients *cs);
void sink_clients_write(struct sink_clients *cs, const char *header, const char *data, size_t len);
void sink_clients_end_line(struct sink_clients *cs);
int sink_clients_flush(struct sink_clients *cs, unsigned timeout_ms);
/* Closes every client; with `polite`, drains what they sent first so nothing resets what is
 * still on its way to them. */
void sink_clients_close(struct sink_clients *cs, int polite);

#endif
