/* The reader's inside, shared by its files (reader.h is its outside). One job each:
 *
 *   reader.c          the public calls: open, next, close, each
 *   reader_members.c  what each JSON object holds: one table of members per record kind
 *   reader_parse.c    yajl's SAX events into typed records, guided by those tables
 *   reader_line.c     one line: bytes to whole tokens to yajl, then the line's checks
 *   reader_files.c    a file being followed, and the files of a rotated set
 *   reader_source.c   what a source names: stdin, a file, a unix or tcp socket
 *   reader_memory.c   the line's arena, scratch vectors, and the budget sources share
 *
 * Adding a record kind (an object the format gains): a K_ name in enum reader_kind_id, a table
 * of its members in reader_members.c (key, type, flags, where each value goes) and its row in
 * reader_kinds[]; a member of the kind that holds it (V_OBJ: stored in the holder's record;
 * V_OBJS: an array of records of their own, reader_kinds[].record set). Which members are
 * required is the flags column of that table, never a position in it: tables may be reordered
 * (test_reader_members checks every required member against FORMAT.md's list). */
#ifndef AS_READER_PRIVATE_H
#define AS_READER_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <yajl/yajl_parse.h>

#include "destination.h"
#include "reader.h"
#include "reader_lex.h"
#include "state.h"

#define READER_CHUNK (256u << 10)
#define READER_MAX_DEPTH 64
#define READER_MAX_HEADER ((size_t)4 << 20)

/* ---- memory (reader_memory.c) ------------------------------------------------------------- */

/* What one reader took from a budget several readers share (as_reader_budget). */
struct reader_account {
  struct as_reader_budget *budget; /* NULL: none */
  size_t taken;
  int over; /* a request was refused: the reader's "out of memory" says why */
};
int reader_account_take(struct reader_account *a, size_t n);
void reader_account_give(struct reader_account *a, size_t n);

/* Every record and string of one line; the next line reuses it. */
struct reader_arena_block;
struct reader_arena {
  struct reader_arena_block *head, *cur;
  struct reader_account *account;
};
void *reader_arena_alloc(struct reader_arena *a, size_t n);
void reader_arena_reset(struct reader_arena *a);
void reader_arena_free(struct reader_arena *a);

/* A growable array of ELEM-byte elements, zeroed as they are pushed. */
struct reader_vec {
  void *data;
  size_t n, cap, elem;
  struct reader_account *account;
};
void *reader_vec_push(struct reader_vec *v);

/* ---- what each object holds (reader_members.c) -------------------------------------------- */

enum reader_value_type {
  V_INT, /* whole number >= 0 */
  V_ID,  /* whole number >= 1 */
  V_STR,
  V_BOOL,
  V_STATUS,
  V_RUNTIME,
  V_WAIT,
  V_OBJ,   /* an object of kind `child` */
  V_STRS,  /* array of strings */
  V_IDS,   /* array of ids */
  V_OBJS,  /* array of objects of kind `child` */
  V_SITES, /* array of arrays of strings */
  V_PAIRS, /* array of [whole number, whole number >= 1] (a histogram's buckets) */
  V_PAIR,  /* one of those */
};

enum reader_kind_id {
  K_LINE,
  K_CONFIG,
  K_TOTALS,
  K_COST,
  K_CYCLE,
  K_DIAG,
  K_ACTOR,
  K_REFS,
  K_STOPPED,
  K_MAILBOX,
  K_OUTBOX,
  K_COUNTERS,
  K_HANDLER,
  K_HANDLING,
  K_WAITING,
  K_MSGTYPE,
  K_SOCKET,
  K_STUCK,
  K_PEER,  /* an actor's peers: who it sends to */
  K_ENDED, /* version 3: an actor that lived and died between two lines, compactly */
  K_COUNT,
  /* arrays */
  K_ARRAY = 100,
};

