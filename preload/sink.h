/* Output sinks for snapshot lines: a file, or a listening unix/tcp socket that streams every
 * line to each connected client (a client joining late first gets the header line).
 *
 * Nothing a client does can make a sink call wait beyond a bound: client sockets are
 * non-blocking, each client has a bounded queue, a client still behind when a line starts
 * skips that whole line, and the only waits are SINK_LINE_WAIT_MS per line and the flush.
 *
 * How the collector uses a sink:
 *   start:      as_sink_open, as_sink_set_header
 *   each line:  as_sink_has_readers (skip building the line when 0), then
 *               as_sink_next_line_is_keyframe (format 2: a client that joined or missed a
 *               line gets none but keyframes until one comes; as_sink_wants_keyframe says
 *               one is awaited), as_sink_write_part ... as_sink_end_line (or write_line);
 *               a negative return: report err.text once (as_diag_report), as_sink_close
 *   at exit:    as_sink_set_exit_deadline(1000) from the exiting thread before it waits for
 *               the collector (safe from any thread, even while another writes), then the
 *               final line as above, as_sink_flush(sink, 1000), as_sink_close
 *   fork child: as_sink_abandon (the parent's sink: its descriptors closed, nothing unlinked)
 * Every call but as_sink_set_exit_deadline is made by one thread at a time. */
#ifndef AS_SINK_H
#define AS_SINK_H

#include "config.h"
#include "error.h"

#include <stddef.h>
#include <stdint.h>

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
/* Ends the line. Besides 0 or a negative errno it may return AS_SINK_LINE_WITHHELD: a delta
 * line that would have taken the file past ACTORSCOPE_MAX_BYTES was dropped, the file is
 * moved aside before the next line, which must be a keyframe of the same moment (the new file
 * begins with one; as_sink_starts_new_file says 1). */
int as_sink_end_line(struct as_sink *sink, struct as_error *err);
#define AS_SINK_LINE_WITHHELD 1
/* Whether a line written now would reach anyone: always for a file; for a socket, once a
 * client is connected, has sent the token (if one is set) and is not behind (pending
 * connections are accepted here). Lets the collector skip encoding snapshots nobody reads. */
int as_sink_has_readers(struct as_sink *sink);
/* Whether a socket client waits for a keyframe (it joined, or missed a line): until one comes
 * it is sent no delta line, which would mean nothing to it. */
int as_sink_wants_keyframe(const struct as_sink *sink);
/* Says what the next line is, before its first part (without it, every line counts as a
 * keyframe). */
void as_sink_next_line_is_keyframe(struct as_sink *sink, int keyframe);
/* Whether the next line begins a file (the first, or a new one after the size limit): it must
 * then be a keyframe. */
int as_sink_starts_new_file(const struct as_sink *sink);
/* Gives every client up to timeout_ms in all (and no more than the exit deadline) to take
 * what is queued for it; never waits for a file. Returns how many clients are still behind. */
int as_sink_flush(struct as_sink *sink, unsigned timeout_ms);
/* From now on every wait of every sink ends within within_ms: the line being written, later
 * lines and the flush. An earlier deadline already set stays. Only an atomic store: callable
 * from any thread while the collector writes; it takes effect within 50 ms. */
void as_sink_set_exit_deadline(unsigned within_ms);
/* A new deadline, later ones included: for the final line, once the line that was being
 * written when the exit began has ended. */
void as_sink_renew_exit_deadline(unsigned within_ms);
/* No deadline any more: for a collector started again after one that ended (a new attach after
 * a detach), whose sinks wait as usual. */
void as_sink_clear_exit_deadline(void);
/* Creates a file sink's file (and its header) now rather than at the first line, so that its
 * name is known (NAME.jsonl taken: NAME-2.jsonl) before the events file beside it is named. A
 * failure is left for the first line to report. */
void as_sink_create_file(struct as_sink *sink);
/* Where the output goes, for messages: the file actually written (see as_sink_open) or the
 * socket address. */
const char *as_sink_describe(const struct as_sink *sink);

struct as_sink_stats {
  size_t clients;           /* connected and past the token */
  uint64_t lines_skipped;   /* lines a client missed because it was still behind, summed */
  uint64_t clients_refused; /* over the limit, or a wrong or missing token */
  uint64_t clients_dropped; /* behind too long, or a line overflowed its queue */
};
void as_sink_get_stats(const struct as_sink *sink, struct as_sink_stats *out);

/* Closes the output without waiting; a unix socket is unlinked only if it is still the one
 * this sink created. */
void as_sink_close(struct as_sink *sink);
/* A fork child's copy of its parent's sink: closes the descriptors and frees, touching nothing
 * on disk and sending nothing. */
void as_sink_abandon(struct as_sink *sink);

#endif
