/* The actorscope snapshot format as code: its name and version, the member names, the
 * vocabularies of status, runtime and wait kind, the environment variables and their defaults.
 * One definition for the writer (preload/), the reader (format/reader.c), `actorscope run` and
 * the docs (preload/FORMAT.md). Header-only constants plus small allocation-free helpers
 * (format/vocab.c) that the preload may call from any thread. */
#ifndef AS_FORMAT_H
#define AS_FORMAT_H

#include <stddef.h>

#define AS_FORMAT_NAME "actorscope"
/* 2: delta lines; 3: "ended" actors; 4: ended actors leave out what their other members imply;
 * 5: actor objects leave out members at their defaults (FORMAT.md "Defaults"). Older files are
 * read too. */
#define AS_FORMAT_VERSION 5

/* Line types (member "type"). */
#define AS_LINE_HEADER "header"
#define AS_LINE_SNAPSHOT "snapshot" /* a keyframe: every actor */
#define AS_LINE_DELTA "delta"       /* version 2: what changed since the line before */

/* ---- member names ------------------------------------------------------------------------ */
/* A member's name as the writer puts it before a value: AS_KEY(AS_M_ID) is "\"id\":" (a string
 * literal, so the writer's lines cost nothing to build from these names). */
#define AS_KEY(member) "\"" member "\":"
/* Header line. */
#define AS_M_TYPE "type"
#define AS_M_FORMAT "format"
#define AS_M_VERSION "version"
#define AS_M_PID "pid"
#define AS_M_PROGRAM "program"
#define AS_M_ARGV "argv"
#define AS_M_STARTED_AT "started_at"
#define AS_M_STARTED_AT_NS "started_at_ns"
#define AS_M_CONFIG "config"
#define AS_M_INTERVAL_MS "interval_ms"
#define AS_M_GRAVE_MS "grave_ms"
#define AS_M_STACK_DEPTH "stack_depth"
#define AS_M_MAILBOX_WAIT_EVERY "mailbox_wait_every" /* one message in N has its wait measured */
/* A socket stream's last line when the traced process refused or dropped the client:
 * {"format":"actorscope","error":"TEXT"}. */
#define AS_M_ERROR "error"

/* Snapshot line. */
#define AS_M_SEQ "seq"
#define AS_M_CAPTURED_AT "captured_at"
#define AS_M_CAPTURED_AT_NS "captured_at_ns"
#define AS_M_UPTIME_NS "uptime_ns"
#define AS_M_FINAL "final"
#define AS_M_ENDED_BY "ended_by" /* final lines: "exit", "signal" or "exec" */
#define AS_M_SIGNAL "signal"     /* with ended_by "signal": the deadly signal ("SIGSEGV") */
#define AS_M_REAPED "reaped"     /* delta lines: ids of the actors reaped since the line before */
/* Version 3: actors that stopped before any line listed them, each listed once in this compact
 * form and reaped at once (FORMAT.md, "Ended actors"). */
#define AS_M_ENDED "ended"
#define AS_M_STOPPED_AT_NS "stopped_at_ns"
#define AS_M_MAILBOX_MAX "mailbox_max"
#define AS_M_OUTBOX_LEN "outbox_len"
#define AS_M_HANDLER_TOTAL_NS "handler_total_ns"
#define AS_M_HANDLER_MAX_NS "handler_max_ns"
#define AS_M_TOTALS "totals"
#define AS_M_ALIVE "alive"
#define AS_M_TOTAL_SPAWNED "total_spawned"
#define AS_M_TOTAL_STOPPED "total_stopped"
#define AS_M_MESSAGES_RECEIVED "messages_received"
/* Messages received on every socket actors read (mailboxes and CZMQ's other sockets). */
#define AS_M_RECEIVED_ALL "received_all"
/* The runtime's own count of its running actors (CAF: its actor systems' registry().running()). */
#define AS_M_RUNTIME_RUNNING "runtime_running"
#define AS_M_DEADLOCKS "deadlocks"
#define AS_M_ACTORS "actors"
#define AS_M_NAMES "names"
#define AS_M_DIAGNOSTICS "diagnostics"
#define AS_M_CODE "code"
#define AS_M_MESSAGE "message"
#define AS_M_SPAWN_SITES "spawn_sites"
#define AS_M_LAST_COST "last_cost"
#define AS_M_COLLECT_NS "collect_ns"
#define AS_M_ENCODE_NS "encode_ns"
#define AS_M_WRITE_NS "write_ns"
#define AS_M_BYTES "bytes"

