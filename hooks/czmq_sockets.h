/* A CZMQ actor's other sockets (issue 10.4): every socket its thread sends or receives on
 * besides its own pipe (ROUTER/DEALER/PULL in its zpoller or zloop, side pipes), with the
 * messages counted per socket. The table lives in the actor's private state and is written
 * only by the actor's thread; the collector reads it (czmq_sockets_channels). */
#ifndef AS_CZMQ_SOCKETS_H
#define AS_CZMQ_SOCKETS_H

#include "registry.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CZMQ_SOCKETS_MAX 8
#define CZMQ_TYPE_TEXT_MAX 31

/* The last message type read from a socket or pipe end (one thread uses it at a time): a loop
 * receives the same few commands over and over, so most types are found without interning. */
struct czmq_type_cache {
  uint32_t type;
  uint8_t len;
  char frame[CZMQ_TYPE_TEXT_MAX];
};

/* One end of a side pipe (zsys_create_pipe outside zactor_new), counted by whichever thread
 * uses it: messages sent into it and received from it. Never freed, so a table may keep
 * pointing at it after it closed. */
struct czmq_side_end {
  _Atomic uint64_t sent, received;
  /* The most messages sent into this end at once that the other end had not taken yet: the
   * side pipe's high-water mark, kept by the sender (czmq_side_sent). */
  _Atomic uint64_t max_waiting;
  const struct czmq_side_end *peer;
  /* The last actor that listed this end among its sockets: a message sent into the other end
   * changes its depth, so that actor is touched (as_actor_touch). */
  const struct as_actor *_Atomic reader;
};

struct czmq_socket {
  void *_Atomic handle;             /* the libzmq socket; NULL once closed */
  const char *kind;                 /* "ROUTER", "side pipe", "other" */
  const char *endpoint;             /* interned; NULL when unknown */
  const struct czmq_side_end *side; /* when the socket is a side pipe's end */
  _Atomic uint64_t received, sent;
  uint32_t recv_frame; /* frames read so far of the message being received */
  uint8_t router;      /* its messages start with a routing identity frame */
  uint8_t typed;       /* the message being received has its type already */
  struct czmq_type_cache cache;
};

struct czmq_sockets {
  _Atomic uint32_t count; /* slots in use, published after each slot is filled */
  struct czmq_socket *last;
  struct czmq_socket slot[CZMQ_SOCKETS_MAX];
  struct czmq_socket other; /* every socket past the table's end */
};

/* A zeroed table from a pool (taken at an actor's first other socket, not per message), or
 * NULL when the pool is used up; czmq_sockets_free gives it back. */
struct czmq_sockets *czmq_sockets_new(void);
void czmq_sockets_free(struct czmq_sockets *t);

/* The slot of a socket the actor used before, or NULL. */
static inline struct czmq_socket *czmq_sockets_find(struct czmq_sockets *t, void *handle)
{
  if (t->last && atomic_load_explicit(&t->last->handle, memory_order_relaxed) == handle)
    return t->last;
  uint32_t n = atomic_load_explicit(&t->count, memory_order_relaxed);
  for (uint32_t i = 0; i < n; i++)
    if (atomic_load_explicit(&t->slot[i].handle, memory_order_relaxed) == handle)
      return t->last = &t->slot[i];
  return NULL;
}

/* The slot for a socket first used now (its kind and endpoint looked up once); the shared
 * "other" slot when the table is full. side: the side pipe end it is, or NULL. */
struct czmq_socket *czmq_sockets_add(struct czmq_sockets *t, void *handle,
                                     struct czmq_side_end *side, const struct as_actor *reader);
/* The actor's thread closed a socket: its counts stay, its handle no longer matches. */
void czmq_sockets_closed(struct czmq_sockets *t, void *handle);
/* Copies the table for a snapshot (as_runtime.channels). */
size_t czmq_sockets_channels(const struct czmq_sockets *t, struct as_channel *out, size_t max);

/* Where sockets were bound or connected (zmq_bind, zmq_connect), for their slots' endpoints. */
void czmq_endpoint_note(void *handle, const char *endpoint);
void czmq_endpoint_forget(void *handle);
void czmq_endpoints_reset_after_fork(void);
/* A new attach after a detach: sockets closed meanwhile may have left their handles to others. */
void czmq_endpoints_forget(void);

#endif
