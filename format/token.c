/* Tokens (token.h). */
#define _GNU_SOURCE
#include "token.h"
#include "format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether TEXT (LEN bytes) is a valid token: AS_TOKEN_MIN to AS_TOKEN_MAX printable ASCII
 * characters without spaces. */
static int as_token_valid(const char *text, size_t len)
{
  if (len < AS_TOKEN_MIN || len > AS_TOKEN_MAX)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (text[i] <= ' ' || text[i] >= 0x7f)
      return 0;
  return 1;
}

/* Reads a token file into OUT (at least AS_TOKEN_MAX + 1 bytes): a regular file (a link is not
 * followed) owned by this user and readable by nobody else (mode 0600 or 0400), holding the
 * token and at most one "\n". Returns 0, or a negative errno with WHY saying what is wrong
 * (never the token). */
static int as_token_read_file(const char *path, char *out, char *why, size_t why_len)
{
  /* Never a FIFO's open() that waits for a writer, never a link to someone else's file. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    snprintf(why, why_len, "%s=%s: %s", AS_ENV_TOKEN_FILE, path,
             e == ELOOP ? "a symbolic link (not followed)" : strerror(e));
    return -e;
  }
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st) != 0) {
    rc = -errno;
    snprintf(why, why_len, "%s=%s: %s", AS_ENV_TOKEN_FILE, path, strerror(-rc));
  } else if (!S_ISREG(st.st_mode)) {
    rc = -EINVAL;
    snprintf(why, why_len, "%s=%s: not a regular file", AS_ENV_TOKEN_FILE, path);
  } else if (st.st_uid != geteuid()) {
    rc = -EPERM;
    snprintf(why, why_len, "%s=%s: owned by uid %u, not by this user (%u)", AS_ENV_TOKEN_FILE, path,
             (unsigned)st.st_uid, (unsigned)geteuid());
  } else if (st.st_mode & 077) {
    rc = -EPERM;
    snprintf(why, why_len, "%s=%s: mode %04o lets others read it; chmod 600 it", AS_ENV_TOKEN_FILE,
             path, (unsigned)(st.st_mode & 07777));
  }
  if (rc < 0) {
    close(fd);
    return rc;
  }
  char buf[AS_TOKEN_MAX + 3];
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t)n;
    if (len == sizeof buf)
      break;
  }
  close(fd);
  if (len && buf[len - 1] == '\n')
    len--;
  if (len && buf[len - 1] == '\r')
    len--;
  if (!as_token_valid(buf, len)) {
    snprintf(why, why_len,
             "%s=%s: expected %u to %u printable ASCII characters without spaces "
             "(and at most a newline)",
             AS_ENV_TOKEN_FILE, path, AS_TOKEN_MIN, AS_TOKEN_MAX);
    memset(buf, 0, sizeof buf);
    return -EINVAL;
  }
  memcpy(out, buf, len);
  out[len] = '\0';
  memset(buf, 0, sizeof buf);
  return 0;
}

int as_token_from_env(const char *(*lookup)(const char *), char *out, char *why, size_t why_len)
{
  const char *file = lookup(AS_ENV_TOKEN_FILE), *text = lookup(AS_ENV_TOKEN);
  /* Set empty ("ACTORSCOPE_TOKEN= program") is unset. */
  if (file && !*file)
    file = NULL;
  if (text && !*text)
    text = NULL;
  if (file && text) {
    snprintf(why, why_len, "both %s and %s are set: set one", AS_ENV_TOKEN_FILE, AS_ENV_TOKEN);
    return -EINVAL;
  }
  if (file) {
    int rc = as_token_read_file(file, out, why, why_len);
    return rc < 0 ? rc : 1;
  }
  if (!text)
    return 0;
  size_t len = strlen(text);
  /* The value is never echoed: it is a secret. */
  if (!as_token_valid(text, len)) {
    snprintf(why, why_len,
             "%s is invalid: expected %u to %u printable ASCII characters without "
             "spaces",
             AS_ENV_TOKEN, AS_TOKEN_MIN, AS_TOKEN_MAX);
    return -EINVAL;
  }
  memcpy(out, text, len + 1);
  return 1;
}