/* Actor. */
#define AS_M_ID "id"
#define AS_M_NAME "name"
#define AS_M_FULL_NAME "full_name" /* a longer name; absent when the same as name */
#define AS_M_INTERNAL "internal"   /* true for a runtime-internal actor; absent = false */
/* true for an actor that existed before `actorscope attach` (counts from then on, no parent or
 * spawn site); absent = false */
#define AS_M_ATTACHED_LATE "attached_late"
#define AS_M_RUNTIME "runtime"
#define AS_M_RUNTIME_ID "runtime_id"
#define AS_M_RUNTIME_SCOPE "runtime_scope"
#define AS_M_REFS "refs"
#define AS_M_STRONG "strong"
#define AS_M_WEAK "weak"
#define AS_M_LINKS "links"
#define AS_M_MONITORS "monitors"
#define AS_M_STATUS "status"
#define AS_M_SPAWNED_AT_NS "spawned_at_ns"
#define AS_M_SPAWN_SITE "spawn_site"
#define AS_M_PARENT "parent"
#define AS_M_CHILDREN "children"
#define AS_M_STOPPED "stopped"
#define AS_M_AT_NS "at_ns"
#define AS_M_REASON "reason"
#define AS_M_MAILBOX "mailbox"
#define AS_M_KIND "kind"
#define AS_M_LEN "len"
#define AS_M_MAX "max"
#define AS_M_ENQUEUED "enqueued"
#define AS_M_OUTBOX "outbox"
#define AS_M_COUNTERS "counters"
/* AS_M_MESSAGES_RECEIVED is shared with totals. */
#define AS_M_MESSAGES_SENT "messages_sent"
#define AS_M_REPLIES "replies"
#define AS_M_HANDLED "handled"
#define AS_M_EXCEPTIONS "exceptions"
#define AS_M_HANDLER_NS "handler_ns"
#define AS_M_TOTAL "total"
#define AS_M_HANDLING "handling"
#define AS_M_ELAPSED_NS "elapsed_ns"
#define AS_M_SINCE_NS "since_ns" /* version 2: uptime when the handler or wait began */
#define AS_M_WAITING_ON "waiting_on"
#define AS_M_TARGET "target"
#define AS_M_MESSAGE_TYPES "message_types"
#define AS_M_SOCKETS "sockets" /* CZMQ: the actor's other sockets */
#define AS_M_ENDPOINT "endpoint"
#define AS_M_RECEIVED "received"
#define AS_M_SENT "sent"
#define AS_M_DEPTH "depth"
#define AS_M_COUNT "count"
/* Who talks to whom (preload/peers.h): an actor's messages by peer, {to|to_thread|from_thread,
 * count}, and the messages to peers past the listed ones. */
