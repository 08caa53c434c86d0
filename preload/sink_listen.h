/* Listening sockets for the socket sinks, opened without touching anything that is not ours:
 * no umask change, no unlink of anything but a stale socket, no unlink at close of a socket
 * another process has put in our place. */
#ifndef AS_SINK_LISTEN_H
#define AS_SINK_LISTEN_H

#include "error.h"

#include <stddef.h>
#include <sys/types.h>

struct sink_unix_place {
  dev_t dev; /* the socket file this process created at the path */
  ino_t ino;
};

/* Listens on a unix socket at path, mode 0600 from the moment it appears. A socket nobody
 * listens on is replaced; anything else at path is refused. Returns the listening descriptor
 * (non-blocking) or a negative errno with err filled. */
int sink_listen_unix(const char *path, int backlog, struct sink_unix_place *place,
                     struct as_error *err);
/* Removes the socket at path only if it is still the one place describes. */
void sink_unlisten_unix(const char *path, const struct sink_unix_place *place);
/* "a FIFO", "a symbolic link" …: what a file in the way is, for messages. */
const char *sink_file_type_name(mode_t mode);
/* Listens on host:port; where receives "tcp:HOST:PORT" as bound (port 0 picks one). */
int sink_listen_tcp(const char *host, unsigned port, int backlog, char *where, size_t where_len,
                    struct as_error *err);

#endif