/* What the reader checks of a member, beyond its type. */
enum reader_member_flag {
  M_REQUIRED = 1, /* every object of its kind has it (checked at the object's end) */
  M_SNAPSHOT = 2, /* a line: every snapshot line has it (a header's needs are its own) */
  M_DELTA = 4,    /* a line: every delta line has it too */
  M_ORIGIN = 8,   /* an actor: where it comes from, all or none (a delta leaves them out for an
                     actor an earlier line described) */
  M_DEFAULT = 16, /* version 5: may be left out at its default (FORMAT.md "Defaults"), which the
                     reader fills in (reader_ended.c); required before */
};

/* Everything one line can say; a header or a snapshot. */
struct reader_line_rec {
  const char *type, *format, *error;
  struct as_rec_header h;
  struct as_rec_snapshot s;
  int has_received_all; /* totals.received_all was written */
  /* Version 3: the line's compact "ended" actors, gathered after its "actors" (then merged). */
  const struct as_rec_actor *ended;
  size_t n_ended;
};

struct member {
  const char *key;
  unsigned char type; /* enum reader_value_type */
  unsigned char nullable;
  unsigned char flags; /* enum reader_member_flag */
  unsigned char child; /* V_OBJ, V_OBJS: the kind of the object(s) */
  unsigned short off;  /* where the value goes in the frame's record */
  unsigned short off2; /* array: where its count goes; nullable: where "present" goes (1) */
};
#define NONE 0xffff
/* A kind has at most this many members: the members met in an object are bits of a mask. */
#define READER_KIND_MEMBERS_MAX 64

struct reader_kind {
  const struct member *members; /* ends with a NULL key */
  /* An element of an array of objects: the size of its record, one per element, in
   * reader.elements[kind]; 0 for an object stored in the record of the object holding it. */
  size_t record;
  /* Elements of arrays that recur inside other records (an actor's sockets): each array is
   * moved into the line's arena at its end. 0: the line's own array, held by its vector. */
  int per_owner;
};
extern const struct reader_kind reader_kinds[K_COUNT];

/* Computes what reader_member_* use; once, before any reader reads. */
void reader_members_init(void);
/* KIND's member named KEY (N bytes), trying AFTER's next one first (the writer's order is
 * stable); NULL when the kind has none of that name. */
const struct member *reader_member_find(int kind, const struct member *after,
                                        const unsigned char *key, size_t n);
/* The bit of member M of KIND in a frame's `seen`. */
uint64_t reader_member_bit(int kind, const struct member *m);
/* The bits of KIND's members that have every flag of FLAGS. */
uint64_t reader_members_with(int kind, unsigned flags);
/* Whether an object of KIND whose members met are SEEN had the member named KEY. */
int reader_members_saw(int kind, uint64_t seen, const char *key);

/* ---- the reader --------------------------------------------------------------------------- */

struct frame {
  int kind;                    /* K_* for an object; K_ARRAY + value_type for an array */
  char *base;                  /* the record its members are stored in */
  const struct member *member; /* object: the member whose value comes next; array: its own */
  char *owner;                 /* array: the record that holds the array */
  uint64_t seen;               /* object: members met so far (reader_member_bit) */
  size_t index;                /* array: elements so far */
  size_t mark;                 /* array: where its elements start in the scratch vector */
  int is_site;                 /* array: one spawn site (its owner is a struct as_rec_site) */
};

/* A file of a rotated set, held open from the moment it is found. */
struct reader_part {
  int fd;
  dev_t dev;
  ino_t ino;
  int64_t first_seq; /* -1: its first snapshot line is not written yet */
  char *name;        /* where it was found, for messages */
};
#define READER_PARTS (AS_DEST_KEEP_MAX + 1)

