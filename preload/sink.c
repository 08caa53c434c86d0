#define _GNU_SOURCE
#include "sink.h"
#include "fdid.h"
#include "diag.h"
#include "sink_clients.h"
#include "sink_listen.h"
#include "sink_rotate.h"
#include "run_notes.h"
#include "events_format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* NAME.jsonl taken: NAME-2.jsonl, NAME-3.jsonl … up to this number. */
#define SINK_FILE_NAME_TRIES 100

struct as_sink {
  enum as_dest_kind kind;
  char where[PATH_MAX + 16];
  char path[PATH_MAX];   /* the file asked for, or the socket's path */
  int fd;                /* the file, or the listening socket */
  struct as_fd_id fd_id; /* what fd was when opened */
  int broken;
  int file_in_line;
  int header_failed; /* the header's write failed (a negative errno): the file is given up */
  int file_fresh;    /* the file holds no line but the header */
  uint64_t file_bytes;
  char *header;
  struct sink_unix_place place;
  struct sink_clients clients;
  char token[AS_TOKEN_MAX + 1];
  unsigned long long max_bytes;
  struct sink_rotation rotation;
  /* Rotation before a line that would not fit (sink_rotate.h): the line being held back, what
   * the line is, and whether the file must be moved aside before the next line. */
  struct sink_hold hold;
  int line_keyframe;
  int line_holding;
  int line_withheld; /* a delta line that does not fit: dropped, a keyframe is written instead */
  int rotate_due;
};

/* Whether the events file that would go beside snapshots at PATH (NAME.events) is there: a
 * leftover of an earlier run. Its name is then taken too, or this run's events would have
 * nowhere to go (the events file never opens what exists). */
static int sink_events_file_exists(const char *path, char *events, size_t len)
{
  struct stat st;
  return as_events_path_of(path, events, len) == 0 && lstat(events, &st) == 0;
}

/* A new regular file that nobody else can have prepared: never follows a link, never opens an
 * existing file (a FIFO would block open() until someone reads), never truncates. Whatever is
 * at a name (a file, a link, a FIFO someone planted, or its events file) is left alone and the
 * next name tried, a bounded number of times: a planted name never silences the tracer. QUIET:
 * the caller says where the snapshots went. */
static int sink_file_create(struct as_sink *s, int quiet, struct as_error *err)
{
  char name[PATH_MAX], events[PATH_MAX];
  char first_said[PATH_MAX + 32] = "exists"; /* what was at the first name */
  /* After a rotation the file starts again under the name this process was writing (n = 0),
   * not the first free one: processes sharing a name never swap their files. */
  for (unsigned n = s->rotation.files ? 0 : 1; n <= SINK_FILE_NAME_TRIES; n++) {
    if (n == 0)
      snprintf(name, sizeof name, "%.4095s", s->where);
    else if (n == 1)
      snprintf(name, sizeof name, "%s", s->path);
    else if (as_dest_taken_name(s->path, n, name, sizeof name) < 0)
      break;
    /* At a rotation the events file beside the name is this process's own. */
    int events_there = n > 0 && sink_events_file_exists(name, events, sizeof events);
    int fd =
        events_there
            ? -1
            : open(name,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_APPEND | O_CLOEXEC,
                   0600);
    if (fd >= 0) {
      s->fd = fd;
      as_fd_id_take(fd, &s->fd_id);
      snprintf(s->where, sizeof s->where, "%s", name);
      as_run_notes_note_output(name); /* `actorscope run` learns the name actually written */
      if (n > 1 && !s->rotation.files && !quiet)
        as_diag_report("output_renamed", "%s %s and is left alone; snapshots go to %s", s->path,
                       first_said, name);
      return 0;
    }
    int e = events_there ? EEXIST : errno;
    struct stat st;
    if (e != EEXIST) {
      as_error_set(err, "cannot create %s: %s", name, strerror(e));
      return -e;
    }
    if (n != 1)
      continue;
    if (lstat(name, &st) == 0) {
      if (!S_ISREG(st.st_mode))
        snprintf(first_said, sizeof first_said, "is %s", sink_file_type_name(st.st_mode));
    } else if (events_there) {
      snprintf(first_said, sizeof first_said, "has an events file %s", events);
    }
  }
  as_error_set(err, "cannot create %s: it and %u numbered names next to it exist", s->path,
               SINK_FILE_NAME_TRIES - 1);
  return -EEXIST;
}

