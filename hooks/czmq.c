/* CZMQ 4.2 zactor hooks. Spawn and stop are seen at zactor_new (a trampoline wraps the task);
 * messages at libzmq level, where every CZMQ send/receive API ends up exactly once
 * (see ../shared/RUNTIMES.md). Each pipe end is keyed by its libzmq socket handle. */
#define _GNU_SOURCE
#include "czmq_abi.h"
#include "czmq_symbols.h"
#include "diag.h"
#include "elfsym.h"
#include "hook.h"
#include "ptrmap.h"
#include "registry.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* zsock_signal() sends this 8-byte value plus the status byte. */
#define CZMQ_SIGNAL_BASE 0x7766554433221100ULL
#define CZMQ_TYPE_TEXT_MAX 31
/* At most this many sched_yield()s (well under a millisecond) in zactor_destroy. */
#define CZMQ_DESTROY_YIELDS 200

struct czmq_actor;

struct czmq_end {
  struct czmq_actor *owner;
  int actor_side; /* 1: the actor's own end (its mailbox); 0: the zactor_t's end */
  _Atomic int recv_more; /* the last frame received here had more frames after it */
  /* The last message type read here (one thread uses an end at a time): a command loop
   * receives the same few commands over and over. */
  uint32_t last_type;
  uint8_t last_len;
  char last_frame[CZMQ_TYPE_TEXT_MAX];
};

/* What the hooks keep of an actor, after its registry record (as_actor_private). The record's
 * references keep it: the trampoline's (the spawner's), one per registered end, one for the
 * zactor_t map entry. */
struct czmq_actor {
  as_zactor_fn *task;
  void *args;
  void *actor_handle;
  struct czmq_end actor_end;
  struct czmq_end zactor_end;
  _Atomic int destroy_requested;
  _Atomic int term_received;
  _Atomic int actor_end_closed;
};

static AS_HOOK_HOT struct as_actor *czmq_record(struct czmq_actor *ca) { return as_actor_of_private(ca); }

static struct as_ptrmap czmq_ends = AS_PTRMAP_INIT;    /* libzmq handle -> struct czmq_end */
static struct as_ptrmap czmq_zactors = AS_PTRMAP_INIT; /* zactor_t * -> struct czmq_actor */
static _Atomic int czmq_zactor_new_seen;
static _Atomic int czmq_fork_reset_registered;

static AS_HOOK_TLS struct czmq_actor *czmq_self;     /* the zactor running on this thread */
static AS_HOOK_TLS struct czmq_actor *czmq_spawning; /* inside our zactor_new on this thread */
static AS_HOOK_TLS int czmq_io_depth;                /* zmq_sendmsg calls zmq_msg_send: count once */
static AS_HOOK_TLS int czmq_in_wait;                 /* inside zsock_wait */
/* The last pipe end this thread used: a thread keeps talking on the same pipe. */
static AS_HOOK_TLS void *czmq_last_handle;
static AS_HOOK_TLS struct czmq_end *czmq_last_end;
static AS_HOOK_TLS unsigned czmq_last_generation;

/* ---- real functions ---------------------------------------------------------------------- */

/* The functions' signatures (zmq.h, czmq.h; see czmq_abi.h for why they are not included). */
int zmq_msg_send(as_zmq_msg *msg, void *s, int flags);
int zmq_sendmsg(void *s, as_zmq_msg *msg, int flags);
int zmq_send(void *s, const void *buf, size_t len, int flags);
int zmq_send_const(void *s, const void *buf, size_t len, int flags);
int zmq_msg_recv(as_zmq_msg *msg, void *s, int flags);
int zmq_recvmsg(void *s, as_zmq_msg *msg, int flags);
int zmq_recv(void *s, void *buf, size_t len, int flags);
int zmq_poll(struct as_zmq_pollitem *items, int nitems, long timeout);
int zmq_close(void *s);
int zmq_bind(void *s, const char *addr);
void *zmq_msg_data(as_zmq_msg *msg);
size_t zmq_msg_size(const as_zmq_msg *msg);
int zmq_msg_more(const as_zmq_msg *msg);
int zmq_getsockopt(void *s, int option, void *value, size_t *size);
as_zactor *zactor_new(as_zactor_fn task, void *args);
void zactor_destroy(as_zactor **self_p);
as_zsock *zsys_create_pipe(as_zsock **backend_p);
int zsock_wait(void *self);
void *zsock_resolve(void *self);

