#define _GNU_SOURCE
#include "sink_clients.h"
#include "clock.h"
#include "jsonw.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SINK_NS_PER_MS 1000000u
/* A deadline set from another thread is noticed within one slice of a wait. */
#define SINK_WAIT_SLICE_MS 50
/* A queue this big is given back once it empties; most lines need far less. */
#define SINK_QUEUE_KEEP_BYTES (256u << 10)

static _Atomic uint64_t sink_exit_deadline_ns;

void as_sink_renew_exit_deadline(unsigned within_ms)
{
  atomic_store_explicit(&sink_exit_deadline_ns,
                        as_clock_now_ns() + (uint64_t)within_ms * SINK_NS_PER_MS,
                        memory_order_relaxed);
}

void as_sink_clear_exit_deadline(void)
{
  atomic_store_explicit(&sink_exit_deadline_ns, 0, memory_order_relaxed);
}

void as_sink_set_exit_deadline(unsigned within_ms)
{
  uint64_t want = as_clock_now_ns() + (uint64_t)within_ms * SINK_NS_PER_MS;
  uint64_t cur = atomic_load_explicit(&sink_exit_deadline_ns, memory_order_relaxed);
  while ((cur == 0 || want < cur) &&
         !atomic_compare_exchange_weak_explicit(&sink_exit_deadline_ns, &cur, want,
                                                memory_order_relaxed, memory_order_relaxed))
    ;
}

/* The earliest time any wait may end: the exit deadline or `limit`, in monotonic ns. */
static uint64_t sink_wait_limit(uint64_t limit)
{
  uint64_t exit_at = atomic_load_explicit(&sink_exit_deadline_ns, memory_order_relaxed);
  return exit_at && exit_at < limit ? exit_at : limit;
}

void sink_clients_init(struct sink_clients *cs, int listen_fd, const char *token,
                       unsigned interval_ms)
{
  memset(cs, 0, sizeof *cs);
  cs->line_wait_ms = interval_ms < SINK_LINE_WAIT_MIN_MS ? SINK_LINE_WAIT_MIN_MS
                     : interval_ms > SINK_LINE_WAIT_MS   ? SINK_LINE_WAIT_MS
                                                         : interval_ms;
  /* A stalled client is given up on well within a line's wait: the others still get it. */
  cs->stall_ms =
      cs->line_wait_ms / 2 < SINK_CLIENT_STALL_MS ? cs->line_wait_ms / 2 : SINK_CLIENT_STALL_MS;
  cs->listen_fd = listen_fd;
  cs->line_is_keyframe = 1; /* unless told otherwise, every line is whole in itself */
  as_fd_id_take(listen_fd, &cs->listen_id);
  cs->token = token ? token : "";
}

static size_t client_unsent(const struct sink_client *c) { return (size_t)(c->queued - c->sent); }

static void client_drop(struct sink_client *c, const char *why)
{
  if (!c->gone)
    snprintf(c->why, sizeof c->why, "%s", why ? why : "");
  c->gone = 1;
}

/* Sends what is queued without waiting; a client that is gone is marked so. */
static void client_pump(struct sink_client *c)
{
  while (!c->gone && client_unsent(c) > 0) {
    ssize_t n = send(c->fd, c->queue + c->head, client_unsent(c), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        client_drop(c, NULL);
      return;
    }
    c->head += (size_t)n;
    c->sent += (uint64_t)n;
    c->progress_ns = as_clock_now_ns();
  }
  if (client_unsent(c) > 0)
    return;
  c->head = 0;
  if (c->cap > SINK_QUEUE_KEEP_BYTES) {
    free(c->queue);
    c->queue = NULL;
    c->cap = 0;
  }
}

/* Queues len bytes; the caller has checked the bound (an error line may exceed it). */
static int client_append(struct sink_client *c, const char *data, size_t len)
{
  size_t unsent = client_unsent(c);
  if (c->head + unsent + len > c->cap) {
    if (unsent && c->head)
      memmove(c->queue, c->queue + c->head, unsent);
    c->head = 0;
    if (unsent + len > c->cap) {
      size_t cap = c->cap ? c->cap : 64u << 10;
      while (cap < unsent + len)
        cap *= 2;
      char *grown = realloc(c->queue, cap);
      if (!grown)
        return -1;
      c->queue = grown;
      c->cap = cap;
    }
  }
  memcpy(c->queue + c->head + unsent, data, len);
  c->queued += len;
  return 0;
}

