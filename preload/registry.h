/* The monitor registry: one record per actor, whatever its runtime. Hooks translate runtime
 * events into the calls below (the hot path's inline ones in actor_hot.h); the collector copies
 * records into views for snapshots (registry_view.h, preload/registry_collect.c).
 *
 * Hot-path calls (enqueue, receive, handler, wait) touch only the actor's own relaxed atomics:
 * no lock, no allocation. Spawn and reap take the registry lock. */
#ifndef AS_REGISTRY_H
#define AS_REGISTRY_H

#include "record.h"
#include "actor_hot.h"

#include <stdint.h>

/* Creates a record the collector cannot see yet: the runtime fills its private bytes (all the
 * collector may read through as_runtime.probe_refs), then publishes it. NULL on ENOMEM. */
struct as_actor *as_registry_prepare(const struct as_spawn *spawn);
/* Makes a prepared record visible to the collector and gives it its id. Returns 0, or -ENOMEM
 * after freeing the record. The caller holds one reference (release it with as_actor_release);
 * the registry keeps its own until the actor is reaped. */
int as_registry_publish(struct as_actor *actor);
/* as_registry_prepare then as_registry_publish, for a runtime with nothing to fill in. */
struct as_actor *as_registry_spawn(const struct as_spawn *spawn);
/* Whether p is the start of a record block (published or not, live or given back): such a
 * pointer is always safe to read. For a runtime that finds a pointer of unknown origin where it
 * keeps its record's (attach mode). */
int as_registry_owns_record(const void *p);
/* Actors left untraced for lack of memory: the failed prepares and publishes, plus those a
 * runtime's hooks report (as_registry_count_untraced) when their own state cannot be had. */
void as_registry_count_untraced(void);
uint64_t as_registry_untraced_count(void);
void as_actor_release(struct as_actor *actor);
/* One more reference to a record (e.g. a runtime handle map's entry); at most 250 at once. */
void as_actor_retain(struct as_actor *actor);

void as_actor_mark_running(struct as_actor *actor);
void as_actor_mark_stopping(struct as_actor *actor);
/* reason is copied. Ends any handler and wait still open. Idempotent. */
void as_actor_mark_stopped(struct as_actor *actor, const char *reason);
/* The same for a reason in static storage that never changes (a literal, a constant table's
 * entry): interned once per thread by its address, not compared at every stop. */
void as_actor_mark_stopped_static(struct as_actor *actor, const char *reason);

/* Names an actor after spawn (a runtime may learn the name only later): a plain name (copied
 * into the intern table), or one made by as_actor_name_intern. */
void as_actor_set_name(struct as_actor *actor, const char *name);
void as_actor_set_interned_name(struct as_actor *actor, const struct as_actor_name *interned);
/* An interned name (the same pointer for the same three values); NULL on ENOMEM. full: the
 * runtime's own longer name when text shortens it (NULL or equal to text: none); internal:
 * the runtime made this actor for its own use. */
const struct as_actor_name *as_actor_name_intern(const char *text, const char *full, int internal);
/* Links (symmetric) and monitors (a watches b), by record. Not for the hot path. */
void as_registry_link(struct as_actor *a, struct as_actor *b);
void as_registry_unlink(struct as_actor *a, struct as_actor *b);
void as_registry_monitor(struct as_actor *watcher, struct as_actor *watched);
/* Stops the collector sampling reference counts (set at spawn, as_spawn.probe): call it
 * before the runtime object goes away; it waits for a sample in progress. */
void as_actor_probe_forget(struct as_actor *actor);

/* The actor whose code runs on this thread, or NULL. */
struct as_actor *as_registry_current(void);
void as_registry_current_set(struct as_actor *actor);

/* A new attach to a process traced before (attached or preloaded, then detached): every record
 * is unlisted at once, the registry's reference to it kept forever, so a hook or runtime
 * object still pointing at one reads and writes a record nobody lists, never a reused one.
 * Ids go on from where they were; the records published from now on are current. Called with
 * the collector stopped; other threads' hooks may run. */
void as_registry_forget_all(void);
extern _Atomic uint64_t as__registry_first_id;
/* Whether a published record belongs to this attach (not to one before a detach). */
static inline int as_registry_is_current(const struct as_actor *actor)
{
  return actor->id >= atomic_load_explicit(&as__registry_first_id, memory_order_relaxed);
}

/* For a fork child: forget the parent's actors (their threads do not exist here). */
void as_registry_reset_after_fork(void);
void as_registry_lock_for_fork(void);
void as_registry_unlock_for_fork(void);

/* Called once, at the first spawn, to start the machinery that writes snapshots. */
void as_registry_on_first_spawn(void (*callback)(void));

/* Actors that stopped since the last collection, counted in batches of a thread's
 * REGISTRY_STOPS_BATCH: the callback runs (on the stopping thread; it must only post a
 * semaphore) when they reach AS_REGISTRY_STOPS_BACKLOG, so a storm of short-lived actors gets a
 * line long before the interval ends and their records wait for it in bounded numbers. */
#define AS_REGISTRY_STOPS_BACKLOG 4096u
/* At most this many stopped actors wait out the grave window: a storm of stops reaps the
 * oldest sooner, after at least one line listed each stopped (no fact is lost, and memory
 * after a million short-lived actors does not grow with the rate they stop at). */
#define AS_REGISTRY_GRAVE_MAX 4096u
void as_registry_on_stops_backlog(void (*callback)(void));

/* How long lines leave out a starting actor of a runtime that names it only once it runs
 * (as_runtime.named_once_running): one whose naming is delayed longer (never launched, or its
 * thread descheduled that long) is then listed as it is; the final line lists every actor. */
#define AS_REGISTRY_NAMING_WAIT_MS 1000u

/* Whether an actor that lived and died between two collections is listed once, compactly, and
 * reaped at once (format 3 "ended"; the default), or kept for the grave window like any stopped
 * actor. A stream that clients join midway (a socket) keeps them: a client that joins at a
 * keyframe would otherwise never see the actors that ended just before it. */
void as_registry_compact_ended(int allowed);

/* A runtime that keeps its own count of running actors (CAF: every actor system's
 * registry().running()) says so here, from a hook file's constructor. The collector calls it
 * at each snapshot, on its own thread, outside every lock: it returns 0 with *running set, or
 * -1 when the count is not known (no system seen yet, a layout not recognised). */
struct as_registry_totals;
typedef int (*as_runtime_running_fn)(uint64_t *running);
void as_registry_on_runtime_running(as_runtime_running_fn fn);
/* The count, into totals (runtime_running_known 0 when no runtime says one). */
void as_registry_runtime_running(struct as_registry_totals *totals);

#endif
