#define _GNU_SOURCE
#include "sink_rotate.h"
#include "destination.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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
