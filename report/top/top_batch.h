/* actorscope top --batch: plain-text frames on stdout, like `top -b`: one per snapshot of a
 * recording from the first, or one per snapshot received from a live source. */
#ifndef ACTORSCOPE_TOP_BATCH_H
#define ACTORSCOPE_TOP_BATCH_H

#include "live_feed.h"
#include "top_program.h"
#include "top_screen.h"

struct top_batch_options {
  size_t frames; /* stop after this many (0: all) */
  size_t rows;   /* table rows a frame (0: all) */
  int width;
  int timing;      /* per frame: read, model and drawing times on stderr */
  int64_t inspect; /* an actor id: its inspect panel after each frame (0: none) */
};

/* Returns 0, or a negative errno with ERR filled. */
int top_batch_replay(struct top_screen *s, const char *path, const struct top_batch_options *o,
                     struct as_reader_error *err);
/* PROGRAM: the watched program, or NULL. */
int top_batch_live(struct top_screen *s, const struct live_feed_options *feed,
                   struct top_program *program, const struct top_batch_options *o,
                   struct as_reader_error *err);

#endif
