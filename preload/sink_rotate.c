#define _GNU_SOURCE
#include "sink_rotate.h"
#include "destination.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether the file at path is the one this process left in that slot (or nothing is there). */
static int rotate_slot_is_ours(const struct sink_rotation *r, unsigned k, const char *path)
{
  struct stat st;
  if (lstat(path, &st) != 0)
    return errno == ENOENT;
  return r->ino[k] && st.st_ino == r->ino[k] && st.st_dev == r->dev[k];
}

static int rotate_move(const char *from, const char *to)
{
  if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return -errno;
  /* A filesystem without RENAME_NOREPLACE: link refuses an existing name just the same. */
  if (link(from, to) != 0)
    return -errno;
  return unlink(from) == 0 ? 0 : -errno;
}

int sink_rotate(struct sink_rotation *r, const char *name, int fd, struct as_error *err)
{
  struct stat current;
  int have_current = fstat(fd, &current) == 0;
  close(fd);
  char from[PATH_MAX], to[PATH_MAX];
  /* First make sure every name in the way is ours: then nothing is moved halfway. */
  for (unsigned k = 1; k <= r->keep; k++) {
    if (as_dest_rotated_name(name, k, to, sizeof to) < 0 || !rotate_slot_is_ours(r, k, to)) {
      as_error_set(err, "cannot rotate %s: %s is not a file this process wrote", name, to);
      return -EEXIST;
    }
  }
  /* The full file itself must still be the one written here. */
  struct stat now;
  if (!have_current || lstat(name, &now) != 0 || now.st_ino != current.st_ino ||
      now.st_dev != current.st_dev) {
    as_error_set(err, "cannot rotate %s: it is no longer the file this process wrote", name);
    return -ESTALE;
  }
  if (r->keep == 0)
    return unlink(name) == 0 ? 0 : -errno;
  as_dest_rotated_name(name, r->keep, to, sizeof to);
  unlink(to); /* the oldest, ours (checked above) or absent */
  r->ino[r->keep] = 0;
  for (unsigned k = r->keep - 1; k >= 1; k--) {
    as_dest_rotated_name(name, k, from, sizeof from);
    as_dest_rotated_name(name, k + 1, to, sizeof to);
    if (r->ino[k] && rotate_move(from, to) == 0) {
      r->dev[k + 1] = r->dev[k];
      r->ino[k + 1] = r->ino[k];
    } else {
      r->ino[k + 1] = 0;
    }
    r->ino[k] = 0;
  }
  as_dest_rotated_name(name, 1, to, sizeof to);
  int rc = rotate_move(name, to);
  if (rc < 0) {
    as_error_set(err, "cannot rotate %s to %s: %s", name, to, strerror(-rc));
    return rc;
  }
  r->dev[1] = have_current ? current.st_dev : 0;
  r->ino[1] = have_current ? current.st_ino : 0;
  return 0;
}

/* ---- a line held back until it is known to fit ------------------------------------------- */

static int hold_write_all(int fd, const char *data, size_t len)
{
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? -errno : -EIO;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/* The unnamed spill file, in the output's directory (the same filesystem, the same rights). */
static int hold_spill_open(const char *dir_of, struct as_error *err)
{
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", dir_of);
  char *slash = strrchr(dir, '/');
  if (slash == dir)
    dir[1] = '\0';
  else if (slash)
    *slash = '\0';
  else
    snprintf(dir, sizeof dir, ".");
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    as_error_set(err, "cannot hold a long line back in %s (O_TMPFILE): %s", dir, strerror(errno));
  return fd < 0 ? -errno : fd;
}

/* Memory first; a line that outgrows it goes on in the spill file, its memory part first. */
int sink_hold_add(struct sink_hold *h, const char *dir_of, const char *data, size_t len,
                  struct as_error *err)
{
  if (h->spill_fd < 0 && h->used + len <= SINK_HOLD_MEMORY) {
    if (h->used + len > h->cap) {
      size_t cap = h->cap ? h->cap : 65536;
      while (cap < h->used + len)
        cap *= 2;
      char *grown = realloc(h->buf, cap);
      if (!grown) {
        as_error_set(err, "out of memory holding a line back");
        return -ENOMEM;
      }
      h->buf = grown, h->cap = cap;
    }
    memcpy(h->buf + h->used, data, len);
    h->used += len;
    h->total += len;
    return 0;
  }
  /* A write past RLIMIT_FSIZE would raise SIGXFSZ in the host, which by default kills it. */
  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      h->total + len > (uint64_t)limit.rlim_cur) {
    as_error_set(err, "a line is longer than the file size limit (ulimit -f)");
    return -EFBIG;
  }
  int rc = 0;
  if (h->spill_fd < 0) {
    if ((rc = hold_spill_open(dir_of, err)) < 0)
      return rc;
    h->spill_fd = rc;
    if ((rc = hold_write_all(h->spill_fd, h->buf, h->used)) < 0) {
      as_error_set(err, "holding a line back: %s", strerror(-rc));
      return rc;
    }
    h->spilled = h->used;
    h->used = 0;
  }
  if ((rc = hold_write_all(h->spill_fd, data, len)) < 0) {
    as_error_set(err, "holding a line back: %s", strerror(-rc));
    return rc;
  }
  h->spilled += len;
  h->total += len;
  return 0;
}

int sink_hold_write_out(struct sink_hold *h, void *context,
                        int (*write_fn)(void *context, const char *data, size_t len))
{
  int rc = 0;
  if (h->spill_fd >= 0) {
    /* Read back through the memory buffer, which is free (a spilled line left it empty). */
    if (h->cap < 65536) {
      char *grown = realloc(h->buf, 65536);
      rc = grown ? 0 : -ENOMEM;
      if (grown)
        h->buf = grown, h->cap = 65536;
    }
    for (uint64_t at = 0; rc == 0 && at < h->spilled;) {
      size_t want = h->spilled - at < h->cap ? (size_t)(h->spilled - at) : h->cap;
      ssize_t n = pread(h->spill_fd, h->buf, want, (off_t)at);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        rc = n < 0 ? -errno : -EIO;
      else if ((rc = write_fn(context, h->buf, (size_t)n)) == 0)
        at += (uint64_t)n;
    }
    h->used = 0; /* the buffer held spilled bytes, not the line's tail */
  }
  if (rc == 0 && h->used)
    rc = write_fn(context, h->buf, h->used);
  sink_hold_clear(h);
  return rc;
}

void sink_hold_clear(struct sink_hold *h)
{
  if (h->spill_fd >= 0)
    close(h->spill_fd);
  h->spill_fd = -1;
  h->used = 0;
  h->spilled = h->total = 0;
}

void sink_hold_free(struct sink_hold *h)
{
  sink_hold_clear(h);
  free(h->buf);
  h->buf = NULL;
  h->cap = 0;
}
