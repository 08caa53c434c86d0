/* CZMQ 4.2 zactor hooks. Spawn and stop are seen at zactor_new (a trampoline wraps the task);
 * messages at libzmq level, where every CZMQ send/receive API ends up exactly once
 * (docs/hooks.md says why). Each pipe end is keyed by its libzmq socket handle. */
#define _GNU_SOURCE
#include "attach.h"
#include "czmq_abi.h"
#include "czmq_adopt.h"
#include "czmq_sockets.h"
#include "czmq_symbols.h"
#include "diag.h"
#include "elfsym.h"
#include "events.h"
#include "hook.h"
#include "blockpool.h"
#include "peers.h"
#include "ptrmap.h"
#include "registry.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* zsock_signal() sends this 8-byte value plus the status byte. */
#define CZMQ_SIGNAL_BASE 0x7766554433221100ULL
#define AS_ZMQ_LAST_ENDPOINT 32
/* At most this many sched_yield()s (well under a millisecond) in zactor_destroy. */
#define CZMQ_DESTROY_YIELDS 200

struct czmq_actor;

/* A pipe end keyed by its libzmq handle: an actor's own pipe (owner set), or a side pipe's
 * (owner NULL, side set). */
struct czmq_end {
  struct czmq_actor *owner;
  struct czmq_side_end *side;
  int actor_side; /* 1: the actor's own end (its mailbox); 0: the zactor_t's end */
  _Atomic int recv_more; /* the last frame received here had more frames after it */
  struct czmq_type_cache cache;
};

/* A pipe made outside zactor_new: both ends are known, so its depth is. */
struct czmq_side_pipe {
  struct czmq_end ends[2];
  struct czmq_side_end counts[2];
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
  /* Its other sockets: a table from a pool at the first one, written by its own thread. */
  struct czmq_sockets *_Atomic sockets;
  struct czmq_socket *handler_socket; /* the socket whose message began the handler in progress */
  int adopted; /* running before attach: no trampoline, its zactor_t's end unknown */
};

_Static_assert(sizeof(struct as_actor) + sizeof(struct czmq_actor) <= AS_RECORD_STRIDE_LARGE - 8,
               "a CZMQ record and its state fit the registry's large blocks");

static AS_HOOK_HOT struct as_actor *czmq_record(struct czmq_actor *ca) { return as_actor_of_private(ca); }

static struct as_ptrmap czmq_ends = AS_PTRMAP_INIT;    /* libzmq handle -> struct czmq_end */
static struct as_ptrmap czmq_zactors = AS_PTRMAP_INIT; /* zactor_t * -> struct czmq_actor */
static _Atomic int czmq_zactor_new_seen;
static _Atomic int czmq_fork_reset_registered;
/* Side pipes' records, never given back (an actor's socket table may point at one after it
 * closed): 16k of them, about 3 MB at most; later side pipes are plain sockets. From a pool,
 * not malloc, so LeakSanitizer in a host sees them as reachable. */
static struct as_blockpool czmq_side_pipes =
    AS_BLOCKPOOL_INIT((sizeof(struct czmq_side_pipe) + 7) & ~(size_t)7,
                      16384 * (((sizeof(struct czmq_side_pipe) + 7) & ~(size_t)7) + 8));

static void czmq_adopted_thread(struct czmq_actor *ca);
static void czmq_adopted_closed(struct czmq_actor *ca);

static AS_HOOK_TLS struct czmq_actor *czmq_self;     /* the zactor running on this thread */
static AS_HOOK_TLS struct czmq_actor *czmq_spawning; /* inside our zactor_new on this thread */
static AS_HOOK_TLS int czmq_io_depth;                /* zmq_sendmsg calls zmq_msg_send: count once */
static AS_HOOK_TLS int czmq_in_wait;                 /* inside zsock_wait */
static AS_HOOK_TLS int czmq_in_create_pipe;          /* its binds name no socket worth listing */
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
int zmq_connect(void *s, const char *addr);
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

/* The message type: the first frame as text, or a label for signals and binary frames; for a
 * message from another socket than the actor's pipe, followed by that socket: "JOB (ROUTER
 * tcp://127.0.0.1:5555)". */
