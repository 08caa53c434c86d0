#define _GNU_SOURCE
#include "snapfile.h"

#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

static void snapfile_fail(struct snapfile_error *err, const char *path, size_t line,
                          const char *what)
{
  if (line)
    snprintf(err->text, sizeof err->text, "%s:%zu: %s", path, line, what);
  else
    snprintf(err->text, sizeof err->text, "%s: %s", path, what);
}

static int snapfile_check_header(json_t *header, const char *path, struct snapfile_error *err)
{
  const char *type = snapfile_str(header, "type");
  const char *format = snapfile_str(header, "format");
  json_t *version = json_object_get(header, "version");
  if (!type || strcmp(type, "header") != 0 || !format ||
      strcmp(format, SNAPFILE_FORMAT_NAME) != 0 || !json_is_integer(version)) {
    snapfile_fail(err, path, 1, "not an actorscope file (the first line must be its header)");
    return -1;
  }
  if (json_integer_value(version) > SNAPFILE_FORMAT_VERSION) {
    char what[160];
    snprintf(what, sizeof what,
             "format version %lld is newer than this tool reads (%d); use a newer actorscope",
             (long long)json_integer_value(version), SNAPFILE_FORMAT_VERSION);
    snapfile_fail(err, path, 1, what);
    return -1;
  }
  return 0;
}

static int snapfile_check_snapshot(json_t *value, const char *path, size_t lineno,
                                   struct snapfile_error *err)
{
  const char *type = snapfile_str(value, "type");
  if (!type || strcmp(type, "snapshot") != 0) {
    snapfile_fail(err, path, lineno, "expected a snapshot object");
    return -1;
  }
  if (!json_is_integer(json_object_get(value, "seq")) ||
      !json_is_array(json_object_get(value, "actors")) ||
      !json_is_object(json_object_get(value, "totals"))) {
    snapfile_fail(err, path, lineno, "snapshot lacks seq, totals or actors");
    return -1;
  }
  size_t i;
  json_t *actor;
  json_array_foreach(json_object_get(value, "actors"), i, actor) {
    if (!json_is_object(actor) || !json_is_integer(json_object_get(actor, "id")) ||
        !json_is_string(json_object_get(actor, "name"))) {
      char what[96];
      snprintf(what, sizeof what, "actor %zu lacks an integer id or a string name", i);
      snapfile_fail(err, path, lineno, what);
      return -1;
    }
  }
  return 0;
}

/* A live run: unix:PATH or tcp:HOST:PORT, read until the traced process closes it. */
static FILE *snapfile_connect(const char *spec)
{
  int fd = -1;
  if (strncmp(spec, "unix:", 5) == 0) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(spec + 5) >= sizeof addr.sun_path) {
      errno = ENAMETOOLONG;
      return NULL;
    }
    strcpy(addr.sun_path, spec + 5);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
      int e = errno;
      close(fd);
      errno = e;
      return NULL;
    }
  } else {
    char host[256];
    const char *hp = spec + 4, *colon = strrchr(hp, ':');
    snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - hp) : 0, hp);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (!colon || getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &res) != 0) {
      errno = EINVAL;
      return NULL;
    }
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
      fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
      if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        close(fd);
        fd = -1;
      }
    }
    freeaddrinfo(res);
    if (fd < 0) {
      errno = ECONNREFUSED;
      return NULL;
    }
  }
  return fdopen(fd, "r");
}

int snapfile_load(struct snapfile *file, const char *path, struct snapfile_error *err)
{
  memset(file, 0, sizeof *file);
  int live = strncmp(path, "unix:", 5) == 0 || strncmp(path, "tcp:", 4) == 0;
  FILE *f = strcmp(path, "-") == 0 ? stdin : live ? snapfile_connect(path) : fopen(path, "r");
  if (!f) {
    snapfile_fail(err, path, 0, strerror(errno));
    return -1;
  }
  file->path = strdup(path);
  file->snapshots = json_array();
  char *line = NULL;
  size_t cap = 0, lineno = 0;
  ssize_t len;
  int rc = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    int complete = len > 0 && line[len - 1] == '\n';
    if (complete)
      line[--len] = '\0';
    if (len == 0)
      continue;
    json_error_t jerr;
    json_t *value = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
    if (!value) {
      /* A last line without its newline was cut short by a killed writer. */
      if (!complete && feof(f)) {
        file->truncated = 1;
        break;
      }
      char what[300];
      snprintf(what, sizeof what, "invalid JSON at column %d: %s", jerr.column, jerr.text);
      snapfile_fail(err, path, lineno, what);
      rc = -1;
      break;
    }
    if (!json_is_object(value)) {
      snapfile_fail(err, path, lineno, "expected a JSON object");
      json_decref(value);
      rc = -1;
      break;
    }
    if (!file->header) {
      file->header = value;
      if ((rc = snapfile_check_header(value, path, err)) < 0)
        break;
      continue;
    }
    /* Format 2's delta lines: this reader keeps the full snapshots (keyframes) only. */
    if (json_integer_value(json_object_get(file->header, "version")) >= 2 &&
        json_is_string(json_object_get(value, "type")) &&
        strcmp(json_string_value(json_object_get(value, "type")), "delta") == 0) {
      json_decref(value);
      continue;
    }
    if ((rc = snapfile_check_snapshot(value, path, lineno, err)) < 0) {
      json_decref(value);
      break;
    }
    json_array_append_new(file->snapshots, value);
  }
  free(line);
  if (f != stdin)
    fclose(f);
  if (rc == 0 && !file->header) {
    snapfile_fail(err, path, 0, "empty file: no header line");
    rc = -1;
  }
  if (rc < 0)
    snapfile_free(file);
  return rc;
}

void snapfile_free(struct snapfile *file)
{
  json_decref(file->header);
  json_decref(file->snapshots);
  free(file->path);
  memset(file, 0, sizeof *file);
}

json_t *snapfile_snapshot_at(const struct snapfile *file, long long seq)
{
  size_t n = json_array_size(file->snapshots);
  if (n == 0)
    return NULL;
  if (seq < 0)
    return json_array_get(file->snapshots, n - 1);
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(file->snapshots, i);
    if (snapfile_int(s, "seq") == seq)
      return s;
  }
  return NULL;
}

long long snapfile_int(json_t *object, const char *key)
{
  json_t *v = json_object_get(object, key);
  return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

const char *snapfile_str(json_t *object, const char *key)
{
  return json_string_value(json_object_get(object, key));
}
