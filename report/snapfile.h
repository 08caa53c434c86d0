/* Reads actorscope JSON Lines files: a header, then snapshots. */
#ifndef ACTORSCOPE_SNAPFILE_H
#define ACTORSCOPE_SNAPFILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define SNAPFILE_FORMAT_NAME "actorscope"
#define SNAPFILE_FORMAT_VERSION 2

struct snapfile {
  char *path;
  json_t *header;    /* the header line's object */
  json_t *snapshots; /* array of snapshot objects, in file order */
  int truncated;     /* the last line was cut short and was skipped */
};

struct snapfile_error {
  char text[512];
};

/* Loads a whole file. Returns 0, or -1 with err naming the file, line and problem. A cut-off
 * last line (a killed process) is not an error: it is skipped and noted in `truncated`. */
int snapfile_load(struct snapfile *file, const char *path, struct snapfile_error *err);
void snapfile_free(struct snapfile *file);

/* The last snapshot, or the one with seq == `seq` (seq < 0: the last). NULL when none. */
json_t *snapfile_snapshot_at(const struct snapfile *file, long long seq);

/* Small accessors that tolerate missing members. */
long long snapfile_int(json_t *object, const char *key);
const char *snapfile_str(json_t *object, const char *key);

#endif
