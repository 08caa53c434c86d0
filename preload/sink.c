#define _GNU_SOURCE
#include "sink.h"
#include "runstatus.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SINK_MAX_CLIENTS 16
/* A client that cannot take a line within this time is dropped rather than stall snapshots. */
#define SINK_CLIENT_SEND_TIMEOUT_MS 500

struct as_sink {
  enum as_output_kind kind;
  char where[PATH_MAX + 16];
  char path[PATH_MAX];
  int fd; /* the file, or the listening socket */
  int broken;
  int in_line; /* part of a line is written: its end must come before anything else */
  char *header;
  int clients[SINK_MAX_CLIENTS];
  size_t client_count;
};

static int sink_write_all(int fd, const char *buf, size_t len, int flags)
{
  while (len > 0) {
    ssize_t n = flags >= 0 ? send(fd, buf, len, flags) : write(fd, buf, len);
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

static int sink_listen_unix(struct as_sink *s, struct as_error *err)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  memcpy(addr.sun_path, s->path, strnlen(s->path, sizeof addr.sun_path - 1));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    goto fail;
  unlink(s->path); /* a stale socket left by an earlier run */
  mode_t old_mask = umask(0177);
  int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  umask(old_mask);
  if (rc < 0 || chmod(s->path, 0600) < 0 || listen(fd, SINK_MAX_CLIENTS) < 0)
    goto fail;
  s->fd = fd;
  return 0;
fail:;
  int e = errno;
  if (fd >= 0)
    close(fd);
  as_error_set(err, "cannot listen on unix:%s: %s", s->path, strerror(e));
  return -e;
}

static int sink_listen_tcp(struct as_sink *s, const struct as_config *cfg, struct as_error *err)
{
  char port[16];
  snprintf(port, sizeof port, "%u", cfg->tcp_port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *res = NULL;
  int gai = getaddrinfo(cfg->tcp_host, port, &hints, &res);
  if (gai != 0) {
    as_error_set(err, "cannot resolve tcp:%s:%s: %s", cfg->tcp_host, port, gai_strerror(gai));
    return -EINVAL;
  }
  int e = EADDRNOTAVAIL;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      e = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SINK_MAX_CLIENTS) == 0) {
      struct sockaddr_storage bound;
      socklen_t len = sizeof bound;
      char host[128] = "?", serv[16] = "?";
      if (getsockname(fd, (struct sockaddr *)&bound, &len) == 0)
        getnameinfo((struct sockaddr *)&bound, len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV);
      snprintf(s->where, sizeof s->where, "tcp:%s:%s", host, serv);
      s->fd = fd;
      freeaddrinfo(res);
      return 0;
    }
    e = errno;
    close(fd);
  }
  freeaddrinfo(res);
  as_error_set(err, "cannot listen on tcp:%s:%s: %s", cfg->tcp_host, port, strerror(e));
  return -e;
}

