/* actorscope top: stepping through a recording. */
#define _GNU_SOURCE
#include "top_replay.h"
#include "destination.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

/* Complete lines after the header of one file. */
static size_t replay_count_file(const char *file)
{
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  static char buf[1 << 16];
  size_t lines = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))); p++)
      lines++;
  close(fd);
  return lines > 0 ? lines - 1 : 0;
}

/* Whether FILE's header is the same process's as HEADER (the reader's rule for rotated files). */
static int replay_same_process(const char *file, const struct as_rec_header *header)
{
  struct as_reader *r;
  struct as_reader_error ignored;
  struct as_reader_options single = AS_READER_OPTIONS_DEFAULT;
  single.single_file = 1;
  if (as_reader_open(&r, file, &single, &ignored) < 0)
    return 0;
  const struct as_rec_header *h = as_reader_header(r);
  int same = h->pid == header->pid && h->started_at_ns == header->started_at_ns;
  as_reader_close(r);
  return same;
}

size_t top_replay_count(const char *path)
{
  const char *file = strncmp(path, "file:", 5) == 0 ? path + 5 : path;
  size_t total = replay_count_file(file);
  /* The files a writer rotated out of this one are read as part of it (format/reader.h). */
  struct as_reader *r;
  struct as_reader_error ignored;
  struct as_reader_options single = AS_READER_OPTIONS_DEFAULT;
  single.single_file = 1;
  if (as_reader_open(&r, file, &single, &ignored) < 0)
    return total;
  for (unsigned k = 1; k <= AS_DEST_KEEP_MAX; k++) {
    char name[AS_DEST_PATH_MAX];
    struct stat st;
    if (as_dest_rotated_name(file, k, name, sizeof name) < 0 || stat(name, &st) != 0 ||
        !S_ISREG(st.st_mode) || !replay_same_process(name, as_reader_header(r)))
      break;
    total += replay_count_file(name);
  }
  as_reader_close(r);
  return total;
}

static int replay_reopen(struct top_replay *rp, struct top_screen *s, struct as_reader_error *err)
{
  if (rp->reader)
    as_reader_close(rp->reader);
  rp->reader = NULL;
  top_snap_free(rp->ahead);
  rp->ahead = NULL;
  rp->position = 0;
  rp->at_end = 0;
  top_screen_reset(s);
  struct as_reader_options opt = AS_READER_OPTIONS_DEFAULT;
  return as_reader_open(&rp->reader, rp->path, &opt, err);
}

/* Reads the next snapshot into rp->ahead (if not there yet). S: the screen, whose snapshot is
 * freed before the copy (to be replaced at once), or NULL to keep it. Returns 1, 0 at the end,
 * or <0. */
static int replay_read_ahead(struct top_replay *rp, struct top_screen *s,
                             struct as_reader_error *err)
{
  if (rp->ahead)
    return 1;
  if (rp->at_end)
    return 0;
  const struct as_rec_snapshot *snap;
  int rc = as_reader_next(rp->reader, &snap, err);
  if (rc <= 0) {
    rp->at_end = 1;
    return rc;
  }
  if (s)
    top_screen_drop_snapshot(s);
  rp->ahead = top_snap_copy(as_reader_header(rp->reader), snap);
  if (!rp->ahead) {
    snprintf(err->text, sizeof err->text, "%.600s: out of memory", rp->path);
    return err->code = -ENOMEM;
  }
  return 1;
}

/* Applies the next snapshot. Returns 1, 0 at the end, or <0. */
static int replay_forward(struct top_replay *rp, struct top_screen *s, struct as_reader_error *err)
{
  int rc = replay_read_ahead(rp, s, err);
  if (rc <= 0)
    return rc;
  struct top_snap *snap = rp->ahead;
  rp->ahead = NULL;
  if ((rc = top_screen_apply(s, snap)) < 0) {
    snprintf(err->text, sizeof err->text, "%.600s: out of memory", rp->path);
    return err->code = rc;
  }
  rp->position++;
  return 1;
}

int top_replay_open(struct top_replay *rp, struct top_screen *s, const char *path,
                    struct as_reader_error *err)
{
  memset(rp, 0, sizeof *rp);
  snprintf(rp->path, sizeof rp->path, "%s", path);
  rp->total = top_replay_count(path);
  int rc = replay_reopen(rp, s, err);
  if (rc == 0)
    rc = replay_forward(rp, s, err);
  if (rc == 0) {
    snprintf(err->text, sizeof err->text, "%.600s: no snapshot to replay (a header only)", path);
    return err->code = -ENODATA;
  }
  return rc < 0 ? rc : 0;
}

void top_replay_close(struct top_replay *rp)
{
  if (rp->reader)
    as_reader_close(rp->reader);
  top_snap_free(rp->ahead);
  rp->reader = NULL;
  rp->ahead = NULL;
}

