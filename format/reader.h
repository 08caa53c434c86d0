/* The streaming, typed reader of actorscope snapshot streams (preload/FORMAT.md).
 *
 * One line at a time, straight into typed records (no JSON tree is built): memory is the
 * current snapshot's records, whatever the line's length. Every member FORMAT.md documents is
 * checked for type and range (unknown members are skipped, as the format promises); a problem
 * is an error naming the source, line, actor id and member. The caller aggregates what it needs
 * per actor; a record is valid only until the next call.
 *
 * Format versions 1 to 4 are read. A version 3 line's "ended" actors are given among its actors
 * (as_rec_actor.ended), with the members version 4 leaves out filled in as FORMAT.md says, and
 * reaped by the line after it. A version 2 delta line (only what changed) is given to the
 * consumer as the whole state it leaves, rebuilt from the last keyframe (`delta` says the line
 * was one; `reaped` lists the ids it removed, `listed` the actors it changed or added, so a
 * consumer's work can follow the change), so every command sees the same full state either
 * way; `children` are then derived from parent links.
 *
 * A file rotated by the writer (ACTORSCOPE_MAX_BYTES: NAME.jsonl, NAME.1.jsonl, NAME.2.jsonl
 * ...) is read as one run: the files of the same process (same pid and start in their headers),
 * each held open by descriptor once found (a rename under the reader changes nothing), in the
 * order of their first seq; each file's own header is checked and skipped. A follower goes on
 * in the file that follows, however many rotations came meanwhile; lines whose files were
 * already removed (ACTORSCOPE_KEEP too small) are said in a `lines_missed` diagnostic, and
 * reading goes on at the next file's keyframe.
 *
 * Sources: a file path, "-" (stdin), "file:PATH", "unix:PATH", "tcp:[HOST:]PORT" (including
 * "tcp:[::1]:7000"); with options.follow a file still being written is followed until its final
 * snapshot (a FIFO is opened without waiting for a writer; a followed file that is truncated or
 * replaced is an error saying so). A socket reader sends the token ($ACTORSCOPE_TOKEN_FILE's or
 * $ACTORSCOPE_TOKEN's, format/token.h) and "\n" first when one is set — over a unix socket only
 * to a process of this user or root (SO_PEERCRED; -EACCES otherwise); the header a unix socket
 * sends must name the pid of the process serving it (-EPROTO otherwise). A stream that ends with
 * {"format":"actorscope","error":"TEXT"} is reported as -ECONNRESET naming TEXT.
 *
 *   struct as_reader *r;
 *   struct as_reader_error err;
 *   struct as_reader_options opt = AS_READER_OPTIONS_DEFAULT;
 *   if (as_reader_open(&r, "run.jsonl", &opt, &err) < 0) { fprintf(stderr, "%s\n", err.text); ...}
 *   const struct as_rec_header *h = as_reader_header(r);   (read by as_reader_open)
 *   const struct as_rec_snapshot *s;
 *   int rc;
 *   while ((rc = as_reader_next(r, &s, &err)) > 0)
 *     for (size_t i = 0; i < s->n_actors; i++) use(&s->actors[i]);
 *   if (rc < 0) ...err.text...;             (0: the end; as_reader_truncated(r) says whether a
 *   as_reader_close(r);                       cut-short last line was skipped)
 *
 * or, with a callback per snapshot: as_reader_each(source, &opt, on_snapshot, ctx, &truncated,
 * &err).
 *
 * Integers are int64_t, every one of them >= 0 as the format says; "absent or null" is a
 * has_* flag or a NULL pointer. Strings are NUL-terminated UTF-8 (the parser validates them).
 * Errors are negative errno values: -ENOENT etc. (open/connect), -EIO (read), -EPROTO (not
 * valid JSON, or not the format: a wrong type, a value out of range, a missing member),
 * -EMSGSIZE (a line longer than options.max_line_bytes), -ENOMEM, -EPROTONOSUPPORT (a newer
 * format version), -ECONNRESET (the traced process refused or dropped this client), and the
 * callback's own negative return from as_reader_each. */
#ifndef AS_READER_H
#define AS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

struct as_reader;

/* Memory that several readers share (serve's sources): what each reader holds for the line it
 * reads (its records, arrays and the token being read) is taken from it; a reader that would
 * go over the limit fails with -ENOBUFS. The state a version 2 reader rebuilds (about as much
 * again as the last keyframe's records) is not counted. */