#define AS_M_PEERS "peers"
#define AS_M_PEERS_OTHER "peers_other"
#define AS_M_TO "to"                   /* a peer actor's id */
#define AS_M_TO_THREAD "to_thread"     /* a thread that runs no actor, by name ("main") */
#define AS_M_FROM_THREAD "from_thread" /* such a thread sent to this actor */
#define AS_PEERS_PER_ACTOR_MAX 8
/* Handler-time histograms (histogram.h) and stuck handlers' stacks. */
#define AS_M_HANDLER_HISTOGRAM "handler_histogram" /* [bucket, count] pairs; absent: none yet */
/* Time from a message's enqueue to the start of its handler, same form; absent: none yet. */
#define AS_M_MAILBOX_WAIT_HISTOGRAM "mailbox_wait_histogram"
#define AS_M_TICK_FS "tick_fs" /* line: femtoseconds per tick, the histograms' unit */
#define AS_M_STACK "stack"     /* handling, stuck: the stuck thread's call stack */
/* Stuck handlers (preload/stuck.c): how the stack was read, and the actor's longest stuck run. */
#define AS_M_STACK_SOURCE "stack_source"     /* handling, stuck: AS_STACK_SOURCE_V_* */
#define AS_M_STACK_COMPLETE "stack_complete" /* handling, stuck: unwound to the thread's start */
#define AS_M_STACK_END "stack_end"           /* stuck: AS_STACK_END_V_* */
#define AS_M_STUCK "stuck"                   /* actor: its longest handler run that got stuck */
#define AS_M_RUNNING "running"               /* stuck: the run is still going on */
#define AS_M_ON_CPU "on_cpu"                 /* stuck: the thread was on a CPU when looked at */
#define AS_M_CPU_NS "cpu_ns"                 /* stuck: CPU time the thread used ... */
#define AS_M_CPU_WINDOW_NS "cpu_window_ns"   /* ... over this long, since the capture */
#define AS_STACK_SOURCE_V_SYSCALL "syscall"  /* blocked: /proc/self/task/TID/syscall */
#define AS_STACK_SOURCE_V_PERF "perf"        /* on a CPU: one perf_event_open sample */
#define AS_STACK_SOURCE_V_CPU "cpu"          /* on a CPU, no sample allowed: CPU time only */
#define AS_STACK_END_V_OUTERMOST "outermost" /* the thread's first frame: complete */
#define AS_STACK_END_V_DEPTH "depth"         /* AS_STUCK_FRAMES_MAX frames kept */
#define AS_STACK_END_V_UNWIND "unwind"       /* the unwinder found no way on from the last frame */
#define AS_STACK_END_V_MOVED "moved"         /* the thread ran between two reads: may be mixed */

/* ---- vocabularies ------------------------------------------------------------------------ */
enum as_status {
  AS_STATUS_STARTING,
  AS_STATUS_RUNNING,
  AS_STATUS_STOPPING,
  AS_STATUS_STOPPED,
  AS_STATUS_COUNT
};

enum as_runtime_kind {
  AS_RUNTIME_OTHER, /* a name this reader does not know (new runtimes need no version bump) */
  AS_RUNTIME_CZMQ,
  AS_RUNTIME_CAF,
};
#define AS_RUNTIME_NAME_CZMQ "czmq"
#define AS_RUNTIME_NAME_CAF "caf"

/* The same names and values as the registry's (preload/registry.h), so it can use these. */
enum as_wait_kind {
  AS_WAIT_NONE, /* not waiting: never written */
  AS_WAIT_REPLY,
  AS_WAIT_SIGNAL,
  AS_WAIT_COUNT
};

#define AS_MAILBOX_UNBOUNDED "unbounded"

#define AS_ENDED_BY_EXIT "exit"
#define AS_ENDED_BY_SIGNAL "signal"
#define AS_ENDED_BY_EXEC "exec"
#define AS_ENDED_BY_DETACH "detach" /* the process ran on (older tracers wrote "exit") */

/* CZMQ stop reasons (CAF's are CAF's own names and open-ended; see FORMAT.md). */
#define AS_REASON_DESTROYED "destroyed"
#define AS_REASON_TERMINATED "terminated"
#define AS_REASON_RETURNED "returned"
#define AS_REASON_THREAD_EXITED "thread_exited"

/* Message-type names the tracer makes up. */
#define AS_TYPE_OTHER "<other>"
#define AS_NAME_UNKNOWN "<unknown>"

/* CZMQ sockets (actor member "sockets"): the kind of a libzmq socket type number (ZMQ_PAIR 0 …
 * ZMQ_DGRAM 18; NULL out of range), and the kinds the tracer makes up. */
const char *as_socket_kind_name(int zmq_type);
#define AS_SOCKET_SIDE_PIPE "side pipe"
#define AS_SOCKET_OTHER "other"
/* A message type from another socket than the pipe names its socket, "REQ (ROUTER
 * tcp://127.0.0.1:5555)" (FORMAT.md). The type without the endpoint, "REQ (ROUTER)", written
 * into OUT (SIZE bytes), for totals per actor name: each instance's endpoint differs. Returns
 * OUT, or TYPE itself when it names no endpoint. */
const char *as_type_without_endpoint(const char *type, char *out, size_t size);

/* The text of each value; NULL for a value out of range (and for AS_WAIT_NONE). */
const char *as_status_name(enum as_status status);
const char *as_wait_kind_name(enum as_wait_kind kind);