static int client_stalled(const struct sink_clients *cs, const struct sink_client *c, uint64_t now)
{
  return now - c->progress_ns >= (uint64_t)cs->stall_ms * SINK_NS_PER_MS;
}

/* One wait of at most a slice for any of the clients chosen to take more, then sends to all of
 * them. Chosen: taking the line (or, without taking_only, every admitted client), with
 * something queued and not stalled. `also` is waited for even when it is none of these.
 * Returns how many were waited for; 0 when none was, or the limit has passed. */
static size_t sink_clients_wait_once(struct sink_clients *cs, int taking_only,
                                     struct sink_client *also, uint64_t limit)
{
  struct pollfd fds[SINK_MAX_CLIENTS];
  nfds_t n = 0;
  uint64_t now = as_clock_now_ns();
  for (size_t i = 0; i < cs->count; i++) {
    struct sink_client *c = &cs->slots[i];
    int chosen = c == also || (c->authenticated && (!taking_only || c->takes_line) &&
                               !client_stalled(cs, c, now));
    if (c->gone || !chosen || client_unsent(c) == 0)
      continue;
    fds[n++] = (struct pollfd){.fd = c->fd, .events = POLLOUT};
    uint64_t stall_at = c->progress_ns + (uint64_t)cs->stall_ms * SINK_NS_PER_MS;
    if (stall_at < limit)
      limit = stall_at; /* a client that stalls now is no reason to wait on */
  }
  limit = sink_wait_limit(limit);
  if (n == 0 || now >= limit)
    return 0;
  uint64_t left_ms = (limit - now + SINK_NS_PER_MS - 1) / SINK_NS_PER_MS;
  poll(fds, n, left_ms < SINK_WAIT_SLICE_MS ? (int)left_ms : SINK_WAIT_SLICE_MS);
  for (size_t i = 0; i < cs->count; i++)
    if (cs->slots[i].authenticated || &cs->slots[i] == also)
      client_pump(&cs->slots[i]);
  return (size_t)n;
}

/* Reads and discards what a client sent (at most a few pages a call): nothing but the token
 * is expected, and unread input would make close() reset the connection, losing what is still
 * on its way to the client. */
static void client_discard_input(int fd)
{
  char junk[4096];
  for (int i = 0; i < 16; i++) {
    ssize_t n = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && errno == EINTR))
      return;
  }
}

static char *sink_error_line(const char *text, size_t *len)
{
  struct as_jsonw w;
  as_jsonw_init(&w, 128);
  as_jsonw_lit(&w, "{\"format\":\"actorscope\",\"error\":");
  as_jsonw_str(&w, text);
  as_jsonw_lit(&w, "}\n");
  *len = w.len;
  return as_jsonw_finish(&w);
}

/* Tells a client why it goes, where that is possible without waiting, and closes it. */
static void client_close_with(struct sink_client *c, int mid_line, const char *why)
{
  if (why && why[0]) {
    /* Nothing of the line in progress has left yet: take it back, so the queue ends whole. */
    if (mid_line && c->sent <= c->line_start)
      c->queued = c->line_start;
    size_t len = 0;
    char *line = (!mid_line || c->queued == c->line_start) ? sink_error_line(why, &len) : NULL;
    c->gone = 0;
    if (line && client_append(c, line, len) == 0)
      client_pump(c);
    free(line);
  }
  if (c->fd >= 0) { /* -1: the host closed it and may use the number for its own files */
    client_discard_input(c->fd);
    close(c->fd);
  }
  free(c->queue);
}

/* Closes the clients marked gone; only here do slots move. */
static void sink_clients_reap(struct sink_clients *cs)
{
  for (size_t i = cs->count; i-- > 0;) {
    struct sink_client *c = &cs->slots[i];
    if (!c->gone)
      continue;
    int told = c->why[0] != '\0';
    client_close_with(c, cs->in_line && c->takes_line, c->why);
    if (told && c->authenticated)
      cs->stats.clients_dropped++;
    else if (told)
      cs->stats.clients_refused++;
    cs->slots[i] = cs->slots[--cs->count];
  }
}

static void client_admit(struct sink_client *c, const char *header)
{
  c->needs_keyframe = 1;
  c->authenticated = 1;
  c->progress_ns = as_clock_now_ns();
  if (header && (client_append(c, header, strlen(header)) < 0 || client_append(c, "\n", 1) < 0))
    c->queued = c->sent; /* out of memory: it gets lines without the header rather than none */
  client_pump(c);
}

