/* CZMQ 4.2 zactor hooks: the poller. zpoller and zloop both wait in zmq_poll in this build;
 * an actor polling its pipe or its other sockets is between messages. */
#define _GNU_SOURCE
#include "czmq_state.h"

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
      if (items[i].socket &&
          (items[i].socket == self->actor_handle || (t && czmq_sockets_find(t, items[i].socket)))) {
        czmq_handler_end(czmq_record(self));
        break;
      }
    }
  }
  return real(items, nitems, timeout);
}
