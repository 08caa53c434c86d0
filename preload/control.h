/* The control socket of an attached or preloaded library: `actorscope detach PID` and `actorscope ctl PID
 * ...` talk to it. A Unix socket at /tmp/actorscope-UID/PID.ctl, in a directory only its
 * owner may enter, and every client's credentials checked (its owner or root). One line in
 * ("detach", "status", "interval MS", "stuck MS"), one line out ("ok ..." or "error ..."). */
#ifndef AS_CONTROL_H
#define AS_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

#define AS_CONTROL_LINE_MAX 512

/* Creates the socket. Returns 0 or a negative errno. */
int as_control_open(void);
/* Waits up to timeout_ms for a client and answers it (bounded: a silent client is dropped
 * after a moment). Without a socket, just sleeps. */
void as_control_serve(unsigned timeout_ms);
/* Closes the socket and removes its file (if still the one this process bound). */
void as_control_close(void);
/* The process is about to die (a deadly signal's handler): its socket file goes with it, as
 * at exit; the descriptor is left open (async-signal-safe: lstat and unlink). */
void as_control_unlink_at_death(void);
/* A preloaded library's socket, served by a thread of its own; from the collector's start. */
void as_control_start_preloaded(void);
/* A fork child: forgets the parent's socket (closes its descriptor, leaves its file). */
void as_control_forget_after_fork(void);

#endif
