/* C++ Actor Framework 0.17.6 hooks, by mangled name (list: caf_symbols.h). Each translates a
 * CAF event into a registry call; the layouts they read are in caf_layout.h and are used only
 * after caf_layout_verify() accepted the loaded libcaf_core. Built with -fexceptions: handler
 * exceptions unwind through these frames, and cleanup handlers record them. */
#define _GNU_SOURCE
#include "caf_layout.h"
#include "caf_names.h"
#include "caf_running.h"
#include "caf_symbols.h"
#include "attach.h"
#include "diag.h"
#include "events.h"
#include "hook.h"
#include "recent.h"
#include "peers.h"
#include "registry.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CAF_SCOPES_MAX CAF_RUNNING_SYSTEMS_MAX

/* What the hooks keep of an actor, after its registry record (as_actor_private): 8 bytes,
 * so that record and all fit one 240-byte block. Whom its requests went to is kept in the
 * shared table of recent facts (recent.h), by (actor, request id). */
struct caf_actor {
  const void *object;
};

static AS_HOOK_HOT struct as_actor *caf_record(struct caf_actor *ca)
{
  return as_actor_of_private(ca);
}

enum caf_state { CAF_UNCHECKED, CAF_READY, CAF_REFUSED };

static _Atomic int caf_state;
static pthread_once_t caf_once = PTHREAD_ONCE_INIT;
static const void *_Atomic caf_systems[CAF_SCOPES_MAX]; /* actor_system* -> scope number */

/* This thread's state of the hooks, one initial-exec block: a hook reaches all of it from one
 * address (each thread variable of a shared library costs a load of its offset first). */
struct caf_thread {
  struct caf_type_memo memo;   /* caf_layout_message_type's */
  const void *enqueue_self;    /* abstract_broker::enqueue calls the base's */
  struct caf_actor *consuming; /* the actor whose handler runs on this thread */
  /* The actor whose handler just unwound with an exception (counted already): CAF then calls
   * its exception handler, which must not count it again. */
  struct caf_actor *exception_counted;
};
static AS_HOOK_TLS struct caf_thread caf_here;

/* ---- real functions ------------------------------------------------------------------------ */

#define CAF_REAL_SLOT(sym, what) AS_HOOK_REAL_SLOT(sym);
CAF_CORE_HOOKS(CAF_REAL_SLOT)
CAF_IO_HOOKS(CAF_REAL_SLOT)

#define CAF_REAL(sym) AS_HOOK_REAL(sym)

static int caf_running_count(uint64_t *running)
{
  return caf_running_total(caf_systems, CAF_SCOPES_MAX, running);
}

static void caf_verify_once(void)
{
  char why[320];
  if (caf_layout_verify(CAF_REAL(_ZN3caf14abstract_actorC2ERNS_12actor_configE), why, sizeof why) ==
      0) {
    atomic_store(&caf_state, CAF_READY);
    as_registry_on_runtime_running(caf_running_count);
    return;
  }
  atomic_store(&caf_state, CAF_REFUSED);
  as_diag_report("caf_unsupported", "%s; CAF actors are not traced", why);
}

/* Whether hooks may read CAF objects: tracing is on and the layouts were verified. */
static AS_HOOK_HOT bool caf_active(void)
{
  if (!as_tracing_active())
    return false;
  int state = atomic_load_explicit(&caf_state, memory_order_acquire);
  if (__builtin_expect(state == CAF_READY, 1))
    return true;
  if (state == CAF_UNCHECKED) {
    AS_HOOK_KEEP_ERRNO();
    pthread_once(&caf_once, caf_verify_once);
    state = atomic_load(&caf_state);
  }
  return state == CAF_READY;
}

/* The record slot in the control block's padding. Once the layout is verified, every actor
 * constructed gets its slot written (the record, or NULL), so a slot is never read unset. */
static struct caf_actor *_Atomic *caf_slot(const void *object)
{
  return (struct caf_actor * _Atomic *)((char *)caf_ctrl_of_actor(object) + CAF_CTRL_PADDING);
}

/* Attached to a running process, actors constructed before have never had their slot written:
 * it holds whatever the allocator left there. A slot is ours only if it points at the start of
 * a record block (blocks are never unmapped, so reading one cannot fault) whose object is this
 * one, published since this attach: a record of an attach before a detach may name an object
 * freed while nothing was hooked, its address since reused by this one (such records are
 * never freed, so reading one is safe too). */
static __attribute__((noinline)) bool caf_slot_is_ours(const struct caf_actor *ca,
                                                       const void *object)
{
  return as_registry_owns_record(caf_record((struct caf_actor *)ca)) && ca->object == object &&
         as_registry_is_current(caf_record((struct caf_actor *)ca));
}

static AS_HOOK_HOT struct caf_actor *caf_find(const void *object)
{
  if (!object)
    return NULL;
  struct caf_actor *ca = atomic_load_explicit(caf_slot(object), memory_order_acquire);
  if (as_attached() && ca && !caf_slot_is_ours(ca, object))
    return NULL;
  return ca;
}

