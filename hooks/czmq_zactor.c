/* CZMQ 4.2 zactor hooks: an actor's lifecycle. Spawn and stop are seen at zactor_new (a
 * trampoline wraps the task), its pipe at zsys_create_pipe, zactor_destroy and zsock_wait; and
 * the actors that were running before attach. Messages: czmq_message.c (docs/hooks.md). */
#define _GNU_SOURCE
#include "blockpool.h"
#include "czmq_adopt.h"
#include "czmq_state.h"

#include <sched.h>
#include <string.h>

/* At most this many sched_yield()s (well under a millisecond) in zactor_destroy. */
#define CZMQ_DESTROY_YIELDS 200

/* libzmq handle -> struct czmq_end */
struct as_ptrmap czmq_ends AS_FORK_TOUCHED = AS_PTRMAP_INIT;
/* zactor_t * -> struct czmq_actor */
static struct as_ptrmap czmq_zactors AS_FORK_TOUCHED = AS_PTRMAP_INIT;
_Atomic int czmq_zactor_new_seen;
static _Atomic int czmq_fork_reset_registered;
/* Side pipes' records, never given back (an actor's socket table may point at one after it
 * closed): 16k of them, about 3 MB at most; later side pipes are plain sockets. From a pool,
 * not malloc, so LeakSanitizer in a host sees them as reachable. */
static struct as_blockpool czmq_side_pipes =
    AS_BLOCKPOOL_INIT((sizeof(struct czmq_side_pipe) + 7) & ~(size_t)7,
                      16384 * (((sizeof(struct czmq_side_pipe) + 7) & ~(size_t)7) + 8));

AS_HOOK_TLS struct czmq_actor *czmq_self;
AS_HOOK_TLS struct czmq_actor *czmq_spawning;
AS_HOOK_TLS int czmq_io_depth;
AS_HOOK_TLS int czmq_in_wait;
AS_HOOK_TLS int czmq_in_create_pipe;

/* ---- bookkeeping ------------------------------------------------------------------------- */

static void czmq_end_register(struct czmq_actor *ca, struct czmq_end *end, void *handle)
{
  end->owner = ca;
  as_actor_retain(czmq_record(ca));
  if (!handle || as_ptrmap_put(&czmq_ends, (uintptr_t)handle, end) < 0)
    czmq_actor_unref(ca);
}
/* A new attach after a detach: the handles mapped may have been closed and reused meanwhile.
 * The records they lead to are never freed (as_registry_forget_all), so nothing is released. */
void czmq_forget_for_attach(void)
{
  as_ptrmap_clear(&czmq_ends);
  as_ptrmap_clear(&czmq_zactors);
  czmq_endpoints_forget();
}

static void czmq_forget_after_fork(void)
{
  as_ptrmap_reset_after_fork(&czmq_ends);
  as_ptrmap_reset_after_fork(&czmq_zactors);
  czmq_endpoints_reset_after_fork();
  czmq_self = NULL;
  czmq_spawning = NULL;
  czmq_last_handle = NULL;
}

/* ---- interposed CZMQ functions ------------------------------------------------------------- */

static void czmq_stop(struct czmq_actor *ca, const char *reason)
{
  as_events_stop(czmq_record(ca));
  as_actor_mark_stopped(czmq_record(ca), reason);
}

/* The task is over: its handler ends here. Unwound (pthread_exit, cancellation), the shim sends
 * no final signal and closes nothing, so the actor stops now; returned, it stops when the shim
 * closes its pipe after the final signal (czmq_actor_end_closed), or now if the task did. */
static void czmq_task_finish(struct czmq_actor **slot)
{
  struct czmq_actor *ca = *slot;
  AS_HOOK_KEEP_ERRNO();
  struct as_actor *record = czmq_record(ca);
  const char *reason = "returned";
  if (!ca->task)
    reason = "thread_exited";
  else if (atomic_load(&ca->term_received))
    reason = atomic_load(&ca->destroy_requested) ? "destroyed" : "terminated";
  czmq_handler_end(record);
  if (!ca->task || atomic_load_explicit(&ca->actor_end_closed, memory_order_acquire))
    czmq_stop(ca, reason);
  else
    atomic_store_explicit(&ca->returned_reason, reason, memory_order_release);
  as_registry_current_set(NULL);
  czmq_self = NULL;
  czmq_actor_unref(ca);
}

static void czmq_task_trampoline(as_zsock *pipe, void *arg)
{
  struct czmq_actor *ca __attribute__((cleanup(czmq_task_finish))) = arg;
  as_registry_current_set(czmq_record(ca));
  czmq_self = ca;
  as_actor_mark_running(czmq_record(ca));
  as_zactor_fn *task = ca->task;
  ca->task = NULL; /* set back only by a normal return: tells return from unwinding */
  task(pipe, ca->args);
  ca->task = task;
}

