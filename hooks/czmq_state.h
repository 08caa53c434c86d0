/* What the CZMQ hook files share (hooks/czmq_*.c, docs/hooks.md): an actor's and a pipe end's
 * state, the maps from libzmq handles and zactor_t pointers to them, each thread's place (the
 * zactor it runs, a spawn or a receive in progress), and the real functions' signatures. The
 * zactor lifecycle (czmq_zactor.c) owns the state; messages (czmq_message.c), the poller
 * (czmq_poll.c) and the sockets' lifetime (czmq_socket.c) read and update it. */
#ifndef AS_CZMQ_STATE_H
#define AS_CZMQ_STATE_H

#include "czmq_abi.h"
#include "czmq_sockets.h"
#include "czmq_symbols.h"
#include "events.h"
#include "hook.h"
#include "ptrmap.h"
#include "registry.h"

#include <errno.h>
#include <stddef.h>

struct czmq_actor;
/* A pipe end keyed by its libzmq handle: an actor's own pipe (owner set), or a side pipe's
 * (owner NULL, side set). */
struct czmq_end {
  struct czmq_actor *owner;
  struct czmq_side_end *side;
  int actor_side;        /* 1: the actor's own end (its mailbox); 0: the zactor_t's end */
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
  _Atomic int zactor_end_closed;
  /* Set as its task returns; the actor stops when CZMQ's shim closes its pipe, after the final
   * signal (whose count its record must still take). */
  const char *_Atomic returned_reason;
  /* Its other sockets: a table from a pool at the first one, written by its own thread. */
  struct czmq_sockets *_Atomic sockets;
  struct czmq_socket *handler_socket; /* the socket whose message began the handler in progress */
  int adopted; /* running before attach: no trampoline, its zactor_t's end unknown */
};

_Static_assert(sizeof(struct as_actor) + sizeof(struct czmq_actor) <= AS_RECORD_STRIDE_LARGE - 8,
               "a CZMQ record and its state fit the registry's large blocks");

static AS_HOOK_HOT struct as_actor *czmq_record(struct czmq_actor *ca)
{
  return as_actor_of_private(ca);
}

/* Its record's references: one given back. */
static inline void czmq_actor_unref(struct czmq_actor *ca) { as_actor_release(czmq_record(ca)); }

extern struct as_ptrmap czmq_ends; /* libzmq handle -> struct czmq_end */
/* A zactor_new has been seen: a CZMQ pipe bound without one means CZMQ is linked statically. */
extern _Atomic int czmq_zactor_new_seen;

extern AS_HOOK_TLS struct czmq_actor *czmq_self;     /* the zactor running on this thread */
extern AS_HOOK_TLS struct czmq_actor *czmq_spawning; /* inside our zactor_new on this thread */
extern AS_HOOK_TLS int czmq_io_depth;       /* zmq_sendmsg calls zmq_msg_send: count once */
extern AS_HOOK_TLS int czmq_in_wait;        /* inside zsock_wait */
extern AS_HOOK_TLS int czmq_in_create_pipe; /* its binds name no socket worth listing */
/* The last pipe end this thread used (czmq_message.c): a thread keeps talking on the same pipe. */
extern AS_HOOK_TLS void *czmq_last_handle;

/* An adopted actor (czmq_adopt.h): its thread's first receive on its pipe after attach makes
 * the thread the actor's. */
void czmq_adopted_thread(struct czmq_actor *ca);
/* The actor's own end of its pipe was closed: CZMQ's shim does it once the task has returned
 * and the final signal is sent, and the actor is over then. */
void czmq_actor_end_closed(struct czmq_actor *ca);
/* Its owner's end was closed (zactor_destroy): the replies it never took are gone. */
void czmq_zactor_end_closed(struct czmq_actor *ca);

/* The handler in progress ends: its event is recorded while the record still says which. */
static AS_HOOK_HOT void czmq_handler_end(struct as_actor *actor)
{
  as_events_handler_end(actor);
  as_actor_handler_end_now(actor);
}

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

/* Each file gets its own static slots, each filled at its first call there (as czmq_sockets.c
 * does for zmq_getsockopt). */
#define CZMQ_REAL_SLOT(name) AS_HOOK_REAL_SLOT(name);
CZMQ_HOOKS(CZMQ_REAL_SLOT)
CZMQ_CALLED(CZMQ_REAL_SLOT)
#define CZMQ_REAL(name) AS_HOOK_REAL_TYPED(name)

#define CZMQ_CALL_OR_FAIL(fn)                                                                      \
  do {                                                                                             \
    if (!(fn)) {                                                                                   \
      errno = ENOSYS;                                                                              \
      return -1;                                                                                   \
    }                                                                                              \
  } while (0)

#endif
