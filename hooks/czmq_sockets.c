#include "czmq_sockets.h"
#include "format.h"
#include "czmq_abi.h"
#include "hook.h"
#include "intern.h"
#include "blockpool.h"
#include "ptrmap.h"

#include <stdio.h>
#include <string.h>

#define AS_ZMQ_TYPE 16
#define AS_ZMQ_ROUTER 6

/* libzmq handle -> interned endpoint */
static struct as_ptrmap czmq_endpoints AS_FORK_TOUCHED = AS_PTRMAP_INIT;
/* Tables for 64k actors with other sockets at once (address space, touched as used). */
static struct as_blockpool czmq_tables =
    AS_BLOCKPOOL_INIT((sizeof(struct czmq_sockets) + 7) & ~(size_t)7, 64u << 20);

struct czmq_sockets *czmq_sockets_new(void)
{
  AS_HOOK_KEEP_ERRNO();
  struct czmq_sockets *t =
      as_blockpool_reserve(&czmq_tables) == 0 ? as_blockpool_take(&czmq_tables) : NULL;
  return t ? memset(t, 0, sizeof *t) : NULL;
}

void czmq_sockets_free(struct czmq_sockets *t)
{
  if (t)
    as_blockpool_give(&czmq_tables, t);
}

int zmq_getsockopt(void *s, int option, void *value, size_t *size);
AS_HOOK_REAL_SLOT(zmq_getsockopt);

static int czmq_socket_type(void *handle)
{
  int (*getsockopt)(void *, int, void *, size_t *) = AS_HOOK_REAL_TYPED(zmq_getsockopt);
  int type = -1;
  size_t size = sizeof type;
  if (!getsockopt || getsockopt(handle, AS_ZMQ_TYPE, &type, &size) != 0)
    return -1;
  return type;
}

struct czmq_socket *czmq_sockets_add(struct czmq_sockets *t, void *handle,
                                     struct czmq_side_end *side, const struct as_actor *reader)
{
  if (side)
    atomic_store_explicit(&side->reader, reader, memory_order_relaxed);
  AS_HOOK_KEEP_ERRNO();
  uint32_t n = atomic_load_explicit(&t->count, memory_order_relaxed);
  if (n == CZMQ_SOCKETS_MAX) {
    t->other.kind = AS_SOCKET_OTHER;
    return &t->other;
  }
  struct czmq_socket *s = &t->slot[n];
  int type = czmq_socket_type(handle);
  s->kind = side                        ? AS_SOCKET_SIDE_PIPE
            : as_socket_kind_name(type) ? as_socket_kind_name(type)
                                        : "?";
  s->endpoint = side ? NULL : as_ptrmap_get(&czmq_endpoints, (uintptr_t)handle);
  s->side = side;
  s->router = type == AS_ZMQ_ROUTER;
  atomic_store_explicit(&s->handle, handle, memory_order_relaxed);
  atomic_store_explicit(&t->count, n + 1, memory_order_release);
  return t->last = s;
}

void czmq_sockets_closed(struct czmq_sockets *t, void *handle)
{
  struct czmq_socket *s = czmq_sockets_find(t, handle);
  if (s && s != &t->other)
    atomic_store_explicit(&s->handle, NULL, memory_order_relaxed);
  t->last = NULL;
}

static void czmq_socket_channel(const struct czmq_socket *s, struct as_channel *c)
{
  c->kind = s->kind;
  c->endpoint = s->endpoint;
  c->received = atomic_load_explicit(&s->received, memory_order_relaxed);
  c->sent = atomic_load_explicit(&s->sent, memory_order_relaxed);
  c->depth = c->max = -1;
  if (s->side && s->side->peer) {
    /* Sent into the other end by anyone, minus taken from this one. */
    uint64_t in = atomic_load_explicit(&s->side->peer->sent, memory_order_relaxed);
    uint64_t taken = atomic_load_explicit(&s->side->received, memory_order_relaxed);
    c->depth = in > taken ? (int64_t)(in - taken) : 0;
    uint64_t max = atomic_load_explicit(&s->side->peer->max_waiting, memory_order_relaxed);
    c->max = (int64_t)max > c->depth ? (int64_t)max : c->depth;
  }
}

size_t czmq_sockets_channels(const struct czmq_sockets *t, struct as_channel *out, size_t max)
{
  uint32_t n = atomic_load_explicit(&t->count, memory_order_acquire);
  size_t used = 0;
  for (uint32_t i = 0; i < n && used < max; i++)
    czmq_socket_channel(&t->slot[i], &out[used++]);
  if (used < max && (atomic_load_explicit(&t->other.received, memory_order_relaxed) ||
                     atomic_load_explicit(&t->other.sent, memory_order_relaxed))) {
    czmq_socket_channel(&t->other, &out[used]);
    out[used++].kind = AS_SOCKET_OTHER;
  }
  return used;
}

/* An endpoint is kept to this many bytes, as an actor's name is: the reader refuses a string
 * over 1 MiB (a whole file for one 40 MB inproc name), and a line has no use for more. */
#define CZMQ_ENDPOINT_MAX 1023u

void czmq_endpoint_note(void *handle, const char *endpoint)
{
  char cut[CZMQ_ENDPOINT_MAX + 1];
  if (endpoint && strnlen(endpoint, CZMQ_ENDPOINT_MAX + 1) > CZMQ_ENDPOINT_MAX) {
    memcpy(cut, endpoint, CZMQ_ENDPOINT_MAX);
    cut[CZMQ_ENDPOINT_MAX] = '\0';
    endpoint = cut;
  }
  const char *interned = as_intern_string(endpoint);
  if (handle && interned)
    as_ptrmap_put(&czmq_endpoints, (uintptr_t)handle, (void *)interned);
}

void czmq_endpoint_forget(void *handle)
{
  if (handle)
    as_ptrmap_remove(&czmq_endpoints, (uintptr_t)handle);
}

void czmq_endpoints_reset_after_fork(void) { as_ptrmap_reset_after_fork(&czmq_endpoints); }
void czmq_endpoints_forget(void) { as_ptrmap_clear(&czmq_endpoints); }
