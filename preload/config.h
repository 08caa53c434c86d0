/* Configuration from ACTORSCOPE_* environment variables, read once at initialisation. */
#ifndef AS_CONFIG_H
#define AS_CONFIG_H

#include "error.h"

#include <limits.h>

enum as_output_kind {
  AS_OUTPUT_FILE,
  AS_OUTPUT_UNIX,
  AS_OUTPUT_TCP,
};

#define AS_CONFIG_DEFAULT_FILE "actorscope.%p.jsonl"
#define AS_CONFIG_DEFAULT_INTERVAL_MS 500u
#define AS_CONFIG_DEFAULT_GRAVE_MS 5000u
#define AS_CONFIG_DEFAULT_STACK_DEPTH 8u
#define AS_CONFIG_DEFAULT_KEYFRAME_S 60u
#define AS_CONFIG_DEFAULT_KEEP 3u
#define AS_CONFIG_DEFAULT_STUCK_MS 5000u
#define AS_CONFIG_MAX_KEEP 100u
#define AS_CONFIG_MAX_STACK_DEPTH 64u
/* ACTORSCOPE_TOKEN: what every socket client must send first (printable ASCII, no spaces). */
#define AS_CONFIG_TOKEN_MIN 16u
#define AS_CONFIG_TOKEN_MAX 256u

struct as_config {
  enum as_output_kind output_kind;
  /* AS_OUTPUT_FILE: an absolute path template where %p stands for the pid.
   * AS_OUTPUT_UNIX: the socket's absolute path. */
  char output_path[PATH_MAX];
  char tcp_host[256];
  unsigned tcp_port;
  unsigned interval_ms;
  unsigned grave_ms;
  unsigned stack_depth;
  unsigned keyframe_s; /* a full snapshot at least this often; 0: every line is one */
  unsigned long long max_bytes; /* a file this big is rotated; 0: no limit */
  unsigned keep;                /* rotated files kept (NAME.1 … NAME.keep) */
  unsigned stuck_ms; /* a handler running this long has its stack captured; 0: never */
  /* ACTORSCOPE_TOKEN, or "" when unset: socket clients must send it and "\n" first. */
  char token[AS_CONFIG_TOKEN_MAX + 1];
};

/* Looks up one variable; returns NULL when it is unset. Lets tests supply their own env. */
typedef const char *(*as_config_lookup_fn)(const char *name);

/* Fills cfg from the variables; relative paths are made absolute against cwd.
 * Returns 0, or -EINVAL with err naming the variable and what it accepts. */
int as_config_parse(struct as_config *cfg, as_config_lookup_fn lookup, const char *cwd,
                    struct as_error *err);

/* Expands %p in a file template into out. Returns 0 or -ENAMETOOLONG. */
int as_config_expand_path(const char *tmpl, long pid, char *out, unsigned long out_len);

/* Whether a file template names a distinct file per process (contains %p). */
int as_config_path_is_per_process(const char *tmpl);

#endif
