#include "destination.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

static int dest_fail(char *why, size_t why_len, const char *what)
{
  if (why && why_len)
    snprintf(why, why_len, "%s", what);
  return -EINVAL;
}

static int dest_path(char *out, const char *path, const char *cwd, char *why, size_t why_len)
{
  if (path[0] == '\0')
    return dest_fail(why, why_len, "the path is empty");
  int n = path[0] == '/' || !cwd ? snprintf(out, AS_DEST_PATH_MAX, "%s", path)
                                 : snprintf(out, AS_DEST_PATH_MAX, "%s/%s", cwd, path);
  if (n < 0 || n >= AS_DEST_PATH_MAX)
    return dest_fail(why, why_len, "the path is too long");
  return 0;
}

/* Digits only, 0 … 65535. */
static int dest_port(const char *text, unsigned *port)
{
  unsigned long value = 0;
  if (!*text)
    return -1;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9')
      return -1;
    value = value * 10 + (unsigned long)(*p - '0');
    if (value > 65535)
      return -1;
  }
  *port = (unsigned)value;
  return 0;
}

static int dest_parse_tcp(struct as_dest *dest, const char *spec, char *why, size_t why_len)
{
  static const char grammar[] = "expected tcp:PORT, tcp:HOST:PORT or tcp:[IPV6]:PORT with PORT "
                                "from 0 to 65535";
  const char *host = AS_DEFAULT_TCP_HOST, *port;
  size_t host_len = strlen(AS_DEFAULT_TCP_HOST);
  if (spec[0] == '[') {
    const char *close = strchr(spec, ']');
    if (!close || close == spec + 1)
      return dest_fail(why, why_len, "unbalanced or empty brackets; expected tcp:[IPV6]:PORT");
    if (close[1] != ':')
      return dest_fail(why, why_len, grammar);
    host = spec + 1;
    host_len = (size_t)(close - host);
    port = close + 2;
  } else {
    const char *colon = strchr(spec, ':');
    if (colon && strchr(colon + 1, ':'))
      return dest_fail(why, why_len, "an IPv6 address goes in brackets: tcp:[::1]:PORT");
    if (colon) {
      if (colon == spec)
        return dest_fail(why, why_len, grammar);
      host = spec;
      host_len = (size_t)(colon - spec);
      port = colon + 1;
    } else {
      port = spec;
    }
  }
  if (host_len >= sizeof dest->host)
    return dest_fail(why, why_len, "the host name is too long");
  if (dest_port(port, &dest->port) < 0)
    return dest_fail(why, why_len, grammar);
  memcpy(dest->host, host, host_len);
  dest->host[host_len] = '\0';
  return 0;
}

int as_dest_parse(struct as_dest *dest, const char *text, const char *cwd, char *why,
                  size_t why_len)
{
  dest->path[0] = dest->host[0] = '\0';
  dest->port = 0;
  if (strncmp(text, "file:", 5) == 0) {
    dest->kind = AS_DEST_FILE;
    return dest_path(dest->path, text + 5, cwd, why, why_len);
  }
  if (strncmp(text, "unix:", 5) == 0) {
    dest->kind = AS_DEST_UNIX;
    int rc = dest_path(dest->path, text + 5, cwd, why, why_len);
    if (rc == 0 && strlen(dest->path) >= AS_DEST_UNIX_PATH_MAX)
      return dest_fail(why, why_len, "a unix socket path must be under 108 bytes");
    return rc;
  }
  if (strncmp(text, "tcp:", 4) == 0) {
    dest->kind = AS_DEST_TCP;
    return dest_parse_tcp(dest, text + 4, why, why_len);
  }
  return dest_fail(why, why_len, "expected file:PATH, unix:PATH or tcp:[HOST:]PORT");
}

int as_dest_is_socket(const char *text)
{
  return strncmp(text, "unix:", 5) == 0 || strncmp(text, "tcp:", 4) == 0;
}

int as_dest_format(const struct as_dest *dest, char *out, size_t out_len)
{
  int n;
  switch (dest->kind) {
  case AS_DEST_FILE: n = snprintf(out, out_len, "file:%s", dest->path); break;
  case AS_DEST_UNIX: n = snprintf(out, out_len, "unix:%s", dest->path); break;
  default:
    n = snprintf(out, out_len, strchr(dest->host, ':') ? "tcp:[%s]:%u" : "tcp:%s:%u", dest->host,
                 dest->port);
  }
  return n < 0 || (size_t)n >= out_len ? -ENAMETOOLONG : 0;
}

int as_dest_expand_path(const char *tmpl, long pid, char *out, size_t out_len)
{
  size_t used = 0;
  if (out_len == 0)
    return -ENAMETOOLONG;
  for (const char *p = tmpl; *p; p++) {
    if (p[0] == '%' && p[1] == 'p') {
      int n = snprintf(out + used, out_len - used, "%ld", pid);
      if (n < 0 || (size_t)n >= out_len - used)
        return -ENAMETOOLONG;
      used += (size_t)n;
      p++;
    } else {
      if (used + 1 >= out_len)
        return -ENAMETOOLONG;
      out[used++] = *p;
    }
  }
  out[used] = '\0';
  return 0;
}

int as_dest_path_is_per_process(const char *tmpl) { return strstr(tmpl, "%p") != NULL; }

/* PATH with SEP and K before the last extension of its file name (at its end without one). */
static int dest_numbered_name(const char *path, char sep, unsigned k, char *out, size_t out_len)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  if (!dot || dot == base)
    dot = base + strlen(base);
  int n = snprintf(out, out_len, "%.*s%c%u%s", (int)(dot - path), path, sep, k, dot);
  return n < 0 || (size_t)n >= out_len ? -ENAMETOOLONG : 0;
}

int as_dest_rotated_name(const char *path, unsigned k, char *out, size_t out_len)
{
  return dest_numbered_name(path, '.', k, out, out_len);
}

int as_dest_taken_name(const char *path, unsigned n, char *out, size_t out_len)
{
  return dest_numbered_name(path, '-', n, out, out_len);
}
