/* One line (reader_private.h): its bytes read, given to yajl in whole tokens (reader_lex.h),
 * and once it is whole, checked as the header, a rotated file's header, or a snapshot or delta
 * line (the state a delta leaves rebuilt by state.c). */
#define _GNU_SOURCE
#include "reader_private.h"
#include "events_format.h"
#include "reader_ended.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "program.h"

static int reader_begin_line(struct as_reader *r)
{
  if (r->parser)
    yajl_free(r->parser);
  r->parser = yajl_alloc(&reader_callbacks, NULL, r);
  if (!r->parser)
    return reader_fail(r, -ENOMEM, "out of memory");
  reader_arena_reset(&r->arena);
  memset(&r->line, 0, sizeof r->line);
  r->line.h.interval_ms = r->line.h.grave_ms = r->line.h.stack_depth = -1;
  r->line.h.mailbox_wait_every = -1;
  for (int k = 0; k < K_COUNT; k++)
    r->elements[k].n = 0;
  r->sites.n = r->ids.n = r->strs.n = 0;
  r->depth = r->skip_depth = r->skip_pending = r->failed = 0;
  r->last_actor_id = 0;
  r->line_bytes = 0;
  r->line_blank = 1;
  reader_lex_reset(&r->lex);
  r->carry_len = r->fed = 0;
  return 0;
}

static int reader_syntax_error(struct as_reader *r, const unsigned char *chunk, size_t len)
{
  if (r->failed)
    return r->err->code;
  /* The file beside the snapshots, given in their place. */
  if (!r->have_header && r->fed == 0 && len >= sizeof AS_EVENTS_MAGIC - 1 &&
      memcmp(chunk, AS_EVENTS_MAGIC, sizeof AS_EVENTS_MAGIC - 1) == 0)
    return reader_fail(r, -EPROTO,
                       "an events file (--events), not snapshots: give the snapshot file beside it "
                       "(NAME.jsonl for NAME.events); export perfetto reads both");
  unsigned char *msg = yajl_get_error(r->parser, 0, chunk, len);
  char text[200];
  snprintf(text, sizeof text, "%s", msg ? (const char *)msg : "parse error");
  yajl_free_error(r->parser, msg);
  for (size_t n = strlen(text); n && (text[n - 1] == '\n' || text[n - 1] == ' '); n--)
    text[n - 1] = '\0';
  size_t column = r->fed + yajl_get_bytes_consumed(r->parser) + 1;
  return reader_fail(r, -EPROTO, "invalid JSON at column %zu: %s", column, text);
}

/* Gives yajl LEN bytes of the line. Returns 0 or an error. */
static int reader_parse(struct as_reader *r, const unsigned char *chunk, size_t len)
{
  if (!len)
    return 0;
  if (yajl_parse(r->parser, chunk, len) != yajl_status_ok)
    return reader_syntax_error(r, chunk, len);
  r->fed += len;
  return r->failed ? r->err->code : 0;
}

static int reader_carry(struct as_reader *r, const unsigned char *bytes, size_t len)
{
  if (!len)
    return 0;
  if (r->carry_len + len > r->carry_cap) {
    size_t cap = r->carry_cap ? r->carry_cap : 4096;
    while (cap < r->carry_len + len)
      cap *= 2;
    if (reader_account_take(&r->account, cap - r->carry_cap) < 0)
      return reader_nomem(r), r->err->code;
    unsigned char *grown = realloc(r->carry, cap);
    if (!grown) {
      reader_account_give(&r->account, cap - r->carry_cap);
      return reader_nomem(r), r->err->code;
    }
    r->carry = grown;
    r->carry_cap = cap;
  }
  memcpy(r->carry + r->carry_len, bytes, len);
  r->carry_len += len;
  return 0;
}

/* The token held back, whole now (or at the line's end). */
static int reader_flush(struct as_reader *r)
{
  size_t len = r->carry_len;
  r->carry_len = 0;
  return reader_parse(r, r->carry, len);
}

static int reader_token_too_long(struct as_reader *r)
{
  char where[300];
  reader_where(r, where, sizeof where);
  /* A member name follows "{", or "," inside an object (where yajl has got to). */
  int in_object = r->depth > 0 && !r->skip_depth && r->stack[r->depth - 1].kind < K_ARRAY;
  int key = r->lex.before == '{' || (r->lex.before == ',' && in_object);
  if (key && reader_lex_in_string(&r->lex))
    return reader_fail(r, -EMSGSIZE,
                       "a member name longer than %zu bytes (the limit), in the "
                       "object of %s",
                       AS_READER_MAX_TOKEN, where);
  return reader_fail(r, -EMSGSIZE, "%s: a %s longer than %zu bytes (the limit)", where,
                     reader_lex_in_string(&r->lex) ? "string" : "number", AS_READER_MAX_TOKEN);
}

