/* Output sinks for snapshot lines: a file, or a listening unix/tcp socket that streams every
 * line to each connected client (a client joining late first gets the header line). */
#ifndef AS_SINK_H
#define AS_SINK_H

#include "config.h"
#include "error.h"

#include <stddef.h>

struct as_sink;

/* Files are created at the first write, so a process that never writes leaves nothing behind.
 * Sockets listen at once. Returns 0 or a negative errno with err filled. */
int as_sink_open(struct as_sink **out, const struct as_config *cfg, long pid, struct as_error *err);
/* The header line every reader must see first; copied. */
int as_sink_set_header(struct as_sink *sink, const char *line);
/* Writes one line (a newline is added). Returns 0 or a negative errno with err filled; after
 * an error the sink stays broken and every later write fails at once. */
int as_sink_write_line(struct as_sink *sink, const char *line, struct as_error *err);
/* The same line in parts, for lines too long to build whole: any number of parts, then the
 * end. Same returns as as_sink_write_line. */
int as_sink_write_part(struct as_sink *sink, const char *data, size_t len, struct as_error *err);
int as_sink_end_line(struct as_sink *sink, struct as_error *err);
/* Whether a line written now would reach anyone: always for a file; for a socket, once a
 * client is connected (pending connections are accepted here). Lets the collector skip
 * encoding snapshots nobody reads. */
int as_sink_has_readers(struct as_sink *sink);
/* Where the output goes, for messages: a file path or socket address. */
const char *as_sink_describe(const struct as_sink *sink);
void as_sink_close(struct as_sink *sink);

#endif
