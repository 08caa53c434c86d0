/* Bounded files (ACTORSCOPE_MAX_BYTES, ACTORSCOPE_KEEP): when the file reaches its size it is
 * moved aside — NAME.jsonl to NAME.1.jsonl, NAME.1.jsonl to NAME.2.jsonl … — keeping the newest
 * `keep` of them, and snapshots go on into a new NAME.jsonl that starts with the header and a
 * keyframe. Only files this process wrote are ever moved or removed: each one's identity
 * (device, inode) is remembered, and a name held by anything else stops the rotation. */
#ifndef AS_SINK_ROTATE_H
#define AS_SINK_ROTATE_H

#include "destination.h"
#include "error.h"

#include <sys/types.h>

#define AS_SINK_KEEP_MAX AS_DEST_KEEP_MAX

struct sink_rotation {
  unsigned keep;
  unsigned files; /* rotations so far: the file is being written again under the same name */
  /* The files now at NAME.1 … NAME.keep, as this process left them (ino 0: none). */
  dev_t dev[AS_SINK_KEEP_MAX + 1];
  ino_t ino[AS_SINK_KEEP_MAX + 1];
};

/* Moves the file at `name`, open as fd (which is closed), aside. Returns 0, or a negative errno
 * with err filled when a name in the way is not this process's (nothing is then moved). */
int sink_rotate(struct sink_rotation *r, const char *name, int fd, struct as_error *err);

#endif
