/* Files (reader_private.h): following one being written, and reading the files of a set an
 * ACTORSCOPE_MAX_BYTES writer rotates as one run, each held open by descriptor once found. */
#define _GNU_SOURCE
#include "reader_private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format.h"

/* Until something in the file's directory changes (inotify), or follow_poll_ms at most. */
int reader_follow_wait(struct as_reader *r)
{
  if (!r->opt.follow || !r->is_regular)
    return 0;
  struct stat st;
  if (fstat(r->fd, &st) == 0 && st.st_size < r->followed) {
    reader_fail(r, -ESTALE,
                "the file was truncated while being followed (to %lld bytes, %lld "
                "read): its writer started it again, or someone else wrote it",
                (long long)st.st_size, (long long)r->followed);
    return -1;
  }
  struct stat named;
  if (!r->rotating && r->fd != STDIN_FILENO && r->path &&
      (stat(r->path, &named) != 0 || named.st_ino != st.st_ino || named.st_dev != st.st_dev)) {
    reader_fail(r, -ESTALE, "the file was replaced or removed while being followed");
    return -1;
  }
  unsigned ms = r->opt.follow_poll_ms ? r->opt.follow_poll_ms : 200;
  if (r->watch_fd >= 0) {
    struct pollfd p = {r->watch_fd, POLLIN, 0};
    if (poll(&p, 1, (int)ms) > 0) {
      char events[4096] __attribute__((aligned(8)));
      while (read(r->watch_fd, events, sizeof events) > 0)
        ;
    }
    return 1;
  }
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  return 1;
}

/* Following: a write to the file, or a rotation's renames and new file, wakes the follower at
 * once (watching the directory sees them all, whatever name the file has by then). */
