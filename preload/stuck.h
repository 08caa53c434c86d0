/* Where a stuck handler is stuck: once a handler has run ACTORSCOPE_STUCK_MS, the collector
 * looks at the thread running it from outside, once per handler run, without sending it
 * anything (stuck_probe.h: its system call, a perf sample, or its CPU time). The record stays
 * while the handler runs, then as the actor's longest stuck run, so that a report written after
 * the run still says where the actor's slowest handler was. */
#ifndef AS_STUCK_H
#define AS_STUCK_H

#include "registry.h"
#include "registry_view.h"
#include "stuck_probe.h"
#include "waiting.h"

#include <stdint.h>

#define AS_STUCK_FRAMES_MAX 48

/* One stuck handler run of an actor. */
struct as_stuck_stack {
  uint64_t id, since;            /* actor id, handler start (ticks) */
  uint64_t handler_ticks;        /* how long it ran: final once ended, else as of the last look */
  uint64_t captured_at;          /* when the thread was looked at (ticks) */
  uint64_t cpu_first_ns, cpu_ns; /* the thread's CPU time then, and used since */
  uint64_t cpu_window_ticks;     /* from the capture to the last look */
  uint64_t handled, handler_ticks_total, handler_ticks_max; /* the actor's when looked at */
  uint32_t tid;
  uint16_t type;   /* the message type handled */
  uint8_t running; /* still in this handler run */
  uint8_t slot_used;
  struct as_stuck_probe probe;
  void *frames[AS_STUCK_FRAMES_MAX];
};

/* Collector: looks at every handler in `handling` that has run threshold ticks or more and has
 * not been looked at (capture == 0: none; the actor is marked changed, so the next line lists
 * it), brings the CPU time of stuck runs up to date, and settles runs that ended (their length
 * from `changed`, the collection of this line). */
void as_stuck_scan(const struct as_waiting *handling, const struct as_registry_collection *changed,
                   uint64_t now, uint64_t threshold, int capture);
/* The record of this handler run while it runs, or NULL. */
const struct as_stuck_stack *as_stuck_find(uint64_t id, uint64_t since);
/* The actor's longest stuck run (running or ended), or NULL. */
const struct as_stuck_stack *as_stuck_longest(uint64_t id);
/* Fork child: no stack is the child's. */
void as_stuck_reset_after_fork(void);

#endif