struct as_reader {
  char *source;
  /* A rotated set (a regular file, not single_file): its files are found by name but read by
   * descriptor, in the order of their first seq, so a rename never changes what is read. */
  const char *path; /* the named file, in source */
  int rotating;
  struct reader_part parts[READER_PARTS]; /* this run's files found, not read yet */
  size_t n_parts;
  dev_t dev; /* the file being read */
  ino_t ino;
  int64_t last_seq; /* the last snapshot line's seq; -1 before the first */
  int64_t missed;   /* snapshot lines removed before they were read */
  char missed_note[400];
  int watch_fd;      /* following: inotify on the named file's directory, or -1 */
  char *part_name;   /* the file being read, for messages; NULL: source */
  int expect_header; /* the file just opened starts with its own header */
  int rotation_seen; /* the named file is no longer the one being read */
  int fd;
  int is_socket, is_regular;
  struct as_reader_options opt;
  unsigned char *buf;
  size_t buf_len, buf_pos;
  uint64_t bytes;
  size_t lineno;
  size_t line_bytes;
  int line_blank;
  int done, truncated;

  yajl_handle parser;
  /* Whole tokens only go to yajl (reader_lex.h): one cut by a chunk's end waits in carry. */
  struct reader_lex lex;
  unsigned char *carry;
  size_t carry_len, carry_cap;
  size_t fed;                 /* bytes of the line given to yajl before the current chunk */
  long peer_pid;              /* a unix socket's server (SO_PEERCRED), else -1 */
  int64_t header_deadline_ms; /* a socket's header is due by then (monotonic); 0: no deadline */
  off_t followed;             /* following a regular file: where reading is in it */
  struct reader_account account;
  struct reader_arena header_arena, arena;
  struct as_rec_header header;
  int have_header;
  struct reader_line_rec line;

  struct frame stack[READER_MAX_DEPTH];
  int depth;
  int skip_pending;
  int skip_depth;
  int failed; /* a callback set err */
  int64_t last_actor_id;
  int64_t tick_fs;          /* the last line's that said it */
  int received_all_written; /* a line had totals.received_all: the writer counts it */

  /* Scratch: the records of each kind's arrays (reader_kinds[].record), spawn sites, and the
   * elements of arrays of ids, of numbers and of strings while they are read. */
  struct reader_vec elements[K_COUNT];
  struct reader_vec sites, ids, strs;
  /* Version 3: the ids of the last line's ended actors, reaped by the line after it. */
  struct reader_vec gone;
  struct reader_state state; /* version 2: the state keyframe and deltas build */
  struct as_reader_error *err;
};

/* ---- errors and SAX events (reader_parse.c) ----------------------------------------------- */

/* Fills the reader's error ("SOURCE:LINE: TEXT") and marks it failed. Returns CODE. */
int reader_fail(struct as_reader *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "actor #12: member 'counters.exceptions'" (or "member 'totals.alive'"), for an error. */
void reader_where(struct as_reader *r, char *out, size_t len);
/* Out of memory, or of the shared budget: said as such. Returns 0 (stops yajl). */
int reader_nomem(struct as_reader *r);
extern const yajl_callbacks reader_callbacks;

/* ---- lines (reader_line.c) ---------------------------------------------------------------- */

/* Reads up to the end of the next non-blank line. Returns 1 (a snapshot), 0 (the header, or
 * the end of the stream: r->done), or an error. */
int reader_line(struct as_reader *r);
int64_t reader_now_ms(void);

/* ---- files (reader_files.c) --------------------------------------------------------------- */

/* Waits for more of a file being followed. Returns 1 when there may be more, 0 to stop, -1
 * (failed: the file was truncated or replaced). */
int reader_follow_wait(struct as_reader *r);
/* At the end of what was written so far (MID_LINE: inside a line). Returns 1 to read on (in
 * the next file of the set, or the moved file once more), 0 to go on as at a plain end, or an
 * error. */
int reader_at_end(struct as_reader *r, int mid_line);
/* A regular file opened and its header read: starts at the oldest file of its rotated set. */
int reader_start_rotated(struct as_reader *r);
/* The named file is not there, or has no whole header yet (a rotation moving it): opens the
 * newest rotated file instead. Returns 0, or RC when there is none. */
int reader_open_moved(struct as_reader *r, int rc);
void reader_parts_close(struct as_reader *r);

/* ---- sources (reader_source.c) ------------------------------------------------------------ */

/* Opens what SOURCE names into r->fd. Returns 0 or an error. */
int reader_open_source(struct as_reader *r, const char *source);

#endif