/* Actor ids restart at 1 in every actor_system: the system's number tells them apart. */
static uint32_t caf_scope_of(const void *system)
{
  for (uint32_t i = 0; i < CAF_SCOPES_MAX; i++) {
    const void *seen = atomic_load(&caf_systems[i]);
    if (seen == system)
      return i + 1;
    const void *expected = NULL;
    if (!seen && atomic_compare_exchange_strong(&caf_systems[i], &expected, system))
      return i + 1;
    if (expected == system)
      return i + 1;
  }
  return 0;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static int caf_probe_refs(const struct as_actor *actor, uint64_t *strong, uint64_t *weak)
{
  const struct caf_actor *ca = as_actor_private_const(actor);
  return caf_layout_probe_refs(ca->object, strong, weak);
}

/* Named once launched (caf_launch_seen): the collector lists a starting actor only then. */
static const struct as_runtime caf_runtime = {
    .name = "caf", .probe_refs = caf_probe_refs, .named_once_running = 1};

/* The record is published only once its object pointer is stored: the collector reads the
 * object through caf_probe_refs from the moment it can see the record. */
static void caf_register(void *self, void *config)
{
  const void *ctrl = caf_ctrl_of_actor(self);
  struct caf_actor *parent = caf_find(caf_read_ptr(config, CAF_CONFIG_PARENT));
  struct as_spawn spawn = {.runtime = &caf_runtime,
                           .name_addr = caf_layout_init_function(config),
                           .parent = parent ? caf_record(parent) : NULL,
                           .stack_depth = as_config_current()->stack_depth,
                           .runtime_id = caf_read_u64(ctrl, CAF_CTRL_ID),
                           .runtime_scope = caf_scope_of(caf_read_ptr(ctrl, CAF_CTRL_SYSTEM)),
                           .probe = 1,
                           .private_bytes = sizeof(struct caf_actor)};
  struct as_actor *actor = as_registry_prepare(&spawn);
  if (!actor)
    return;
  as_hook_test_pause("caf_spawn");
  struct caf_actor *ca = as_actor_private(actor);
  ca->object = self;
  if (as_registry_publish(actor) < 0)
    return;
  atomic_store_explicit(caf_slot(self), ca, memory_order_release);
  as_events_spawn(actor);
}

/* ---- actors that were running before attach ------------------------------------------------ */

static const struct as_runtime caf_runtime_late = {
    .name = "caf", .probe_refs = caf_probe_refs, .attached_late = 1, .named_once_running = 1};
static pthread_mutex_t caf_adopt_lock = PTHREAD_MUTEX_INITIALIZER;

static void caf_launch_seen(struct caf_actor *ca);

/* Found at its first enqueue or handler after attach: known from then on only (no parent, no
 * spawn site). Its class names it, as at launch: the object is whole. */
static __attribute__((noinline)) struct caf_actor *caf_adopt(const void *object)
{
  AS_HOOK_KEEP_ERRNO();
  pthread_mutex_lock(&caf_adopt_lock);
  struct caf_actor *ca = caf_find(object);
  if (ca) {
    pthread_mutex_unlock(&caf_adopt_lock);
    return ca;
  }
  const void *ctrl = caf_ctrl_of_actor(object);
  struct as_spawn spawn = {.runtime = &caf_runtime_late,
                           .runtime_id = caf_read_u64(ctrl, CAF_CTRL_ID),
                           .runtime_scope = caf_scope_of(caf_read_ptr(ctrl, CAF_CTRL_SYSTEM)),
                           .probe = 1,
                           .private_bytes = sizeof(struct caf_actor)};
  struct as_actor *actor = as_registry_prepare(&spawn);
  if (actor) {
    ca = as_actor_private(actor);
    ca->object = object;
    if (as_registry_publish(actor) < 0) {
      ca = NULL;
    } else {
      atomic_store_explicit(caf_slot(object), ca, memory_order_release);
      as_attach_note_adopted(1);
    }
  }
  pthread_mutex_unlock(&caf_adopt_lock);
  if (ca)
    caf_launch_seen(ca);
  return ca;
}

/* An actor met by a message hook: attached, one not seen before is adopted. */
static AS_HOOK_HOT struct caf_actor *caf_find_or_adopt(const void *object)
{
  struct caf_actor *ca = caf_find(object);
  if (__builtin_expect(!ca, 0) && object && as_attached())
    ca = caf_adopt(object);
  return ca;
}

static void caf_construct(void (*real)(void *, void *), void *self, void *config)
{
  if (!real)
    return;
  real(self, config);
  if (!self)
    return;
  if (config && caf_active()) {
    AS_HOOK_KEEP_ERRNO();
    atomic_store_explicit(caf_slot(self), NULL, memory_order_relaxed);
    caf_register(self, config);
  } else {
    as_init_spawn_untraced();
    if (atomic_load(&caf_state) == CAF_READY)
      atomic_store_explicit(caf_slot(self), NULL, memory_order_relaxed);
  }
}

AS_HOOK_EXPORT void _ZN3caf14abstract_actorC1ERNS_12actor_configE(void *self, void *config)
{
  caf_construct(CAF_REAL(_ZN3caf14abstract_actorC1ERNS_12actor_configE), self, config);
}

AS_HOOK_EXPORT void _ZN3caf14abstract_actorC2ERNS_12actor_configE(void *self, void *config)
{
  caf_construct(CAF_REAL(_ZN3caf14abstract_actorC2ERNS_12actor_configE), self, config);
}

static AS_HOOK_HOT void caf_destruct(void (*real)(void *), void *self)
{
  struct caf_actor *ca = NULL;
  if (self && atomic_load(&caf_state) == CAF_READY && caf_find(self))
    ca = atomic_exchange_explicit(caf_slot(self), NULL, memory_order_acq_rel);
  if (ca) {
    AS_HOOK_KEEP_ERRNO();
    as_actor_probe_forget(caf_record(ca));
    /* Actors that never ran cleanup (e.g. never launched) end here. */
    as_actor_mark_stopped_static(caf_record(ca), "destroyed");
    as_actor_release(caf_record(ca)); /* ca lives on in the record until it is reaped */
  }
  if (real)
    real(self);
}

AS_HOOK_EXPORT void _ZN3caf14abstract_actorD1Ev(void *self)
{
  caf_destruct(CAF_REAL(_ZN3caf14abstract_actorD1Ev), self);
}

AS_HOOK_EXPORT void _ZN3caf14abstract_actorD2Ev(void *self)
{
  caf_destruct(CAF_REAL(_ZN3caf14abstract_actorD2Ev), self);
}

/* Names the actor after its object's class now (errno kept by the naming's slow path). An
 * actor is named twice with the same name most often: compared here, not in a call. */
static AS_HOOK_HOT void caf_name(struct caf_actor *ca, const void *object)
{
  const struct as_actor_name *name = caf_names_of_actor(object);
  if (name && name != atomic_load_explicit(&caf_record(ca)->name, memory_order_relaxed))
    as_actor_set_interned_name(caf_record(ca), name);
}

/* At launch the object's dynamic type is final: its class names the actor unless the spawned
 * function's symbol does. Scoped actors are never launched: their constructor (or, not seen,
 * their first message) does the same. */
static __attribute__((noinline)) void caf_launch_seen(struct caf_actor *ca)
{
  as_hook_test_pause("caf_launch");
  caf_name(ca, ca->object);
  as_actor_mark_running(caf_record(ca));
}

static AS_HOOK_HOT void caf_launched(struct caf_actor *ca)
{
  if (ca && as_actor_is_starting(caf_record(ca)))
    caf_launch_seen(ca);
}

/* A proxy for a remote actor is never launched and may receive nothing for the whole run:
 * named once its constructor returns (its type is final then), not at its first message. The
 * actor is passed by invisible reference (caf::actor is not trivially copyable). */
AS_HOOK_EXPORT void _ZN3caf22forwarding_actor_proxyC1ERNS_12actor_configENS_5actorE(void *self,
                                                                                    void *config,
                                                                                    void *dest)
{
  void (*real)(void *, void *, void *) =
      CAF_REAL(_ZN3caf22forwarding_actor_proxyC1ERNS_12actor_configENS_5actorE);
  if (!real)
    return;
  real(self, config, dest);
  if (self && caf_active())
    caf_launched(caf_find(self));
}

/* A scoped actor is never launched (its class's launch does nothing) and may only ever send:
 * named once scoped_actor's constructor returns (its actor is whole then), not at its first
 * message, so that lines list it at once (docs/internals.md, "Naming"). Its actor is found
 * through scoped_actor::ptr(), exported, rather than by the scoped_actor's layout. */
AS_HOOK_REAL_SLOT(_ZNK3caf12scoped_actor3ptrEv);

AS_HOOK_EXPORT void _ZN3caf12scoped_actorC1ERNS_12actor_systemEb(void *self, void *system,
                                                                 bool hide)
{
  void (*real)(void *, void *, bool) = CAF_REAL(_ZN3caf12scoped_actorC1ERNS_12actor_systemEb);
  if (!real)
    return;
  real(self, system, hide);
  void *(*ptr)(const void *) = CAF_REAL(_ZNK3caf12scoped_actor3ptrEv);
  if (self && ptr && caf_active())
    caf_launched(caf_find(ptr(self)));
}

/* An event_based_actor that is made but never launched (a test fixture's, CAF's own unit tests
 * make one per test) would stay <unknown>: named when its event_based_actor part is built,
 * from the class it has then. Every launched actor is named again at launch, from its final
 * class, so a subclass's name replaces this one before it runs. */
/* Folded into each hook that calls it (C1 and C2 here, the four launches, the two destructors):
 * a call and a second shuffle of the arguments at every spawn cost more than the copies' code.
 * Not the spawn hook (caf_construct): its registration would then be a call of its own. */
static AS_HOOK_HOT void caf_event_based_built(void (*real)(void *, void *), void *self,
                                              void *config)
{
  if (!real)
    return;
  real(self, config);
  struct caf_actor *ca = self && caf_active() ? caf_find(self) : NULL;
  if (ca && as_actor_is_starting(caf_record(ca)))
    caf_name(ca, self);
}

AS_HOOK_EXPORT void _ZN3caf17event_based_actorC1ERNS_12actor_configE(void *self, void *config)
{
  caf_event_based_built(CAF_REAL(_ZN3caf17event_based_actorC1ERNS_12actor_configE), self, config);
}

AS_HOOK_EXPORT void _ZN3caf17event_based_actorC2ERNS_12actor_configE(void *self, void *config)
{
  caf_event_based_built(CAF_REAL(_ZN3caf17event_based_actorC2ERNS_12actor_configE), self, config);
}

typedef void (*caf_launch_fn)(void *, void *, bool, bool);

static AS_HOOK_HOT void caf_launch(caf_launch_fn real, void *self, void *host, bool lazy, bool hide)
{
  if (!real)
    return;
  if (caf_active())
    caf_launched(caf_find(self));
  real(self, host, lazy, hide);
}

#define CAF_LAUNCH_HOOK(sym)                                                                       \
  AS_HOOK_EXPORT void sym(void *self, void *host, bool lazy, bool hide)                            \
  {                                                                                                \
    caf_launch((caf_launch_fn)CAF_REAL(sym), self, host, lazy, hide);                              \
  }

CAF_LAUNCH_HOOK(_ZN3caf15scheduled_actor6launchEPNS_14execution_unitEbb)
CAF_LAUNCH_HOOK(_ZN3caf14blocking_actor6launchEPNS_14execution_unitEbb)
CAF_LAUNCH_HOOK(_ZN3caf15actor_companion6launchEPNS_14execution_unitEbb)
CAF_LAUNCH_HOOK(_ZN3caf2io15abstract_broker6launchEPNS_14execution_unitEbb)

AS_HOOK_EXPORT _Bool _ZN3caf17monitorable_actor7cleanupEONS_5errorEPNS_14execution_unitE(
    void *self, void *error, void *host)
{
  _Bool (*real)(void *, void *, void *) =
      CAF_REAL(_ZN3caf17monitorable_actor7cleanupEONS_5errorEPNS_14execution_unitE);
  if (!real)
    return 0;
  struct caf_actor *ca = caf_active() ? caf_find(self) : NULL;
  /* Read before cleanup moves the error away: a name CAF gives it (static), else rendered. */
  const char *known = NULL;
  char reason[AS_ACTOR_REASON_MAX];
  if (ca) {
    caf_launched(ca); /* e.g. a proxy never sent anything: named while its type is whole */
    known = caf_layout_error_text(error);
    if (!known)
      caf_layout_render_error(error, reason, sizeof reason);
  }
  _Bool first = real(self, error, host);
  if (ca && first) {
    AS_HOOK_KEEP_ERRNO();
    as_events_stop(caf_record(ca));
    if (known)
      as_actor_mark_stopped_static(caf_record(ca), known);
    else
      as_actor_mark_stopped(caf_record(ca), reason);
  }
  return first;
}

/* CAF's default exception handler also sees exceptions thrown while an actor builds its
 * initial behaviour, which never pass through a message handler. It returns a caf::error, in
 * memory the caller provides. */
AS_HOOK_EXPORT void *
_ZN3caf15scheduled_actor25default_exception_handlerEPS0_RNSt15__exception_ptr13exception_ptrE(
    void *result, void *self, void *exception)
{
  void *(*real)(void *, void *, void *) = CAF_REAL(
      _ZN3caf15scheduled_actor25default_exception_handlerEPS0_RNSt15__exception_ptr13exception_ptrE);
  struct caf_actor *ca = caf_active() ? caf_find(self) : NULL;
  if (ca && ca != caf_here.exception_counted)
    as_actor_count_exception(caf_record(ca));
  caf_here.exception_counted = NULL;
  return real ? real(result, self, exception) : result;
}

/* An event-based actor builds its initial behaviour (make_behavior, or the spawned function)
 * inside event_based_actor::initialize. An exception thrown there unwinds through this hook
 * before CAF hands it to the actor's exception handler, its own or the default one: counted
 * here, the default handler's hook then leaves it alone. */
struct caf_initializing {
  struct caf_actor *ca;
  bool returned;
};

static void caf_initialize_end(struct caf_initializing *init)
{
  if (!init->ca || init->returned)
    return;
  as_actor_count_exception(caf_record(init->ca));
  caf_here.exception_counted = init->ca;
}

AS_HOOK_EXPORT void _ZN3caf17event_based_actor10initializeEv(void *self)
{
  void (*real)(void *) = CAF_REAL(_ZN3caf17event_based_actor10initializeEv);
  if (!real)
    return;
  __attribute__((cleanup(caf_initialize_end))) struct caf_initializing init = {
      caf_active() ? caf_find(self) : NULL, false};
  caf_here.exception_counted = NULL;
  real(self);
  init.returned = true;
}

/* ---- messages ------------------------------------------------------------------------------ */

static void caf_remember_request(struct caf_actor *sender, uint64_t mid, uint64_t target_id)
{
  as_recent_put(sender, mid & CAF_MID_REQUEST_ID_MASK, target_id);
}

/* Whom the request behind this message id went to; 0 when forgotten. */
static uint64_t caf_request_target(struct caf_actor *requester, uint64_t mid)
{
  uint64_t id = mid & CAF_MID_REQUEST_ID_MASK;
  return id ? as_recent_get(requester, id) : 0;
}

/* A response is about to be handled by an actor waiting for one. It ends the wait unless it is
 * known to come from another actor than the one waited on (a late answer to an older request,
 * which CAF will skip): better a wait that ends early than one never ended. */
static __attribute__((noinline)) void caf_response_arrives(struct caf_actor *ca, uint64_t mid,
                                                           uint64_t waited_on)
{
  uint64_t from = caf_request_target(ca, mid);
  if (!from || from == waited_on)
    as_actor_wait_end(caf_record(ca));
}

/* Forwarders (pools, decorators, proxies) hand a message on at once: it is received when it
 * is enqueued, so their mailbox never looks stuck. */
/* Whether the actor's handler runs on this thread and will set the record's change bit as it
 * ends (caf_handler_end), after whatever this hook stores now: a send from a handler (to
 * itself, or its sent count) then leaves the bit to it. */
static AS_HOOK_HOT bool caf_touched_at_end(const struct caf_actor *ca)
{
  return ca == caf_here.consuming && as_actor_is_handling(caf_record((struct caf_actor *)ca));
}

static AS_HOOK_HOT void caf_on_enqueue(struct caf_actor *target, const void *element,
                                       bool forwarder)
{
  /* Sent from the target's own handler, on its thread: counted without a locked add. */
  uint64_t seq = caf_touched_at_end(target) ? as_actor_enqueue_own_quiet(caf_record(target))
                                            : as_actor_enqueue(caf_record(target));
  if (forwarder) {
    caf_launched(target); /* forwarders are never launched */
    as_actor_receive_shared(caf_record(target), caf_layout_message_type(&caf_here.memo, element));
  } else {
    /* CAF's mailbox is not one queue (priorities, messages skipped while awaiting a
     * response), so its consumer cannot tell a timed message by its number: the element,
     * alive until its handler is done, names the message; a handler looks it up while a
     * timed message of its actor may be queued (as_actor_mailwait_pending). An untimed one
     * clears its address's stamp: a timed message never taken (sent to an actor that had
     * quit: CAF frees it at once, and the sender's next message reuses the address) may have
     * left one, which would time this message wrongly. */
    uint64_t key = as_mailwait_key_object(element);
    if (as_mailwait_sampled(seq))
      as_mailwait_stamp(key, as_clock_now());
    else
      as_mailwait_take(key);
  }
  /* A message to oneself (a loop driving itself) names its own actor: no look-up. */
  const void *from = caf_actor_of_ctrl(caf_read_ptr(element, CAF_ELEMENT_SENDER));
  struct caf_actor *sender = from == target->object ? target : caf_find_or_adopt(from);
  /* The element names the message until its handler is done (forwarders pass it on). */
  if (!forwarder)
    as_events_send(sender ? caf_record(sender) : NULL, caf_record(target), (uintptr_t)element);
  if (!sender || sender == target) {
    /* Without a sender, the actor running here sends (or this thread, which runs none). */
    if (!sender)
      as_peers_count_touch(caf_here.consuming ? caf_record(caf_here.consuming) : NULL,
                           caf_record(target));
    return;
  }
  /* Only the sender's own thread bumps its counts, but for forwarded messages (its record's
   * change bit is set once, by the sent count). */
  if (sender == caf_here.consuming) {
    as_peers_count_sent(caf_record(sender), caf_record(target), 1);
    if (as_actor_is_handling(caf_record(sender)))
      as_actor_count_sent_quiet(caf_record(sender));
    else
      as_actor_count_sent(caf_record(sender));
  } else {
    as_peers_count_sent(caf_record(sender), caf_record(target), 0);
    as_actor_count_sent_shared(caf_record(sender));
  }
  uint64_t mid = caf_read_u64(element, CAF_ELEMENT_MID);
  if ((mid & CAF_MID_REQUEST_ID_MASK) && !(mid & CAF_MID_RESPONSE_FLAG))
    caf_remember_request(sender, mid, as_actor_id(caf_record(target)));
}

typedef void (*caf_enqueue_fn)(void *, void **, void *);

/* The per-message paths below leave errno alone: only their first-time slow paths (naming,
 * interning a type) can touch it, and those save them themselves. */
static AS_HOOK_HOT void caf_enqueue_count(void *self, void **element, bool forwarder)
{
  struct caf_actor *target;
  if (element && *element && caf_active() && (target = caf_find_or_adopt(self)))
    caf_on_enqueue(target, *element, forwarder);
}

/* Nothing to do once the real enqueue returns: the compiler jumps to it. */
static AS_HOOK_HOT void caf_enqueue(caf_enqueue_fn real, void *self, void **element, void *host,
                                    bool forwarder)
{
  if (!real)
    return;
  if (caf_here.enqueue_self != self)
    caf_enqueue_count(self, element, forwarder);
  real(self, element, host);
}

#define CAF_ENQUEUE_HOOK(sym, forwarder)                                                           \
  AS_HOOK_EXPORT void sym(void *self, void **element, void *host)                                  \
  {                                                                                                \
    caf_enqueue((caf_enqueue_fn)CAF_REAL(sym), self, element, host, forwarder);                    \
  }

CAF_ENQUEUE_HOOK(
    _ZN3caf15scheduled_actor7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    false)
CAF_ENQUEUE_HOOK(
    _ZN3caf14blocking_actor7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    false)
CAF_ENQUEUE_HOOK(
    _ZN3caf15actor_companion7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    false)
/* abstract_broker::enqueue calls its base's, scheduled_actor::enqueue, with the same message:
 * counted once, here (the only enqueue that calls another of this actor's). */
AS_HOOK_EXPORT void
_ZN3caf2io15abstract_broker7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE(
    void *self, void **element, void *host)
{
  caf_enqueue_fn real = (caf_enqueue_fn)CAF_REAL(
      _ZN3caf2io15abstract_broker7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE);
  if (!real)
    return;
  const void *outer = caf_here.enqueue_self;
  if (outer != self)
    caf_enqueue_count(self, element, false);
  caf_here.enqueue_self = self;
  real(self, element, host);
  caf_here.enqueue_self = outer;
}
CAF_ENQUEUE_HOOK(
    _ZN3caf10actor_pool7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    true)
CAF_ENQUEUE_HOOK(
    _ZN3caf22forwarding_actor_proxy7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    true)
CAF_ENQUEUE_HOOK(
    _ZN3caf9decorator8splitter7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    true)
CAF_ENQUEUE_HOOK(
    _ZN3caf9decorator9sequencer7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    true)

/* A broker's servants (libcaf_io's scribes, doormen and datagram servants) hand it the network's
 * events with this, one message at a time, not through its mailbox. Each is counted as put in
 * as it is handed over, by the thread that hands it (the multiplexer's), so that the mailbox's
 * length (put in minus taken) stays true while messages wait in it: before, a broker that took
 * 180 such events read 180 fewer queued than it held, down to 0. One the broker does not take
 * (it had quit, or skipped it) is taken back. */
typedef int (*caf_activate_fn)(void *, void *, void *);

AS_HOOK_EXPORT int _ZN3caf15scheduled_actor8activateEPNS_14execution_unitERNS_15mailbox_elementE(
    void *self, void *host, void *element)
{
  caf_activate_fn real = (caf_activate_fn)CAF_REAL(
      _ZN3caf15scheduled_actor8activateEPNS_14execution_unitERNS_15mailbox_elementE);
  if (!real)
    return 0;
  struct caf_actor *ca = element && caf_active() ? caf_find_or_adopt(self) : NULL;
  if (!ca)
    return real(self, host, element);
  struct as_actor *a = caf_record(ca);
  bool own = caf_touched_at_end(ca);
  caf_on_enqueue(ca, element, false);
  uint64_t taken = atomic_load_explicit(&a->received, memory_order_relaxed);
  int result = real(self, host, element);
  if (atomic_load_explicit(&a->received, memory_order_relaxed) == taken) {
    if (own)
      as_actor_enqueue_own_undo(a);
    else
      as_actor_enqueue_undo(a);
  }
  return result;
}

/* A servant detached from its broker with its closing message (a connection closed, an
 * acceptor or a datagram endpoint gone) hands that message to the broker's consume() itself,
 * made inside the call: counted as put in before, from this thread. If the broker skips it,
 * CAF keeps it in the broker's cache, where it waits like any queued message. The broker is
 * the servant's parent, asked of CAF (manager::parent(); NULL once detached). */
AS_HOOK_REAL_SLOT(_ZN3caf2io7network7manager6parentEv);

AS_HOOK_EXPORT void _ZN3caf2io7network7manager6detachEPNS_14execution_unitEb(void *self, void *host,
                                                                             bool with_message)
{
  typedef void (*detach_fn)(void *, void *, bool);
  typedef void *(*parent_fn)(void *);
  detach_fn real = (detach_fn)CAF_REAL(_ZN3caf2io7network7manager6detachEPNS_14execution_unitEb);
  if (!real)
    return;
  parent_fn parent = (parent_fn)AS_HOOK_REAL(_ZN3caf2io7network7manager6parentEv);
  void *broker = with_message && self && parent && caf_active() ? parent(self) : NULL;
  struct caf_actor *ca = broker ? caf_find_or_adopt(broker) : NULL;
  if (ca) {
    struct as_actor *a = caf_record(ca);
    as_changes_touch(a);
    if (caf_touched_at_end(ca))
      as_actor_enqueue_own_quiet(a);
    else
      as_actor_enqueue_quiet(a);
    as_peers_count_touch(caf_here.consuming ? caf_record(caf_here.consuming) : NULL, a);
  }
  real(self, host, with_message);
}

/* ---- handlers ------------------------------------------------------------------------------ */

struct caf_handling {
  struct caf_actor *ca;
  uint32_t type;
  int result; /* -1 while the handler has not returned */
  int skipped_result;
  /* A blocking actor's receive inside a handler visits messages in a nested handler: the
   * outer one is restored when the nested one ends. */
  struct as_handler_mark outer;
  struct caf_actor *outer_consumer;
  /* The record's change bit, found once: set as the handler begins and as it ends. */
  struct as_changes_ref changes;
  /* The message's time in the mailbox (mailwait.h), counted once it is handled, not skipped:
   * its stamp (0: none, or not looked up: no timed message was pending) and key, and the
   * ticks it waited. */
  uint64_t wait_stamp;
  uint64_t wait_key;
  uint64_t waited;
};

/* A timed message may be queued: this one's stamp (0: none) and the ticks it waited, out of
 * line (most messages are not timed). */
struct caf_waited {
  uint64_t stamp, ticks;
};
static __attribute__((noinline)) struct caf_waited caf_mailwait_claim(struct as_actor *a,
                                                                      uint64_t key, uint64_t now)
{
  uint64_t stamp = as_actor_mailwait_claim(a, key);
  return (struct caf_waited){stamp, as_mailwait_since(stamp, now)};
}

static AS_HOOK_HOT struct caf_handling caf_handler_begin(struct caf_actor *ca, const void *element,
                                                         int skipped_result)
{
  struct caf_handling h = {.ca = ca,
                           .type = AS_TYPE_NONE,
                           .result = -1,
                           .skipped_result = skipped_result,
                           .outer_consumer = caf_here.consuming};
  if (!ca)
    return h;
  struct as_actor *a = caf_record(ca);
  caf_here.consuming = ca;
  caf_here.exception_counted = NULL; /* one left by an actor whose own handler took it */
  caf_launched(ca);
  h.type = caf_layout_message_type(&caf_here.memo, element);
  uint64_t mid = caf_read_u64(element, CAF_ELEMENT_MID);
  if (mid & CAF_MID_RESPONSE_FLAG) {
    uint64_t waited_on = as_actor_waiting_on(a);
    if (waited_on)
      caf_response_arrives(ca, mid, waited_on);
  }
  /* A nested handler (a blocking actor's receive inside one) resumes the outer one. */
  if (__builtin_expect(as_actor_is_handling(a), 0))
    h.outer = as_actor_handler_mark(a);
  as_actor_receive_quiet(a, h.type);
  uint64_t now = as_clock_now();
  if (__builtin_expect(as_actor_mailwait_pending(a), 0)) {
    h.wait_key = as_mailwait_key_object(element);
    struct caf_waited w = caf_mailwait_claim(a, h.wait_key, now);
    h.wait_stamp = w.stamp;
    h.waited = w.ticks;
  }
  as_actor_handler_begin_quiet(a, h.type, now);
  h.changes = as_changes_ref_of(a);
  as_changes_touch_ref(h.changes);
  as_events_handler_begin(a, h.type, (uintptr_t)element, now);
  return h;
}

/* Runs when the handler returns or an exception unwinds through it. */
static AS_HOOK_HOT void caf_handler_end(struct caf_handling *h)
{
  if (!h->ca)
    return;
  struct as_actor *a = caf_record(h->ca);
  caf_here.consuming = h->outer_consumer;
  if (h->result < 0) {
    as_actor_count_exception(a);
    caf_here.exception_counted = h->ca;
  }
  /* The record's change bit is set after the stores, and only when there were some: an
   * actor that stopped in its handler (the stop ended it) keeps the record its stop left. */
  int changed = 0;
  if (h->result == h->skipped_result) {
    /* Left in the mailbox (e.g. while awaiting a response): not handled yet. */
    as_actor_receive_undo(a, h->type);
    if (h->wait_stamp)
      as_actor_mailwait_unclaim(a);
    as_events_handler_cancel(a);
    as_actor_handler_cancel(a);
  } else {
    as_events_handler_end(a);
    changed = as_actor_handler_end_quiet(a, as_clock_now());
    if (h->wait_stamp) {
      as_mailwait_take_stamp(h->wait_key, h->wait_stamp);
      as_actor_mailbox_wait_add(a, h->waited);
    }
  }
  if (h->outer.type != AS_TYPE_NONE) {
    as_actor_handler_begin_quiet(a, h->outer.type, h->outer.since);
    changed = 1;
  }
  if (changed)
    as_changes_touch_ref(h->changes);
}

typedef int (*caf_consume_fn)(void *, void *);

static AS_HOOK_HOT int caf_consume(caf_consume_fn real, void *self, void *element)
{
  if (!real)
    return 0;
  struct caf_actor *ca = element && caf_active() ? caf_find_or_adopt(self) : NULL;
  __attribute__((cleanup(caf_handler_end))) struct caf_handling h =
      caf_handler_begin(ca, element, CAF_CONSUME_SKIPPED);
  int result = real(self, element);
  h.result = result;
  return result;
}

AS_HOOK_EXPORT int _ZN3caf15scheduled_actor7consumeERNS_15mailbox_elementE(void *self,
                                                                           void *element)
{
  return caf_consume(
      (caf_consume_fn)CAF_REAL(_ZN3caf15scheduled_actor7consumeERNS_15mailbox_elementE), self,
      element);
}

AS_HOOK_EXPORT int _ZN3caf21raw_event_based_actor7consumeERNS_15mailbox_elementE(void *self,
                                                                                 void *element)
{
  return caf_consume(
      (caf_consume_fn)CAF_REAL(_ZN3caf21raw_event_based_actor7consumeERNS_15mailbox_elementE), self,
      element);
}

/* blocking_actor::mailbox_visitor: its first member is the actor. */
AS_HOOK_EXPORT int _ZN3caf14blocking_actor15mailbox_visitorclERNS_15mailbox_elementE(void *visitor,
                                                                                     void *element)
{
  caf_consume_fn real =
      (caf_consume_fn)CAF_REAL(_ZN3caf14blocking_actor15mailbox_visitorclERNS_15mailbox_elementE);
  if (!real)
    return 0;
  struct caf_actor *ca =
      visitor && element && caf_active() ? caf_find_or_adopt(caf_read_ptr(visitor, 0)) : NULL;
  __attribute__((cleanup(caf_handler_end))) struct caf_handling h =
      caf_handler_begin(ca, element, CAF_VISIT_SKIP);
  int result = real(visitor, element);
  h.result = result;
  return result;
}

/* Stream batches (upstream_msg, downstream_msg) bypass consume(): scheduled_actor's mailbox
 * visitor handles them itself. Its first member is the actor. */
typedef int (*caf_upstream_fn)(void *, size_t, void *, void *);
typedef int (*caf_downstream_fn)(void *, size_t, void *, unsigned short, void *, void *);

AS_HOOK_EXPORT int
_ZN3caf15scheduled_actor15mailbox_visitorclEmRNS_9intrusive9drr_queueINS_6policy17upstream_messagesEEERNS_15mailbox_elementE(
    void *visitor, size_t round, void *queue, void *element)
{
  caf_upstream_fn real = (caf_upstream_fn)CAF_REAL(
      _ZN3caf15scheduled_actor15mailbox_visitorclEmRNS_9intrusive9drr_queueINS_6policy17upstream_messagesEEERNS_15mailbox_elementE);
  if (!real)
    return 0;
  struct caf_actor *ca =
      visitor && element && caf_active() ? caf_find_or_adopt(caf_read_ptr(visitor, 0)) : NULL;
  __attribute__((cleanup(caf_handler_end))) struct caf_handling h =
      caf_handler_begin(ca, element, CAF_VISIT_SKIP);
  int result = real(visitor, round, queue, element);
  h.result = result;
  return result;
}

AS_HOOK_EXPORT int
_ZN3caf15scheduled_actor15mailbox_visitorclEmRNS_9intrusive30wdrr_dynamic_multiplexed_queueINS_6policy19downstream_messagesEEEtRNS2_9drr_queueINS5_6nestedEEERNS_15mailbox_elementE(
    void *visitor, size_t round, void *queue, unsigned short slot, void *nested, void *element)
{
  caf_downstream_fn real = (caf_downstream_fn)CAF_REAL(
      _ZN3caf15scheduled_actor15mailbox_visitorclEmRNS_9intrusive30wdrr_dynamic_multiplexed_queueINS_6policy19downstream_messagesEEEtRNS2_9drr_queueINS5_6nestedEEERNS_15mailbox_elementE);
  if (!real)
    return 0;
  struct caf_actor *ca =
      visitor && element && caf_active() ? caf_find_or_adopt(caf_read_ptr(visitor, 0)) : NULL;
  __attribute__((cleanup(caf_handler_end))) struct caf_handling h =
      caf_handler_begin(ca, element, CAF_VISIT_SKIP);
  int result = real(visitor, round, queue, slot, nested, element);
  h.result = result;
  return result;
}

/* ---- links, monitors, waits ---------------------------------------------------------------- */

typedef void (*caf_link_fn)(void *, void *);

static void caf_link_change(caf_link_fn real, void *self, void *other, bool add)
{
  if (!real)
    return;
  real(self, other);
  struct caf_actor *a = caf_active() ? caf_find(self) : NULL, *b = a ? caf_find(other) : NULL;
  if (a && b) {
    AS_HOOK_KEEP_ERRNO();
    (add ? as_registry_link : as_registry_unlink)(caf_record(a), caf_record(b));
  }
}

AS_HOOK_EXPORT void _ZN3caf17monitorable_actor8add_linkEPNS_14abstract_actorE(void *self,
                                                                              void *other)
{
  caf_link_change((caf_link_fn)CAF_REAL(_ZN3caf17monitorable_actor8add_linkEPNS_14abstract_actorE),
                  self, other, true);
}

AS_HOOK_EXPORT void _ZN3caf17monitorable_actor11remove_linkEPNS_14abstract_actorE(void *self,
                                                                                  void *other)
{
  caf_link_change(
      (caf_link_fn)CAF_REAL(_ZN3caf17monitorable_actor11remove_linkEPNS_14abstract_actorE), self,
      other, false);
}

AS_HOOK_EXPORT void
_ZN3caf11local_actor7monitorEPNS_14abstract_actorENS_16message_priorityE(void *self, void *watched,
                                                                         int priority)
{
  void (*real)(void *, void *, int) =
      CAF_REAL(_ZN3caf11local_actor7monitorEPNS_14abstract_actorENS_16message_priorityE);
  if (!real)
    return;
  real(self, watched, priority);
  struct caf_actor *a = caf_active() ? caf_find(self) : NULL, *b = a ? caf_find(watched) : NULL;
  if (a && b) {
    AS_HOOK_KEEP_ERRNO();
    as_registry_monitor(caf_record(a), caf_record(b));
  }
}

static void caf_wait_done(struct caf_actor **waiting)
{
  if (*waiting)
    as_actor_wait_end(caf_record(*waiting));
}

/* A blocking or scoped actor receiving the response to its own request waits on the target. */
AS_HOOK_EXPORT void
_ZN3caf14blocking_actor12receive_implERNS0_12receive_condENS_10message_idERNS_6detail17blocking_behaviorE(
    void *self, void *condition, uint64_t mid, void *behavior)
{
  void (*real)(void *, void *, uint64_t, void *) = CAF_REAL(
      _ZN3caf14blocking_actor12receive_implERNS0_12receive_condENS_10message_idERNS_6detail17blocking_behaviorE);
  if (!real)
    return;
  __attribute__((cleanup(caf_wait_done))) struct caf_actor *waiting = NULL;
  struct caf_actor *ca = caf_active() ? caf_find(self) : NULL;
  caf_launched(ca);
  uint64_t target = ca && (mid & CAF_MID_RESPONSE_FLAG) ? caf_request_target(ca, mid) : 0;
  if (target) {
    AS_HOOK_KEEP_ERRNO();
    as_actor_wait_begin(caf_record(ca), target, AS_WAIT_REPLY, as_clock_now());
    waiting = ca;
  }
  real(self, condition, mid, behavior);
}

/* An event-based actor in .await() handles nothing else until the response arrives. */
AS_HOOK_EXPORT void
_ZN3caf15scheduled_actor28add_awaited_response_handlerENS_10message_idENS_8behaviorE(void *self,
                                                                                     uint64_t mid,
                                                                                     void *behavior)
{
  void (*real)(void *, uint64_t, void *) = CAF_REAL(
      _ZN3caf15scheduled_actor28add_awaited_response_handlerENS_10message_idENS_8behaviorE);
  if (!real)
    return;
  struct caf_actor *ca = caf_active() ? caf_find(self) : NULL;
  uint64_t target = ca ? caf_request_target(ca, mid) : 0;
  if (target) {
    AS_HOOK_KEEP_ERRNO();
    as_actor_wait_begin(caf_record(ca), target, AS_WAIT_REPLY, as_clock_now());
  }
  real(self, mid, behavior);
}