struct as_reader_budget {
  _Atomic size_t used;
  size_t limit;
};

struct as_reader_options {
  size_t max_line_bytes;   /* longer lines are an error (-EMSGSIZE); 0 = AS_READER_MAX_LINE */
  int follow;              /* a file: at its end, wait for more until a final snapshot */
  unsigned follow_poll_ms; /* how often to look for more (default 200) */
  int single_file;         /* a file only, not its rotated predecessors (see above) */
  /* A socket whose header line has not come this long after the connection is dropped
   * (-ETIMEDOUT); 0: waits as long as it takes. */
  unsigned header_timeout_ms;
  struct as_reader_budget *budget; /* NULL: none */
};
#define AS_READER_MAX_LINE ((size_t)1 << 30) /* 1 GiB: a 100k-actor line is about 50 MB */
/* One string (or number) longer than this is an error (-EMSGSIZE) naming its line and member:
 * the writer's names, stack frames and arguments are far shorter. */
#define AS_READER_MAX_TOKEN ((size_t)1 << 20)
#define AS_READER_OPTIONS_DEFAULT                                                                  \
  {                                                                                                \
    0, 0, 0, 0, 0, NULL                                                                            \
  }

struct as_reader_error {
  int code; /* the negative errno also returned */
  char text[768];
};

struct as_rec_header {
  int64_t version;
  int64_t pid;
  const char *program; /* NULL when absent */
  const char *const *argv;
  size_t argc;
  /* The program's name for people (program.h: "czmq_demo", "broker_pubsub.py (python3.11)"),
   * from program and argv; "" when neither says. Never NULL. */
  const char *name;
  const char *started_at;
  int64_t started_at_ns;
  int64_t interval_ms, grave_ms, stack_depth; /* config.*; -1 when absent */
  int64_t mailbox_wait_every; /* config.*; -1 when absent (a tracer without mailbox waits) */
};

struct as_rec_msgtype {
  const char *name;
  int64_t count;
};

struct as_rec_socket {
  const char *kind;     /* ROUTER, PULL ..., "side pipe", "other" */
  const char *endpoint; /* NULL when unknown */
  int64_t received, sent;
  int has_depth; /* side pipes */
  int64_t depth;
  int has_max; /* side pipes, from format 2 files written with socket maxima */
  int64_t max;
};

/* One of an actor's peers (member "peers"): messages it sent to actor `to`, or to a thread that
 * runs no actor (`to_thread`), or that such a thread sent to it (`from_thread`). Exactly one of
 * to (>= 1), to_thread, from_thread is set (checked); the others are 0 and NULL. */
struct as_rec_peer {
  int64_t to;
  const char *to_thread, *from_thread;
  int64_t count;
};