#define CZMQ_REAL_SLOT(name) AS_HOOK_REAL_SLOT(name);
CZMQ_HOOKS(CZMQ_REAL_SLOT)
CZMQ_CALLED(CZMQ_REAL_SLOT)
#define CZMQ_REAL(name) AS_HOOK_REAL_TYPED(name)

/* ---- bookkeeping ------------------------------------------------------------------------- */

static void czmq_actor_unref(struct czmq_actor *ca) { as_actor_release(czmq_record(ca)); }

static void czmq_end_register(struct czmq_actor *ca, struct czmq_end *end, void *handle)
{
  end->owner = ca;
  as_actor_retain(czmq_record(ca));
  if (!handle || as_ptrmap_put(&czmq_ends, (uintptr_t)handle, end) < 0)
    czmq_actor_unref(ca);
}

static AS_HOOK_HOT struct czmq_end *czmq_end_find(void *handle)
{
  unsigned generation = as_ptrmap_generation(&czmq_ends);
  if (handle == czmq_last_handle && generation == czmq_last_generation)
    return czmq_last_end;
  struct czmq_end *end = as_ptrmap_get(&czmq_ends, (uintptr_t)handle);
  if (end) {
    czmq_last_handle = handle;
    czmq_last_end = end;
    czmq_last_generation = generation;
  }
  return end;
}

static void czmq_forget_after_fork(void)
{
  as_ptrmap_reset_after_fork(&czmq_ends);
  as_ptrmap_reset_after_fork(&czmq_zactors);
  czmq_self = NULL;
  czmq_spawning = NULL;
  czmq_last_handle = NULL;
}

/* The message type: the first frame as text, or a label for signals and binary frames. */
static uint32_t czmq_frame_type(const void *data, size_t size)
{
  char label[16];
  uint64_t value;
  if (size == sizeof value) {
    memcpy(&value, data, sizeof value);
    if (value - CZMQ_SIGNAL_BASE <= 0xff) {
      int n = snprintf(label, sizeof label, "<signal:%u>", (unsigned)(value - CZMQ_SIGNAL_BASE));
      return as_typetab_intern(label, (size_t)n);
    }
  }
  if (size == 0)
    return as_typetab_intern("<empty>", 7);
  size_t len = size < CZMQ_TYPE_TEXT_MAX ? size : CZMQ_TYPE_TEXT_MAX;
  const unsigned char *bytes = data;
  for (size_t i = 0; i < len; i++)
    if (bytes[i] < 0x20 || bytes[i] > 0x7e)
      return as_typetab_intern("<binary>", 8);
  return as_typetab_intern(data, len);
}

static int czmq_frame_is_term(const void *data, size_t size)
{
  return size == 5 && memcmp(data, "$TERM", 5) == 0;
}

/* ---- sends --------------------------------------------------------------------------------- */

/* errno: the per-message paths below call nothing that sets it (atomics, the TSC, lookups, and
 * libzmq's zmq_msg_data/size/more), so the host's errno passes through untouched; the one
 * slow path that allocates (a message type seen for the first time) saves it. */

/* Counted at the last frame, before the real call (a fast receiver must never see a negative
 * depth) and rolled back if the send fails. */
static AS_HOOK_HOT struct czmq_end *czmq_send_begin(void *handle, int flags)
{
  if ((flags & AS_ZMQ_SNDMORE) || czmq_io_depth || !as_tracing_active())
    return NULL;
  struct czmq_end *end = czmq_end_find(handle);
  if (!end)
    return NULL;
  struct as_actor *target = czmq_record(end->owner);
  if (end->actor_side)
    as_actor_reply_sent(target);
  else
    as_actor_enqueue_exclusive(target);
  return end;
}

static AS_HOOK_HOT void czmq_send_end(struct czmq_end *end, int rc)
{
  if (!end)
    return;
  struct as_actor *target = czmq_record(end->owner);
  if (rc < 0) {
    if (end->actor_side)
      as_actor_reply_sent_undo(target);
    else
      as_actor_enqueue_undo(target);
    return;
  }
  struct as_actor *self = as_registry_current();
  if (!end->actor_side && self && self != target)
    as_actor_count_sent(self);
}