/* Gives yajl the whole tokens of LEN more bytes of the line, and holds back a token they leave
 * unfinished. Returns 0 or an error. */
static int reader_feed(struct as_reader *r, const unsigned char *p, size_t len)
{
  while (len) {
    size_t at;
    /* + 2: a string's quotes. */
    enum reader_lex_result lx = reader_lex_scan(&r->lex, p, len, AS_READER_MAX_TOKEN + 2, &at);
    if (lx == READER_LEX_TOO_LONG) {
      int rc = 0;
      if (r->lex.token_start != SIZE_MAX) /* what comes before it, so messages say where */
        rc = reader_parse(r, p, r->lex.token_start);
      return rc < 0 ? rc : reader_token_too_long(r);
    }
    if (lx == READER_LEX_TOKEN_ENDED) {
      int rc = reader_carry(r, p, at);
      if (rc < 0 || (rc = reader_flush(r)) < 0)
        return rc;
      p += at;
      len -= at;
      continue;
    }
    int rc = reader_parse(r, p, at);
    return rc < 0 ? rc : reader_carry(r, p + at, len - at);
  }
  return 0;
}

static int reader_check_header(struct as_reader *r)
{
  const struct reader_line_rec *l = &r->line;
  if (!l->type || strcmp(l->type, AS_LINE_HEADER) != 0 || !l->format ||
      strcmp(l->format, AS_FORMAT_NAME) != 0 || l->h.version < 1)
    return reader_fail(r, -EPROTO, "not an actorscope file (the first line must be its header)");
  if (l->h.version > AS_FORMAT_VERSION)
    return reader_fail(r, -EPROTONOSUPPORT,
                       "format version %lld is newer than this tool reads (%d); use a newer "
                       "actorscope",
                       (long long)l->h.version, AS_FORMAT_VERSION);
  /* A process speaks for itself only: a unix socket's header names the process serving it. */
  if (r->peer_pid > 0 && l->h.pid != r->peer_pid)
    return reader_fail(r, -EPROTO,
                       "refused: the header claims pid %lld, but the socket is served "
                       "by pid %ld",
                       (long long)l->h.pid, r->peer_pid);
  r->header = l->h;
  char name[AS_PROGRAM_NAME_MAX];
  as_program_name(l->h.program, l->h.argv, l->h.argc, name, sizeof name);
  char *copy = reader_arena_alloc(&r->arena, strlen(name) + 1);
  if (!copy)
    return reader_fail(r, -ENOMEM, "out of memory");
  r->header.name = strcpy(copy, name);
  r->have_header = 1;
  /* The header's strings live on in their own arena. */
  struct reader_arena swap = r->header_arena;
  r->header_arena = r->arena;
  r->arena = swap;
  return 0;
}

/* A file written before totals.received_all: the pipes' total and every listed actor's other
 * sockets, the closest the file allows. Returns 1 (the line is ready). */
static int reader_received_all(struct as_reader *r, struct as_rec_snapshot *s)
{
  if (r->received_all_written)
    return 1;
  int64_t all = s->messages_received;
  for (size_t i = 0; i < s->n_actors; i++)
    all = as_sat_add(all, s->actors[i].received_all - s->actors[i].messages_received);
  s->received_all = all;
  return 1;
}

/* Version 3: a line's ended actors join its actors (one list sorted by id), and leave with the
 * line after it, which says so in its `reaped` (a keyframe replaces the state anyway): to a
 * consumer an ended actor looks like a stopped actor listed once, then reaped. */
static int reader_merge_ended(struct as_reader *r, int delta)
{
  struct as_rec_snapshot *s = &r->line.s;
  if (delta && r->gone.n) {
    int64_t *reaped = reader_arena_alloc(&r->arena, (s->n_reaped + r->gone.n) * sizeof *reaped);
    if (!reaped)
      return reader_nomem(r);
    if (s->n_reaped)
      memcpy(reaped, s->reaped, s->n_reaped * sizeof *reaped);
    memcpy(reaped + s->n_reaped, r->gone.data, r->gone.n * sizeof *reaped);
    s->reaped = reaped;
    s->n_reaped += r->gone.n;
  }
  r->gone.n = 0;
  if (!r->line.n_ended)
    return 1;
  size_t n = s->n_actors + r->line.n_ended;
  struct as_rec_actor *all = reader_arena_alloc(&r->arena, n * sizeof *all);
  if (!all)
    return reader_nomem(r);
  if (s->n_actors)
    memcpy(all, s->actors, s->n_actors * sizeof *all);
  memcpy(all + s->n_actors, r->line.ended, r->line.n_ended * sizeof *all);
  s->actors = all;
  s->n_actors = n;
  int64_t twice = as_ended_merge(all, n);
  if (twice)
    return reader_fail(r, -EPROTO, "actor #%lld is listed twice (in actors and ended)",
                       (long long)twice),
           0;
  for (size_t i = 0; i < n; i++) {
    if (!all[i].ended)
      continue;
    int64_t *slot = reader_vec_push(&r->gone);
    if (!slot)
      return reader_nomem(r);
    *slot = all[i].id;
  }
  return 1;
}