static int sink_write_all(int fd, const char *buf, size_t len)
{
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* A write past RLIMIT_FSIZE would raise SIGXFSZ in the host, which by default kills it. */
static int sink_file_append(struct as_sink *s, const char *data, size_t len)
{
  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      s->file_bytes + len > (uint64_t)limit.rlim_cur)
    return -EFBIG;
  int rc = sink_write_all(s->fd, data, len);
  if (rc == 0)
    s->file_bytes += len;
  return rc;
}

/* Snapshots must not go on into a file nobody can open any more, nor into a file of the host's
 * that took our descriptor's number after the host closed it. */
static int sink_file_check_linked(struct as_sink *s, struct as_error *err)
{
  struct stat st;
  if (!as_fd_id_same(s->fd, &s->fd_id)) {
    s->fd = -1; /* not ours any more: never written or closed again */
    as_error_set(err, "the program closed the descriptor of %s", s->where);
    return -EBADF;
  }
  if (fstat(s->fd, &st) == 0 && st.st_nlink == 0) {
    as_error_set(err, "%s was removed (or its directory) while being written", s->where);
    return -ENOENT;
  }
  return 0;
}

/* The file, created with its header if there is none yet (at the first line, or ahead of it:
 * as_sink_create_file). A header that could not be written whole (a full disk) is never
 * written again after its part: the file is given up, as at any failed write, and the first
 * line says why. Returns 0, or a negative errno with err set when the file was not created. */
static int sink_file_begin(struct as_sink *s, struct as_error *err)
{
  if (s->fd >= 0)
    return 0;
  int rc = sink_file_create(s, 0, err);
  if (rc < 0)
    return rc;
  s->file_fresh = 1;
  if (s->header && ((rc = sink_file_append(s, s->header, strlen(s->header))) < 0 ||
                    (rc = sink_file_append(s, "\n", 1)) < 0))
    s->header_failed = rc;
  return 0;
}

/* Appends to the file, creating it first when there is none; that the file is still the one
 * written is checked as each line begins (sink_file_part). */
static int sink_file_write(struct as_sink *s, const char *data, size_t len, struct as_error *err)
{
  int rc = sink_file_begin(s, err);
  if (rc < 0)
    return rc; /* err says why */
  if ((rc = s->header_failed) == 0 && (rc = sink_file_append(s, data, len)) == 0)
    s->file_fresh = 0;
  if (rc == -EFBIG)
    as_error_set(err, "writing %s failed: the file size limit (ulimit -f) is reached", s->where);
  else if (rc < 0)
    as_error_set(err, "writing %s failed: %s", s->where, strerror(-rc));
  return rc;
}

int as_sink_open(struct as_sink **out, const struct as_config *cfg, long pid, struct as_error *err)
{
  struct as_sink *s = calloc(1, sizeof *s);
  if (!s) {
    as_error_set(err, "out of memory");
    return -ENOMEM;
  }
  s->kind = cfg->output.kind;
  s->fd = -1;
  s->hold.spill_fd = -1;
  s->line_keyframe = 1;
  snprintf(s->token, sizeof s->token, "%s", cfg->token);
  s->max_bytes = cfg->max_bytes;
  s->rotation.keep = cfg->keep < AS_SINK_KEEP_MAX ? cfg->keep : AS_SINK_KEEP_MAX;
  int rc = 0;
  /* %p is the pid in a file's name and a socket's path alike: one socket per process in a
   * directory that `actorscope serve` watches. */
  if (cfg->output.kind != AS_DEST_TCP &&
      as_dest_expand_path(cfg->output.path, pid, s->path, sizeof s->path) < 0) {
    as_error_set(err, "output path is too long");
    free(s);
    return -ENAMETOOLONG;
  }
  switch (cfg->output.kind) {
  case AS_DEST_FILE: snprintf(s->where, sizeof s->where, "%s", s->path); break;
  case AS_DEST_UNIX:
    snprintf(s->where, sizeof s->where, "unix:%s", s->path);
    rc = sink_listen_unix(s->path, SINK_MAX_CLIENTS, &s->place, err);
    break;
  case AS_DEST_TCP:
    rc = sink_listen_tcp(cfg->output.host, cfg->output.port, SINK_MAX_CLIENTS, s->where,
                         sizeof s->where, err);
    break;
  }
  if (rc < 0) {
    free(s);
    return rc;
  }
  if (cfg->output.kind != AS_DEST_FILE) {
    s->fd = rc;
    as_fd_id_take(rc, &s->fd_id);
    sink_clients_init(&s->clients, rc, s->token, cfg->interval_ms);
  }
  *out = s;
  return 0;
}

