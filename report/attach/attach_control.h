/* The client side of an attached or preloaded library's control socket (preload/control.h). */
#ifndef ACTORSCOPE_ATTACH_CONTROL_H
#define ACTORSCOPE_ATTACH_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

/* Sends one command line to process pid's library and reads its one-line answer (without
 * the newline) into reply, waiting at most timeout_ms. Returns 0, or -errno (-ENOENT: no
 * control socket, i.e. not traced; -EXDEV: the socket at the path is another process's). */
int attach_control_ask(pid_t pid, const char *command, char *reply, size_t len,
                       unsigned timeout_ms);

#endif
