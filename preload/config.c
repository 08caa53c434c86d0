#include "config.h"
#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A value quoted in an error: at most this many bytes of it, so that the line still says what
 * is wrong after 100 KB of garbage (the line is 256 bytes). */
#define CONFIG_SHOWN 64
#define CONFIG_SHOWN_FMT "'%.*s%s'"
#define CONFIG_SHOWN_ARGS(text)                                                                    \
  (int)strnlen((text), CONFIG_SHOWN), (text),                                                      \
      strnlen((text), CONFIG_SHOWN + 1) > CONFIG_SHOWN ? "..." : ""

static int config_parse_uint(const char *name, const char *text, unsigned min, unsigned max,
                             const char *unit, unsigned *out, struct as_error *err)
{
  char *end = NULL;
  errno = 0;
  unsigned long value = (text[0] >= '0' && text[0] <= '9') ? strtoul(text, &end, 10) : 0;
  if (!end || *end != '\0' || errno != 0 || value < min || value > max) {
    as_error_set(err,
                 "%s=" CONFIG_SHOWN_FMT " is invalid: expected a whole number of %s from %u to %u",
                 name, CONFIG_SHOWN_ARGS(text), unit, min, max);
    return -EINVAL;
  }
  *out = (unsigned)value;
  return 0;
}

/* A size in bytes, with an optional K, M or G (powers of 1024); 0 means no limit, anything
 * else must leave room for a few lines. */
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
  if (!end || *end != '\0' || errno != 0 || value > AS_MAX_BYTES_MAX >> shift ||
      (value != 0 && value << shift < AS_MAX_BYTES_MIN)) {
    as_error_set(err,
                 "%s=" CONFIG_SHOWN_FMT " is invalid: expected 0 (no limit) or a size from %llu "
                 "bytes, optionally with K, M or G",
                 name, CONFIG_SHOWN_ARGS(text), AS_MAX_BYTES_MIN);
    return -EINVAL;
  }
  *out = value << shift;
  return 0;
}

/* The grammar is format/destination.c's, shared with the readers. */
static int config_parse_output(const char *text, const char *cwd, struct as_config *cfg,
                               struct as_error *err)
{
  char why[160];
  if (as_dest_parse(&cfg->output, text, cwd, why, sizeof why) < 0) {
    as_error_set(err, "%s=" CONFIG_SHOWN_FMT " is invalid: %s", AS_ENV_OUTPUT,
                 CONFIG_SHOWN_ARGS(text), why);
    return -EINVAL;
  }
  return 0;
}

int as_config_parse(struct as_config *cfg, as_config_lookup_fn lookup, const char *cwd,
                    struct as_error *err)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->interval_ms = AS_INTERVAL_MS_DEFAULT;
  cfg->grave_ms = AS_GRAVE_MS_DEFAULT;
  cfg->stack_depth = AS_STACK_DEPTH_DEFAULT;
  cfg->keyframe_s = AS_KEYFRAME_S_DEFAULT;
  cfg->keep = AS_KEEP_DEFAULT;
  cfg->stuck_ms = AS_STUCK_MS_DEFAULT;
  cfg->mailbox_wait_every = AS_MAILBOX_WAIT_EVERY_DEFAULT;
  cfg->events_ring = AS_EVENTS_RING_DEFAULT;

  const char *text = lookup(AS_ENV_OUTPUT);
  int rc = config_parse_output(text ? text : AS_DEFAULT_OUTPUT, cwd, cfg, err);
  if (rc < 0)
    return rc;
  if ((text = lookup(AS_ENV_INTERVAL_MS)) &&
      (rc = config_parse_uint(AS_ENV_INTERVAL_MS, text, AS_INTERVAL_MS_MIN, AS_INTERVAL_MS_MAX,
                              "milliseconds", &cfg->interval_ms, err)) < 0)
    return rc;
  if ((text = lookup(AS_ENV_GRAVE_MS)) &&
      (rc = config_parse_uint(AS_ENV_GRAVE_MS, text, AS_GRAVE_MS_MIN, AS_GRAVE_MS_MAX,
                              "milliseconds", &cfg->grave_ms, err)) < 0)
    return rc;
  if ((text = lookup(AS_ENV_STACK_DEPTH)) &&
      (rc = config_parse_uint(AS_ENV_STACK_DEPTH, text, AS_STACK_DEPTH_MIN, AS_STACK_DEPTH_MAX,
                              "frames", &cfg->stack_depth, err)) < 0)
    return rc;
  if ((text = lookup(AS_ENV_KEYFRAME_S)) &&
      (rc = config_parse_uint(AS_ENV_KEYFRAME_S, text, AS_KEYFRAME_S_MIN, AS_KEYFRAME_S_MAX,
                              "seconds", &cfg->keyframe_s, err)) < 0)
    return rc;
  if ((text = lookup(AS_ENV_STUCK_MS)) &&
      (rc = config_parse_uint(AS_ENV_STUCK_MS, text, AS_STUCK_MS_MIN, AS_STUCK_MS_MAX,
                              "milliseconds", &cfg->stuck_ms, err)) < 0)
    return rc;
  if ((text = lookup(AS_ENV_MAILBOX_WAIT_EVERY)) &&
      (rc = config_parse_uint(AS_ENV_MAILBOX_WAIT_EVERY, text, AS_MAILBOX_WAIT_EVERY_MIN,
                              AS_MAILBOX_WAIT_EVERY_MAX, "messages (a power of two)",
                              &cfg->mailbox_wait_every, err)) < 0)
    return rc;
  if (cfg->mailbox_wait_every & (cfg->mailbox_wait_every - 1)) {
    as_error_set(err, "%s='%u' is invalid: expected a power of two from 1 to %u",
                 AS_ENV_MAILBOX_WAIT_EVERY, cfg->mailbox_wait_every, AS_MAILBOX_WAIT_EVERY_MAX);
    return -EINVAL;
  }
  if ((text = lookup(AS_ENV_EVENTS))) {
    if (strcmp(text, "0") != 0 && strcmp(text, "1") != 0) {
      as_error_set(err, "%s=" CONFIG_SHOWN_FMT " is invalid: expected 0 (off) or 1 (on)",
                   AS_ENV_EVENTS, CONFIG_SHOWN_ARGS(text));
      return -EINVAL;
    }
    cfg->events = text[0] == '1';
  }
  if ((text = lookup(AS_ENV_EVENTS_RING)) &&
      (rc = config_parse_uint(AS_ENV_EVENTS_RING, text, AS_EVENTS_RING_MIN, AS_EVENTS_RING_MAX,
                              "records", &cfg->events_ring, err)) < 0)
    return rc;
  if (cfg->events_ring & (cfg->events_ring - 1)) {
    as_error_set(err, "%s='%u' is invalid: expected a power of two from %u to %u",
                 AS_ENV_EVENTS_RING, cfg->events_ring, AS_EVENTS_RING_MIN, AS_EVENTS_RING_MAX);
    return -EINVAL;
  }
  if ((text = lookup(AS_ENV_MAX_BYTES)) &&
      (rc = config_parse_size(AS_ENV_MAX_BYTES, text, &cfg->max_bytes, err)) < 0)
    return rc;
  if ((text = lookup(AS_ENV_KEEP)) &&
      (rc = config_parse_uint(AS_ENV_KEEP, text, 0, AS_KEEP_MAX, "files", &cfg->keep, err)) < 0)
    return rc;
  char why[sizeof err->text];
  if ((rc = as_token_from_env(lookup, cfg->token, why, sizeof why)) < 0) {
    as_error_set(err, "%s", why);
    return rc;
  }
  return 0;
}
