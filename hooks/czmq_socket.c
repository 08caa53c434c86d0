/* CZMQ 4.2 zactor hooks: a socket's lifetime. zmq_close forgets its pipe end (handle
 * addresses are reused) and its slot in the actor's table; zmq_bind and zmq_connect note its
 * endpoint for the actor's socket list. */
#define _GNU_SOURCE
#include "czmq_state.h"
#include "diag.h"
#include "elfsym.h"

#include <string.h>

#define AS_ZMQ_LAST_ENDPOINT 32

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
      czmq_actor_end_closed(end->owner);
    else
      czmq_zactor_end_closed(end->owner);
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