static uint32_t czmq_frame_type(const void *data, size_t size, const struct czmq_socket *socket)
{
  char name[CZMQ_TYPE_TEXT_MAX + 1];
  uint64_t value;
  const unsigned char *bytes = data;
  size_t len = size < CZMQ_TYPE_TEXT_MAX ? size : CZMQ_TYPE_TEXT_MAX;
  if (size == sizeof value && (memcpy(&value, data, sizeof value), value - CZMQ_SIGNAL_BASE <= 0xff)) {
    snprintf(name, sizeof name, "<signal:%u>", (unsigned)(value - CZMQ_SIGNAL_BASE));
  } else if (size == 0) {
    snprintf(name, sizeof name, "<empty>");
  } else {
    memcpy(name, data, len);
    name[len] = '\0';
    for (size_t i = 0; i < len; i++)
      if (bytes[i] < 0x20 || bytes[i] > 0x7e) {
        snprintf(name, sizeof name, "<binary>");
        break;
      }
  }
  if (!socket)
    return as_typetab_intern(name, strlen(name));
  char typed[CZMQ_TYPE_TEXT_MAX + 160];
  int n = snprintf(typed, sizeof typed, "%s (%s%s%s)", name, socket->kind,
                   socket->endpoint ? " " : "", socket->endpoint ? socket->endpoint : "");
  return as_typetab_intern(typed, n < (int)sizeof typed ? (size_t)n : sizeof typed - 1);
}

/* The type of a first frame, through the end's or socket's cache of the last one. */
static AS_HOOK_HOT uint32_t czmq_type_cached(struct czmq_type_cache *cache, const void *data,
                                             size_t size, const struct czmq_socket *socket)
{
  if (size <= CZMQ_TYPE_TEXT_MAX && cache->type && size == cache->len &&
      memcmp(data, cache->frame, size) == 0)
    return cache->type;
  AS_HOOK_KEEP_ERRNO();
  uint32_t type = czmq_frame_type(data, size, socket);
  if (size <= CZMQ_TYPE_TEXT_MAX) {
    memcpy(cache->frame, data, size);
    cache->len = (uint8_t)size;
    cache->type = type;
  }
  return type;
}

static int czmq_frame_is_term(const void *data, size_t size)
{
  return size == 5 && memcmp(data, "$TERM", 5) == 0;
}

/* ---- sends --------------------------------------------------------------------------------- */

/* errno: the per-message paths below call nothing that sets it (atomics, the TSC, lookups, and
 * libzmq's zmq_msg_data/size/more), so the host's errno passes through untouched; the one
 * slow path that allocates (a message type seen for the first time) saves it. */

/* The actor's table of other sockets, made at the first (NULL when none can be had). */
static struct czmq_sockets *czmq_sockets_of(struct czmq_actor *self)
{
  struct czmq_sockets *t = atomic_load_explicit(&self->sockets, memory_order_relaxed);
  if (__builtin_expect(t == NULL, 0)) {
    t = czmq_sockets_new();
    atomic_store_explicit(&self->sockets, t, memory_order_release);
  }
  return t;
}

/* The actor's slot for another socket it uses (first use: added); NULL when the actor has no
 * table (the pool is used up). */
static AS_HOOK_HOT struct czmq_socket *czmq_socket_of(struct czmq_actor *self, void *handle,
                                                      struct czmq_end *side_end)
{
  struct czmq_sockets *t = czmq_sockets_of(self);
  if (!t)
    return NULL;
  struct czmq_socket *socket = czmq_sockets_find(t, handle);
  return socket ? socket
                : czmq_sockets_add(t, handle, side_end ? side_end->side : NULL, czmq_record(self));
}

/* A count of the actor's own socket table (one thread writes it). */
static AS_HOOK_HOT void czmq_count(struct as_actor *actor, _Atomic uint64_t *counter, int64_t delta)
{
  as_counter_bump(counter, delta);
  as_actor_touch(actor);
}

/* A count of a side pipe's end (one thread uses an end at a time): the actor reading the
 * other end sees its depth change. */
static AS_HOOK_HOT void czmq_count_side(const struct czmq_side_end *end, _Atomic uint64_t *counter,
                                        int64_t delta)
{
  as_counter_bump(counter, delta);
  const struct as_actor *reader = atomic_load_explicit(&end->reader, memory_order_relaxed);
  if (reader)
    as_actor_touch(reader);
  reader = atomic_load_explicit(&end->peer->reader, memory_order_relaxed);
  if (reader)
    as_actor_touch(reader);
}

/* A message sent into a side pipe's end: counted, and the depth it makes at the other end kept
 * as the pipe's high-water mark (a load and a compare; a store only when it grows). */