static size_t czmq_channels(const struct as_actor *actor, struct as_channel *out, size_t max)
{
  struct czmq_actor *ca = as_actor_private((struct as_actor *)actor);
  const struct czmq_sockets *t = atomic_load_explicit(&ca->sockets, memory_order_acquire);
  return t ? czmq_sockets_channels(t, out, max) : 0;
}

static void czmq_release(struct as_actor *actor)
{
  struct czmq_actor *ca = as_actor_private(actor);
  czmq_sockets_free(atomic_exchange(&ca->sockets, NULL));
}

static const struct as_runtime czmq_runtime = {
    .name = "czmq", .unnamed_after_spawner = 1, .channels = czmq_channels, .release = czmq_release};
static const struct as_runtime czmq_runtime_late = {.name = "czmq",
                                                    .unnamed_after_spawner = 1,
                                                    .channels = czmq_channels,
                                                    .release = czmq_release,
                                                    .attached_late = 1};

/* A published record with the hooks' state after it; NULL when out of memory (the actor then
 * runs untraced, and the registry counts it). */
static struct czmq_actor *czmq_spawn(as_zactor_fn *task, void *args)
{
  AS_HOOK_KEEP_ERRNO();
  struct as_spawn spawn = {.runtime = &czmq_runtime,
                           .name_addr = (const void *)task,
                           .parent = as_registry_current(),
                           .stack_depth = as_config_current()->stack_depth,
                           .private_bytes = sizeof(struct czmq_actor)};
  struct as_actor *actor = as_registry_prepare(&spawn);
  if (!actor)
    return NULL;
  struct czmq_actor *ca = as_actor_private(actor);
  ca->task = task;
  ca->args = args;
  ca->actor_end.actor_side = 1;
  if (as_registry_publish(actor) < 0)
    return NULL;
  as_events_spawn(actor);
  return ca;
}

AS_HOOK_EXPORT as_zactor *zactor_new(as_zactor_fn task, void *args)
{
  __typeof__(&zactor_new) real = CZMQ_REAL(zactor_new);
  if (!real) {
    errno = ENOSYS;
    return NULL;
  }
  if (!task || !as_tracing_active()) {
    as_init_spawn_untraced();
    return real(task, args);
  }
  atomic_store(&czmq_zactor_new_seen, 1);
  if (!atomic_exchange(&czmq_fork_reset_registered, 1))
    as_init_on_fork_child(czmq_forget_after_fork);

  struct czmq_actor *ca = czmq_spawn(task, args);
  if (!ca)
    return real(task, args);
  struct czmq_actor *outer = czmq_spawning;
  czmq_spawning = ca;
  as_zactor *zactor = real(czmq_task_trampoline, ca); /* the trampoline owns our reference */
  czmq_spawning = outer;
  if (zactor) {
    AS_HOOK_KEEP_ERRNO();
    as_actor_retain(czmq_record(ca));
    if (as_ptrmap_put(&czmq_zactors, (uintptr_t)zactor, ca) < 0)
      czmq_actor_unref(ca);
  }
  return zactor;
}

/* A side pipe: both ends known, each counts what goes in and out of it. */
static void czmq_side_pipe_register(void *a, void *b)
{
  struct czmq_side_pipe *pipe = a && b && as_blockpool_reserve(&czmq_side_pipes) == 0
                                    ? as_blockpool_take(&czmq_side_pipes)
                                    : NULL;
  if (!pipe)
    return;
  memset(pipe, 0, sizeof *pipe);
  void *handles[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    pipe->ends[i].side = &pipe->counts[i];
    pipe->counts[i].peer = &pipe->counts[1 - i];
    as_ptrmap_put(&czmq_ends, (uintptr_t)handles[i], &pipe->ends[i]);
  }
}

/* zactor_new's pipe: CZMQ returns the actor's end and stores the zactor_t's end in *backend_p. */
AS_HOOK_EXPORT as_zsock *zsys_create_pipe(as_zsock **backend_p)
{
  __typeof__(&zsys_create_pipe) real = CZMQ_REAL(zsys_create_pipe);
  if (!real) {
    errno = ENOSYS;
    return NULL;
  }
  czmq_in_create_pipe++;
  as_zsock *actor_sock = real(backend_p);
  czmq_in_create_pipe--;
  struct czmq_actor *ca = czmq_spawning;
  __typeof__(&zsock_resolve) resolve = CZMQ_REAL(zsock_resolve);
  if (!actor_sock || !backend_p || !*backend_p || !resolve)
    return actor_sock;
  if (ca && !ca->actor_handle) {
    AS_HOOK_KEEP_ERRNO();
    ca->actor_handle = resolve(actor_sock);
    czmq_end_register(ca, &ca->actor_end, ca->actor_handle);
    czmq_end_register(ca, &ca->zactor_end, resolve(*backend_p));
  } else if (!ca && as_tracing_active()) {
    AS_HOOK_KEEP_ERRNO();
    czmq_side_pipe_register(resolve(actor_sock), resolve(*backend_p));
  }
  return actor_sock;
}

