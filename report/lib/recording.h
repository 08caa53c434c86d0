/* A recorded run reduced, one snapshot at a time, to what report, diff and check need: every
 * actor in its last-seen state (a compact record, ~150 bytes plus its message-type counts),
 * the deadlock cycles seen, a timeline point per snapshot, and the last snapshot's totals.
 * Memory is the reader's current snapshot plus these aggregates, whatever the file's size. */
#ifndef ACTORSCOPE_RECORDING_H
#define ACTORSCOPE_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "reader.h"
#include "strtab.h"

struct rm_peer;

struct rm_type {
  uint32_t type;  /* interned */
  uint32_t group; /* the type per actor name: without its socket's endpoint (interned) */
  int64_t count;
};

/* A CZMQ actor's socket, or all sockets of one kind of an actor name. */
struct rm_socket {
  uint32_t kind; /* interned: ROUTER, PULL ..., side pipe */
  int64_t received, sent;
};

struct rm_actor {
  int64_t id, parent, runtime_id, runtime_scope;
  int64_t spawned_at_ns, stopped_at_ns;
  int64_t received, sent, exceptions, mailbox_max;
  int64_t handler_max_ns; /* longest finished handler */
  int64_t running_max_ns; /* longest handler seen still running at a capture */
  int64_t last_seq;       /* the last snapshot that listed it */
  uint32_t name, runtime, reason;
  uint32_t full_name;    /* the whole qualified name when the tracer shortened it; RM_NONE: none */
  uint32_t max_type;     /* the message type of handler_max_ns, when the counts tell */
  uint32_t running_type; /* the type of running_max_ns */
  uint32_t now_type;     /* the type being handled at the last capture (handling_now) */
  int64_t now_elapsed_ns;
  struct rm_type *types;
  struct rm_socket *sockets;          /* CZMQ: its sockets besides the pipe (endpoints left out) */
  struct as_histogram_bin *hist;      /* handler times at its last listing, in ticks; NULL: none */
  struct as_histogram_bin *wait_hist; /* mailbox waits likewise */
  uint32_t *stack;                    /* where its longest stuck handler was (interned frames) */
  struct rm_peer *peers;              /* who it talks to (pairs.h), at its last listing */
  int64_t peers_other;
  /* That stuck handler run (the tracer's `stuck` member; older files: handling.stack). */
  int64_t stuck_ns, stuck_cpu_ns, stuck_cpu_window_ns;
  uint32_t stuck_type, stuck_source, stuck_end; /* interned, RM_NONE when not known */
  uint8_t has_stuck, stuck_complete, stuck_on_cpu;
  uint16_t n_hist, n_wait_hist;
  uint8_t n_stack, n_sockets, n_peers;
  uint8_t n_types, status, internal, has_parent, has_runtime_id, has_stopped, handling_now;
  uint8_t gone;          /* reaped: no longer in the registry */
  uint8_t attached_late; /* running before `actorscope attach`: seen from then on only */
};

struct rm_cycle {
  int64_t first_seq;
  size_t n;
  int64_t *ids;
  uint32_t *names;
};

/* A snapshot's actors alive and messages received, as the header counts them (recording_counts):
 * [0] runtime-internal actors left out, [1] counted; recording_point_* pick the one in use. */
struct rm_point {
  int64_t seq, uptime_ns, alive[2], messages[2];
};

/* Snapshot lines the writer produced that this reading does not have: seqs first..last. */
struct rm_gap {
  int64_t first, last;
};
#define RM_GAPS_MAX 8

enum rm_end {
  RM_END_FINAL,    /* a final snapshot: the state at exit */
  RM_END_SIGNAL,   /* a final snapshot written as a deadly signal killed the process */
  RM_END_EXEC,     /* a final snapshot written as the program replaced itself (exec) */
  RM_END_DETACH,   /* a final snapshot written as the tracer was detached: the process ran on */
  RM_END_NO_FINAL, /* the stream ended without one: the run did not end normally */
  RM_END_AT,       /* stopped at --at SEQ on purpose */
};

