/* Where a stuck handler is stuck: once a handler has run ACTORSCOPE_STUCK_MS, the collector asks
 * the thread running it for its call stack, once per handler run, with a real-time signal
 * (AS_STUCK_SIGNAL) queued to that thread with a per-process random cookie. Our handler unwinds
 * the interrupted code into a preallocated buffer; the collector waits a bounded time. When the
 * host owns the signal (a handler, or SIG_IGN), or the thread blocks it, nothing is sent and
 * `diagnostics` says so once. A host that installs a handler for it later gets it: we stop. */
#ifndef AS_STUCK_H
#define AS_STUCK_H

#include "registry.h"
#include "waiting.h"

#include <signal.h>
#include <stdint.h>

#define AS_STUCK_SIGNAL (SIGRTMAX - 3)
#define AS_STUCK_FRAMES_MAX 32

/* One captured stack of a handler run (actor id, handler start in ticks). */
struct as_stuck_stack {
  uint64_t id, since;
  uint32_t count; /* 0: the capture failed (the thread moved on, or the signal was refused) */
  void *frames[AS_STUCK_FRAMES_MAX];
};

/* Collector: captures the stack of every handler in `handling` that has run threshold ticks or
 * more and has none yet (the actor is then marked changed, so the next line lists it), and
 * forgets the stacks of handler runs that ended. */
void as_stuck_scan(const struct as_waiting *handling, uint64_t now, uint64_t threshold);
/* The stack captured for this handler run, or NULL. */
const struct as_stuck_stack *as_stuck_find(uint64_t id, uint64_t since);

/* For the interposed sigaction family (signals.c): the host takes sig's disposition. */
void as_stuck_host_takes(int sig);
int as_stuck_handler_is_ours(void (*handler)(int, siginfo_t *, void *));
/* Fork child: no request is in flight here, and no stack is the child's. */
void as_stuck_reset_after_fork(void);

#endif