int as_sink_set_header(struct as_sink *sink, const char *line)
{
  char *copy = strdup(line);
  if (!copy)
    return -ENOMEM;
  free(sink->header);
  sink->header = copy;
  return 0;
}

void as_sink_create_file(struct as_sink *sink)
{
  struct as_error ignored = {""};
  if (sink->kind == AS_DEST_FILE && !sink->broken)
    sink_file_begin(sink, &ignored);
}

const char *as_sink_describe(const struct as_sink *sink) { return sink->where; }

int as_sink_has_readers(struct as_sink *sink)
{
  if (sink->broken)
    return 0;
  if (sink->kind == AS_DEST_FILE)
    return 1;
  sink_clients_service(&sink->clients, sink->header);
  return sink_clients_ready(&sink->clients) > 0;
}

int as_sink_wants_keyframe(const struct as_sink *sink)
{
  return sink->kind != AS_DEST_FILE && sink_clients_want_keyframe(&sink->clients);
}

void as_sink_next_line_is_keyframe(struct as_sink *sink, int keyframe)
{
  sink->line_keyframe = keyframe;
  sink->clients.line_is_keyframe = keyframe;
}

int as_sink_starts_new_file(const struct as_sink *sink)
{
  return sink->kind == AS_DEST_FILE && (sink->fd < 0 || sink->rotate_due ||
                                        (sink->max_bytes && sink->file_bytes >= sink->max_bytes));
}

/* A file past its size is moved aside before the next line, which starts a new file (after
 * the last line nothing moves: the run's file is still where it was said to be). When a name
 * of the set is not this process's (something planted at NAME.1.jsonl, or NAME replaced), the
 * full file stays where it is and a new set starts under the next free name, as at the start. */
static int sink_file_rotate(struct as_sink *s, struct as_error *err)
{
  s->rotate_due = 0;
  if (s->fd < 0 || !as_fd_id_same(s->fd, &s->fd_id)) /* not ours any more: the write says so */
    return 0;
  int rc = sink_rotate(&s->rotation, s->where, s->fd, err);
  s->fd = -1;
  s->file_bytes = 0;
  if (rc != -EEXIST && rc != -ESTALE) {
    s->rotation.files++;
    return rc;
  }
  char refused[sizeof err->text];
  snprintf(refused, sizeof refused, "%s", err->text);
  memset(&s->rotation.ino, 0, sizeof s->rotation.ino);
  s->rotation.files = 0;
  if ((rc = sink_file_create(s, 1, err)) < 0)
    return rc;
  as_diag_report("output_renamed", "%s; snapshots go on in %s", refused, s->where);
  return 0;
}

struct sink_hold_target {
  struct as_sink *sink;
  struct as_error *err;
};

static int sink_hold_target_write(void *context, const char *data, size_t len)
{
  struct sink_hold_target *t = context;
  return sink_file_write(t->sink, data, len, t->err);
}

static int sink_file_release_hold(struct as_sink *s, struct as_error *err)
{
  struct sink_hold_target target = {s, err};
  s->line_holding = 0;
  return sink_hold_write_out(&s->hold, &target, sink_hold_target_write);
}

/* A line for a file that has begun is held back until it is known to fit (sink_rotate.h); a
 * line that begins a file is written at once, whatever its length. */
