/* Where snapshots go (the tracer's ACTORSCOPE_OUTPUT) and where a reader finds them:
 *   file:PATH           %p in PATH stands for the pid
 *   unix:PATH           a unix stream socket (path under 108 bytes)
 *   tcp:[HOST:]PORT     HOST defaults to 127.0.0.1; an IPv6 HOST goes in brackets: tcp:[::1]:7000
 * Allocation-free and reentrant: the preload parses its configuration with it. */
#ifndef AS_DESTINATION_H
#define AS_DESTINATION_H

#include <stddef.h>

enum as_dest_kind {
  AS_DEST_FILE,
  AS_DEST_UNIX,
  AS_DEST_TCP,
};

#define AS_DEST_PATH_MAX 4096
#define AS_DEST_HOST_MAX 256
/* sockaddr_un.sun_path holds 108 bytes including the terminator. */
#define AS_DEST_UNIX_PATH_MAX 108

struct as_dest {
  enum as_dest_kind kind;
  char path[AS_DEST_PATH_MAX]; /* FILE: the path template; UNIX: the socket path */
  char host[AS_DEST_HOST_MAX]; /* TCP: without brackets ("::1") */
  unsigned port;               /* TCP: 0 … 65535 (0: the listener picks one) */
};

/* Parses TEXT. A relative PATH is joined to CWD when CWD is given (the tracer resolves it at
 * start so a daemon's chdir does not move it); with CWD NULL it stays as written. Returns 0, or
 * -EINVAL with WHY (may be NULL) saying what is wrong and what the grammar accepts, starting
 * with what follows "is invalid: " ("expected file:PATH, unix:PATH or tcp:[HOST:]PORT"). */
int as_dest_parse(struct as_dest *dest, const char *text, const char *cwd, char *why,
                  size_t why_len);

/* Whether TEXT names a socket (unix: or tcp:) rather than a file. */
int as_dest_is_socket(const char *text);

/* Writes DEST back as text (tcp:[::1]:7000). Returns 0 or -ENAMETOOLONG. */
int as_dest_format(const struct as_dest *dest, char *out, size_t out_len);

/* Expands %p in a file template. Returns 0 or -ENAMETOOLONG. */
int as_dest_expand_path(const char *tmpl, long pid, char *out, size_t out_len);

/* A rotated file's name: NAME.jsonl -> NAME.K.jsonl (K before the last extension of the file
 * name; a name without one gets .K at its end). K = 1 is the newest rotated file. Returns 0 or
 * -ENAMETOOLONG. */
int as_dest_rotated_name(const char *path, unsigned k, char *out, size_t out_len);
#define AS_DEST_KEEP_MAX 100 /* rotated files a writer keeps at most */

/* The name a writer takes when PATH already exists and is not its own: NAME.jsonl ->
 * NAME-N.jsonl (N = 2, 3 …). Returns 0 or -ENAMETOOLONG. */
int as_dest_taken_name(const char *path, unsigned n, char *out, size_t out_len);

/* Whether a file template names a distinct file per process (contains %p). */
int as_dest_path_is_per_process(const char *tmpl);

#endif