static int reader_check_snapshot(struct as_reader *r)
{
  struct reader_line_rec *l = &r->line;
  int delta = l->type && strcmp(l->type, AS_LINE_DELTA) == 0 && r->header.version >= 2;
  if (!delta && (!l->type || strcmp(l->type, AS_LINE_SNAPSHOT) != 0))
    return reader_fail(r, -EPROTO, "expected a snapshot%s line, not %s%s%s",
                       r->header.version >= 2 ? " or delta" : "", l->type ? "\"" : "",
                       l->type ? l->type : "a line without a type", l->type ? "\"" : "");
  /* A delta leaves out what did not change since the line before. */
  uint64_t seen = r->stack[0].seen;
  uint64_t missing = reader_members_with(K_LINE, delta ? M_DELTA : M_SNAPSHOT) & ~seen;
  if (missing)
    return reader_fail(r, -EPROTO, "the snapshot lacks its member '%s'",
                       reader_kinds[K_LINE].members[__builtin_ctzll(missing)].key);
  if (!reader_merge_ended(r, delta))
    return r->err->code;
  for (size_t i = 0; i < l->s.n_actors; i++) {
    const struct as_rec_actor *a = &l->s.actors[i];
    if (!a->has_origin && !delta)
      return reader_fail(r, -EPROTO, "actor #%lld: member 'runtime' is missing", (long long)a->id);
    if (a->has_spawn_site && (uint64_t)a->spawn_site >= l->s.n_spawn_sites)
      return reader_fail(r, -EPROTO,
                         "actor #%lld: member 'spawn_site' is %lld, but the snapshot "
                         "lists %zu spawn sites",
                         (long long)a->id, (long long)a->spawn_site, l->s.n_spawn_sites);
  }
  if (l->s.signal && !l->s.final)
    return reader_fail(r, -EPROTO, "member 'signal' is set on a snapshot that is not final");
  if (l->s.n_reaped && !delta)
    return reader_fail(r, -EPROTO, "member 'reaped' is set on a line that is not a delta");
  l->s.line = r->lineno;
  l->s.bytes = r->line_bytes;
  l->s.delta = delta;
  /* Histograms' unit: a delta listing no actor leaves it out. */
  if (reader_members_saw(K_LINE, seen, AS_M_TICK_FS))
    r->tick_fs = l->s.tick_fs;
  l->s.tick_fs = r->tick_fs;
  if (r->line.has_received_all)
    r->received_all_written = 1;
  if (r->header.version < 2)
    return reader_received_all(r, &l->s); /* no deltas follow: the line's records are the state */
  int carried = (reader_members_saw(K_LINE, seen, AS_M_TOTALS) ? AS_STATE_HAS_TOTALS : 0) |
                (reader_members_saw(K_LINE, seen, AS_M_DEADLOCKS) ? AS_STATE_HAS_DEADLOCKS : 0) |
                (reader_members_saw(K_LINE, seen, AS_M_DIAGNOSTICS) ? AS_STATE_HAS_DIAGNOSTICS : 0);
  int rc = delta ? as_state_delta(&r->state, &l->s, carried) : as_state_keyframe(&r->state, &l->s);
  if (rc == -EPROTO && !r->state.active)
    return reader_fail(r, rc, "a delta line before any keyframe (snapshot line)");
  if (rc == -EPROTO)
    return reader_fail(r, rc,
                       "actor #%lld appears for the first time without its runtime, "
                       "spawn time and parent",
                       (long long)r->state.unknown_id);
  if (rc < 0)
    return reader_fail(r, rc, "out of memory rebuilding the state (%zu actors)", r->state.n);
  return reader_received_all(r, &l->s);
}

/* The header of a later file of a rotated set: the same process, or the set is not one run. */
static int reader_check_part_header(struct as_reader *r)
{
  const struct reader_line_rec *l = &r->line;
  r->expect_header = 0;
  if (!l->type || strcmp(l->type, AS_LINE_HEADER) != 0)
    return reader_fail(r, -EPROTO, "expected the header line of a rotated file");
  if (l->h.pid != r->header.pid || l->h.started_at_ns != r->header.started_at_ns)
    return reader_fail(r, -EPROTO,
                       "this file was written by another process (pid %lld) than %s "
                       "(pid %lld)",
                       (long long)l->h.pid, r->source, (long long)r->header.pid);
  return 0;
}

