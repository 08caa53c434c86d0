/* The events file (NAME.events beside NAME.jsonl) as code: one definition for the writer
 * (preload/events_writer.c) and the reader (report/export/export_events.c). docs/events-format.md
 * documents it for other readers.
 *
 * A file is a 64-byte header, then 40-byte records, all little-endian (the host's order on
 * every platform the tracer runs on: x86-64 and aarch64). Times are nanoseconds since the run's
 * start, on the same clock as the snapshots' *_ns members (spawned_at_ns, uptime_ns), so events
 * and snapshots share one timeline. Every file of a rotated set begins with the header and the
 * names of the message types its records use before their first use: each file reads alone. */
#ifndef AS_EVENTS_FORMAT_H
#define AS_EVENTS_FORMAT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define AS_EVENTS_MAGIC "ASEVENTS" /* 8 bytes, no terminator in the file */
/* Kinds are added without a version change (PAUSE, RESUME, THREAD, GAP were): each is one
 * record, and a reader skips the kinds it does not know. The version changes when a reader that
 * skipped new records would misread the file (docs/events-format.md, "Versions"). */
#define AS_EVENTS_VERSION 1u
#define AS_EVENTS_SUFFIX ".events"

/* The events file of the snapshots at SNAPSHOTS (a file's path, or a unix socket's
 * "unix:PATH"): NAME.events for NAME.jsonl or NAME.sock, else the whole name and .events. The
 * writer names its file so, the reader looks for it so, and a snapshot file's name is taken
 * while its events file exists. Returns 0 or -ENAMETOOLONG. */
static inline int as_events_path_of(const char *snapshots, char *out, size_t out_len)
{
  if (strncmp(snapshots, "unix:", 5) == 0)
    snapshots += 5;
  size_t len = strlen(snapshots);
  static const char *const suffixes[] = {".jsonl", ".sock"};
  for (size_t i = 0; i < 2; i++) {
    size_t sl = strlen(suffixes[i]);
    if (len >= sl && strcmp(snapshots + len - sl, suffixes[i]) == 0) {
      len -= sl;
      break;
    }
  }
  if (len + sizeof AS_EVENTS_SUFFIX > out_len)
    return -ENAMETOOLONG;
  snprintf(out, out_len, "%.*s%s", (int)len, snapshots, AS_EVENTS_SUFFIX);
  return 0;
}

struct as_events_header {
  char magic[8];          /* AS_EVENTS_MAGIC */
  uint32_t version;       /* AS_EVENTS_VERSION */
  uint32_t record_size;   /* sizeof(struct as_events_record): a reader skips unknown tails */
  uint64_t pid;           /* the snapshots' header "pid" */
  uint64_t started_at_ns; /* the snapshots' header "started_at_ns" (wall clock) */
  uint32_t file_index;    /* 0 for the first file of the run, 1 after one rotation ... */
  uint32_t ring_records;  /* per-thread ring capacity the tracer used */
  uint64_t reserved[3];   /* zero */
};
_Static_assert(sizeof(struct as_events_header) == 64, "the header is 64 bytes");

enum as_events_kind {
  AS_EV_BEGIN = 1,     /* a handler begins: actor, type, msg (the message it takes), tid */
  AS_EV_END = 2,       /* the handler that began last on the actor ends */
  AS_EV_CANCEL = 3,    /* the handler that began last did not take its message after all (CAF left
                     * it in the mailbox): the begin is void, its message still to come */
  AS_EV_SEND = 4,      /* a message into actor's mailbox: peer = sender actor (0: not an actor,
                     * then tid is the sending thread), msg */
  AS_EV_SEND_UNDO = 5, /* the send with (actor, msg) failed: no handler will take it */
  AS_EV_SPAWN = 6,     /* actor spawned; peer = parent (0: none) */
  AS_EV_STOP = 7,      /* actor stopped */
  AS_EV_LOST = 8,      /* msg = records this thread (tid) could not record: its ring was full */
  AS_EV_TYPE = 9,      /* names message type `type`: msg = the name's length n (< 64); the name's
                     * bytes follow in the next (n + 39) / 40 records' space, zero-padded */
  /* Added in 2026-12 (still version 1: a reader skips them). Each is one record. */
  AS_EV_PAUSE = 10,  /* recording went off (ctl events off, detach, exit): nothing is recorded
                      * until a RESUME; a handler begun before it is not ended by an END after
                      * it. Records stamped before it may still follow it in the file (a thread
                      * published late): a BEGIN after it and before the next RESUME, or stamped
                      * before that RESUME, is void */
  AS_EV_RESUME = 11, /* recording (re)starts: written at each start, so after every PAUSE */
  AS_EV_THREAD = 12, /* names thread tid: the kernel's name (comm), NUL-padded, in the bytes of
                      * peer and msg (AS_EV_THREAD_NAME_MAX + 1 bytes); before the thread's first
                      * record in the file, again when a later thread takes its tid */
  AS_EV_GAP = 13,    /* thread tid's ring was full: its records stamped from time_ns on are
                      * missing until its next one (a LOST later says how many); a handler it
                      * had open may have ended unrecorded */
};

/* A thread's name in an AS_EV_THREAD record: the kernel's limit (TASK_COMM_LEN - 1). */
#define AS_EV_THREAD_NAME_MAX 15u

/* A message is named by (receiver actor, msg): unique among the messages in flight to that
 * actor. CZMQ: the message's number on the actor's pipe (first in, first out: the n-th sent is
 * the n-th taken). CAF: the mailbox element's address (alive from enqueue until its handler is
 * done, so never shared by two messages in flight). A BEGIN with msg AS_EV_NO_MSG took no
 * mailbox message (e.g. a CZMQ actor's other socket). */
#define AS_EV_NO_MSG UINT64_MAX

struct as_events_record {
  uint64_t time_ns;
  uint64_t actor; /* the snapshots' actor "id" */
  uint64_t peer;
  uint64_t msg;
  uint32_t tid;  /* the kernel thread id that recorded it */
  uint16_t type; /* message type id (AS_EV_TYPE names it; 0: none) */
  uint8_t kind;  /* enum as_events_kind */
  uint8_t flags; /* zero */
};
_Static_assert(sizeof(struct as_events_record) == 40, "records are 40 bytes");

#define AS_EV_TYPE_NAME_MAX 63u

/* An AS_EV_THREAD record's name: the 16 bytes of peer and msg, which lie together (offsets 16 to
 * 31). */
_Static_assert(offsetof(struct as_events_record, msg) ==
                   offsetof(struct as_events_record, peer) + sizeof(uint64_t),
               "peer and msg are adjacent");
static inline void as_events_thread_name_put(struct as_events_record *r, const char *name)
{
  char bytes[AS_EV_THREAD_NAME_MAX + 1] = {0};
  size_t len = strnlen(name, AS_EV_THREAD_NAME_MAX);
  memcpy(bytes, name, len);
  memcpy((char *)r + offsetof(struct as_events_record, peer), bytes, sizeof bytes);
}
/* OUT gets the name, NUL-terminated. */
static inline void as_events_thread_name_get(const struct as_events_record *r,
                                             char out[AS_EV_THREAD_NAME_MAX + 1])
{
  memcpy(out, (const char *)r + offsetof(struct as_events_record, peer), AS_EV_THREAD_NAME_MAX);
  out[AS_EV_THREAD_NAME_MAX] = '\0';
}

#endif