static int sink_file_part(struct as_sink *s, const char *data, size_t len, struct as_error *err)
{
  int rc = 0;
  if (!s->file_in_line) {
    s->line_withheld = 0;
    int begun = s->fd >= 0 && !s->file_fresh;
    if (s->rotate_due || (s->max_bytes && begun && s->file_bytes >= s->max_bytes))
      rc = sink_file_rotate(s, err);
    else if (s->fd >= 0)
      rc = sink_file_check_linked(s, err);
    s->line_holding = rc == 0 && s->max_bytes && begun;
    s->file_in_line = 1;
    if (rc < 0)
      return rc;
  }
  if (s->line_withheld)
    return 0;
  if (!s->line_holding)
    return sink_file_write(s, data, len, err);
  if (sink_hold_add(&s->hold, s->where, data, len, err) < 0) {
    /* Cannot hold it back: the line goes where it began, past the size if it must. */
    as_diag_report("output_line_not_held", "%s; a line may take %s past ACTORSCOPE_MAX_BYTES",
                   err->text, s->where);
    if ((rc = sink_file_release_hold(s, err)) == 0)
      rc = sink_file_write(s, data, len, err);
    return rc;
  }
  if (s->file_bytes + s->hold.total <= s->max_bytes)
    return 0;
  s->rotate_due = 1;
  if (!s->line_keyframe) {
    /* A new file must begin with a keyframe: this delta line is dropped and the collector
     * writes the same moment again as a keyframe (as_sink_end_line). */
    s->line_withheld = 1;
    s->line_holding = 0;
    sink_hold_clear(&s->hold);
    return 0;
  }
  if ((rc = sink_file_rotate(s, err)) == 0)
    rc = sink_file_release_hold(s, err);
  return rc;
}

int as_sink_write_part(struct as_sink *sink, const char *data, size_t len, struct as_error *err)
{
  if (sink->broken) {
    as_error_set(err, "output is disabled after an earlier error");
    return -EIO;
  }
  if (sink->kind != AS_DEST_FILE) {
    sink_clients_write(&sink->clients, sink->header, data, len);
    return 0;
  }
  int rc = sink_file_part(sink, data, len, err);
  if (rc < 0)
    sink->broken = 1;
  return rc;
}

int as_sink_end_line(struct as_sink *sink, struct as_error *err)
{
  int rc = as_sink_write_part(sink, "\n", 1, err);
  if (rc == 0 && sink->kind == AS_DEST_FILE && sink->line_holding)
    rc = sink_file_release_hold(sink, err); /* the whole line fits */
  if (rc < 0)
    sink->broken = 1;
  int withheld = sink->kind == AS_DEST_FILE && sink->line_withheld;
  sink->file_in_line = 0;
  sink->line_holding = sink->line_withheld = 0;
  sink->line_keyframe = 1;
  if (rc == 0 && sink->kind != AS_DEST_FILE)
    sink_clients_end_line(&sink->clients);
  return rc == 0 && withheld ? AS_SINK_LINE_WITHHELD : rc;
}

int as_sink_write_line(struct as_sink *sink, const char *line, struct as_error *err)
{
  int rc = as_sink_write_part(sink, line, strlen(line), err);
  return rc < 0 ? rc : as_sink_end_line(sink, err);
}

int as_sink_flush(struct as_sink *sink, unsigned timeout_ms)
{
  if (sink->kind == AS_DEST_FILE || sink->broken)
    return 0;
  return sink_clients_flush(&sink->clients, timeout_ms);
}

void as_sink_get_stats(const struct as_sink *sink, struct as_sink_stats *out)
{
  *out = sink->clients.stats;
  out->clients = 0;
  for (size_t i = 0; i < sink->clients.count; i++)
    out->clients += sink->clients.slots[i].authenticated;
}

static void sink_release(struct as_sink *sink, int polite)
{
  if (sink->kind != AS_DEST_FILE)
    sink_clients_close(&sink->clients, polite);
  if (as_fd_id_same(sink->fd, &sink->fd_id))
    close(sink->fd);
  sink_hold_free(&sink->hold);
  free(sink->header);
  free(sink);
}

void as_sink_close(struct as_sink *sink)
{
  if (!sink)
    return;
  if (sink->kind == AS_DEST_UNIX)
    sink_unlisten_unix(sink->path, &sink->place);
  sink_release(sink, 1);
}

void as_sink_abandon(struct as_sink *sink)
{
  if (sink)
    sink_release(sink, 0);
}