struct as_rec_actor {
  int64_t id;
  /* Whether runtime, spawned_at_ns, spawn_site, parent (and runtime_id/scope) were written: a
   * delta line leaves them out for an actor an earlier line described, and the reader then
   * gives them from that description. Always 1 in the records a consumer gets. */
  int has_origin;
  const char *name;
  const char *full_name; /* NULL when absent (the same as name) */
  const char *runtime;   /* as written; runtime_kind classifies it */
  enum as_runtime_kind runtime_kind;
  int internal;       /* a runtime-internal actor (CAF's spawn server, middleman ...) */
  int attached_late;  /* existed before `actorscope attach`: seen from then on only */
  int has_runtime_id; /* CAF: runtime_id and runtime_scope */
  int64_t runtime_id, runtime_scope;
  int has_refs;
  int64_t refs_strong, refs_weak;
  enum as_status status;
  int64_t spawned_at_ns;
  int has_spawn_site;
  int64_t spawn_site; /* index into the snapshot's spawn_sites (checked) */
  int has_parent;
  int64_t parent;
  const int64_t *children, *links, *monitors;
  size_t n_children, n_links, n_monitors;
  int has_stopped;
  int64_t stopped_at_ns;
  const char *stop_reason;
  const char *mailbox_kind;
  int64_t mailbox_len, mailbox_max, mailbox_enqueued;
  int64_t outbox_len;
  int64_t messages_received, messages_sent, replies, handled, exceptions;
  int64_t handler_total_ns, handler_max_ns;
  int has_handling; /* inside a handler now */
  const char *handling_type;
  int64_t handling_elapsed_ns;
  int has_handling_since; /* version 2 */
  int64_t handling_since_ns;
  /* handling.stack: where a stuck handler's thread was, innermost first; NULL when absent. */
  const char *const *handling_stack;
  size_t n_handling_stack;
  const char *handling_stack_source; /* "syscall", "perf", "cpu"; NULL when absent */
  int handling_stack_complete;
  /* stuck: the actor's longest handler run that got stuck (running or since ended), kept by the
   * tracer; has_stuck 0 when absent. */
  int has_stuck;
  const char *stuck_type;
  int64_t stuck_since_ns, stuck_handler_ns;
  int stuck_running, stuck_on_cpu;
  int64_t stuck_cpu_ns, stuck_cpu_window_ns;
  const char *stuck_source; /* AS_STACK_SOURCE_V_* or NULL */
  int stuck_complete;
  const char *stuck_end; /* AS_STACK_END_V_* or NULL */
  const char *const *stuck_stack;
  size_t n_stuck_stack;
  /* handler_histogram: n_histogram pairs as 2 * n_histogram integers (bucket, count ...), by
   * bucket, each bucket < AS_HISTOGRAM_BUCKETS and count >= 1 (checked); in the line's ticks
   * (as_rec_snapshot.tick_fs). NULL when absent (no handler finished yet). */
  const int64_t *histogram;
  size_t n_histogram;
  /* mailbox_wait_histogram: the same, of the times messages waited in the mailbox before their
   * handler began. NULL when absent (none measured yet, or an older tracer). */
  const int64_t *wait_histogram;
  size_t n_wait_histogram;
  int has_waiting; /* blocked on another actor now */
  int64_t waiting_target;
  enum as_wait_kind waiting_kind;
  int64_t waiting_elapsed_ns;
  int has_waiting_since; /* version 2 */
  int64_t waiting_since_ns;
  const struct as_rec_msgtype *message_types;
  size_t n_message_types;
  const struct as_rec_socket *sockets; /* CZMQ: sockets besides the pipe */
  size_t n_sockets;
  /* Who it talks to: NULL and 0 when absent (no message yet, or an older tracer). */
  const struct as_rec_peer *peers;
  size_t n_peers;
  int64_t peers_other; /* messages sent to peers past the listed ones */
  /* What every view calls the actor's traffic and mailbox: all of its sockets, derived once
   * here (as_rec_actor_derive) from the members above. The pipe's own numbers stay in
   * messages_received, messages_sent, replies, mailbox_len and mailbox_max.
   *   received_all    messages_received + every socket's received (= its message types' sum)
   *   sent_all        messages_sent + replies + every socket's sent
   *   queued_all      what waits for it now: mailbox_len + every socket's known depth (CZMQ
   *                   side pipes; libzmq does not tell how much waits in other sockets)
   *   queued_all_max  its deepest queue: the highest of mailbox_max, each socket's max (or
   *                   depth) and queued_all */
  int64_t received_all, sent_all, queued_all, queued_all_max;
  /* Version 3: listed in the line's compact "ended" form (it stopped before any line listed
   * it); the next line reaps it (its id is in that line's `reaped`). */
  int ended;
};

struct as_rec_cycle {
  const int64_t *actors;
  const char *const *names;
  size_t n_actors, n_names;
};

struct as_rec_diagnostic {
  const char *code, *message;
};

struct as_rec_site {
  const char *const *frames;
  size_t n_frames;
};

struct as_rec_snapshot {
  size_t line;  /* 1-based line number in the source */
  size_t bytes; /* the line's length */
  int64_t seq;
  const char *captured_at;
  int64_t captured_at_ns;
  int64_t uptime_ns;
  int delta; /* the line was a version 2 delta; the records are the state it leaves */
  int final;
  const char
      *ended_by;      /* final lines of version 2: "exit", "signal", "exec", "detach"; else NULL */
  const char *signal; /* final only: the deadly signal the process died of; NULL normally */
  const int64_t *reaped; /* delta lines: the ids reaped since the line before */
  size_t n_reaped;
  /* Delta lines: indexes into `actors` of the actors the line listed (spawned or changed),
   * ascending; every other actor is as it was, but for the elapsed time of a handler or wait.
   * NULL for a keyframe (every actor listed). Lets a consumer's work follow the change. */
  const size_t *listed;
  size_t n_listed;
  int64_t alive, total_spawned, total_stopped, messages_received; /* totals.* */
  /* totals.received_all: messages received on every socket of every actor, reaped ones
   * included. A file written before the member existed: messages_received plus the listed
   * actors' other sockets (actors reaped earlier are then missing from it). */
  int64_t received_all;
  /* totals.runtime_running: the runtime's own count of its running actors (CAF: its actor
   * systems' registry().running()), when has_runtime_running; as_rec_running_note says it. */
  int64_t runtime_running;
  int has_runtime_running;
  const struct as_rec_cycle *deadlocks;
  size_t n_deadlocks;
  const struct as_rec_diagnostic *diagnostics;
  size_t n_diagnostics;
  const struct as_rec_site *spawn_sites;
  size_t n_spawn_sites;
  const struct as_rec_actor *actors; /* sorted by id, ids unique (checked); every actor alive in
                                        the process's registry, whether the line was a delta */
  size_t n_actors;
  int has_last_cost;
  int64_t cost_collect_ns, cost_encode_ns, cost_write_ns, cost_bytes;
  /* Femtoseconds per clock tick, the unit of the actors' histograms: the line's, else the last
   * line's that said it; 0 when none has. */
  int64_t tick_fs;
};