struct recording {
  char *source;
  struct strtab strings;
  int include_internal;
  /* the header */
  int64_t pid;
  uint32_t program;
  uint32_t name; /* the program's name for people (format/program.h); RM_NONE: not known */
  int64_t mailbox_wait_every; /* config.mailbox_wait_every; -1: not known (an older tracer) */
  /* every actor seen, sorted by id */
  struct rm_actor *actors;
  size_t n_actors, cap_actors;
  struct rm_cycle *cycles;
  size_t n_cycles;
  struct rm_point *timeline;
  size_t n_points, cap_points;
  /* the last snapshot read */
  int64_t at_seq, at_uptime_ns, at_alive, at_spawned, at_stopped, at_messages;
  struct as_rec_running at_running; /* the runtime's own running count, beside what was seen */
  int at_final;
  uint32_t at_signal;
  enum rm_end at_ended; /* recording_snapshot_end of it */
  /* What the tracer reported about itself as of that snapshot (`diagnostics`: events dropped, a
   * renamed output, actors it could not trace ...): code and text, interned; n_diagnostics
   * pairs. */
  uint32_t *diagnostics;
  size_t n_diagnostics, cap_diagnostics;
  enum rm_end end; /* at_ended, or RM_END_AT when read up to a seq short of the final one */
  /* Most actors listed alive in one snapshot, and its uptime: [0] runtime-internal ones left
   * out, [1] counted (--internal may be switched on a live recording, as top's key does). */
  int64_t max_alive_listed[2], max_alive_listed_at[2];
  /* What every actor seen received, as last listed (reaped ones too): [0] runtime-internal
   * actors left out, [1] counted. The timeline's messages, as recording_counts adds them up. */
  int64_t received_seen[2];
  int64_t tick_fs; /* femtoseconds per tick of the histograms (the last line's) */
  int truncated;
  /* Seqs missing before the first line read (a set whose oldest files were removed, a stream
   * joined late) and between lines (lines a follower or a slow client missed): the first
   * RM_GAPS_MAX ranges, and how many seqs in all. */
  struct rm_gap gaps[RM_GAPS_MAX];
  size_t n_gaps;
  int64_t seqs_missing;
  int live; /* the source is a unix:/tcp: stream */
};

#define RM_NONE UINT32_MAX

/* AT_SEQ asking for the first snapshot a live source sends (the state now: a socket's first
 * line for a new client is a keyframe of the moment); for a file, its last snapshot so far. */
#define RECORDING_AT_NOW (-2LL)

/* How the run ended as of snapshot S, the one definition every view says (report, check,
 * export html and prometheus): RM_END_NO_FINAL when S is not a final snapshot. */
enum rm_end recording_snapshot_end(const struct as_rec_snapshot *s);
/* Whether the process itself ended (exit, or a deadly signal): not after a detach or an exec,
 * where it ran on past the tracer, nor without a final snapshot. */
int recording_end_exited(enum rm_end end);

/* Reads SOURCE to its end, or up to snapshot AT_SEQ (>= 0, or RECORDING_AT_NOW). Problems are printed on stderr as
 * "actorscope COMMAND: ..." and -1 returned (the model then holds nothing); a cut-off last line
 * is noted and tolerated. INCLUDE_INTERNAL: runtime-internal actors count too. */
int recording_read(struct recording *m, const char *source, long long at_seq, int include_internal,
                   const char *command);
void recording_free(struct recording *m);
/* The same built one snapshot at a time, as a live view does (top): SOURCE names it (NULL:
 * none), H its stream's header (NULL: not known). recording_add folds SNAPSHOT in. Both return
 * 0 or -ENOMEM; recording_free frees it either way. */
int recording_start(struct recording *m, const char *source, const struct as_rec_header *h,
                    int include_internal);
int recording_add(struct recording *m, const struct as_rec_snapshot *snapshot);
/* The source read to its end: the run's end is its last snapshot's (m->end). */
void recording_finish(struct recording *m);

/* Whether an actor takes part (actor_model_visible: runtime-internal ones only with
 * --internal). include_internal may be changed on a recording at any time (top's key): every
 * query below follows it. */
int recording_visible(const struct recording *m, const struct rm_actor *a);
/* Still alive in the last snapshot read. */
int recording_alive_at_end(const struct recording *m, const struct rm_actor *a);
/* Longest handler, finished or still running; *TYPE its message type (RM_NONE: unknown),
 * *RUNNING whether the longest one had not finished when captured. */
int64_t recording_handler_max(const struct rm_actor *a, uint32_t *type, int *running);
/* What a histogram says of finished handlers: p50/p90/p99 in ns (never above MAX_NS, the
 * longest) and how many. Returns 0, or -1 when there is none (a run without histograms). */
struct rm_finished {
  int64_t p50, p90, p99, max;
  uint64_t count;
};
int recording_finished(const struct recording *m, const struct as_histogram_bin *bins, size_t n,
                       int64_t max_ns, struct rm_finished *out);