static void reader_watch(struct as_reader *r)
{
  char dir[AS_DEST_PATH_MAX];
  const char *slash = strrchr(r->path, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else
    snprintf(dir, sizeof dir, "%.*s", slash == r->path ? 1 : (int)(slash - r->path), r->path);
  r->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (r->watch_fd >= 0 && inotify_add_watch(r->watch_fd, dir,
                                            IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO |
                                                IN_DELETE | IN_CLOSE_WRITE) < 0) {
    close(r->watch_fd); /* then plain polling */
    r->watch_fd = -1;
  }
}

/* ---- rotated sets: which file comes next ------------------------------------------------- */

/* What the first two lines of a file say: the header's process, the first snapshot's seq.
 * Only top-level members are looked at; the rest is skipped unparsed where yajl allows. */
struct probe {
  int depth;
  int key; /* the top-level member whose value comes next: PROBE_* */
  int is_header, is_format;
  int64_t pid, started_at_ns, seq;
  int has_seq;
};
enum { PROBE_OTHER, PROBE_TYPE, PROBE_FORMAT, PROBE_PID, PROBE_STARTED, PROBE_SEQ };

static int probe_key(void *ctx, const unsigned char *key, size_t len)
{
  struct probe *p = ctx;
  static const char *const names[] = {NULL,     AS_M_TYPE,          AS_M_FORMAT,
                                      AS_M_PID, AS_M_STARTED_AT_NS, AS_M_SEQ};
  p->key = PROBE_OTHER;
  for (int i = 1; p->depth == 1 && i <= PROBE_SEQ; i++)
    if (strlen(names[i]) == len && memcmp(names[i], key, len) == 0)
      p->key = i;
  return 1;
}

static int probe_int(void *ctx, long long v)
{
  struct probe *p = ctx;
  if (p->depth == 1 && p->key == PROBE_PID)
    p->pid = v;
  else if (p->depth == 1 && p->key == PROBE_STARTED)
    p->started_at_ns = v;
  else if (p->depth == 1 && p->key == PROBE_SEQ && v >= 0) {
    p->seq = v;
    p->has_seq = 1;
    return 0; /* all that a snapshot line is probed for: stop there */
  }
  return 1;
}

static int probe_str(void *ctx, const unsigned char *v, size_t len)
{
  struct probe *p = ctx;
  if (p->depth == 1 && p->key == PROBE_TYPE)
    p->is_header = len == strlen(AS_LINE_HEADER) && memcmp(v, AS_LINE_HEADER, len) == 0;
  else if (p->depth == 1 && p->key == PROBE_FORMAT)
    p->is_format = len == strlen(AS_FORMAT_NAME) && memcmp(v, AS_FORMAT_NAME, len) == 0;
  return 1;
}

static int probe_open(void *ctx)
{
  ((struct probe *)ctx)->depth++;
  return 1;
}

static int probe_close(void *ctx)
{
  struct probe *p = ctx;
  p->depth--;
  p->key = PROBE_OTHER;
  return 1;
}

static int probe_other(void *ctx)
{
  ((struct probe *)ctx)->key = PROBE_OTHER;
  return 1;
}

static int probe_bool(void *ctx, int v)
{
  (void)v;
  return probe_other(ctx);
}

static int probe_double(void *ctx, double v)
{
  (void)v;
  return probe_other(ctx);
}

static const yajl_callbacks probe_callbacks = {probe_other, probe_bool, probe_int,  probe_double,
                                               NULL,        probe_str,  probe_open, probe_key,
                                               probe_close, probe_open, probe_close};

/* Parses the line of FD that starts at *OFFSET into P, up to its end (moving *OFFSET past it)
 * or until P has its seq. Returns 1 (a whole line, or its seq), 0 (not all written yet), or -1
 * (not JSON, or unreadable). */
static int probe_line(int fd, off_t *offset, unsigned char *buf, size_t cap, struct probe *p,
                      size_t limit)
{
  yajl_handle h = yajl_alloc(&probe_callbacks, NULL, p);
  if (!h)
    return -1;
  int rc = 0;
  for (size_t used = 0; used <= limit;) {
    ssize_t n = pread(fd, buf, cap, *offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      rc = n < 0 ? -1 : 0;
      break;
    }
    unsigned char *nl = memchr(buf, '\n', (size_t)n);
    size_t len = nl ? (size_t)(nl - buf) : (size_t)n;
    *offset += (off_t)(len + (nl ? 1 : 0));
    used += len;
    yajl_status st = yajl_parse(h, buf, len);
    if (st == yajl_status_client_canceled) {
      rc = 1;
      break;
    }
    if (st != yajl_status_ok) {
      rc = -1;
      break;
    }
    if (nl) {
      rc = yajl_complete_parse(h) == yajl_status_ok ? 1 : -1;
      break;
    }
  }
  yajl_free(h);
  return rc;
}

/* Whether the regular file FD is one of this run (its header names this process), and the
 * seq its first snapshot line begins with (-1: not written yet). Returns 1, 0 (another file,
 * or its header is not all written yet), or -ENOMEM. */
static int reader_probe(const struct as_reader *r, int fd, int64_t *first_seq)
{
  enum { PROBE_CHUNK = 16 << 10 };
  unsigned char *buf = malloc(PROBE_CHUNK);
  if (!buf)
    return -ENOMEM;
  struct probe head = {0}, line = {0};
  off_t offset = 0;
  int rc = probe_line(fd, &offset, buf, PROBE_CHUNK, &head, READER_MAX_HEADER) == 1 &&
           head.is_header && head.is_format && head.pid == r->header.pid &&
           head.started_at_ns == r->header.started_at_ns;
  *first_seq = -1;
  /* The writer puts seq first but for type: a line that does not say it within the header's
   * limit is taken as not written yet (re-read at every look: so bounded). */
  if (rc && probe_line(fd, &offset, buf, PROBE_CHUNK, &line, READER_MAX_HEADER) == 1 &&
      line.has_seq)
    *first_seq = line.seq;
  free(buf);
  return rc;
}

static void reader_part_drop(struct as_reader *r, size_t i)
{
  close(r->parts[i].fd);
  free(r->parts[i].name);
  r->parts[i] = r->parts[--r->n_parts];
}

void reader_parts_close(struct as_reader *r)
{
  while (r->n_parts)
    reader_part_drop(r, r->n_parts - 1);
}

/* Opens the regular file at NAME without waiting (a FIFO put there) and without making it a
 * controlling terminal. Returns the descriptor with ST filled, or -1. */
static int reader_open_regular(const char *name, struct stat *st)
{
  int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return -1;
  if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Looks at NAME, NAME.1 ... for files of this run not read yet and holds them open (the writer
 * may move or remove them at any moment; a descriptor stays the same file). Unless ALL, stops
 * at the file being read or one read before: the names after it hold older files (a rotation
 * moves every file one name on, never one back). Returns 0 or an error. */
static int reader_scan_rotated(struct as_reader *r, int all)
{
  for (size_t i = 0; i < r->n_parts;) { /* held ones: a first line written since, or read past */
    struct reader_part *p = &r->parts[i];
    if (p->first_seq < 0 && reader_probe(r, p->fd, &p->first_seq) < 0)
      return reader_fail(r, -ENOMEM, "out of memory");
    if (p->first_seq >= 0 && p->first_seq <= r->last_seq)
      reader_part_drop(r, i);
    else
      i++;
  }
  for (unsigned k = 0; k <= AS_DEST_KEEP_MAX && r->n_parts < READER_PARTS; k++) {
    char name[AS_DEST_PATH_MAX];
    if (k == 0)
      snprintf(name, sizeof name, "%s", r->path);
    else if (as_dest_rotated_name(r->path, k, name, sizeof name) < 0)
      break;
    struct stat st;
    int fd = reader_open_regular(name, &st);
    if (fd < 0)
      continue; /* absent (or moving right now: it is found under its next name) */
    int known = st.st_dev == r->dev && st.st_ino == r->ino;
    if (known && !all) {
      close(fd);
      break;
    }
    for (size_t i = 0; i < r->n_parts && !known; i++)
      known = st.st_dev == r->parts[i].dev && st.st_ino == r->parts[i].ino;
    int64_t first_seq = -1;
    int rc = known ? 0 : reader_probe(r, fd, &first_seq);
    if (rc < 0) {
      close(fd);
      return reader_fail(r, rc, "out of memory");
    }
    struct reader_part *p = &r->parts[r->n_parts];
    int older = rc == 1 && first_seq >= 0 && first_seq <= r->last_seq;
    if (rc == 0 || older || !(p->name = strdup(name))) {
      close(fd);
      if (older && !all)
        break;
      continue;
    }
    p->fd = fd;
    p->dev = st.st_dev;
    p->ino = st.st_ino;
    p->first_seq = first_seq;
    r->n_parts++;
  }
  return 0;
}

/* The held file whose first seq is the smallest after the last one read; -1 when none (a file
 * whose first line is not written yet is the newest: it waits). */
static ssize_t reader_next_part(const struct as_reader *r)
{
  ssize_t best = -1;
  for (size_t i = 0; i < r->n_parts; i++)
    if (r->parts[i].first_seq > r->last_seq &&
        (best < 0 || r->parts[i].first_seq < r->parts[best].first_seq))
      best = (ssize_t)i;
  return best;
}

/* Goes on with held file I from its start: its first line is its own header. */
static int reader_switch_part(struct as_reader *r, size_t i)
{
  struct reader_part p = r->parts[i];
  r->parts[i] = r->parts[--r->n_parts];
  if (r->last_seq >= 0 && p.first_seq > r->last_seq + 1) {
    /* The files between were removed before this reader got to them: said in every line from
     * here on, as the tracer's own diagnostics are. */
    int64_t gap = p.first_seq - r->last_seq - 1;
    r->missed = as_sat_add(r->missed, gap);
    snprintf(r->missed_note, sizeof r->missed_note,
             "the reader missed %lld snapshot line%s (seq %lld to %lld; %lld in all): the "
             "rotated files holding them were removed before it read them (ACTORSCOPE_KEEP "
             "too small for how far behind it was); it went on at the keyframe of %s",
             (long long)gap, gap == 1 ? "" : "s", (long long)r->last_seq + 1,
             (long long)p.first_seq - 1, (long long)r->missed, p.name);
  }
  if (r->fd > STDIN_FILENO)
    close(r->fd);
  r->fd = p.fd;
  r->dev = p.dev;
  r->ino = p.ino;
  free(r->part_name);
  r->part_name = p.name;
  r->buf_len = r->buf_pos = 0;
  r->followed = 0;
  r->expect_header = 1;
  r->rotation_seen = 0;
  r->lineno = 0;
  r->done = 0;
  if (lseek(p.fd, 0, SEEK_SET) < 0)
    return reader_fail(r, -EIO, "cannot read it from its start: %s", strerror(errno));
  return 0;
}

/* Whether the named file is now another one, or none (the writer moved the one being read). */
static int reader_file_moved(const struct as_reader *r)
{
  struct stat named;
  return stat(r->path, &named) != 0 || named.st_ino != r->ino || named.st_dev != r->dev;
}

/* Whether the named file now holds another run than this one (its header whole): a new process
 * took the name, or someone put another file there. *PID: the pid its header names. */
static int reader_other_run_at_name(const struct as_reader *r, int64_t *pid)
{
  struct stat st;
  int fd = reader_open_regular(r->path, &st);
  if (fd < 0)
    return 0;
  unsigned char *buf = malloc(16 << 10);
  struct probe head = {0};
  off_t offset = 0;
  int other = buf && probe_line(fd, &offset, buf, 16 << 10, &head, READER_MAX_HEADER) == 1 &&
              head.is_header && head.is_format &&
              (head.pid != r->header.pid || head.started_at_ns != r->header.started_at_ns);
  free(buf);
  close(fd);
  *pid = head.pid;
  return other;
}

int reader_at_end(struct as_reader *r, int mid_line)
{
  if (!r->rotating)
    return 0;
  if (!r->rotation_seen) {
    if (!reader_file_moved(r))
      return 0;
    /* It was written to its end (its last line whole) before it was moved: read once more,
     * then go on. */
    r->rotation_seen = 1;
    return 1;
  }
  if (mid_line)
    return 0; /* a moved file that ends inside a line: its writer was killed */
  int rc = reader_scan_rotated(r, 0);
  ssize_t next = rc < 0 ? -1 : reader_next_part(r);
  int64_t other;
  if (next < 0 && rc == 0 && r->opt.follow && reader_other_run_at_name(r, &other))
    return reader_fail(r, -ESTALE,
                       "the file was replaced by that of another process (pid %lld) "
                       "while being followed",
                       (long long)other);
  if (next < 0)
    return rc;
  rc = reader_switch_part(r, (size_t)next);
  r->lineno = 1; /* reading that file's first line now */
  return rc < 0 ? rc : 1;
}

/* A regular file may be one of a set that an ACTORSCOPE_MAX_BYTES writer rotates (NAME.jsonl,
 * NAME.1.jsonl newest ...): reading starts at the oldest file of this run that is there, and
 * goes on at each file's end in the one that follows it. Returns 0 or an error. */
int reader_start_rotated(struct as_reader *r)
{
  struct stat st;
  if (fstat(r->fd, &st) != 0)
    return reader_fail(r, -EIO, "%s", strerror(errno));
  r->rotating = 1;
  r->dev = st.st_dev;
  r->ino = st.st_ino;
  if (r->opt.follow)
    reader_watch(r);
  int64_t first_seq;
  int rc = reader_probe(r, r->fd, &first_seq);
  if (rc >= 0)
    rc = reader_scan_rotated(r, 1);
  if (rc < 0)
    return rc == -ENOMEM ? reader_fail(r, rc, "out of memory") : rc;
  ssize_t oldest = reader_next_part(r);
  if (oldest < 0 || (first_seq >= 0 && r->parts[oldest].first_seq > first_seq))
    return 0; /* the file opened is the oldest: read on */
  /* Hold the file opened too (read from its start when its turn comes). */
  struct reader_part *p = &r->parts[r->n_parts];
  if (r->n_parts == READER_PARTS || !(p->name = strdup(r->part_name ? r->part_name : r->path)))
    return reader_fail(r, -ENOMEM, "out of memory");
  p->fd = r->fd;
  p->dev = r->dev;
  p->ino = r->ino;
  p->first_seq = first_seq;
  r->n_parts++;
  r->fd = -1;
  return reader_switch_part(r, (size_t)oldest);
}

/* The named file is not there, or has no whole header yet: a rotation in progress moved it
 * and has not written the new one yet. Then the run is that of the newest rotated file, and
 * its files are read as above. Returns 0, or the first error again when there is none. */
int reader_open_moved(struct as_reader *r, int rc)
{
  for (unsigned k = 1; k <= AS_DEST_KEEP_MAX; k++) {
    char name[AS_DEST_PATH_MAX];
    struct stat st;
    int fd;
    if (as_dest_rotated_name(r->path, k, name, sizeof name) < 0)
      break;
    if ((fd = reader_open_regular(name, &st)) < 0)
      continue;
    if (r->fd > STDIN_FILENO)
      close(r->fd);
    r->fd = fd;
    r->is_regular = 1;
    r->buf_len = r->buf_pos = 0;
    r->followed = 0;
    r->lineno = 0;
    r->done = r->truncated = r->failed = 0;
    free(r->part_name);
    r->part_name = strdup(name);
    struct as_reader_error first = *r->err;
    if (reader_line(r) == 0 && r->have_header) {
      r->err->code = 0;
      r->err->text[0] = '\0';
      return 0;
    }
    *r->err = first;
    return rc;
  }
  return rc;
}
