/* Sources (reader_private.h): "-", a file, "file:PATH", "unix:PATH", "tcp:[HOST:]PORT". A socket
 * is sent the token first (format/token.h), and over a unix socket only to a process of this
 * user or root. */
#define _GNU_SOURCE
#include "reader_private.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "token.h"

static const char *reader_getenv(const char *name) { return getenv(name); }

static int reader_connect(struct as_reader *r, const char *source)
{
  struct as_dest dest;
  char why[200];
  if (as_dest_parse(&dest, source, NULL, why, sizeof why) < 0)
    return reader_fail(r, -EINVAL, "is invalid: %s", why);
  int fd = -1, saved = 0;
  if (dest.kind == AS_DEST_UNIX) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, dest.path, strlen(dest.path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
      saved = errno;
      close(fd);
      fd = -1;
    }
  } else {
    if (dest.port == 0)
      return reader_fail(r, -EINVAL,
                         "port 0 cannot be connected to: give the port the traced "
                         "process reported");
    char port[16];
    snprintf(port, sizeof port, "%u", dest.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
    int gai = getaddrinfo(dest.host, port, &hints, &res);
    if (gai != 0)
      return reader_fail(r, -EHOSTUNREACH, "cannot resolve %s: %s", dest.host, gai_strerror(gai));
    saved = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
      fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
      if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        saved = errno;
        close(fd);
        fd = -1;
      }
    }
    freeaddrinfo(res);
  }
  if (fd < 0)
    return reader_fail(r, -(saved ? saved : errno), "cannot connect: %s",
                       strerror(saved ? saved : errno));
  r->fd = fd;
  r->is_socket = 1;
  if (r->opt.header_timeout_ms)
    r->header_deadline_ms = reader_now_ms() + r->opt.header_timeout_ms;
  char token[AS_TOKEN_MAX + 2];
  int have = as_token_from_env(reader_getenv, token, why, sizeof why);
  if (have < 0)
    return reader_fail(r, have, "%s", why);
  /* Who serves a unix socket is known (SO_PEERCRED): the token goes only to this user's own
   * processes or root's, never to a socket someone else planted in a shared directory. */
  struct ucred cred;
  socklen_t cred_len = sizeof cred;
  if (dest.kind == AS_DEST_UNIX && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) == 0 &&
      cred_len == sizeof cred) {
    r->peer_pid = cred.pid > 0 ? (long)cred.pid : -1;
    if (have && cred.uid != geteuid() && cred.uid != 0) {
      memset(token, 0, sizeof token);
      return reader_fail(r, -EACCES,
                         "refused: the socket is served by uid %u, neither this user "
                         "(%u) nor root, and the token is sent to no one else",
                         (unsigned)cred.uid, (unsigned)geteuid());
    }
  }
  if (have) {
    size_t len = strlen(token);
    token[len++] = '\n';
    size_t sent = 0;
    while (sent < len) {
      ssize_t n = send(fd, token + sent, len - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        memset(token, 0, sizeof token);
        return reader_fail(r, -EIO, "cannot send the token: %s", strerror(errno));
      }
      sent += (size_t)n;
    }
    memset(token, 0, sizeof token);
  }
  return 0;
}

int reader_open_source(struct as_reader *r, const char *source)
{
  if (strcmp(source, "-") == 0) {
    r->fd = STDIN_FILENO;
    return 0;
  }
  if (as_dest_is_socket(source))
    return reader_connect(r, source);
  const char *path = strncmp(source, "file:", 5) == 0 ? source + 5 : source;
  /* Following, a FIFO without a writer is waited for by the caller (-EAGAIN, as for a file not
   * there yet), not in an open() nothing can interrupt. */
  r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (r->opt.follow ? O_NONBLOCK : 0));
  if (r->fd < 0)
    return reader_fail(r, -errno, "%s", strerror(errno));
  struct stat st;
  if (fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode))
    return reader_fail(r, -EISDIR, "%s", strerror(EISDIR));
  r->is_regular = fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode);
  if (r->opt.follow && S_ISFIFO(st.st_mode)) {
    /* Without a writer a read ends at once (0); with one it may have to wait (EAGAIN). */
    ssize_t n;
    while ((n = read(r->fd, r->buf, READER_CHUNK)) < 0 && errno == EINTR)
      ;
    if (n == 0)
      return reader_fail(r, -EAGAIN, "a FIFO that no process writes to (yet)");
    if (n > 0) {
      r->buf_len = (size_t)n;
      r->bytes += (uint64_t)n;
    }
  }
  if (r->opt.follow)
    fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) & ~O_NONBLOCK);
  return 0;
}