/* Opens SOURCE and reads its header line. Returns 0, or a negative errno with ERR filled. */
int as_reader_open(struct as_reader **reader, const char *source,
                   const struct as_reader_options *options, struct as_reader_error *err);

/* Reads the descriptor FD (taken over: as_reader_close closes it, as does a failed open) as
 * one file, not a rotated set, named NAME in messages; reads its header line like
 * as_reader_open. For a caller that opened the file itself (to check what it is first). */
int as_reader_open_fd(struct as_reader **reader, int fd, const char *name,
                      const struct as_reader_options *options, struct as_reader_error *err);

/* Reads the next snapshot into *SNAPSHOT (valid until the next call or close). Returns 1, 0 at
 * the end of the stream, or a negative errno with ERR filled (the reader is then done). */
int as_reader_next(struct as_reader *reader, const struct as_rec_snapshot **snapshot,
                   struct as_reader_error *err);

const struct as_rec_header *as_reader_header(const struct as_reader *reader);
const char *as_reader_source(const struct as_reader *reader);
/* Whether the stream's last line was cut short (a killed writer) and skipped. */
int as_reader_truncated(const struct as_reader *reader);
/* A unix socket: the pid and uid of the process serving it (SO_PEERCRED); -1 when unknown. */
long as_reader_peer_pid(const struct as_reader *reader);
void as_reader_close(struct as_reader *reader);

/* Opens SOURCE and calls ON_SNAPSHOT for every snapshot in order; a negative return from it
 * stops the reading and is returned as is (its text left to the callback). HEADER is the
 * header (also given to each call). Returns 0 or a negative errno. */
typedef int (*as_reader_snapshot_fn)(const struct as_rec_header *header,
                                     const struct as_rec_snapshot *snapshot, void *ctx);
int as_reader_each(const char *source, const struct as_reader_options *options,
                   as_reader_snapshot_fn on_snapshot, void *ctx, int *truncated,
                   struct as_reader_error *err);

/* Fills A's *_all members from its others (the reader does it for every record it gives). */
void as_rec_actor_derive(struct as_rec_actor *a);

/* The runtime's own count of running actors beside what the tracer saw of them: CAF actors
 * listed and not stopped (seen), and whether any was running before attach (then the tracer
 * sees them only as they next send or receive). */
struct as_rec_running {
  int known;        /* the line said totals.runtime_running */
  int64_t running;  /* totals.runtime_running */
  int64_t seen;     /* CAF actors listed that are not stopped */
  int since_attach; /* an actor is attached_late: "seen since attach" */
};
void as_rec_running_of(const struct as_rec_snapshot *s, struct as_rec_running *out);
/* "CAF: N running by the actor systems' own count, M alive as traced since attach (internal
 * ones included)" into OUT; "" when the count is not known. Report and top both say it so:
 * both numbers count runtime-internal actors, so they compare (a user read "0 seen" of a run
 * whose 34 actors had all stopped, and "23 seen" beside "13 alive"). Returns OUT. */
const char *as_rec_running_note(const struct as_rec_running *r, char *out, size_t len);

/* Saturating arithmetic for numbers from a file (never overflows, never wraps). */
static inline int64_t as_sat_add(int64_t a, int64_t b)
{
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}
static inline int64_t as_sat_mul(int64_t a, int64_t b)
{
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
  return r;
}

#endif
