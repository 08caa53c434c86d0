/* The little of libzmq 4 and CZMQ 4's ABI the hooks use, declared here rather than taken from
 * <zmq.h> and <czmq.h>: those headers mark every function visibility("default"), which would
 * export whatever we define under their names whether or not it is meant to be a hook. Our
 * hooks are exported by AS_HOOK_EXPORT alone (hooks/hook.h). tests/unit/test_czmq_abi.c checks
 * every value here against the installed headers. */
#ifndef AS_CZMQ_ABI_H
#define AS_CZMQ_ABI_H

#include <stddef.h>

#define AS_ZMQ_DONTWAIT 1
#define AS_ZMQ_SNDMORE 2
#define AS_ZMQ_RCVMORE 13

typedef struct as_zmq_msg as_zmq_msg; /* zmq_msg_t: only ever passed by pointer */

struct as_zmq_pollitem { /* zmq_pollitem_t (not Windows) */
  void *socket;
  int fd;
  short events;
  short revents;
};

typedef struct as_zsock as_zsock;   /* zsock_t */
typedef struct as_zactor as_zactor; /* zactor_t */
typedef void(as_zactor_fn)(as_zsock *pipe, void *args);

#endif