/* A line is parsed whole. Returns 1 (a snapshot is ready), 0 (the header), or an error. */
static int reader_end_line(struct as_reader *r)
{
  if (r->failed)
    return r->err->code;
  if (r->line.error && r->line.format && strcmp(r->line.format, AS_FORMAT_NAME) == 0)
    return reader_fail(r, -ECONNRESET, "the traced process ended this stream: %s", r->line.error);
  if (!r->have_header)
    return reader_check_header(r);
  if (r->expect_header)
    return reader_check_part_header(r);
  return reader_check_snapshot(r);
}

/* ---- bytes in ---------------------------------------------------------------------------- */

int64_t reader_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A socket that has not sent its header by the deadline is silent, or a slowloris. */
static int reader_wait_header(struct as_reader *r)
{
  for (;;) {
    int64_t left = r->header_deadline_ms - reader_now_ms();
    struct pollfd p = {r->fd, POLLIN, 0};
    int n = left > 0 ? poll(&p, 1, (int)left) : 0;
    if (n > 0)
      return 0;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return reader_fail(r, -EIO, "poll failed: %s", strerror(errno));
    return reader_fail(r, -ETIMEDOUT, "no whole header line within %u ms of connecting: dropped",
                       r->opt.header_timeout_ms);
  }
}

static int reader_fill(struct as_reader *r)
{
  for (;;) {
    if (r->header_deadline_ms && !r->have_header && reader_wait_header(r) < 0)
      return r->err->code;
    ssize_t n = read(r->fd, r->buf, READER_CHUNK);
    if (n > 0) {
      r->buf_len = (size_t)n;
      r->buf_pos = 0;
      r->bytes += (uint64_t)n;
      r->followed += n;
      return 1;
    }
    if (n == 0)
      return 0;
    if (errno == EINTR)
      continue;
    return reader_fail(r, -EIO, "read failed: %s", strerror(errno));
  }
}

int reader_line(struct as_reader *r)
{
  int rc = reader_begin_line(r);
  if (rc < 0)
    return rc;
  r->lineno++;
  int deferred = 0; /* a syntax error in a line that may turn out to be cut short */
  for (;;) {
    if (r->buf_pos == r->buf_len) {
      rc = reader_fill(r);
      if (rc < 0)
        return rc;
      if (rc == 0) {
        if (!deferred) {
          rc = reader_at_end(r, !r->line_blank);
          if (rc < 0)
            return rc;
          if (rc > 0)
            continue;
        }
        if (!deferred) {
          int more = reader_follow_wait(r);
          if (more < 0)
            return r->err->code;
          if (more)
            continue;
        }
        r->done = 1;
        if (r->line_blank && !deferred) {
          r->lineno--;
          return 0;
        }
        /* A last line without its newline: whole, or cut short by a killed writer. */
        if (!deferred && reader_flush(r) == 0 && yajl_complete_parse(r->parser) == yajl_status_ok &&
            !r->failed)
          return reader_end_line(r);
        if (r->failed && r->err->code != -EPROTO)
          return r->err->code;
        r->truncated = 1;
        r->failed = 0;
        return 0;
      }
    }
    unsigned char *start = r->buf + r->buf_pos;
    size_t avail = r->buf_len - r->buf_pos;
    unsigned char *nl = memchr(start, '\n', avail);
    size_t len = nl ? (size_t)(nl - start) : avail;
    size_t limit = r->opt.max_line_bytes ? r->opt.max_line_bytes : AS_READER_MAX_LINE;
    /* A header is small (argv at most): anything else fails fast (report /dev/zero). */
    if (!r->have_header && limit > READER_MAX_HEADER)
      limit = READER_MAX_HEADER;
    r->buf_pos += len + (nl ? 1 : 0);
    if (r->line_bytes + len > limit)
      return reader_fail(r, -EMSGSIZE, "the line is longer than %zu bytes, the limit", limit);
    r->line_bytes += len;
    if (!deferred && len) {
      for (size_t i = 0; i < len && r->line_blank; i++)
        r->line_blank = start[i] == ' ' || start[i] == '\t' || start[i] == '\r';
      if ((rc = reader_feed(r, start, len)) < 0) {
        /* A syntax error may come from a cut in the last line: decided at its end. Our own
         * checks, and errors in a line whose end is in sight, stop at once. */
        if (nl || r->err->code != -EPROTO || !strstr(r->err->text, "invalid JSON"))
          return rc;
        deferred = 1;
      }
    }
    if (!nl)
      continue;
    if (deferred)
      return r->err->code;
    if (!r->line_blank)
      break;
    r->lineno++;
    r->line_bytes = r->fed = 0;
  }
  if ((rc = reader_flush(r)) < 0)
    return rc;
  if (yajl_complete_parse(r->parser) != yajl_status_ok)
    return reader_syntax_error(r, NULL, 0);
  return reader_end_line(r);
}
