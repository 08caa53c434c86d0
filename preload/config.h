/* Configuration from ACTORSCOPE_* environment variables, read once at initialisation. */
#ifndef AS_CONFIG_H
#define AS_CONFIG_H

#include "destination.h"
#include "error.h"
#include "format.h"

#include <limits.h>

struct as_config {
  /* FILE: an absolute path template (%p: the pid); UNIX: the socket's absolute path; TCP: the
   * host (default 127.0.0.1) and port to listen on. */
  struct as_dest output;
  unsigned interval_ms;
  unsigned grave_ms;
  unsigned stack_depth;
  unsigned keyframe_s;          /* a full snapshot at least this often; 0: every line is one */
  unsigned long long max_bytes; /* a file this big is rotated; 0: no limit */
  unsigned keep;                /* rotated files kept (NAME.1 … NAME.keep) */
  unsigned stuck_ms;            /* a handler running this long has its stack captured; 0: never */
  unsigned mailbox_wait_every;  /* one message in this many (a power of two) has its wait timed */
  unsigned events;              /* record events from the start (ACTORSCOPE_EVENTS) */
  unsigned events_ring;         /* records per thread's ring, a power of two */
  /* ACTORSCOPE_TOKEN, or "" when unset: socket clients must send it and "\n" first. */
  char token[AS_TOKEN_MAX + 1];
};

/* Looks up one variable; returns NULL when it is unset. Lets tests supply their own env. */
typedef const char *(*as_config_lookup_fn)(const char *name);

/* Fills cfg from the variables; relative paths are made absolute against cwd.
 * Returns 0, or -EINVAL with err naming the variable and what it accepts. */
int as_config_parse(struct as_config *cfg, as_config_lookup_fn lookup, const char *cwd,
                    struct as_error *err);

#endif