AS_HOOK_EXPORT void zactor_destroy(as_zactor **self_p)
{
  __typeof__(&zactor_destroy) real = CZMQ_REAL(zactor_destroy);
  if (!real)
    return;
  struct czmq_actor *ca = NULL;
  if (self_p && *self_p && as_tracing_active()) {
    ca = as_ptrmap_remove(&czmq_zactors, (uintptr_t)*self_p);
    if (ca)
      atomic_store(&ca->destroy_requested, 1);
  }
  real(self_p);
  if (ca) {
    AS_HOOK_KEEP_ERRNO();
    /* The actor thread closes its pipe right after the final signal zactor_destroy waited for.
     * Tracing slows that thread a little, and CZMQ's exit handler sleeps 200 ms when it finds
     * a pipe still open: give the thread its last few instructions before returning. */
    for (int i = 0; i < CZMQ_DESTROY_YIELDS &&
                    !atomic_load_explicit(&ca->actor_end_closed, memory_order_acquire);
         i++)
      sched_yield();
    czmq_actor_unref(ca);
  }
}

AS_HOOK_EXPORT int zsock_wait(void *self)
{
  __typeof__(&zsock_wait) real = CZMQ_REAL(zsock_wait);
  CZMQ_CALL_OR_FAIL(real);
  czmq_in_wait++;
  int rc = real(self);
  czmq_in_wait--;
  return rc;
}

/* ---- actors that were running before attach (czmq_adopt.h) -------------------------------- */

/* Its thread's first receive on its pipe after attach: the thread is the actor's. */
void czmq_adopted_thread(struct czmq_actor *ca)
{
  czmq_self = ca;
  as_registry_current_set(czmq_record(ca));
}

void czmq_zactor_end_closed(struct czmq_actor *ca)
{
  atomic_store(&ca->zactor_end_closed, 1);
  as_actor_replies_discard(czmq_record(ca));
}

void czmq_actor_end_closed(struct czmq_actor *ca)
{
  atomic_store_explicit(&ca->actor_end_closed, 1, memory_order_release);
  if (!ca->adopted) {
    const char *reason = atomic_load_explicit(&ca->returned_reason, memory_order_acquire);
    if (reason)
      czmq_stop(ca, reason);
    /* A signal sent after its owner closed its end went nowhere. */
    if (atomic_load(&ca->zactor_end_closed))
      as_actor_replies_discard(czmq_record(ca));
    return;
  }
  /* No trampoline saw its task return: the close says it (no event: its spawn had none). */
  as_actor_mark_stopped(czmq_record(ca),
                        atomic_load(&ca->term_received) ? "terminated" : "returned");
  if (czmq_self == ca) {
    czmq_self = NULL;
    as_registry_current_set(NULL);
  }
  czmq_actor_unref(ca); /* the reference a trampoline would have held */
}

int czmq_adopt(as_zactor_fn *task, void *args, void *handle)
{
  if (task == czmq_task_trampoline && args) {
    /* Spawned through our zactor_new in a trace before a detach: its old record (never freed)
     * names its task. One of this attach's is known already. */
    struct czmq_actor *old = args;
    const struct as_actor *record = czmq_record(old);
    if (!as_registry_owns_record(record) || as_registry_is_current(record) || !record->origin)
      return 0;
    task = (as_zactor_fn *)record->origin->name_addr;
    args = old->args;
  }
  if (!task || !handle || task == czmq_task_trampoline ||
      as_ptrmap_get(&czmq_ends, (uintptr_t)handle))
    return 0; /* spawned since attach, or adopted already */
  if (!atomic_exchange(&czmq_fork_reset_registered, 1))
    as_init_on_fork_child(czmq_forget_after_fork);
  struct as_spawn spawn = {.runtime = &czmq_runtime_late,
                           .name_addr = (const void *)task,
                           .private_bytes = sizeof(struct czmq_actor)};
  struct as_actor *actor = as_registry_prepare(&spawn);
  if (!actor)
    return -ENOMEM;
  struct czmq_actor *ca = as_actor_private(actor);
  ca->task = task;
  ca->args = args;
  ca->actor_handle = handle;
  ca->actor_end.actor_side = 1;
  ca->adopted = 1;
  if (as_registry_publish(actor) < 0)
    return -ENOMEM;
  czmq_end_register(ca, &ca->actor_end, handle);
  as_actor_mark_running(actor);
  return 1;
}

void czmq_adopt_undo(void *handle)
{
  struct czmq_end *end = as_ptrmap_remove(&czmq_ends, (uintptr_t)handle);
  if (!end || !end->owner)
    return;
  as_actor_mark_stopped(czmq_record(end->owner), "returned");
  czmq_actor_unref(end->owner); /* the end's */
  czmq_actor_unref(end->owner); /* the trampoline's, as czmq_actor_end_closed */
}