static int sink_token_equal(const char *a, const char *b, size_t len)
{
  unsigned char diff = 0;
  for (size_t i = 0; i < len; i++)
    diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

enum token_state { TOKEN_PENDING, TOKEN_RIGHT, TOKEN_WRONG };

/* Reads no more than the token and its "\n", so nothing after them is consumed. */
static enum token_state client_read_token(struct sink_client *c, const char *token)
{
  size_t want = strlen(token) + 1;
  while (c->token_len < want) {
    ssize_t n = recv(c->fd, c->token_got + c->token_len, want - c->token_len, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return TOKEN_PENDING;
    if (n <= 0)
      return TOKEN_WRONG;
    size_t before = c->token_len;
    c->token_len += (size_t)n;
    if (memchr(c->token_got + before, '\n', (size_t)n) && c->token_len < want)
      return TOKEN_WRONG; /* too short */
  }
  return sink_token_equal(c->token_got, token, want - 1) && c->token_got[want - 1] == '\n'
             ? TOKEN_RIGHT
             : TOKEN_WRONG;
}

/* Connections taken from the backlog per call: a flood of them cannot keep the writer here. */
#define SINK_ACCEPTS_PER_CALL 64

static void sink_clients_accept(struct sink_clients *cs, const char *header, uint64_t now)
{
  for (int accepted = 0; accepted < SINK_ACCEPTS_PER_CALL; accepted++) {
    int fd = accept4(cs->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue; /* counted: a peer resetting connections in a loop cannot keep us here */
      return;
    }
    if (cs->count == SINK_MAX_CLIENTS) {
      struct sink_client refused = {.fd = fd};
      client_close_with(&refused, 0, "too many clients: 16 are connected");
      cs->stats.clients_refused++;
      continue;
    }
    struct sink_client *c = &cs->slots[cs->count++];
    memset(c, 0, sizeof *c);
    c->fd = fd;
    as_fd_id_take(fd, &c->id);
    c->accepted_ns = now;
    if (!cs->token[0])
      client_admit(c, header);
  }
}

static void client_vet(struct sink_client *c, const char *token, const char *header, uint64_t now)
{
  enum token_state t = client_read_token(c, token);
  if (t == TOKEN_RIGHT)
    client_admit(c, header);
  else if (t == TOKEN_WRONG)
    client_drop(c, "wrong token");
  else if (now - c->accepted_ns >= (uint64_t)SINK_TOKEN_WAIT_MS * SINK_NS_PER_MS)
    client_drop(c, "no token within 2 s");
}

/* Between lines: a client with something queued is behind, and may stay so only so long. */
static void client_check_behind(struct sink_client *c, uint64_t now)
{
  if (client_unsent(c) == 0) {
    c->behind_since_ns = 0;
  } else if (!c->behind_since_ns) {
    c->behind_since_ns = now;
  } else if (now - c->behind_since_ns >= (uint64_t)SINK_CLIENT_BEHIND_MS * SINK_NS_PER_MS) {
    char why[96];
    snprintf(why, sizeof why, "dropped: behind for 10 s (%llu lines skipped)",
             (unsigned long long)c->lines_skipped);
    client_drop(c, why);
  }
}

void sink_clients_service(struct sink_clients *cs, const char *header)
{
  uint64_t now = as_clock_now_ns();
  if (cs->listen_fd >= 0 && !as_fd_id_same(cs->listen_fd, &cs->listen_id))
    cs->listen_fd = -1; /* the host closed it: accept nothing from its number again */
  if (cs->listen_fd >= 0)
    sink_clients_accept(cs, header, now);
  for (size_t i = 0; i < cs->count; i++) {
    struct sink_client *c = &cs->slots[i];
    if (!as_fd_id_same(c->fd, &c->id)) {
      c->fd = -1; /* no longer ours: never written, read or closed again */
      c->gone = 1;
      c->why[0] = '\0';
      continue;
    }
    if (!c->authenticated) {
      client_vet(c, cs->token, header, now);
      continue;
    }
    client_discard_input(c->fd);
    client_pump(c);
    if (!cs->in_line && !c->gone)
      client_check_behind(c, now);
  }
  sink_clients_reap(cs);
}

size_t sink_clients_ready(const struct sink_clients *cs)
{
  size_t n = 0;
  for (size_t i = 0; i < cs->count; i++)
    n += cs->slots[i].authenticated && client_unsent(&cs->slots[i]) == 0;
  return n;
}

int sink_clients_want_keyframe(const struct sink_clients *cs)
{
  for (size_t i = 0; i < cs->count; i++)
    if (cs->slots[i].authenticated && cs->slots[i].needs_keyframe)
      return 1;
  return 0;
}

static void sink_clients_start_line(struct sink_clients *cs, const char *header)
{
  sink_clients_service(cs, header);
  uint64_t now = as_clock_now_ns();
  cs->in_line = 1;
  cs->line_deadline_ns = now + (uint64_t)cs->line_wait_ms * SINK_NS_PER_MS;
  for (size_t i = 0; i < cs->count; i++) {
    struct sink_client *c = &cs->slots[i];
    int ready = c->authenticated && client_unsent(c) == 0;
    /* A client that joined or missed a line takes nothing until a keyframe: a delta after a
     * gap would build a wrong state. */
    c->takes_line = ready && (cs->line_is_keyframe || !c->needs_keyframe);
    c->line_start = c->queued;
    if (c->takes_line) {
      c->progress_ns = now;
      if (cs->line_is_keyframe)
        c->needs_keyframe = 0;
    } else if (c->authenticated && !ready) {
      c->lines_skipped++;
      cs->stats.lines_skipped++;
      c->needs_keyframe = 1;
    }
  }
}

/* Hands a part of the line to one client: sent at once where its socket has room, queued
 * where not; while its queue is full, waits (sending to the others meanwhile) until the
 * line's time is up or the client stalls, and then drops it. */
static void client_take_part(struct sink_clients *cs, struct sink_client *c, const char *data,
                             size_t len)
{
  if (client_unsent(c) == 0) {
    while (len > 0) {
      ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n < 0) {
        client_drop(c, NULL);
        return;
      }
      data += n;
      len -= (size_t)n;
      c->sent += (uint64_t)n;
      c->queued += (uint64_t)n;
      c->progress_ns = as_clock_now_ns();
    }
  }
  while (len > 0 && !c->gone) {
    size_t room = SINK_CLIENT_QUEUE_BYTES - client_unsent(c);
    size_t take = room < len ? room : len;
    if (take && client_append(c, data, take) < 0) {
      client_drop(c, NULL);
      return;
    }
    data += take;
    len -= take;
    if (len > 0 && sink_clients_wait_once(cs, 1, c, cs->line_deadline_ns) == 0 &&
        client_unsent(c) == SINK_CLIENT_QUEUE_BYTES)
      client_drop(c, "dropped: it did not take a snapshot line in time");
  }
}

void sink_clients_write(struct sink_clients *cs, const char *header, const char *data, size_t len)
{
  if (!cs->in_line)
    sink_clients_start_line(cs, header);
  for (size_t i = 0; i < cs->count; i++) {
    struct sink_client *c = &cs->slots[i];
    if (c->takes_line && !c->gone)
      client_take_part(cs, c, data, len);
    else if (c->authenticated)
      client_pump(c);
  }
  sink_clients_reap(cs);
}

/* Waits, until limit, for the clients chosen (those taking the line, or all) to take what is
 * queued for them, but not for a client that has stalled. Returns how many are still behind. */
static int sink_clients_drain(struct sink_clients *cs, int taking_only, uint64_t limit)
{
  while (sink_clients_wait_once(cs, taking_only, NULL, limit) > 0)
    ;
  sink_clients_reap(cs);
  int behind = 0;
  for (size_t i = 0; i < cs->count; i++)
    behind += cs->slots[i].authenticated && (!taking_only || cs->slots[i].takes_line) &&
              client_unsent(&cs->slots[i]) > 0;
  return behind;
}

void sink_clients_end_line(struct sink_clients *cs)
{
  if (!cs->in_line)
    return;
  cs->line_is_keyframe = 1;
  sink_clients_drain(cs, 1, cs->line_deadline_ns);
  uint64_t now = as_clock_now_ns();
  for (size_t i = 0; i < cs->count; i++) {
    struct sink_client *c = &cs->slots[i];
    if (c->takes_line && client_unsent(c) > 0 && !c->behind_since_ns)
      c->behind_since_ns = now;
    c->takes_line = 0;
  }
  cs->in_line = 0;
}

int sink_clients_flush(struct sink_clients *cs, unsigned timeout_ms)
{
  return sink_clients_drain(cs, 0, as_clock_now_ns() + (uint64_t)timeout_ms * SINK_NS_PER_MS);
}

void sink_clients_close(struct sink_clients *cs, int polite)
{
  for (size_t i = 0; i < cs->count; i++) {
    if (polite)
      client_discard_input(cs->slots[i].fd);
    close(cs->slots[i].fd);
    free(cs->slots[i].queue);
  }
  cs->count = 0;
}
