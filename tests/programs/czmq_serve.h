/* The command loop most test actors share: after the start-up signal, answer every command
 * with `reply` (NULL: echo the command back) until "$TERM". Each program still has its own
 * task function, since the task's symbol is the name the tracer reports. */
#ifndef CZMQ_SERVE_H
#define CZMQ_SERVE_H

#include <czmq.h>

static inline void czmq_serve(zsock_t *pipe, const char *reply)
{
  zsock_signal(pipe, 0);
  for (;;) {
    char *cmd = zstr_recv(pipe);
    if (!cmd)
      break;
    int term = streq(cmd, "$TERM");
    if (!term)
      zstr_send(pipe, reply ? reply : cmd);
    zstr_free(&cmd);
    if (term)
      break;
  }
}

#endif
