#include "cmdline.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

size_t as_cmdline_read(char *buf, size_t len, const char **argv, size_t max)
{
  if (len < 2)
    return 0;
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n;
  while ((n = read(fd, buf, len - 1)) < 0 && errno == EINTR)
    ;
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  size_t argc = 0;
  for (ssize_t at = 0; at < n && argc < max;) {
    size_t word = strlen(buf + at);
    if (at + (ssize_t)word == n && n == (ssize_t)len - 1)
      break; /* cut by the buffer's end */
    argv[argc++] = buf + at;
    at += (ssize_t)word + 1;
  }
  return argc;
}
