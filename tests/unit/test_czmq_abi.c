/* hooks/czmq_abi.h against the installed <zmq.h> and <czmq.h>. */
#include "czmq_abi.h"

#include <czmq.h>
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>
#include <zmq.h>

_Static_assert(AS_ZMQ_DONTWAIT == ZMQ_DONTWAIT, "ZMQ_DONTWAIT");
_Static_assert(AS_ZMQ_SNDMORE == ZMQ_SNDMORE, "ZMQ_SNDMORE");
_Static_assert(AS_ZMQ_RCVMORE == ZMQ_RCVMORE, "ZMQ_RCVMORE");
_Static_assert(sizeof(struct as_zmq_pollitem) == sizeof(zmq_pollitem_t), "zmq_pollitem_t");
_Static_assert(offsetof(struct as_zmq_pollitem, socket) == offsetof(zmq_pollitem_t, socket),
               "socket");
_Static_assert(offsetof(struct as_zmq_pollitem, fd) == offsetof(zmq_pollitem_t, fd), "fd");
_Static_assert(offsetof(struct as_zmq_pollitem, events) == offsetof(zmq_pollitem_t, events),
               "events");
_Static_assert(offsetof(struct as_zmq_pollitem, revents) == offsetof(zmq_pollitem_t, revents),
               "revents");

Test(czmq_abi, the_declarations_match_the_installed_headers)
{
  /* The checks are the static assertions above; here, a poll item read through our layout. */
  int socket;
  zmq_pollitem_t item = {.socket = &socket, .fd = 7, .events = ZMQ_POLLIN, .revents = ZMQ_POLLOUT};
  struct as_zmq_pollitem ours;
  memcpy(&ours, &item, sizeof ours);
  cr_assert_eq(ours.socket, (void *)&socket);
  cr_assert_eq(ours.fd, 7);
  cr_assert_eq(ours.events, ZMQ_POLLIN);
  cr_assert_eq(ours.revents, ZMQ_POLLOUT);
}
