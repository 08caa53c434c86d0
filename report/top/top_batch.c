/* actorscope top --batch: frames as text. */
#define _GNU_SOURCE
#include "top_batch.h"
#include "top_replay.h"
#include "top_snap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct batch {
  struct top_screen *s;
  const struct top_batch_options *o;
  struct top_program *program;
  struct top_canvas canvas;
  size_t frames;
  double read_ms; /* since the previous frame: reading and copying the snapshot */
  struct timespec mark;
};

static double batch_ms_since(struct timespec *mark)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double ms =
      (double)(now.tv_sec - mark->tv_sec) * 1e3 + (double)(now.tv_nsec - mark->tv_nsec) / 1e6;
  *mark = now;
  return ms;
}

/* Prints the current frame. Returns 1 when enough frames are out, else 0. READ_MS and
 * MODEL_MS: what this snapshot took to read and to apply, for --timing. */
static int batch_print(struct batch *b, double read_ms, double model_ms)
{
  batch_ms_since(&b->mark);
  top_frame_render(&b->canvas, b->s, 0, b->o->rows);
  if (b->o->inspect) {
    top_canvas_add(&b->canvas, TOP_STYLE_NORMAL, "%s", "");
    top_inspect_render(&b->canvas, b->s, b->o->inspect);
  }
  double frame_ms = batch_ms_since(&b->mark);
  if (b->frames++)
    putchar('\n');
  for (size_t i = 0; i < b->canvas.count; i++)
    puts(b->canvas.lines[i].text);
  /* Nobody reads any more (`| head`): no more frames, as after --frames. */
  if (fflush(stdout) == EOF || ferror(stdout))
    return 1;
  if (b->o->timing)
    fprintf(stderr, "top: frame %zu, %zu actors: read %.1f ms, model %.1f ms, frame %.1f ms\n",
            b->frames, b->s->model.snap->snapshot.n_actors, read_ms, model_ms, frame_ms);
  batch_ms_since(&b->mark);
  return b->o->frames && b->frames >= b->o->frames;
}

/* Applies SNAP and prints a frame. Returns 0, 1 when enough frames are out, or -ENOMEM. */
static int batch_frame(struct batch *b, struct top_snap *snap)
{
  double read_ms = batch_ms_since(&b->mark);
  int rc = top_screen_apply(b->s, snap);
  if (rc < 0)
    return rc;
  return batch_print(b, read_ms, batch_ms_since(&b->mark));
}

static void batch_init(struct batch *b, struct top_screen *s, const struct top_batch_options *o)
{
  memset(b, 0, sizeof *b);
  b->s = s;
  b->o = o;
  top_canvas_init(&b->canvas, o->width, s->ascii);
  clock_gettime(CLOCK_MONOTONIC, &b->mark);
}

int top_batch_replay(struct top_screen *s, const char *path, const struct top_batch_options *o,
                     struct as_reader_error *err)
{
  struct batch b;
  batch_init(&b, s, o);
  struct as_reader_options opt = AS_READER_OPTIONS_DEFAULT;
  struct as_reader *r;
  size_t total = top_replay_count(path);
  int rc = as_reader_open(&r, path, &opt, err);
  if (rc < 0) {
    top_canvas_free(&b.canvas);
    return rc;
  }
  const struct as_rec_snapshot *snap;
  size_t position = 0;
  while ((rc = as_reader_next(r, &snap, err)) > 0) {
    top_screen_drop_snapshot(s); /* one copy at a time */
    struct top_snap *copy = top_snap_copy(as_reader_header(r), snap);
    if (!copy) {
      snprintf(err->text, sizeof err->text, "%.600s: out of memory", path);
      rc = err->code = -ENOMEM;
      break;
    }
    position++;
    top_replay_state_text(position, total > position ? total : position, &copy->snapshot, 0,
                          s->state, sizeof s->state);
    if ((rc = batch_frame(&b, copy)) != 0)
      break;
  }
  if (rc == 0 && position == 0) {
    snprintf(err->text, sizeof err->text, "%.600s: no snapshot to replay (a header only)", path);
    rc = err->code = -ENODATA;
  }
  if (rc == 0 && as_reader_truncated(r))
    fprintf(stderr,
            "actorscope top: %s: the last line was cut short (the traced process was "
            "killed mid-write) and is skipped\n",
            path);
  as_reader_close(r);
  top_canvas_free(&b.canvas);
  return rc < 0 ? rc : 0;
}

static void batch_state(void *ctx, const char *text)
{
  struct batch *b = ctx;
  snprintf(b->s->state, sizeof b->s->state, "%s", text);
}

static int batch_snapshot(void *ctx, const struct as_rec_header *h,
                          const struct as_rec_snapshot *snap, int new_stream)
{
  struct batch *b = ctx;
  if (new_stream)
    top_screen_reset(b->s);
  top_screen_drop_snapshot(b->s); /* one copy at a time */
  struct top_snap *copy = top_snap_copy(h, snap);
  if (!copy)
    return -ENOMEM;
  int rc = batch_frame(b, copy);
  return rc < 0 ? rc : rc > 0 ? -ECANCELED : 0;
}

static int batch_retry(void *ctx)
{
  struct batch *b = ctx;
  return !b->program || !top_program_poll(b->program);
}

int top_batch_live(struct top_screen *s, const struct live_feed_options *feed,
                   struct top_program *program, const struct top_batch_options *o,
                   struct as_reader_error *err)
{
  static const struct live_feed_handler handler = {
      .state = batch_state, .snapshot = batch_snapshot, .retry = batch_retry};
  struct batch b;
  batch_init(&b, s, o);
  b.program = program;
  int rc = live_feed_run(feed, &handler, &b, err);
  top_canvas_free(&b.canvas);
  if (rc == -ECANCELED)
    return 0;
  if (rc == -ENOMEM)
    snprintf(err->text, sizeof err->text, "%s: out of memory", feed->source);
  if (rc == 0 && b.frames == 0 && program) {
    /* Why is in what `run` said into the program's output file: started no actor, or could
     * not be started at all. */
    fprintf(stderr, "actorscope top: no snapshot came from the program\n");
    top_program_relay_run_lines(program, stderr);
  } else if (rc == 0 && b.frames == 0 && s->state[0]) {
    fprintf(stderr, "actorscope top: no snapshot came from %s (%s)\n", feed->source, s->state);
  }
  return rc;
}
