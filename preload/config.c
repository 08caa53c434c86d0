#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int config_parse_uint(const char *name, const char *text, unsigned min, unsigned max,
                             const char *unit, unsigned *out, struct as_error *err)
{
  char *end = NULL;
  errno = 0;
  unsigned long value = (text[0] >= '0' && text[0] <= '9') ? strtoul(text, &end, 10) : 0;
  if (!end || *end != '\0' || errno != 0 || value < min || value > max) {
    as_error_set(err, "%s='%s' is invalid: expected a whole number of %s from %u to %u", name,
                 text, unit, min, max);
    return -EINVAL;
  }
  *out = (unsigned)value;
  return 0;
}

/* A size in bytes, with an optional K, M or G (powers of 1024); 0 means no limit, anything
 * else must leave room for a few lines (4 KiB). */
static int config_parse_size(const char *name, const char *text, unsigned long long *out,
                             struct as_error *err)
{
  char *end = NULL;
  errno = 0;
  unsigned long long value = (text[0] >= '0' && text[0] <= '9') ? strtoull(text, &end, 10) : 0;
  unsigned shift = 0;
  if (end && (*end == 'K' || *end == 'M' || *end == 'G')) {
    shift = *end == 'K' ? 10 : *end == 'M' ? 20 : 30;
    end++;
  }
  if (!end || *end != '\0' || errno != 0 || value > (1ull << 50) >> shift ||
      (value != 0 && value << shift < 4096)) {
    as_error_set(err, "%s='%s' is invalid: expected 0 (no limit) or a size from 4096 bytes, "
                 "optionally with K, M or G", name, text);
    return -EINVAL;
  }
  *out = value << shift;
  return 0;
}

static int config_make_absolute(const char *name, const char *path, const char *cwd, char *out,
                                size_t out_len, struct as_error *err)
{
  int n;
  if (path[0] == '\0') {
    as_error_set(err, "%s has an empty path", name);
    return -EINVAL;
  }
  if (path[0] == '/' || !cwd)
    n = snprintf(out, out_len, "%s", path);
  else
    n = snprintf(out, out_len, "%s/%s", cwd, path);
  if (n < 0 || (size_t)n >= out_len) {
    as_error_set(err, "%s: path is too long", name);
    return -EINVAL;
  }
  return 0;
}

static int config_parse_tcp(const char *spec, struct as_config *cfg, struct as_error *err)
{
  const char *colon = strrchr(spec, ':');
  const char *port_text = colon ? colon + 1 : spec;
  size_t host_len = colon ? (size_t)(colon - spec) : 0;
  if (host_len >= sizeof cfg->tcp_host) {
    as_error_set(err, "ACTORSCOPE_OUTPUT: tcp host is too long");
    return -EINVAL;
  }
  if (host_len == 0)
    snprintf(cfg->tcp_host, sizeof cfg->tcp_host, "127.0.0.1");
  else
    snprintf(cfg->tcp_host, sizeof cfg->tcp_host, "%.*s", (int)host_len, spec);
  if (cfg->tcp_host[0] == '[') {
    /* [::1] -> ::1 */
    size_t n = strlen(cfg->tcp_host);
    if (n < 3 || cfg->tcp_host[n - 1] != ']') {
      as_error_set(err, "ACTORSCOPE_OUTPUT='tcp:%s' is invalid: unbalanced brackets", spec);
      return -EINVAL;
    }
    memmove(cfg->tcp_host, cfg->tcp_host + 1, n - 2);
    cfg->tcp_host[n - 2] = '\0';
  }
  char *end = NULL;
  errno = 0;
  unsigned long port = (port_text[0] >= '0' && port_text[0] <= '9') ? strtoul(port_text, &end, 10) : 0;
  if (!end || *end != '\0' || errno != 0 || port > 65535) {
    as_error_set(err,
                 "ACTORSCOPE_OUTPUT='tcp:%s' is invalid: expected tcp:PORT or tcp:HOST:PORT "
                 "with PORT from 0 to 65535",
                 spec);
    return -EINVAL;
  }
  cfg->tcp_port = (unsigned)port;
  return 0;
}

static int config_parse_output(const char *text, const char *cwd, struct as_config *cfg,
                               struct as_error *err)
{
  static const char name[] = "ACTORSCOPE_OUTPUT";
  if (strncmp(text, "file:", 5) == 0) {
    cfg->output_kind = AS_OUTPUT_FILE;
    return config_make_absolute(name, text + 5, cwd, cfg->output_path, sizeof cfg->output_path, err);
  }
  if (strncmp(text, "unix:", 5) == 0) {
    cfg->output_kind = AS_OUTPUT_UNIX;
    int rc = config_make_absolute(name, text + 5, cwd, cfg->output_path, sizeof cfg->output_path, err);
    /* sockaddr_un.sun_path holds 108 bytes including the terminator. */
    if (rc == 0 && strlen(cfg->output_path) >= 108) {
      as_error_set(err, "%s='%s' is invalid: a unix socket path must be under 108 bytes", name, text);
      return -EINVAL;
    }
    return rc;
  }
  if (strncmp(text, "tcp:", 4) == 0) {
    cfg->output_kind = AS_OUTPUT_TCP;
    return config_parse_tcp(text + 4, cfg, err);
  }
  as_error_set(err, "%s='%s' is invalid: expected file:PATH, unix:PATH or tcp:[HOST:]PORT", name,
               text);
  return -EINVAL;
}