/* Parses LEN bytes of text (not NUL-terminated). Returns 0, or -1 when it is not one of them. */
int as_status_parse(const char *text, size_t len, enum as_status *out);
int as_wait_kind_parse(const char *text, size_t len, enum as_wait_kind *out);
enum as_runtime_kind as_runtime_parse(const char *text, size_t len);

/* ---- configuration: environment variables and their ranges --------------------------------- */
#define AS_ENV_OUTPUT "ACTORSCOPE_OUTPUT"
#define AS_ENV_INTERVAL_MS "ACTORSCOPE_INTERVAL_MS"
#define AS_ENV_GRAVE_MS "ACTORSCOPE_GRAVE_MS"
#define AS_ENV_STACK_DEPTH "ACTORSCOPE_STACK_DEPTH"
#define AS_ENV_KEYFRAME_S "ACTORSCOPE_KEYFRAME_S"
#define AS_ENV_MAX_BYTES "ACTORSCOPE_MAX_BYTES"
#define AS_ENV_KEEP "ACTORSCOPE_KEEP"
#define AS_ENV_STUCK_MS "ACTORSCOPE_STUCK_MS"
#define AS_ENV_MAILBOX_WAIT_EVERY "ACTORSCOPE_MAILBOX_WAIT_EVERY"
/* 1: record every handler, send, spawn and stop into NAME.events (docs/events-format.md). */
#define AS_ENV_EVENTS "ACTORSCOPE_EVENTS"
/* Records each thread's event ring holds (a power of two). */
#define AS_ENV_EVENTS_RING "ACTORSCOPE_EVENTS_RING"
/* When set, a socket reader sends its value and "\n" first, and the tracer checks it. */
#define AS_ENV_TOKEN "ACTORSCOPE_TOKEN"
/* The same, read from a file (mode 0600, owned by the user): not inherited by every child the
 * way an environment variable's value is. */
#define AS_ENV_TOKEN_FILE "ACTORSCOPE_TOKEN_FILE"

#define AS_DEFAULT_FILE "actorscope.%p.jsonl"
#define AS_DEFAULT_OUTPUT "file:" AS_DEFAULT_FILE
#define AS_DEFAULT_TCP_HOST "127.0.0.1"
#define AS_INTERVAL_MS_MIN 1u
#define AS_INTERVAL_MS_MAX 3600000u
#define AS_INTERVAL_MS_DEFAULT 500u
#define AS_GRAVE_MS_MIN 0u
#define AS_GRAVE_MS_MAX 86400000u
#define AS_GRAVE_MS_DEFAULT 5000u
#define AS_STACK_DEPTH_MIN 0u
#define AS_STACK_DEPTH_MAX 64u
#define AS_STACK_DEPTH_DEFAULT 8u
#define AS_KEYFRAME_S_MIN 0u /* 0: every line a keyframe */
#define AS_KEYFRAME_S_MAX 86400u
#define AS_KEYFRAME_S_DEFAULT 60u
#define AS_MAX_BYTES_MIN 4096ull /* 0: no limit */
#define AS_MAX_BYTES_MAX (1ull << 50)
#define AS_KEEP_MAX 100u /* = AS_DEST_KEEP_MAX */
#define AS_KEEP_DEFAULT 3u
#define AS_STUCK_MS_MIN 0u /* 0: off */
#define AS_STUCK_MS_MAX 86400000u
#define AS_STUCK_MS_DEFAULT 1000u    /* read from outside the thread: nothing reaches it */
#define AS_MAILBOX_WAIT_EVERY_MIN 1u /* a power of two: 1 measures every message */
#define AS_MAILBOX_WAIT_EVERY_MAX 1024u
#define AS_MAILBOX_WAIT_EVERY_DEFAULT 16u
#define AS_EVENTS_RING_MIN 16u
#define AS_EVENTS_RING_MAX (1u << 22)
#define AS_EVENTS_RING_DEFAULT 16384u
#define AS_TOKEN_MIN 16u
#define AS_TOKEN_MAX 256u

/* Limits the writer keeps (FORMAT.md): message-type rows per actor, bytes of a type name. */
#define AS_TYPES_PER_ACTOR_MAX 16
#define AS_TYPE_NAME_MAX 48u

#endif