/* ---- receives ------------------------------------------------------------------------------ */

struct czmq_recv {
  struct czmq_end *end;
  struct as_actor *waiter;
};

static AS_HOOK_HOT struct czmq_recv czmq_recv_begin(void *handle, int flags)
{
  struct czmq_recv r = {NULL, NULL};
  if (czmq_io_depth || !as_tracing_active())
    return r;
  r.end = czmq_end_find(handle);
  if (!r.end || atomic_load_explicit(&r.end->recv_more, memory_order_relaxed))
    return r;
  struct as_actor *target = czmq_record(r.end->owner);
  if (r.end->actor_side) {
    /* The actor goes back to its mailbox: whatever it was handling is done. */
    as_actor_handler_end_now(target);
    return r;
  }
  /* A blocking read of an actor's replies while none is pending: the caller waits on it. */
  struct as_actor *self = as_registry_current();
  if (!(flags & AS_ZMQ_DONTWAIT) && self && self != target && !as_actor_replies_pending(target)) {
    as_actor_wait_begin(self, as_actor_id(target), czmq_in_wait ? AS_WAIT_SIGNAL : AS_WAIT_REPLY,
                        as_clock_now());
    r.waiter = self;
  }
  return r;
}

static AS_HOOK_HOT void czmq_recv_end(struct czmq_recv r, int rc, const void *data, size_t size, int more)
{
  if (r.waiter)
    as_actor_wait_end(r.waiter);
  if (!r.end || rc < 0)
    return;
  int first = !atomic_load_explicit(&r.end->recv_more, memory_order_relaxed);
  atomic_store_explicit(&r.end->recv_more, more, memory_order_relaxed);
  if (!first)
    return;
  struct czmq_actor *ca = r.end->owner;
  if (!r.end->actor_side) {
    as_actor_reply_taken(czmq_record(ca));
    return;
  }
  uint32_t type;
  if (size <= CZMQ_TYPE_TEXT_MAX && r.end->last_type && size == r.end->last_len &&
      memcmp(data, r.end->last_frame, size) == 0) {
    type = r.end->last_type;
  } else {
    AS_HOOK_KEEP_ERRNO();
    type = czmq_frame_type(data, size);
    if (size <= CZMQ_TYPE_TEXT_MAX) {
      memcpy(r.end->last_frame, data, size);
      r.end->last_len = (uint8_t)size;
      r.end->last_type = type;
    }
  }
  as_actor_receive(czmq_record(ca), type);
  as_actor_handler_begin(czmq_record(ca), type, as_clock_now());
  if (czmq_frame_is_term(data, size)) {
    atomic_store_explicit(&ca->term_received, 1, memory_order_relaxed);
    as_actor_mark_stopping(czmq_record(ca));
  }
}

static int czmq_msg_more(as_zmq_msg *msg)
{
  __typeof__(&zmq_msg_more) more = CZMQ_REAL(zmq_msg_more);
  return more ? more(msg) : 0;
}

static AS_HOOK_HOT void czmq_recv_msg_end(struct czmq_recv r, int rc, as_zmq_msg *msg)
{
  if (!r.end || rc < 0) {
    czmq_recv_end(r, -1, NULL, 0, 0);
    return;
  }
  /* Only a first frame read from the actor's own end names a message type. */
  int more = czmq_msg_more(msg);
  if (!r.end->actor_side || atomic_load_explicit(&r.end->recv_more, memory_order_relaxed)) {
    czmq_recv_end(r, rc, NULL, 0, more);
    return;
  }
  __typeof__(&zmq_msg_data) data = CZMQ_REAL(zmq_msg_data);
  __typeof__(&zmq_msg_size) size = CZMQ_REAL(zmq_msg_size);
  if (data && size)
    czmq_recv_end(r, rc, data(msg), size(msg), more);
  else
    czmq_recv_end(r, rc, "", 0, more);
}

/* ---- interposed libzmq functions ----------------------------------------------------------- */

#define CZMQ_CALL_OR_FAIL(fn)                                                                    \
  do {                                                                                           \
    if (!(fn)) {                                                                                 \
      errno = ENOSYS;                                                                            \
      return -1;                                                                                 \
    }                                                                                            \
  } while (0)