int top_replay_goto(struct top_replay *rp, struct top_screen *s, size_t index,
                    struct as_reader_error *err)
{
  int rc;
  if (index + 1 < rp->position && (rc = replay_reopen(rp, s, err)) < 0)
    return rc;
  while (rp->position < index + 1)
    if ((rc = replay_forward(rp, s, err)) <= 0)
      break;
  /* More snapshots than counted: a file still growing. */
  if (rp->position > rp->total)
    rp->total = rp->position;
  return rc < 0 ? rc : 0;
}

int top_replay_step(struct top_replay *rp, struct top_screen *s, long delta,
                    struct as_reader_error *err)
{
  long index = (long)rp->position - 1 + delta;
  return top_replay_goto(rp, s, index < 0 ? 0 : (size_t)index, err);
}

/* Goes to the first snapshot for which PAST says it is at or past the target (else the last). */
static int replay_seek(struct top_replay *rp, struct top_screen *s,
                       int (*past)(const struct as_rec_snapshot *, const void *), const void *arg,
                       struct as_reader_error *err)
{
  int rc = replay_reopen(rp, s, err);
  while (rc >= 0) {
    if ((rc = replay_forward(rp, s, err)) <= 0)
      break;
    if (past(&s->model.snap->snapshot, arg))
      break;
  }
  if (rp->position > rp->total)
    rp->total = rp->position;
  return rc < 0 ? rc : 0;
}

static int replay_past_seq(const struct as_rec_snapshot *snap, const void *arg)
{
  return snap->seq >= *(const int64_t *)arg;
}

int top_replay_goto_seq(struct top_replay *rp, struct top_screen *s, int64_t seq,
                        struct as_reader_error *err)
{
  return replay_seek(rp, s, replay_past_seq, &seq, err);
}

struct replay_time {
  int64_t uptime_ns; /* -1: compare clock instead */
  char clock[16];    /* "HH:MM:SS.mmm" */
};

/* The UTC time of day of a snapshot, "06:42:09.430", from captured_at_ns (a format 2 line may
 * leave captured_at out); "?" when there is none. */
static void replay_clock(const struct as_rec_snapshot *snap, char *out, size_t cap)
{
  snprintf(out, cap, "?");
  if (!snap || snap->captured_at_ns <= 0)
    return;
  time_t sec = (time_t)(snap->captured_at_ns / 1000000000);
  struct tm tm;
  if (gmtime_r(&sec, &tm))
    snprintf(out, cap, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(snap->captured_at_ns / 1000000 % 1000));
}

static int replay_past_time(const struct as_rec_snapshot *snap, const void *arg)
{
  const struct replay_time *t = arg;
  if (t->uptime_ns >= 0)
    return snap->uptime_ns >= t->uptime_ns;
  char clock[32];
  replay_clock(snap, clock, sizeof clock);
  return strncmp(clock, t->clock, 12) >= 0;
}

int top_replay_goto_time(struct top_replay *rp, struct top_screen *s, const char *text,
                         struct as_reader_error *err)
{
  struct replay_time t = {-1, ""};
  unsigned hh, mm;
  double ss;
  char *end = NULL;
  if (sscanf(text, "%u:%u:%lf", &hh, &mm, &ss) == 3 && hh < 24 && mm < 60 && ss >= 0 && ss < 60) {
    snprintf(t.clock, sizeof t.clock, "%02u:%02u:%06.3f", hh, mm, ss);
  } else {
    double seconds = strtod(text, &end);
    if (end == text || *end || seconds < 0 || seconds > 1e9) {
      snprintf(err->text, sizeof err->text,
               "'%.60s' is not a time: seconds of uptime (2.5) or HH:MM:SS", text);
      return err->code = -EINVAL;
    }
    t.uptime_ns = (int64_t)(seconds * 1e9);
  }
  return replay_seek(rp, s, replay_past_time, &t, err);
}

int64_t top_replay_gap_ns(struct top_replay *rp, const struct top_screen *s,
                          struct as_reader_error *err)
{
  if (replay_read_ahead(rp, NULL, err) <= 0 || !s->model.snap)
    return -1;
  int64_t gap = rp->ahead->snapshot.uptime_ns - s->model.snap->snapshot.uptime_ns;
  return gap > 0 ? gap : 0;
}

void top_replay_state_text(size_t position, size_t total, const struct as_rec_snapshot *snap,
                           int truncated, char *out, size_t cap)
{
  char clock[32];
  replay_clock(snap, clock, sizeof clock);
  snprintf(out, cap, "replay %zu/%zu seq %lld at %s%s", position, total,
           snap ? (long long)snap->seq : -1LL, clock,
           truncated ? " (the last line was cut short)" : "");
}

void top_replay_describe(const struct top_replay *rp, const struct top_screen *s, char *out,
                         size_t cap)
{
  top_replay_state_text(rp->position, rp->total, s->model.snap ? &s->model.snap->snapshot : NULL,
                        rp->at_end && rp->reader && as_reader_truncated(rp->reader), out, cap);
}
