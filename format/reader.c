/* The streaming typed reader's public calls (reader.h); how it reads is in reader_private.h. */
#define _GNU_SOURCE
#include "reader_private.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A reader of SOURCE that has read nothing yet; NULL when out of memory (ERR says so). */
static struct as_reader *reader_new(const char *source, const struct as_reader_options *options,
                                    struct as_reader_error *err)
{
  err->code = 0;
  err->text[0] = '\0';
  struct as_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->source = strdup(source)) || !(r->buf = malloc(READER_CHUNK))) {
    if (r)
      free(r->source);
    free(r);
    snprintf(err->text, sizeof err->text, "%s: out of memory", source);
    err->code = -ENOMEM;
    return NULL;
  }
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, reader_members_init);
  r->fd = r->watch_fd = -1;
  r->last_seq = -1;
  r->peer_pid = -1;
  r->err = err;
  if (options)
    r->opt = *options;
  r->account.budget = r->opt.budget;
  r->arena.account = r->header_arena.account = &r->account;
  for (int k = 0; k < K_COUNT; k++) {
    r->elements[k].account = &r->account;
    r->elements[k].elem = reader_kinds[k].record;
  }
  r->sites.account = r->ids.account = r->strs.account = &r->account;
  r->sites.elem = sizeof(struct as_rec_site);
  r->ids.elem = sizeof(int64_t);
  r->strs.elem = sizeof(char *);
  r->gone.account = &r->account;
  r->gone.elem = sizeof(int64_t);
  return r;
}

/* The header line, read by every open (RC: the source's opening): a reader is never without
 * it. *UNWRITTEN: the file is not there, or holds no whole line yet. */
static int reader_first_line(struct as_reader *r, int rc, int *unwritten)
{
  if (rc == 0)
    rc = reader_line(r);
  *unwritten = rc == -ENOENT || (rc == 0 && !r->have_header && r->is_regular);
  if (rc == 0 && !r->have_header)
    rc = r->truncated ? reader_fail(r, -EPROTO, "the header line is cut short")
                      : reader_fail(r, -EPROTO, "empty: no header line");
  return rc;
}

int as_reader_open(struct as_reader **reader, const char *source,
                   const struct as_reader_options *options, struct as_reader_error *err)
{
  struct as_reader *r = *reader = reader_new(source, options, err);
  if (!r)
    return err->code;
  int unwritten;
  int rc = reader_first_line(r, reader_open_source(r, source), &unwritten);
  r->path = strncmp(r->source, "file:", 5) == 0 ? r->source + 5 : r->source;
  int rotating = !r->opt.single_file && strcmp(source, "-") != 0 && !as_dest_is_socket(source);
  if (rc < 0 && rotating && !r->opt.follow && unwritten)
    rc = reader_open_moved(r, rc);
  if (rc == 0 && r->is_regular && rotating)
    rc = reader_start_rotated(r);
  if (rc < 0) {
    as_reader_close(r);
    *reader = NULL;
    return rc;
  }
  return 0;
}

int as_reader_open_fd(struct as_reader **reader, int fd, const char *name,
                      const struct as_reader_options *options, struct as_reader_error *err)
{
  struct as_reader *r = *reader = reader_new(name, options, err);
  if (!r) {
    close(fd);
    return err->code;
  }
  r->fd = fd;
  struct stat st;
  r->is_regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  /* A descriptor is read as it is: a caller that wants waiting reads does not set O_NONBLOCK. */
  int unwritten;
  int rc = reader_first_line(r, 0, &unwritten);
  if (rc < 0) {
    as_reader_close(r);
    *reader = NULL;
  }
  return rc;
}

/* Adds what the reader missed (reader_switch_part) to the line's diagnostics. */
static int reader_note_missed(struct as_reader *r)
{
  struct as_rec_snapshot *s = &r->line.s;
  struct as_rec_diagnostic *all =
      reader_arena_alloc(&r->arena, (s->n_diagnostics + 1) * sizeof *all);
  if (!all)
    return reader_fail(r, -ENOMEM, "out of memory");
  if (s->n_diagnostics)
    memcpy(all, s->diagnostics, s->n_diagnostics * sizeof *all);
  all[s->n_diagnostics].code = "lines_missed";
  all[s->n_diagnostics].message = r->missed_note;
  s->diagnostics = all;
  s->n_diagnostics++;
  return 1;
}