static AS_HOOK_HOT void czmq_side_sent(struct czmq_side_end *end)
{
  czmq_count_side(end, &end->sent, 1);
  uint64_t in = atomic_load_explicit(&end->sent, memory_order_relaxed);
  uint64_t taken = atomic_load_explicit(&end->peer->received, memory_order_relaxed);
  uint64_t waiting = in > taken ? in - taken : 0;
  if (waiting > atomic_load_explicit(&end->max_waiting, memory_order_relaxed))
    atomic_store_explicit(&end->max_waiting, waiting, memory_order_relaxed);
}

struct czmq_send {
  struct czmq_end *end;        /* an actor's pipe end, or a side pipe's */
  struct czmq_socket *socket;  /* the sending actor's slot for another socket */
};

/* Counted at the last frame, before the real call (a fast receiver must never see a negative
 * depth) and rolled back if the send fails. */
static AS_HOOK_HOT struct czmq_send czmq_send_begin(void *handle, int flags)
{
  struct czmq_send sd = {NULL, NULL};
  if ((flags & AS_ZMQ_SNDMORE) || czmq_io_depth || !as_tracing_active())
    return sd;
  sd.end = czmq_end_find(handle);
  if (sd.end && sd.end->owner) {
    struct as_actor *target = czmq_record(sd.end->owner);
    if (sd.end->actor_side) {
      as_actor_reply_sent(target);
    } else {
      as_actor_enqueue_exclusive(target);
      /* The pipe is first in, first out: the actor takes this message as its SEQ-th, and
       * knows whether it is timed. */
      uint64_t seq = as_actor_enqueued(target) - 1;
      as_events_send_here(target, seq);
      if (as_mailwait_sampled(seq))
        as_mailwait_stamp(as_mailwait_key(target, seq), as_clock_now());
    }
    return sd;
  }
  if (sd.end)
    czmq_side_sent(sd.end->side);
  if (czmq_self && (sd.socket = czmq_socket_of(czmq_self, handle, sd.end)))
    czmq_count(czmq_record(czmq_self), &sd.socket->sent, 1);
  return sd;
}

static AS_HOOK_HOT void czmq_send_end(struct czmq_send sd, int rc)
{
  if (sd.end && !sd.end->owner && rc < 0)
    czmq_count_side(sd.end->side, &sd.end->side->sent, -1);
  if (sd.socket && rc < 0)
    czmq_count(czmq_record(czmq_self), &sd.socket->sent, -1);
  if (!sd.end || !sd.end->owner)
    return;
  struct as_actor *target = czmq_record(sd.end->owner);
  if (rc < 0) {
    if (sd.end->actor_side)
      as_actor_reply_sent_undo(target);
    else
      as_actor_enqueue_undo(target);
    if (!sd.end->actor_side)
      as_events_send_undo(target, as_actor_enqueued(target));
    return;
  }
  /* An adopted actor's replies are taken on the zactor_t's end, which we do not know: its
   * outbox reads 0, a lower bound. */
  if (sd.end->actor_side && sd.end->owner->adopted)
    as_actor_reply_taken(target);
  struct as_actor *self = as_registry_current();
  if (!sd.end->actor_side && self && self != target)
    as_actor_count_sent(self);
  if (!sd.end->actor_side)
    as_peers_count(self, target); /* from this thread's actor, or from this thread */
}

/* ---- receives ------------------------------------------------------------------------------ */

struct czmq_recv {
  struct czmq_end *end;
  struct as_actor *waiter;
  struct czmq_socket *socket; /* the receiving actor's slot for another socket */
};

/* The handler in progress ends: its event is recorded while the record still says which. */
static AS_HOOK_HOT void czmq_handler_end(struct as_actor *actor)
{
  as_events_handler_end(actor);
  as_actor_handler_end_now(actor);
}