/* The token is a secret: an invalid one is described, never echoed. */
static int config_parse_token(const char *text, struct as_config *cfg, struct as_error *err)
{
  size_t len = strlen(text);
  int printable = 1;
  for (size_t i = 0; i < len && printable; i++)
    printable = text[i] > ' ' && text[i] < 0x7f;
  if (!printable || len < AS_CONFIG_TOKEN_MIN || len > AS_CONFIG_TOKEN_MAX) {
    as_error_set(err, "ACTORSCOPE_TOKEN is invalid: expected %u to %u printable ASCII characters "
                 "without spaces", AS_CONFIG_TOKEN_MIN, AS_CONFIG_TOKEN_MAX);
    return -EINVAL;
  }
  memcpy(cfg->token, text, len + 1);
  return 0;
}

int as_config_parse(struct as_config *cfg, as_config_lookup_fn lookup, const char *cwd,
                    struct as_error *err)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->interval_ms = AS_CONFIG_DEFAULT_INTERVAL_MS;
  cfg->grave_ms = AS_CONFIG_DEFAULT_GRAVE_MS;
  cfg->stack_depth = AS_CONFIG_DEFAULT_STACK_DEPTH;
  cfg->keyframe_s = AS_CONFIG_DEFAULT_KEYFRAME_S;
  cfg->keep = AS_CONFIG_DEFAULT_KEEP;
  cfg->stuck_ms = AS_CONFIG_DEFAULT_STUCK_MS;

  const char *output = lookup("ACTORSCOPE_OUTPUT");
  int rc = config_parse_output(output ? output : "file:" AS_CONFIG_DEFAULT_FILE, cwd, cfg, err);
  if (rc < 0)
    return rc;

  const char *text = lookup("ACTORSCOPE_INTERVAL_MS");
  if (text && (rc = config_parse_uint("ACTORSCOPE_INTERVAL_MS", text, 1, 3600000,
                                      "milliseconds", &cfg->interval_ms, err)) < 0)
    return rc;
  text = lookup("ACTORSCOPE_GRAVE_MS");
  if (text && (rc = config_parse_uint("ACTORSCOPE_GRAVE_MS", text, 0, 86400000, "milliseconds",
                                      &cfg->grave_ms, err)) < 0)
    return rc;
  text = lookup("ACTORSCOPE_STACK_DEPTH");
  if (text && (rc = config_parse_uint("ACTORSCOPE_STACK_DEPTH", text, 0, AS_CONFIG_MAX_STACK_DEPTH,
                                      "frames", &cfg->stack_depth, err)) < 0)
    return rc;
  text = lookup("ACTORSCOPE_KEYFRAME_S");
  if (text && (rc = config_parse_uint("ACTORSCOPE_KEYFRAME_S", text, 0, 86400, "seconds",
                                      &cfg->keyframe_s, err)) < 0)
    return rc;
  text = lookup("ACTORSCOPE_STUCK_MS");
  if (text && (rc = config_parse_uint("ACTORSCOPE_STUCK_MS", text, 0, 86400000, "milliseconds",
                                      &cfg->stuck_ms, err)) < 0)
    return rc;
  text = lookup("ACTORSCOPE_MAX_BYTES");
  if (text && (rc = config_parse_size("ACTORSCOPE_MAX_BYTES", text, &cfg->max_bytes, err)) < 0)
    return rc;
  text = lookup("ACTORSCOPE_KEEP");
  if (text && (rc = config_parse_uint("ACTORSCOPE_KEEP", text, 0, AS_CONFIG_MAX_KEEP, "files",
                                      &cfg->keep, err)) < 0)
    return rc;
  text = lookup("ACTORSCOPE_TOKEN");
  if (text && (rc = config_parse_token(text, cfg, err)) < 0)
    return rc;
  return 0;
}

int as_config_expand_path(const char *tmpl, long pid, char *out, unsigned long out_len)
{
  size_t used = 0;
  for (const char *p = tmpl; *p; p++) {
    int n;
    if (p[0] == '%' && p[1] == 'p') {
      n = snprintf(out + used, out_len - used, "%ld", pid);
      p++;
    } else {
      n = snprintf(out + used, out_len - used, "%c", *p);
    }
    if (n < 0 || (size_t)n >= out_len - used)
      return -ENAMETOOLONG;
    used += (size_t)n;
  }
  if (used == 0 && out_len > 0)
    out[0] = '\0';
  return 0;
}

int as_config_path_is_per_process(const char *tmpl) { return strstr(tmpl, "%p") != NULL; }