int as_reader_next(struct as_reader *r, const struct as_rec_snapshot **snapshot,
                   struct as_reader_error *err)
{
  *snapshot = NULL;
  r->err = err;
  err->code = 0;
  err->text[0] = '\0';
  while (!r->done) {
    int rc = reader_line(r);
    if (rc < 0) {
      r->done = 1;
      return rc;
    }
    if (rc > 0) {
      r->last_seq = r->line.s.seq;
      if (r->missed && (rc = reader_note_missed(r)) < 0) {
        r->done = 1;
        return rc;
      }
      *snapshot = &r->line.s;
      if (r->line.s.final && r->opt.follow)
        r->done = 1; /* the writer is gone: nothing follows a final snapshot */
      return 1;
    }
  }
  return 0;
}

const struct as_rec_header *as_reader_header(const struct as_reader *r) { return &r->header; }
const char *as_reader_source(const struct as_reader *r) { return r->source; }
int as_reader_truncated(const struct as_reader *r) { return r->truncated; }
long as_reader_peer_pid(const struct as_reader *r) { return r->peer_pid; }

void as_reader_close(struct as_reader *r)
{
  if (!r)
    return;
  if (r->fd > STDIN_FILENO)
    close(r->fd);
  if (r->parser)
    yajl_free(r->parser);
  reader_arena_free(&r->arena);
  reader_arena_free(&r->header_arena);
  for (int k = 0; k < K_COUNT; k++)
    free(r->elements[k].data);
  free(r->sites.data);
  free(r->ids.data);
  free(r->strs.data);
  free(r->gone.data);
  free(r->carry);
  /* What the vectors and the carry hold goes back to the budget; the arenas gave theirs. */
  reader_account_give(&r->account, r->account.taken);
  as_state_free(&r->state);
  free(r->buf);
  reader_parts_close(r);
  if (r->watch_fd >= 0)
    close(r->watch_fd);
  free(r->part_name);
  free(r->source);
  free(r);
}

int as_reader_each(const char *source, const struct as_reader_options *options,
                   as_reader_snapshot_fn on_snapshot, void *ctx, int *truncated,
                   struct as_reader_error *err)
{
  struct as_reader *r;
  int rc = as_reader_open(&r, source, options, err);
  if (rc < 0)
    return rc;
  const struct as_rec_snapshot *s;
  while ((rc = as_reader_next(r, &s, err)) > 0)
    if ((rc = on_snapshot(&r->header, s, ctx)) < 0)
      break;
  if (truncated)
    *truncated = r->truncated;
  as_reader_close(r);
  return rc < 0 ? rc : 0;
}

void as_rec_actor_derive(struct as_rec_actor *a)
{
  int64_t received = a->messages_received, sent = as_sat_add(a->messages_sent, a->replies);
  int64_t queued = a->mailbox_len, deepest = a->mailbox_max;
  for (size_t i = 0; i < a->n_sockets; i++) {
    const struct as_rec_socket *k = &a->sockets[i];
    received = as_sat_add(received, k->received);
    sent = as_sat_add(sent, k->sent);
    if (k->has_depth)
      queued = as_sat_add(queued, k->depth);
    int64_t top = k->has_max && k->max > k->depth ? k->max : k->has_depth ? k->depth : 0;
    if (top > deepest)
      deepest = top;
  }
  a->received_all = received;
  a->sent_all = sent;
  a->queued_all = queued;
  a->queued_all_max = queued > deepest ? queued : deepest;
}

void as_rec_running_of(const struct as_rec_snapshot *s, struct as_rec_running *out)
{
  memset(out, 0, sizeof *out);
  out->known = s->has_runtime_running;
  out->running = s->runtime_running;
  for (size_t i = 0; i < s->n_actors; i++) {
    const struct as_rec_actor *a = &s->actors[i];
    out->since_attach |= a->attached_late;
    if (a->runtime_kind == AS_RUNTIME_CAF && a->status != AS_STATUS_STOPPED)
      out->seen++;
  }
}

const char *as_rec_running_note(const struct as_rec_running *r, char *out, size_t len)
{
  if (!r->known)
    snprintf(out, len, "%s", "");
  else
    snprintf(out, len,
             "CAF: %lld running by the actor systems' own count, %lld alive as traced%s "
             "(internal ones included)",
             (long long)r->running, (long long)r->seen, r->since_attach ? " since attach" : "");
  return out;
}
