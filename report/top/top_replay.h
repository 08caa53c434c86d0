/* actorscope top: replaying a recording, snapshot by snapshot, back and forth. The screen
 * holds one snapshot at a time (memory stays bounded however long the recording): going
 * forward reads on; going back reads again from the start, so each actor's history and rates
 * are exactly what they were when that snapshot was live. */
#ifndef ACTORSCOPE_TOP_REPLAY_H
#define ACTORSCOPE_TOP_REPLAY_H

#include "reader.h"
#include "top_screen.h"

struct top_replay {
  char path[1024];
  struct as_reader *reader;
  size_t total;           /* snapshot lines in the file (complete ones) */
  size_t position;        /* snapshots applied; the screen shows number position - 1 */
  struct top_snap *ahead; /* the next snapshot, read ahead for playing at recorded speed */
  int at_end;
};

/* Complete snapshot lines in a file (a last line cut short is not counted, as the reader
 * skips it). */
size_t top_replay_count(const char *path);
/* Opens PATH, counts its snapshots and shows the first. Returns 0 or a negative errno. */
int top_replay_open(struct top_replay *rp, struct top_screen *s, const char *path,
                    struct as_reader_error *err);
void top_replay_close(struct top_replay *rp);
/* Shows snapshot number INDEX (0-based, clamped to the ones there are). */
int top_replay_goto(struct top_replay *rp, struct top_screen *s, size_t index,
                    struct as_reader_error *err);
int top_replay_step(struct top_replay *rp, struct top_screen *s, long delta,
                    struct as_reader_error *err);
/* The first snapshot whose seq is at least SEQ (else the last). */
int top_replay_goto_seq(struct top_replay *rp, struct top_screen *s, int64_t seq,
                        struct as_reader_error *err);
/* The first snapshot at or after TEXT: seconds of uptime ("2.5") or a UTC time of day
 * ("06:42:09.5"). Returns -EINVAL for text that is neither. */
int top_replay_goto_time(struct top_replay *rp, struct top_screen *s, const char *text,
                         struct as_reader_error *err);
/* Nanoseconds of recorded time from the snapshot shown to the next; -1 at the end. */
int64_t top_replay_gap_ns(struct top_replay *rp, const struct top_screen *s,
                          struct as_reader_error *err);
/* The header's state text: "replay 3/8 seq 2 at 06:42:09.430". */
void top_replay_state_text(size_t position, size_t total, const struct as_rec_snapshot *snap,
                           int truncated, char *out, size_t cap);
void top_replay_describe(const struct top_replay *rp, const struct top_screen *s, char *out,
                         size_t cap);

#endif
