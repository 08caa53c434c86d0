#define _GNU_SOURCE
#include "sink_listen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

const char *sink_file_type_name(mode_t mode)
{
  return S_ISREG(mode)    ? "a regular file"
         : S_ISDIR(mode)  ? "a directory"
         : S_ISLNK(mode)  ? "a symbolic link"
         : S_ISFIFO(mode) ? "a FIFO"
         : S_ISCHR(mode)  ? "a character device"
         : S_ISBLK(mode)  ? "a block device"
         : S_ISSOCK(mode) ? "a socket"
                          : "of an unknown type";
}

static int sink_unix_address(const char *path, struct sockaddr_un *addr)
{
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  size_t len = strlen(path);
  if (len >= sizeof addr->sun_path)
    return -ENAMETOOLONG;
  memcpy(addr->sun_path, path, len + 1);
  return 0;
}

/* Whatever is at path must go only if it is a socket that nothing answers (left by a run that
 * died). Returns 0 when path is free now, else a negative errno with err filled. */
static int sink_unix_clear_stale(const char *path, struct as_error *err)
{
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno == ENOENT)
      return 0;
    int e = errno;
    as_error_set(err, "cannot listen on unix:%s: %s", path, strerror(e));
    return -e;
  }
  if (!S_ISSOCK(st.st_mode)) {
    as_error_set(err, "cannot listen on unix:%s: it exists and is %s, which is left alone", path,
                 sink_file_type_name(st.st_mode));
    return -EEXIST;
  }
  struct sockaddr_un addr;
  sink_unix_address(path, &addr);
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    int e = errno;
    as_error_set(err, "cannot listen on unix:%s: %s", path, strerror(e));
    return -e;
  }
  int rc = connect(probe, (struct sockaddr *)&addr, sizeof addr);
  int e = rc < 0 ? errno : 0;
  close(probe);
  if (e != ECONNREFUSED) {
    if (e == 0 || e == EAGAIN || e == EINPROGRESS)
      as_error_set(err, "cannot listen on unix:%s: another process is listening there", path);
    else
      as_error_set(err,
                   "cannot listen on unix:%s: cannot tell whether the socket there is in "
                   "use: %s",
                   path, strerror(e));
    return -EADDRINUSE;
  }
  /* Stale. Unlink it only if it is still the socket just probed. */
  struct stat again;
  if (lstat(path, &again) == 0 && again.st_dev == st.st_dev && again.st_ino == st.st_ino &&
      unlink(path) < 0 && errno != ENOENT) {
    e = errno;
    as_error_set(err, "cannot remove the stale socket unix:%s: %s", path, strerror(e));
    return -e;
  }
  return 0;
}

/* Moves the socket file from tmp to path without ever replacing anything at path. */
static int sink_unix_place(const char *tmp, const char *path)
{
  if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    return -errno;
  /* A file system without RENAME_NOREPLACE: link() never replaces either. */
  if (link(tmp, path) < 0)
    return -errno;
  unlink(tmp);
  return 0;
}

/* The socket is bound inside a private 0700 directory next to path, made 0600 there, then
 * moved into place: nobody can connect before its mode is right, and the process-wide umask,
 * which the host's threads share, is never touched. */
int sink_listen_unix(const char *path, int backlog, struct sink_unix_place *place,
                     struct as_error *err)
{
  struct sockaddr_un addr;
  if (sink_unix_address(path, &addr) < 0) {
    as_error_set(err, "cannot listen on unix:%s: the path is too long", path);
    return -ENAMETOOLONG;
  }
  int rc = sink_unix_clear_stale(path, err);
  if (rc < 0)
    return rc;

  char dir[PATH_MAX], tmp[PATH_MAX + 16];
  const char *slash = strrchr(path, '/');
  int dir_len = slash ? (int)(slash - path) : 0;
  snprintf(dir, sizeof dir, "%.*s/.actorscope-XXXXXX", dir_len, path);
  int fd = -1, dir_fd = -1, e = 0;
  if (!mkdtemp(dir)) {
    e = errno;
    goto fail_nodir;
  }
  snprintf(tmp, sizeof tmp, "%s/s", dir);
  if (sink_unix_address(tmp, &addr) < 0) {
    /* Too long for sun_path: the same directory through /proc/self/fd is short. */
    char via[64];
    dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    snprintf(via, sizeof via, "/proc/self/fd/%d/s", dir_fd);
    sink_unix_address(via, &addr);
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || chmod(tmp, 0600) < 0 ||
      listen(fd, backlog) < 0) {
    e = errno;
    goto fail;
  }
  if ((rc = sink_unix_place(tmp, path)) < 0) {
    e = -rc;
    goto fail;
  }
  struct stat st;
  if (lstat(path, &st) < 0) {
    e = errno;
    goto fail;
  }
  place->dev = st.st_dev;
  place->ino = st.st_ino;
  if (dir_fd >= 0)
    close(dir_fd);
  rmdir(dir);
  return fd;
fail:
  if (fd >= 0)
    close(fd);
  if (dir_fd >= 0)
    close(dir_fd);
  unlink(tmp);
  rmdir(dir);
fail_nodir:
  as_error_set(err, "cannot listen on unix:%s: %s", path,
               e == EEXIST ? "something else appeared there meanwhile" : strerror(e));
  return -e;
}

void sink_unlisten_unix(const char *path, const struct sink_unix_place *place)
{
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == place->dev &&
      st.st_ino == place->ino)
    unlink(path);
}

int sink_listen_tcp(const char *host, unsigned port, int backlog, char *where, size_t where_len,
                    struct as_error *err)
{
  char service[16];
  snprintf(service, sizeof service, "%u", port);
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *res = NULL;
  int gai = getaddrinfo(host, service, &hints, &res);
  if (gai != 0) {
    as_error_set(err, "cannot resolve tcp:%s:%s: %s", host, service, gai_strerror(gai));
    return -EINVAL;
  }
  int e = EADDRNOTAVAIL;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      e = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0) {
      struct sockaddr_storage bound;
      socklen_t len = sizeof bound;
      char bound_host[128] = "?", bound_port[16] = "?";
      if (getsockname(fd, (struct sockaddr *)&bound, &len) == 0)
        getnameinfo((struct sockaddr *)&bound, len, bound_host, sizeof bound_host, bound_port,
                    sizeof bound_port, NI_NUMERICHOST | NI_NUMERICSERV);
      snprintf(where, where_len, "tcp:%s:%s", bound_host, bound_port);
      freeaddrinfo(res);
      return fd;
    }
    e = errno;
    close(fd);
  }
  freeaddrinfo(res);
  as_error_set(err, "cannot listen on tcp:%s:%s: %s", host, service, strerror(e));
  return -e;
}
