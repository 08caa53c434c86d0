/* C++ Actor Framework 0.17.6 hooks, by mangled name (list: caf_symbols.h): an actor's life
 * (spawn, launch, names, stop, destruction, adoption after attach) and its relations (links,
 * monitors, waits for a reply); its messages are in caf_messages.c. Each hook translates a CAF
 * event into a registry call; the layouts they read are in caf_layout.h and are used only
 * after caf_layout_verify() accepted the loaded libcaf_core. Built with -fexceptions: handler
 * exceptions unwind through these frames, and cleanup handlers record them. */
#define _GNU_SOURCE
#include "caf_actor.h"
#include "caf_names.h"
#include "caf_running.h"
#include "diag.h"
#include "events.h"
#include "stack.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CAF_SCOPES_MAX CAF_RUNNING_SYSTEMS_MAX

_Atomic int caf_state;
static pthread_once_t caf_once = PTHREAD_ONCE_INIT;
static const void *_Atomic caf_systems[CAF_SCOPES_MAX]; /* actor_system* -> scope number */

AS_HOOK_TLS struct caf_thread caf_here;

/* ---- real functions ------------------------------------------------------------------------ */

static int caf_running_count(uint64_t *running)
{
  /* Attached, a system may end through a call not retargeted yet: read through the kernel. */
  return caf_running_total(caf_systems, CAF_SCOPES_MAX, !as_attached(), running);
}

static void caf_verify_once(void)
{
  char why[320];
  if (caf_layout_verify(CAF_REAL(_ZN3caf14abstract_actorC2ERNS_12actor_configE), why, sizeof why) ==
      0) {
    atomic_store(&caf_state, CAF_READY);
    as_registry_on_runtime_running(caf_running_count);
    as_stack_on_names(caf_names_decode_atoms);
    return;
  }
  atomic_store(&caf_state, CAF_REFUSED);
  as_diag_report("caf_unsupported", "%s; CAF actors are not traced", why);
}

/* The first hook to run verifies the layouts (caf_active's slow path). */
int caf_state_checked(void)
{
  AS_HOOK_KEEP_ERRNO();
  pthread_once(&caf_once, caf_verify_once);
  return atomic_load(&caf_state);
}

/* Attached to a running process, actors constructed before have never had their slot written:
 * it holds whatever the allocator left there. A slot is ours only if it points at the start of
 * a record block (blocks are never unmapped, so reading one cannot fault) whose object is this
 * one, published since this attach: a record of an attach before a detach may name an object
 * freed while nothing was hooked, its address since reused by this one (such records are
 * never freed, so reading one is safe too). */
__attribute__((noinline)) bool caf_slot_is_ours(const struct caf_actor *ca, const void *object)
{
  return as_registry_owns_record(caf_record((struct caf_actor *)ca)) && ca->object == object &&
         as_registry_is_current(caf_record((struct caf_actor *)ca));
}

/* Actor ids restart at 1 in every actor_system: the system's number tells them apart. */
static uint32_t caf_scope_of(const void *system)
{
  for (uint32_t i = 0; i < CAF_SCOPES_MAX; i++) {
    const void *seen = atomic_load(&caf_systems[i]);
    const void *expected = NULL;
    if (seen == system ||
        (!seen && atomic_compare_exchange_strong(&caf_systems[i], &expected, system)) ||
        expected == system) {
      caf_running_system_seen(i);
      return i + 1;
    }
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

/* Found at its first enqueue or handler after attach: known from then on only (no parent, no
 * spawn site). Its class names it, as at launch: the object is whole. */
__attribute__((noinline)) struct caf_actor *caf_adopt(const void *object)
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

/* An actor system gone: the collector stops reading its registry in place (caf_running.c)
 * before its memory can be freed (by the deleting destructor, or the caller's scope), after
 * the destructor, which first waits for the system's actors to finish: a program that lets a
 * system go out of scope at once runs its whole life inside it. No check of caf_active(): a
 * system read in place was seen while tracing was on, and must be let go of whatever the
 * state now. */
static void caf_system_destruct(void (*real)(void *), void *self)
{
  if (real)
    real(self);
  if (self) {
    AS_HOOK_KEEP_ERRNO();
    caf_running_system_ends(caf_systems, CAF_SCOPES_MAX, self);
  }
}

AS_HOOK_EXPORT void _ZN3caf12actor_systemD1Ev(void *self)
{
  caf_system_destruct(CAF_REAL(_ZN3caf12actor_systemD1Ev), self);
}

AS_HOOK_EXPORT void _ZN3caf12actor_systemD2Ev(void *self)
{
  caf_system_destruct(CAF_REAL(_ZN3caf12actor_systemD2Ev), self);
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
__attribute__((noinline)) void caf_launch_seen(struct caf_actor *ca)
{
  as_hook_test_pause("caf_launch");
  caf_name(ca, ca->object);
  as_actor_mark_running(caf_record(ca));
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