/* The send hooks differ only in their parameters: count at the last frame around the call.
 * zmq_sendmsg is zmq_msg_send with its arguments swapped (zmq_sendmsg(3)): it calls the real
 * zmq_msg_send at once, not through libzmq's alias and our hook a second time. */
#define CZMQ_SEND_HOOK(name, real_name, params, handle, flags, args)                             \
  AS_HOOK_EXPORT int name params                                                                                \
  {                                                                                              \
    __typeof__(&real_name) real = CZMQ_REAL(real_name);                                          \
    CZMQ_CALL_OR_FAIL(real);                                                                     \
    if (czmq_io_depth) /* a send inside another one: the outer hook counts */                   \
      return real args;                                                                          \
    struct czmq_end *end = czmq_send_begin(handle, flags);                                       \
    czmq_io_depth++;                                                                             \
    int rc = real args;                                                                          \
    czmq_io_depth--;                                                                             \
    czmq_send_end(end, rc);                                                                      \
    return rc;                                                                                   \
  }

CZMQ_SEND_HOOK(zmq_msg_send, zmq_msg_send, (as_zmq_msg *msg, void *s, int flags), s, flags,
               (msg, s, flags))
CZMQ_SEND_HOOK(zmq_sendmsg, zmq_msg_send, (void *s, as_zmq_msg *msg, int flags), s, flags,
               (msg, s, flags))
CZMQ_SEND_HOOK(zmq_send, zmq_send, (void *s, const void *buf, size_t len, int flags), s, flags,
               (s, buf, len, flags))
CZMQ_SEND_HOOK(zmq_send_const, zmq_send_const, (void *s, const void *buf, size_t len, int flags),
               s, flags, (s, buf, len, flags))

/* Receiving into a zmq_msg_t: the type is read from the message in place. zmq_recvmsg is
 * zmq_msg_recv with its arguments swapped (zmq_recvmsg(3)), called directly as for sends. */
#define CZMQ_RECV_MSG_HOOK(name, params, handle, flags, msg, args)                               \
  AS_HOOK_EXPORT int name params                                                                                \
  {                                                                                              \
    __typeof__(&zmq_msg_recv) real = CZMQ_REAL(zmq_msg_recv);                                    \
    CZMQ_CALL_OR_FAIL(real);                                                                     \
    if (czmq_io_depth) /* a receive inside another one: the outer hook counts */                \
      return real args;                                                                          \
    struct czmq_recv r = czmq_recv_begin(handle, flags);                                         \
    czmq_io_depth++;                                                                             \
    int rc = real args;                                                                          \
    czmq_io_depth--;                                                                             \
    if (r.end || r.waiter)                                                                       \
      czmq_recv_msg_end(r, rc, msg);                                                             \
    return rc;                                                                                   \
  }

CZMQ_RECV_MSG_HOOK(zmq_msg_recv, (as_zmq_msg *msg, void *s, int flags), s, flags, msg,
                   (msg, s, flags))
CZMQ_RECV_MSG_HOOK(zmq_recvmsg, (void *s, as_zmq_msg *msg, int flags), s, flags, msg,
                   (msg, s, flags))

AS_HOOK_EXPORT int zmq_recv(void *s, void *buf, size_t len, int flags)
{
  __typeof__(&zmq_recv) real = CZMQ_REAL(zmq_recv);
  CZMQ_CALL_OR_FAIL(real);
  struct czmq_recv r = czmq_recv_begin(s, flags);
  czmq_io_depth++;
  int rc = real(s, buf, len, flags);
  int saved = errno; /* zmq_getsockopt below must not replace the receive's errno */
  if (r.end && rc >= 0) {
    int more = 0;
    size_t more_size = sizeof more;
    __typeof__(&zmq_getsockopt) getsockopt = CZMQ_REAL(zmq_getsockopt);
    if (getsockopt)
      getsockopt(s, AS_ZMQ_RCVMORE, &more, &more_size);
    czmq_io_depth--;
    czmq_recv_end(r, rc, buf, (size_t)rc < len ? (size_t)rc : len, more);
  } else {
    czmq_io_depth--;
    czmq_recv_end(r, -1, NULL, 0, 0);
  }
  errno = saved;
  return rc;
}