int as_sink_open(struct as_sink **out, const struct as_config *cfg, long pid, struct as_error *err)
{
  struct as_sink *s = calloc(1, sizeof *s);
  if (!s) {
    as_error_set(err, "out of memory");
    return -ENOMEM;
  }
  s->kind = cfg->output_kind;
  s->fd = -1;
  int rc = 0;
  switch (cfg->output_kind) {
  case AS_OUTPUT_FILE:
    if (as_config_expand_path(cfg->output_path, pid, s->path, sizeof s->path) < 0) {
      as_error_set(err, "output path is too long");
      rc = -ENAMETOOLONG;
    }
    snprintf(s->where, sizeof s->where, "%s", s->path);
    break;
  case AS_OUTPUT_UNIX:
    snprintf(s->path, sizeof s->path, "%s", cfg->output_path);
    snprintf(s->where, sizeof s->where, "unix:%s", s->path);
    rc = sink_listen_unix(s, err);
    break;
  case AS_OUTPUT_TCP:
    rc = sink_listen_tcp(s, cfg, err);
    break;
  }
  if (rc < 0) {
    free(s);
    return rc;
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

const char *as_sink_describe(const struct as_sink *sink) { return sink->where; }

static int sink_file_write(struct as_sink *s, const char *data, size_t len, struct as_error *err)
{
  int rc = 0;
  if (s->fd < 0) {
    s->fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (s->fd < 0) {
      rc = -errno;
      as_error_set(err, "cannot create %s: %s", s->path, strerror(-rc));
      return rc;
    }
    as_runstatus_note_output(s->path);
    if (s->header && (rc = sink_write_all(s->fd, s->header, strlen(s->header), -1)) == 0)
      rc = sink_write_all(s->fd, "\n", 1, -1);
  }
  if (rc == 0)
    rc = sink_write_all(s->fd, data, len, -1);
  if (rc < 0)
    as_error_set(err, "writing %s failed: %s", s->path, strerror(-rc));
  return rc;
}

static int sink_send_line(int fd, const char *line, size_t len)
{
  int rc = sink_write_all(fd, line, len, MSG_NOSIGNAL);
  return rc < 0 ? rc : sink_write_all(fd, "\n", 1, MSG_NOSIGNAL);
}

static void sink_accept_clients(struct as_sink *s)
{
  for (;;) {
    int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      return;
    if (s->client_count == SINK_MAX_CLIENTS) {
      close(fd);
      continue;
    }
    struct timeval tv = {0, SINK_CLIENT_SEND_TIMEOUT_MS * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (s->header && sink_send_line(fd, s->header, strlen(s->header)) < 0) {
      close(fd);
      continue;
    }
    s->clients[s->client_count++] = fd;
  }
}

/* A client that fails mid-line is dropped: it has a partial last line, then end of stream. */
static void sink_send_clients(struct as_sink *s, const char *data, size_t len)
{
  for (size_t i = 0; i < s->client_count;) {
    if (sink_write_all(s->clients[i], data, len, MSG_NOSIGNAL) < 0) {
      close(s->clients[i]);
      s->clients[i] = s->clients[--s->client_count];
      continue;
    }
    i++;
  }
}

int as_sink_has_readers(struct as_sink *sink)
{
  if (sink->broken)
    return 0;
  if (sink->kind == AS_OUTPUT_FILE)
    return 1;
  sink_accept_clients(sink);
  return sink->client_count > 0;
}

int as_sink_write_part(struct as_sink *sink, const char *data, size_t len, struct as_error *err)
{
  if (sink->broken) {
    as_error_set(err, "output is disabled after an earlier error");
    return -EIO;
  }
  if (sink->kind != AS_OUTPUT_FILE) {
    /* Clients join between lines only, so none ever starts in the middle of one. */
    if (!sink->in_line)
      sink_accept_clients(sink);
    sink->in_line = 1;
    sink_send_clients(sink, data, len);
    return 0;
  }
  sink->in_line = 1;
  int rc = sink_file_write(sink, data, len, err);
  if (rc < 0)
    sink->broken = 1;
  return rc;
}

int as_sink_end_line(struct as_sink *sink, struct as_error *err)
{
  int rc = as_sink_write_part(sink, "\n", 1, err);
  sink->in_line = 0;
  return rc;
}

int as_sink_write_line(struct as_sink *sink, const char *line, struct as_error *err)
{
  int rc = as_sink_write_part(sink, line, strlen(line), err);
  return rc < 0 ? rc : as_sink_end_line(sink, err);
}

void as_sink_close(struct as_sink *sink)
{
  if (!sink)
    return;
  for (size_t i = 0; i < sink->client_count; i++)
    close(sink->clients[i]);
  if (sink->fd >= 0)
    close(sink->fd);
  if (sink->kind == AS_OUTPUT_UNIX)
    unlink(sink->path);
  free(sink->header);
  free(sink);
}
