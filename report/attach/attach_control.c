#define _GNU_SOURCE
#include "attach_control.h"
#include "control_path.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* The socket as the target sees it, reached through its root (a container's /tmp). */
static int attach_control_address(pid_t pid, struct sockaddr_un *addr)
{
  char path[128], inside[96];
  snprintf(path, sizeof path, "/proc/%d", (int)pid);
  struct stat st;
  if (stat(path, &st) < 0)
    return -ESRCH;
  if (as_control_path(inside, sizeof inside, st.st_uid, pid) < 0)
    return -ENAMETOOLONG;
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  int n = snprintf(addr->sun_path, sizeof addr->sun_path, "/proc/%d/root%s", (int)pid, inside);
  return n > 0 && (size_t)n < sizeof addr->sun_path ? 0 : -ENAMETOOLONG;
}

int attach_control_ask(pid_t pid, const char *command, char *reply, size_t len, unsigned timeout_ms)
{
  struct sockaddr_un addr;
  int rc = attach_control_address(pid, &addr);
  if (rc < 0)
    return rc;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    rc = errno == ECONNREFUSED ? -ENOENT : -errno;
    close(fd);
    return rc;
  }
  char line[600];
  snprintf(line, sizeof line, "%s\n", command);
  if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  size_t have = 0;
  reply[0] = '\0';
  while (have + 1 < len) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, (int)timeout_ms) <= 0) {
      close(fd);
      return -ETIMEDOUT;
    }
    ssize_t n = read(fd, reply + have, len - 1 - have);
    if (n <= 0)
      break;
    have += (size_t)n;
    reply[have] = '\0';
    if (strchr(reply, '\n'))
      break;
  }
  close(fd);
  char *nl = strchr(reply, '\n');
  if (nl)
    *nl = '\0';
  return have ? 0 : -EPROTO;
}