AS_HOOK_EXPORT int zmq_poll(struct as_zmq_pollitem *items, int nitems, long timeout)
{
  __typeof__(&zmq_poll) real = CZMQ_REAL(zmq_poll);
  CZMQ_CALL_OR_FAIL(real);
  struct czmq_actor *self = czmq_self;
  /* zpoller and zloop poll the actor's pipe between messages: the handler is over. */
  if (self && items && !czmq_io_depth && as_tracing_active()) {
    for (int i = 0; i < nitems; i++) {
      if (items[i].socket && items[i].socket == self->actor_handle) {
        as_actor_handler_end_now(czmq_record(self));
        break;
      }
    }
  }
  return real(items, nitems, timeout);
}

AS_HOOK_EXPORT int zmq_close(void *s)
{
  __typeof__(&zmq_close) real = CZMQ_REAL(zmq_close);
  CZMQ_CALL_OR_FAIL(real);
  /* Handle addresses are reused: forget the end before libzmq can hand the address out again. */
  struct czmq_end *end =
      s && as_tracing_active() ? as_ptrmap_remove(&czmq_ends, (uintptr_t)s) : NULL;
  int rc = real(s);
  if (end) {
    AS_HOOK_KEEP_ERRNO();
    if (end->actor_side)
      atomic_store_explicit(&end->owner->actor_end_closed, 1, memory_order_release);
    czmq_actor_unref(end->owner);
  }
  return rc;
}

/* A CZMQ pipe bound while our zactor_new never ran means CZMQ is linked into the program
 * statically, where it cannot be interposed. */
AS_HOOK_EXPORT int zmq_bind(void *s, const char *addr)
{
  __typeof__(&zmq_bind) real = CZMQ_REAL(zmq_bind);
  CZMQ_CALL_OR_FAIL(real);
  if (addr && !czmq_spawning && !atomic_load(&czmq_zactor_new_seen) && as_tracing_active() &&
      strncmp(addr, "inproc://pipe-", 14) == 0 &&
      as_elfsym_defines("/proc/self/exe", "zactor_new") == 1)
    as_diag_report("czmq_static",
                   "%s links CZMQ statically (zactor_new is defined in the executable): its "
                   "zactors cannot be traced; link libczmq.so dynamically",
                   program_invocation_name);
  return real(s, addr);
}

/* ---- interposed CZMQ functions ------------------------------------------------------------- */

static void czmq_task_finish(struct czmq_actor **slot)
{
  struct czmq_actor *ca = *slot;
  AS_HOOK_KEEP_ERRNO();
  const char *reason = "returned";
  if (!ca->task)
    reason = "thread_exited"; /* unwound by pthread_exit or cancellation */
  else if (atomic_load(&ca->term_received))
    reason = atomic_load(&ca->destroy_requested) ? "destroyed" : "terminated";
  as_actor_mark_stopped(czmq_record(ca), reason);
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

/* A published record with the hooks' state after it; NULL when out of memory (the actor then
 * runs untraced, and the registry counts it). */
static struct czmq_actor *czmq_spawn(as_zactor_fn *task, void *args)
{
  AS_HOOK_KEEP_ERRNO();
  static const struct as_runtime czmq_runtime = {"czmq", NULL};
  struct as_spawn spawn = {.runtime = &czmq_runtime, .name_addr = (const void *)task,
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
  return as_registry_publish(actor) == 0 ? ca : NULL;
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

/* zactor_new's pipe: CZMQ returns the actor's end and stores the zactor_t's end in *backend_p. */
AS_HOOK_EXPORT as_zsock *zsys_create_pipe(as_zsock **backend_p)
{
  __typeof__(&zsys_create_pipe) real = CZMQ_REAL(zsys_create_pipe);
  if (!real) {
    errno = ENOSYS;
    return NULL;
  }
  as_zsock *actor_sock = real(backend_p);
  struct czmq_actor *ca = czmq_spawning;
  __typeof__(&zsock_resolve) resolve = CZMQ_REAL(zsock_resolve);
  if (ca && !ca->actor_handle && actor_sock && backend_p && *backend_p && resolve) {
    AS_HOOK_KEEP_ERRNO();
    ca->actor_handle = resolve(actor_sock);
    czmq_end_register(ca, &ca->actor_end, ca->actor_handle);
    czmq_end_register(ca, &ca->zactor_end, resolve(*backend_p));
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
