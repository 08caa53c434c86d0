/* Every CZMQ and libzmq function actorscope interposes, as X(name), and those it only calls.
 * tests/unit/test_exports.c checks the hooked ones against preload/exports.map and against
 * what libactorscope.so exports. Why each one: docs/hooks.md. */
#define CZMQ_HOOKS(X)                                                                              \
  X(zactor_new)                                                                                    \
  X(zactor_destroy)                                                                                \
  X(zsys_create_pipe)                                                                              \
  X(zsock_wait)                                                                                    \
  X(zmq_msg_send)                                                                                  \
  X(zmq_sendmsg)                                                                                   \
  X(zmq_send)                                                                                      \
  X(zmq_send_const)                                                                                \
  X(zmq_msg_recv)                                                                                  \
  X(zmq_recvmsg)                                                                                   \
  X(zmq_recv)                                                                                      \
  X(zmq_poll)                                                                                      \
  X(zmq_close)                                                                                     \
  X(zmq_bind)                                                                                      \
  X(zmq_connect)

/* Called, never interposed. */
#define CZMQ_CALLED(X)                                                                             \
  X(zsock_resolve)                                                                                 \
  X(zmq_msg_data)                                                                                  \
  X(zmq_msg_size)                                                                                  \
  X(zmq_msg_more)                                                                                  \
  X(zmq_getsockopt)
