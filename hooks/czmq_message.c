/* CZMQ 4.2 zactor hooks: messages, seen at libzmq level, where every CZMQ send/receive API
 * ends up exactly once (docs/hooks.md says why). Each pipe end is keyed by its libzmq socket
 * handle (czmq_zactor.c registers them); an actor's other sockets are czmq_sockets.h's. */
#define _GNU_SOURCE
#include "czmq_state.h"
#include "events.h"
#include "peers.h"

#include <stdio.h>
#include <string.h>

/* zsock_signal() sends this 8-byte value plus the status byte. */
#define CZMQ_SIGNAL_BASE 0x7766554433221100ULL

AS_HOOK_TLS void *czmq_last_handle;
static AS_HOOK_TLS struct czmq_end *czmq_last_end;
static AS_HOOK_TLS unsigned czmq_last_generation;

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

/* The message type: the first frame as text, or a label for signals and binary frames; for a
 * message from another socket than the actor's pipe, followed by that socket: "JOB (ROUTER
 * tcp://127.0.0.1:5555)". */
static uint32_t czmq_frame_type(const void *data, size_t size, const struct czmq_socket *socket)
{
  char name[CZMQ_TYPE_TEXT_MAX + 1];
  uint64_t value;
  const unsigned char *bytes = data;
  size_t len = size < CZMQ_TYPE_TEXT_MAX ? size : CZMQ_TYPE_TEXT_MAX;
  if (size == sizeof value &&
      (memcpy(&value, data, sizeof value), value - CZMQ_SIGNAL_BASE <= 0xff)) {
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

/* A count of a side pipe's end (one thread uses an end at a time): the actors reading its two
 * ends see its depth change, but for TOUCHED, whose change bit the caller sets (NULL: none). */
static AS_HOOK_HOT void czmq_count_side_but(const struct czmq_side_end *end,
                                            _Atomic uint64_t *counter, int64_t delta,
                                            const struct as_actor *touched)
{
  as_counter_bump(counter, delta);
  const struct as_actor *reader = atomic_load_explicit(&end->reader, memory_order_relaxed);
  if (reader && reader != touched)
    as_actor_touch(reader);
  reader = atomic_load_explicit(&end->peer->reader, memory_order_relaxed);
  if (reader && reader != touched)
    as_actor_touch(reader);
}

static AS_HOOK_HOT void czmq_count_side(const struct czmq_side_end *end, _Atomic uint64_t *counter,
                                        int64_t delta)
{
  czmq_count_side_but(end, counter, delta, NULL);
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
  struct czmq_end *end;       /* an actor's pipe end, or a side pipe's */
  struct czmq_socket *socket; /* the sending actor's slot for another socket */
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
  /* The actor's change bit is set once, after this frame's stores (a read loop's every
   * message counts, types and begins a handler: one bit, not three). */
  struct as_actor *self = czmq_record(czmq_self);
  if (s->recv_frame == 0)
    as_counter_bump(&s->received, 1);
  if (!s->typed && !(s->router && s->recv_frame == 0) && (size > 0 || !more)) {
    uint32_t type = czmq_type_cached(&s->cache, data, size, s);
    as_actor_count_type_quiet(self, type);
    if (!as_actor_is_handling(self)) {
      uint64_t now = as_clock_now();
      as_actor_handler_begin_quiet(self, type, now);
      as_events_handler_begin(self, type, AS_EV_NO_MSG, now);
      czmq_self->handler_socket = s;
    }
    s->typed = 1;
  }
  as_changes_touch(self);
  if (more) {
    s->recv_frame++;
  } else {
    s->recv_frame = 0;
    s->typed = 0;
  }
}

static AS_HOOK_HOT void czmq_recv_end(struct czmq_recv r, int rc, const void *data, size_t size,
                                      int more)
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
    czmq_count_side_but(r.end->side, &r.end->side->received, 1,
                        r.socket ? czmq_record(czmq_self) : NULL);
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
  as_changes_touch(self);   /* once, for the stores below */
  as_actor_receive_quiet(self, type);
  uint64_t seq = as_actor_received(self) - 1;
  int timed = as_mailwait_sampled(seq);
  /* Before the clock read: a fault on the words' first write is part of the wait. */
  _Atomic uint64_t *waits = timed ? as_actor_mailbox_wait_words_ready(self) : NULL;
  uint64_t now = as_clock_now();
  if (timed) {
    uint64_t key = as_mailwait_key(self, seq);
    int64_t waited = as_mailwait_peek(key, now);
    if (waited >= 0) {
      as_mailwait_take(key);
      as_mailwait_words_add(waits, (uint64_t)waited);
    }
  }
  as_actor_handler_begin_quiet(self, type, now);
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

/* The send hooks differ only in their parameters: count at the last frame around the call.
 * zmq_sendmsg is zmq_msg_send with its arguments swapped (zmq_sendmsg(3)): it calls the real
 * zmq_msg_send at once, not through libzmq's alias and our hook a second time. */
#define CZMQ_SEND_HOOK(name, real_name, params, handle, flags, args)                               \
  AS_HOOK_EXPORT int name params                                                                   \
  {                                                                                                \
    __typeof__(&real_name) real = CZMQ_REAL(real_name);                                            \
    CZMQ_CALL_OR_FAIL(real);                                                                       \
    if (czmq_io_depth) /* a send inside another one: the outer hook counts */                      \
      return real args;                                                                            \
    struct czmq_send sd = czmq_send_begin(handle, flags);                                          \
    czmq_io_depth++;                                                                               \
    int rc = real args;                                                                            \
    czmq_io_depth--;                                                                               \
    czmq_send_end(sd, rc);                                                                         \
    return rc;                                                                                     \
  }

CZMQ_SEND_HOOK(zmq_msg_send, zmq_msg_send, (as_zmq_msg * msg, void *s, int flags), s, flags,
               (msg, s, flags))
CZMQ_SEND_HOOK(zmq_sendmsg, zmq_msg_send, (void *s, as_zmq_msg *msg, int flags), s, flags,
               (msg, s, flags))
CZMQ_SEND_HOOK(zmq_send, zmq_send, (void *s, const void *buf, size_t len, int flags), s, flags,
               (s, buf, len, flags))
CZMQ_SEND_HOOK(zmq_send_const, zmq_send_const, (void *s, const void *buf, size_t len, int flags), s,
               flags, (s, buf, len, flags))

/* Receiving into a zmq_msg_t: the type is read from the message in place. zmq_recvmsg is
 * zmq_msg_recv with its arguments swapped (zmq_recvmsg(3)), called directly as for sends. */
#define CZMQ_RECV_MSG_HOOK(name, params, handle, flags, msg, args)                                 \
  AS_HOOK_EXPORT int name params                                                                   \
  {                                                                                                \
    __typeof__(&zmq_msg_recv) real = CZMQ_REAL(zmq_msg_recv);                                      \
    CZMQ_CALL_OR_FAIL(real);                                                                       \
    if (czmq_io_depth) /* a receive inside another one: the outer hook counts */                   \
      return real args;                                                                            \
    struct czmq_recv r = czmq_recv_begin(handle, flags);                                           \
    czmq_io_depth++;                                                                               \
    int rc = real args;                                                                            \
    czmq_io_depth--;                                                                               \
    if (r.end || r.waiter || r.socket)                                                             \
      czmq_recv_msg_end(r, rc, msg);                                                               \
    return rc;                                                                                     \
  }

CZMQ_RECV_MSG_HOOK(zmq_msg_recv, (as_zmq_msg * msg, void *s, int flags), s, flags, msg,
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