/* The same of a mailbox-wait histogram: p50/p90/p99 and max (the middle of the top bucket: no
 * exact longest wait is recorded) in ns, and how many waits were measured. */
int recording_waits(const struct recording *m, const struct as_histogram_bin *bins, size_t n,
                    struct rm_finished *out);
/* Most visible actors alive at once: from spawn and stop instants and from each snapshot. */
int64_t recording_max_alive(const struct recording *m);
/* The same, and *AT_NS the uptime it was first reached (NULL: not wanted). */
int64_t recording_max_alive_at(const struct recording *m, int64_t *at_ns);
/* What every view says of the run's actors as a whole, over the visible ones: how many were
 * spawned and stopped (also those reaped before any snapshot listed them: the process totals
 * less the runtime-internal actors', actor_model_total), alive in the last snapshot read, most
 * alive at once and when, the messages they received (on every socket), and how many
 * runtime-internal actors are left out. */
struct rm_counts {
  int64_t spawned, stopped, alive, max_alive, max_alive_at_ns, messages;
  size_t hidden;
  /* Of the spawned, those found running at an attach (their spawn was never seen): the
   * tracer counts them among its actors. */
  int64_t found_at_attach;
};
void recording_counts(const struct recording *m, struct rm_counts *out);
/* Timeline point I's actors alive and messages received, over the visible actors: the same
 * counts as recording_counts's as of that snapshot. */
int64_t recording_point_alive(const struct recording *m, size_t i);
int64_t recording_point_messages(const struct recording *m, size_t i);
/* The actor with this id, or NULL. */
const struct rm_actor *recording_find(const struct recording *m, int64_t id);
/* Which seqs this reading does not have and why ("seq 0 to 1233 are not in the set any more:
 * ..."), or NULL when none is missing. */
const char *recording_gaps_note(const struct recording *m, char *buf, size_t len);
/* "no final snapshot: the run did not end normally (last snapshot at T)" and the like, or NULL
 * when the run ended normally or was stopped at --at. */
const char *recording_end_note(const struct recording *m, char *buf, size_t len);

/* The visible actors in tree order (actor_model.h): ORDER indexes m->actors, DEPTH each one's
 * depth, CYCLIC marks a root only because its parents form a cycle. Returns 0 or -ENOMEM. */
struct rm_tree {
  size_t *order, *depth;
  unsigned char *cyclic;
  size_t n;
};
int recording_tree(const struct recording *m, struct rm_tree *tree);
void recording_tree_free(struct rm_tree *tree);
/* An actor's group (runtime, CAF actor system), and the order of two actors' groups. */
struct actor_group;
void recording_group(const struct recording *m, const struct rm_actor *a, struct actor_group *g);
int recording_group_cmp(const struct recording *m, const struct rm_actor *a,
                        const struct rm_actor *b);

/* Per actor name, over visible actors. */
struct rm_name_type {
  uint32_t type;
  int64_t sum, max, max_id;
};

struct rm_name {
  uint32_t name;
  int64_t spawned, alive_at_end, mailbox_max, exceptions, handler_max_ns, messages;
  struct rm_name_type *types;
  size_t n_types;
  struct rm_socket *sockets; /* its actors' sockets by kind, received and sent added up */
  size_t n_sockets;
  struct as_histogram_bin *hist; /* its actors' histograms merged, by bucket */
  size_t n_hist;
  int64_t finished_max_ns;            /* longest finished handler (the histograms' top) */
  struct as_histogram_bin *wait_hist; /* its actors' mailbox waits merged, by bucket */
  size_t n_wait_hist;
};

struct rm_names {
  struct rm_name *items; /* sorted by name */
  size_t n;
};

int recording_names(const struct recording *m, struct rm_names *out);
void recording_names_free(struct rm_names *names);
/* The aggregate of NAME (a string), or NULL. */
const struct rm_name *recording_names_find(const struct recording *m, const struct rm_names *names,
                                           const char *name);
/* The p-th percentile (0 < p <= 100) of a name's finished handlers (its actors' histograms
 * merged) in ns, never above the longest; -1 without histograms. */
int64_t recording_name_percentile(const struct recording *m, const struct rm_name *agg, double p);
/* The same of its messages' waits in the mailbox (-1 without any measured). */
int64_t recording_name_wait_percentile(const struct recording *m, const struct rm_name *agg,
                                       double p);
/* The count of TYPE (a string) in an aggregate (0 when absent). */
int64_t recording_name_count(const struct recording *m, const struct rm_name *agg,
                             const char *type);

#endif