static AS_HOOK_HOT struct czmq_recv czmq_recv_begin(void *handle, int flags)
{
  struct czmq_recv r = {NULL, NULL, NULL};
  if (czmq_io_depth || !as_tracing_active())
    return r;
  r.end = czmq_end_find(handle);
  if (!r.end || !r.end->owner) {
    /* Another socket of the actor. Reading the next message from the socket whose message
     * began the handler in progress means that handler is over (a loop reading one socket
     * without a poller); a read from another socket inside a handler is part of it. */
    if (czmq_self && (r.socket = czmq_socket_of(czmq_self, handle, r.end)) &&
        r.socket->recv_frame == 0 && czmq_self->handler_socket == r.socket)
      czmq_handler_end(czmq_record(czmq_self));
    return r;
  }
  if (atomic_load_explicit(&r.end->recv_more, memory_order_relaxed))
    return r;
  struct as_actor *target = czmq_record(r.end->owner);
  if (r.end->actor_side) {
    /* The actor goes back to its mailbox: whatever it was handling is done. */
    czmq_handler_end(target);
    if (__builtin_expect(r.end->owner->adopted && czmq_self != r.end->owner, 0))
      czmq_adopted_thread(r.end->owner);
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

/* A frame from another socket, on the actor's thread: the message is counted at its first
 * frame and typed at the frame that names it (after a ROUTER's identity frame and any empty
 * delimiter), where it begins a handler unless one is in progress. */
static AS_HOOK_HOT void czmq_socket_frame(struct czmq_socket *s, const void *data, size_t size,
                                          int more)
{
  if (s->recv_frame == 0)
    czmq_count(czmq_record(czmq_self), &s->received, 1);
  if (!s->typed && !(s->router && s->recv_frame == 0) && (size > 0 || !more)) {
    struct as_actor *self = czmq_record(czmq_self);
    uint32_t type = czmq_type_cached(&s->cache, data, size, s);
    as_actor_count_type(self, type);
    if (!as_actor_is_handling(self)) {
      uint64_t now = as_clock_now();
      as_actor_handler_begin(self, type, now);
      as_events_handler_begin(self, type, AS_EV_NO_MSG, now);
      czmq_self->handler_socket = s;
    }
    s->typed = 1;
  }
  if (more) {
    s->recv_frame++;
  } else {
    s->recv_frame = 0;
    s->typed = 0;
  }
}

static AS_HOOK_HOT void czmq_recv_end(struct czmq_recv r, int rc, const void *data, size_t size, int more)
{
  if (r.waiter)
    as_actor_wait_end(r.waiter);
  if (!r.end && !r.socket)
    return;
  if (rc < 0)
    return;
  if (r.socket)
    czmq_socket_frame(r.socket, data, size, more);
  if (!r.end)
    return;
  int first = !atomic_load_explicit(&r.end->recv_more, memory_order_relaxed);
  atomic_store_explicit(&r.end->recv_more, more, memory_order_relaxed);
  if (!first)
    return;
  if (!r.end->owner) {
    czmq_count_side(r.end->side, &r.end->side->received, 1);
    return;
  }
  struct czmq_actor *ca = r.end->owner;
  if (!r.end->actor_side) {
    as_actor_reply_taken(czmq_record(ca));
    /* Only its reader knows where a reply up the pipe went: counted as it is taken. */
    as_peers_count(czmq_record(ca), as_registry_current());
    return;
  }
  uint32_t type = czmq_type_cached(&r.end->cache, data, size, NULL);
  struct as_actor *self = czmq_record(ca);
  if (ca->adopted)
    as_actor_enqueue(self); /* sent on the zactor_t's end, which we do not know */
  as_actor_receive(self, type);
  uint64_t now = as_clock_now();
  uint64_t seq = as_actor_received(self) - 1;
  if (as_mailwait_sampled(seq)) {
    uint64_t key = as_mailwait_key(self, seq);
    int64_t waited = as_mailwait_peek(key, now);
    if (waited >= 0) {
      as_mailwait_take(key);
      as_actor_mailbox_wait_add(self, (uint64_t)waited);
    }
  }
  as_actor_handler_begin(self, type, now);
  as_events_handler_begin(self, type, seq, now);
  ca->handler_socket = NULL;
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

/* Whether this receive needs the frame's bytes: the first frame from an actor's own pipe, or
 * an untyped frame from another socket. */
static AS_HOOK_HOT int czmq_recv_wants_data(struct czmq_recv r)
{
  if (r.socket && !r.socket->typed)
    return 1;
  return r.end && r.end->owner && r.end->actor_side &&
         !atomic_load_explicit(&r.end->recv_more, memory_order_relaxed);
}

static AS_HOOK_HOT void czmq_recv_msg_end(struct czmq_recv r, int rc, as_zmq_msg *msg)
{
  if (rc < 0) {
    czmq_recv_end(r, -1, NULL, 0, 0);
    return;
  }
  int more = czmq_msg_more(msg);
  if (!czmq_recv_wants_data(r)) {
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
    struct czmq_send sd = czmq_send_begin(handle, flags);                                        \
    czmq_io_depth++;                                                                             \
    int rc = real args;                                                                          \
    czmq_io_depth--;                                                                             \
    czmq_send_end(sd, rc);                                                                       \
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
    if (r.end || r.waiter || r.socket)                                                           \
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
  if ((r.end || r.socket) && rc >= 0) {
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
  /* zpoller and zloop poll the actor's pipe or its other sockets between messages: the
   * handler is over. */
  if (self && items && !czmq_io_depth && as_tracing_active()) {
    for (int i = 0; i < nitems; i++) {
      struct czmq_sockets *t = atomic_load_explicit(&self->sockets, memory_order_relaxed);
      if (items[i].socket && (items[i].socket == self->actor_handle ||
                              (t && czmq_sockets_find(t, items[i].socket)))) {
        czmq_handler_end(czmq_record(self));
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
  struct czmq_end *end = NULL;
  if (s && as_tracing_active()) {
    AS_HOOK_KEEP_ERRNO();
    end = as_ptrmap_remove(&czmq_ends, (uintptr_t)s);
    czmq_endpoint_forget(s);
    struct czmq_sockets *t =
        czmq_self ? atomic_load_explicit(&czmq_self->sockets, memory_order_relaxed) : NULL;
    if (t)
      czmq_sockets_closed(t, s);
  }
  int rc = real(s);
  if (end && end->owner) { /* side pipes are never freed */
    AS_HOOK_KEEP_ERRNO();
    if (end->actor_side)
      atomic_store_explicit(&end->owner->actor_end_closed, 1, memory_order_release);
    if (end->actor_side && end->owner->adopted)
      czmq_adopted_closed(end->owner);
    czmq_actor_unref(end->owner);
  }
  return rc;
}

/* Where a socket was bound (the actual endpoint, e.g. the port picked for a "*" port), for
 * the actor's socket list. A CZMQ pipe bound while our zactor_new never ran means CZMQ is
 * linked into the program statically, where it cannot be interposed. */
AS_HOOK_EXPORT int zmq_bind(void *s, const char *addr)
{
  __typeof__(&zmq_bind) real = CZMQ_REAL(zmq_bind);
  CZMQ_CALL_OR_FAIL(real);
  if (!addr || !as_tracing_active())
    return real(s, addr);
  if (!czmq_spawning && !atomic_load(&czmq_zactor_new_seen) &&
      strncmp(addr, "inproc://pipe-", 14) == 0 &&
      as_elfsym_defines("/proc/self/exe", "zactor_new") == 1)
    as_diag_report("czmq_static",
                   "%s links CZMQ statically (zactor_new is defined in the executable): its "
                   "zactors cannot be traced; link libczmq.so dynamically",
                   program_invocation_name);
  int rc = real(s, addr);
  if (rc == 0 && !czmq_spawning && !czmq_in_create_pipe) {
    AS_HOOK_KEEP_ERRNO();
    char bound[256];
    size_t size = sizeof bound;
    __typeof__(&zmq_getsockopt) getsockopt = CZMQ_REAL(zmq_getsockopt);
    int known = getsockopt && getsockopt(s, AS_ZMQ_LAST_ENDPOINT, bound, &size) == 0 && size > 1;
    czmq_endpoint_note(s, known ? bound : addr);
  }
  return rc;
}

AS_HOOK_EXPORT int zmq_connect(void *s, const char *addr)
{
  __typeof__(&zmq_connect) real = CZMQ_REAL(zmq_connect);
  CZMQ_CALL_OR_FAIL(real);
  int rc = real(s, addr);
  if (rc == 0 && addr && !czmq_spawning && !czmq_in_create_pipe && as_tracing_active()) {
    AS_HOOK_KEEP_ERRNO();
    czmq_endpoint_note(s, addr);
  }
  return rc;
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
  as_events_stop(czmq_record(ca));
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
    .name = "czmq", .unnamed_after_spawner = 1, .channels = czmq_channels,
    .release = czmq_release};
static const struct as_runtime czmq_runtime_late = {
    .name = "czmq", .unnamed_after_spawner = 1, .channels = czmq_channels,
    .release = czmq_release, .attached_late = 1};

/* A published record with the hooks' state after it; NULL when out of memory (the actor then
 * runs untraced, and the registry counts it). */
static struct czmq_actor *czmq_spawn(as_zactor_fn *task, void *args)
{
  AS_HOOK_KEEP_ERRNO();
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
static void czmq_adopted_thread(struct czmq_actor *ca)
{
  czmq_self = ca;
  as_registry_current_set(czmq_record(ca));
}

/* CZMQ's thread shim closes the actor's pipe once the task returned: the actor is over. */
static void czmq_adopted_closed(struct czmq_actor *ca)
{
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
  struct as_spawn spawn = {.runtime = &czmq_runtime_late, .name_addr = (const void *)task,
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
  czmq_actor_unref(end->owner); /* the trampoline's, as czmq_adopted_closed */
}
