/* Which open file a descriptor number stands for. A host may close descriptors it did not open
 * (a closefrom-style clean-up) and reuse the numbers for files of its own: before writing to
 * one of ours again, the tracer checks it is still the very file it opened. */
#ifndef AS_FDID_H
#define AS_FDID_H

#include <sys/stat.h>

struct as_fd_id {
  dev_t dev;
  ino_t ino;
};

static inline void as_fd_id_take(int fd, struct as_fd_id *id)
{
  struct stat st;
  int known = fstat(fd, &st) == 0;
  id->dev = known ? st.st_dev : 0;
  id->ino = known ? st.st_ino : 0;
}

static inline int as_fd_id_same(int fd, const struct as_fd_id *id)
{
  struct stat st;
  return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino;
}

#endif
