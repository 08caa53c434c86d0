/* Bounded files (ACTORSCOPE_MAX_BYTES, ACTORSCOPE_KEEP): before a line that would take the
 * file past its size, the file is moved aside — NAME.jsonl to NAME.1.jsonl, NAME.1.jsonl to
 * NAME.2.jsonl … — keeping the newest `keep` of them, and snapshots go on into a new
 * NAME.jsonl that starts with the header and a keyframe. So a file never exceeds the size,
 * except one that holds a single line larger than the size (with its header): that line gets
 * a file of its own. Only files this process wrote are ever moved or removed: each one's
 * identity (device, inode) is remembered, and a name held by anything else stops the rotation.
 *
 * A line's length is known only at its end (it is encoded and written in chunks), so a line
 * for a file that has begun is held back until it ends or no longer fits: in memory up to
 * SINK_HOLD_MEMORY bytes, beyond that in an unnamed file (O_TMPFILE) beside the output, which
 * nobody else can see and which disappears with its descriptor. */
#ifndef AS_SINK_ROTATE_H
#define AS_SINK_ROTATE_H

#include "destination.h"
#include "error.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AS_SINK_KEEP_MAX AS_DEST_KEEP_MAX

struct sink_rotation {
  unsigned keep;
  unsigned files; /* rotations so far: the file is being written again under the same name */
  /* The files now at NAME.1 … NAME.keep, as this process left them (ino 0: none). */
  dev_t dev[AS_SINK_KEEP_MAX + 1];
  ino_t ino[AS_SINK_KEEP_MAX + 1];
};

/* A line held back (see above). Starts zeroed with spill_fd -1: empty, nothing allocated. */
struct sink_hold {
  char *buf;
  size_t used, cap;
  int spill_fd;     /* >= 0 once the line outgrew the memory */
  uint64_t spilled; /* bytes in the spill file */
  uint64_t total;   /* bytes of the line held so far */
};
#define SINK_HOLD_MEMORY ((size_t)4 << 20)

/* Appends to the held line; `dir_of` is the output's path (the spill file goes in its
 * directory). Returns 0 or a negative errno with err filled (nothing is then lost: the caller
 * may still write out what is held). */
int sink_hold_add(struct sink_hold *h, const char *dir_of, const char *data, size_t len,
                  struct as_error *err);
/* Writes everything held to fd through write_fn (the sink's own append, which counts and
 * checks limits), then empties the hold. Returns 0 or write_fn's negative errno. */
int sink_hold_write_out(struct sink_hold *h, void *context,
                        int (*write_fn)(void *context, const char *data, size_t len));
/* Empties the hold (the line is dropped), closing its spill file; memory is kept. */
void sink_hold_clear(struct sink_hold *h);
/* Gives everything back (the sink is closed). */
void sink_hold_free(struct sink_hold *h);

/* Moves the file at `name`, open as fd (which is closed), aside. Returns 0, or a negative errno
 * with err filled when a name in the way is not this process's (nothing is then moved). */
int sink_rotate(struct sink_rotation *r, const char *name, int fd, struct as_error *err);

#endif
