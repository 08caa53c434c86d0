/* Event recording (ACTORSCOPE_EVENTS=1, or `actorscope ctl PID events on`): every handler's
 * begin and end, every send, spawn and stop, with exact times, for an exact timeline
 * (docs/events-format.md; `actorscope export perfetto` draws it).
 *
 * Each host thread writes fixed-size records into a ring of its own (single producer, single
 * consumer, lock-free): no lock, no wait, no malloc once the ring exists (it is mapped at the
 * thread's first event). A full ring drops the record and counts it. The writer thread
 * (events_writer.c) drains the rings into NAME.events beside the snapshot file.
 *
 * Off, a hook pays one relaxed load and a branch predicted not taken: the calls below are
 * inline, and everything else is out of line behind it. */
#ifndef AS_EVENTS_H
#define AS_EVENTS_H

#include "clock.h"
#include "config.h"
#include "events_format.h"
#include "registry.h"

#include <stdatomic.h>
#include <stdint.h>

/* Hidden, so a hook reads it straight from its RIP-relative address (no GOT entry to load
 * first): off, the check is one compare with memory and a jump not taken. */
extern _Atomic int as__events_on __attribute__((visibility("hidden")));

#ifdef AS_EVENTS_COMPILED_OUT
/* scripts/bench's yardstick (cmake -DACTORSCOPE_EVENTS_COMPILED_OUT=ON): no branch at all, so
 * the hooks' code is what it would be without event recording. Never shipped. */
static inline int as_events_on(void) { return 0; }
#else
static inline int as_events_on(void)
{
  return __builtin_expect(atomic_load_explicit(&as__events_on, memory_order_relaxed) != 0, 0);
}
#endif

/* Records one event on this thread's ring (times in ticks; the writer converts them). */
void as__events_put(unsigned kind, uint64_t actor, uint64_t peer, uint64_t msg, uint32_t type,
                    uint64_t ticks);
/* The handler in progress on the actor ends, if one is (reads the actor's record). */
void as__events_handler_end(const struct as_actor *actor);
void as__events_stop(const struct as_actor *actor);

/* ---- what hooks call ----------------------------------------------------------------------- */

/* A message goes into receiver's mailbox; sender NULL: not an actor. */
static inline void as_events_send(const struct as_actor *sender, const struct as_actor *receiver,
                                  uint64_t msg)
{
  if (as_events_on())
    as__events_put(AS_EV_SEND, as_actor_id(receiver), sender ? as_actor_id(sender) : 0, msg, 0,
                   as_clock_now());
}
/* The same from the actor running on this thread (NULL: none), looked up only when on. */
static inline void as_events_send_here(const struct as_actor *receiver, uint64_t msg)
{
  if (as_events_on())
    as_events_send(as_registry_current(), receiver, msg);
}
/* That send failed. */
static inline void as_events_send_undo(const struct as_actor *receiver, uint64_t msg)
{
  if (as_events_on())
    as__events_put(AS_EV_SEND_UNDO, as_actor_id(receiver), 0, msg, 0, as_clock_now());
}
/* A handler begins at `now` (the hook's own reading) for message msg (AS_EV_NO_MSG: none). */
static inline void as_events_handler_begin(const struct as_actor *actor, uint32_t type,
                                           uint64_t msg, uint64_t now)
{
  if (as_events_on())
    as__events_put(AS_EV_BEGIN, as_actor_id(actor), 0, msg, type, now);
}
/* Call before the registry's handler end: recorded only while a handler is in progress. */
static inline void as_events_handler_end(const struct as_actor *actor)
{
  if (as_events_on())
    as__events_handler_end(actor);
}
/* The handler that began did not take its message (it stays in the mailbox). */
static inline void as_events_handler_cancel(const struct as_actor *actor)
{
  if (as_events_on())
    as__events_put(AS_EV_CANCEL, as_actor_id(actor), 0, 0, 0, as_clock_now());
}
static inline void as_events_spawn(const struct as_actor *actor)
{
  if (as_events_on())
    as__events_put(AS_EV_SPAWN, as_actor_id(actor), actor->parent_id, 0, 0, as_clock_now());
}
/* Call before the registry's mark_stopped, which ends the handler in progress: its end is
 * recorded first. */
static inline void as_events_stop(const struct as_actor *actor)
{
  if (as_events_on())
    as__events_stop(actor);
}

/* ---- the library's side -------------------------------------------------------------------- */

/* With the collector: remembers the configuration and starts recording when cfg->events asks
 * for it (a tcp output has no place to put events beside: reported once, nothing recorded). */
void as_events_start(const struct as_config *cfg, uint64_t start_ticks, uint64_t start_wall_ns,
                     long pid);
/* The snapshot file's name as the sink created it (or "unix:PATH"): NAME.events goes beside. */
void as_events_output_is(const char *snapshot_path);
/* Turns recording on or off at run time (control socket). Returns 0, or -ENOTSUP for a tcp
 * output (nothing to write beside). */
int as_events_set(int on);
int as_events_is_on(void);
/* Events dropped so far because a ring was full: how many, the first and last time (ns since
 * start). */
void as_events_lost(uint64_t *count, uint64_t *first_ns, uint64_t *last_ns);
/* At exit: stops the writer (waiting at most about half a second), drains every ring, closes
 * the file. */
void as_events_finish(void);
/* Drains every ring into the file now (before exec, at a deadly signal): bounded by the rings'
 * size; gives up at once when the writer is busy elsewhere (trylock). */
void as_events_flush(void);
/* In a fork child: the parent's writer and rings are not ours. */
void as_events_reset_after_fork(void);

/* For the writer (events_writer.c): drains every ring once, passing each record (time still
 * in ticks, tid filled in) up to the first one stamped after LIMIT (ticks), and every new loss.
 * With LIMIT read before the drain, a record passed is never caused by one left behind: a send
 * is in its ring before the runtime's call, so before its handler's begin is even stamped.
 * Returns how many records it passed. */
struct as_events_drain {
  void (*record)(void *ctx, struct as_events_record *r);
  void (*lost)(void *ctx, uint32_t tid, uint64_t count, uint64_t now_ticks);
  /* Before a ring's first record or loss of a drain: its thread is TID, NEW when the ring's
   * owner changed since the last call (a thread took over an exited one's ring). On the
   * writer's thread: it may read the thread's name (CLAIMED_NAME: the thread's when it took the
   * ring, for one gone since). */
  void (*thread)(void *ctx, uint32_t tid, int new_owner, const char *claimed_name);
  void *ctx;
};
uint64_t as__events_drain(const struct as_events_drain *d, uint64_t limit);
/* The per-thread ring's capacity in records (set before recording starts). */
void as__events_ring_capacity_set(uint32_t records);
/* In a fork child: unmaps the parent's rings (only this thread exists). */
void as__events_rings_forget_after_fork(void);

#endif
