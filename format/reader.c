/* The streaming typed reader (reader.h). Bytes go to yajl's SAX parser as they arrive; its
 * callbacks fill typed records directly, guided by one table of members per JSON object kind
 * (type, range, required, where to store). Nothing of a line is kept but its records, held in an
 * arena that the next line reuses. */
#define _GNU_SOURCE
#include "reader.h"
#include "histogram.h"
#include "program.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>

#include "destination.h"
#include "reader_lex.h"
#include "state.h"
#include "token.h"

#define READER_CHUNK (256u << 10)
#define READER_MAX_DEPTH 64
#define READER_MAX_HEADER ((size_t)4 << 20)

/* ---- memory taken from a budget several readers share (as_reader_budget) ------------------ */

struct account {
  struct as_reader_budget *budget; /* NULL: none */
  size_t taken;
  int over; /* a request was refused: the reader's "out of memory" says why */
};

static int account_take(struct account *a, size_t n)
{
  if (!a || !a->budget)
    return 0;
  size_t used = atomic_fetch_add(&a->budget->used, n) + n;
  if (used > a->budget->limit || used < n) {
    atomic_fetch_sub(&a->budget->used, n);
    a->over = 1;
    return -1;
  }
  a->taken += n;
  return 0;
}

static void account_give(struct account *a, size_t n)
{
  if (!a || !a->budget)
    return;
  atomic_fetch_sub(&a->budget->used, n);
  a->taken -= n;
}

/* ---- arena: every record and string of one line ------------------------------------------ */

struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  max_align_t data[];
};

struct arena {
  struct arena_block *head, *cur;
  struct account *account;
};

static void *arena_alloc(struct arena *a, size_t n)
{
  n = (n + 15) & ~(size_t)15;
  while (a->cur && a->cur->used + n > a->cur->cap) {
    a->cur = a->cur->next;
    if (a->cur)
      a->cur->used = 0;
  }
  if (!a->cur) {
    size_t cap = n > (1u << 20) ? n : (1u << 20);
    if (account_take(a->account, sizeof(struct arena_block) + cap) < 0)
      return NULL;
    struct arena_block *b = malloc(sizeof *b + cap);
    if (!b) {
      account_give(a->account, sizeof(struct arena_block) + cap);
      return NULL;
    }
    b->used = 0;
    b->cap = cap;
    /* Appended after the last block, so a reset walks all of them again. */
    b->next = NULL;
    struct arena_block **tail = &a->head;
    while (*tail)
      tail = &(*tail)->next;
    *tail = b;
    a->cur = b;
  }
  void *p = (char *)a->cur->data + a->cur->used;
  a->cur->used += n;
  return p;
}

static void arena_free_blocks(struct arena *a, struct arena_block *b)
{
  for (struct arena_block *next; b; b = next) {
    next = b->next;
    account_give(a->account, sizeof *b + b->cap);
    free(b);
  }
}

/* The blocks the line before did not need are freed: memory follows the lines, and one huge
 * line (a hostile peer's) is not held on to for the rest of the stream. */
static void arena_reset(struct arena *a)
{
  if (a->cur) {
    arena_free_blocks(a, a->cur->next);
    a->cur->next = NULL;
  }
  a->cur = a->head;
  if (a->cur)
    a->cur->used = 0;
}

static void arena_free(struct arena *a)
{
  arena_free_blocks(a, a->head);
  a->head = a->cur = NULL;
}

/* ---- growable arrays --------------------------------------------------------------------- */

struct vec {
  void *data;
  size_t n, cap, elem;
  struct account *account;
};

static void *vec_push(struct vec *v)
{
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 64;
    if (account_take(v->account, (cap - v->cap) * v->elem) < 0)
      return NULL;
    void *grown = reallocarray(v->data, cap, v->elem);
    if (!grown) {
      account_give(v->account, (cap - v->cap) * v->elem);
      return NULL;
    }
    v->data = grown;
    v->cap = cap;
  }
  void *p = (char *)v->data + v->n++ * v->elem;
  memset(p, 0, v->elem);
  return p;
}

/* ---- what each object holds --------------------------------------------------------------- */

enum value_type {
  V_INT,    /* whole number >= 0 */
  V_ID,     /* whole number >= 1 */
  V_STR,
  V_BOOL,
  V_STATUS,
  V_RUNTIME,
  V_WAIT,
  V_OBJ,      /* an object of kind `child` */
  V_STRS,     /* array of strings */
  V_IDS,      /* array of ids */
  V_OBJS,     /* array of objects of kind `child` */
  V_SITES,    /* array of arrays of strings */
  V_PAIRS,    /* array of [whole number, whole number >= 1] (a histogram's buckets) */
  V_PAIR,     /* one of those */
};

enum kind {
  K_LINE, K_CONFIG, K_TOTALS, K_COST, K_CYCLE, K_DIAG, K_ACTOR, K_REFS, K_STOPPED, K_MAILBOX,
  K_OUTBOX, K_COUNTERS, K_HANDLER, K_HANDLING, K_WAITING, K_MSGTYPE, K_SOCKET, K_STUCK, K_PEER,
  K_COUNT,
  /* arrays */
  K_ARRAY = 100,
};

/* Everything one line can say; a header or a snapshot. */
struct line_rec {
  const char *type, *format, *error;
  struct as_rec_header h;
  struct as_rec_snapshot s;
  int has_received_all; /* totals.received_all was written */
};

struct member {
  const char *key;
  unsigned char type;
  unsigned char nullable;
  unsigned char required;
  unsigned char child;
  unsigned short off;  /* where the value goes in the frame's record */
  unsigned short off2; /* array: where its count goes; nullable: where "present" goes (1) */
};

#define NONE 0xffff
#define LINE(f) offsetof(struct line_rec, f)
#define ACT(f) offsetof(struct as_rec_actor, f)

static const struct member members_line[] = {
    {AS_M_TYPE, V_STR, 0, 1, 0, LINE(type), NONE},
    {AS_M_FORMAT, V_STR, 0, 0, 0, LINE(format), NONE},
    {AS_M_ERROR, V_STR, 0, 0, 0, LINE(error), NONE},
    {AS_M_VERSION, V_INT, 0, 0, 0, LINE(h.version), NONE},
    {AS_M_PID, V_INT, 0, 0, 0, LINE(h.pid), NONE},
    {AS_M_PROGRAM, V_STR, 0, 0, 0, LINE(h.program), NONE},
    {AS_M_ARGV, V_STRS, 0, 0, 0, LINE(h.argv), LINE(h.argc)},
    {AS_M_STARTED_AT, V_STR, 0, 0, 0, LINE(h.started_at), NONE},
    {AS_M_STARTED_AT_NS, V_INT, 0, 0, 0, LINE(h.started_at_ns), NONE},
    {AS_M_CONFIG, V_OBJ, 0, 0, K_CONFIG, NONE, NONE},
    {AS_M_SEQ, V_INT, 0, 0, 0, LINE(s.seq), NONE},
    {AS_M_CAPTURED_AT, V_STR, 0, 0, 0, LINE(s.captured_at), NONE},
    {AS_M_CAPTURED_AT_NS, V_INT, 0, 0, 0, LINE(s.captured_at_ns), NONE},
    {AS_M_UPTIME_NS, V_INT, 0, 0, 0, LINE(s.uptime_ns), NONE},
    {AS_M_FINAL, V_BOOL, 0, 0, 0, LINE(s.final), NONE},
    {AS_M_SIGNAL, V_STR, 1, 0, 0, LINE(s.signal), NONE},
    {AS_M_ENDED_BY, V_STR, 1, 0, 0, LINE(s.ended_by), NONE},
    {AS_M_REAPED, V_IDS, 0, 0, 0, LINE(s.reaped), LINE(s.n_reaped)},
    {AS_M_TOTALS, V_OBJ, 0, 0, K_TOTALS, NONE, NONE},
    {AS_M_DEADLOCKS, V_OBJS, 0, 0, K_CYCLE, LINE(s.deadlocks), LINE(s.n_deadlocks)},
    {AS_M_DIAGNOSTICS, V_OBJS, 0, 0, K_DIAG, LINE(s.diagnostics), LINE(s.n_diagnostics)},
    {AS_M_LAST_COST, V_OBJ, 1, 0, K_COST, NONE, LINE(s.has_last_cost)},
    {AS_M_SPAWN_SITES, V_SITES, 0, 0, 0, LINE(s.spawn_sites), LINE(s.n_spawn_sites)},
    {AS_M_ACTORS, V_OBJS, 0, 0, K_ACTOR, LINE(s.actors), LINE(s.n_actors)},
    {AS_M_TICK_FS, V_INT, 0, 0, 0, LINE(s.tick_fs), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};
/* Bits of members_line a snapshot must have (the header's are checked by name below). */
#define LINE_BIT(i) ((uint64_t)1 << (i))
#define SNAPSHOT_REQUIRED (LINE_BIT(10) | LINE_BIT(13) | LINE_BIT(14) | LINE_BIT(18) | LINE_BIT(23))
#define DELTA_REQUIRED (LINE_BIT(10) | LINE_BIT(13))
#define LINE_HAS_TOTALS LINE_BIT(18)
#define LINE_HAS_DEADLOCKS LINE_BIT(19)
#define LINE_HAS_DIAGNOSTICS LINE_BIT(20)
#define LINE_HAS_TICK_FS LINE_BIT(24)

static const struct member members_config[] = {
    {AS_M_INTERVAL_MS, V_INT, 0, 0, 0, LINE(h.interval_ms), NONE},
    {AS_M_GRAVE_MS, V_INT, 0, 0, 0, LINE(h.grave_ms), NONE},
    {AS_M_STACK_DEPTH, V_INT, 0, 0, 0, LINE(h.stack_depth), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_totals[] = {
    {AS_M_ALIVE, V_INT, 0, 1, 0, LINE(s.alive), NONE},
    {AS_M_TOTAL_SPAWNED, V_INT, 0, 1, 0, LINE(s.total_spawned), NONE},
    {AS_M_TOTAL_STOPPED, V_INT, 0, 1, 0, LINE(s.total_stopped), NONE},
    {AS_M_MESSAGES_RECEIVED, V_INT, 0, 1, 0, LINE(s.messages_received), NONE},
    {AS_M_RECEIVED_ALL, V_INT, 0, 0, 0, LINE(s.received_all), LINE(has_received_all)},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_cost[] = {
    {AS_M_COLLECT_NS, V_INT, 0, 0, 0, LINE(s.cost_collect_ns), NONE},
    {AS_M_ENCODE_NS, V_INT, 0, 0, 0, LINE(s.cost_encode_ns), NONE},
    {AS_M_WRITE_NS, V_INT, 0, 0, 0, LINE(s.cost_write_ns), NONE},
    {AS_M_BYTES, V_INT, 0, 0, 0, LINE(s.cost_bytes), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_cycle[] = {
    {AS_M_ACTORS, V_IDS, 0, 1, 0, offsetof(struct as_rec_cycle, actors),
     offsetof(struct as_rec_cycle, n_actors)},
    {AS_M_NAMES, V_STRS, 0, 0, 0, offsetof(struct as_rec_cycle, names),
     offsetof(struct as_rec_cycle, n_names)},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_diag[] = {
    {AS_M_CODE, V_STR, 0, 0, 0, offsetof(struct as_rec_diagnostic, code), NONE},
    {AS_M_MESSAGE, V_STR, 0, 0, 0, offsetof(struct as_rec_diagnostic, message), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

/* The members every command reads are required: a file without them cannot pass a check. */
static const struct member members_actor[] = {
    {AS_M_ID, V_ID, 0, 1, 0, ACT(id), NONE},
    {AS_M_NAME, V_STR, 0, 1, 0, ACT(name), NONE},
    /* runtime, spawned_at_ns, parent: the origin, all or none (checked at the actor's end) */
    {AS_M_RUNTIME, V_RUNTIME, 0, 0, 0, ACT(runtime), NONE},
    {AS_M_STATUS, V_STATUS, 0, 1, 0, ACT(status), NONE},
    {AS_M_SPAWNED_AT_NS, V_INT, 0, 0, 0, ACT(spawned_at_ns), NONE},
    {AS_M_SPAWN_SITE, V_INT, 1, 0, 0, ACT(spawn_site), ACT(has_spawn_site)},
    {AS_M_PARENT, V_ID, 1, 0, 0, ACT(parent), ACT(has_parent)},
    {AS_M_CHILDREN, V_IDS, 0, 0, 0, ACT(children), ACT(n_children)},
    {AS_M_STOPPED, V_OBJ, 1, 1, K_STOPPED, NONE, ACT(has_stopped)},
    {AS_M_MAILBOX, V_OBJ, 0, 1, K_MAILBOX, NONE, NONE},
    {AS_M_OUTBOX, V_OBJ, 0, 0, K_OUTBOX, NONE, NONE},
    {AS_M_COUNTERS, V_OBJ, 0, 1, K_COUNTERS, NONE, NONE},
    {AS_M_HANDLER_NS, V_OBJ, 0, 1, K_HANDLER, NONE, NONE},
    {AS_M_HANDLING, V_OBJ, 1, 1, K_HANDLING, NONE, ACT(has_handling)},
    {AS_M_WAITING_ON, V_OBJ, 1, 0, K_WAITING, NONE, ACT(has_waiting)},
    {AS_M_MESSAGE_TYPES, V_OBJS, 0, 1, K_MSGTYPE, ACT(message_types), ACT(n_message_types)},
    {AS_M_RUNTIME_ID, V_INT, 0, 0, 0, ACT(runtime_id), ACT(has_runtime_id)},
    {AS_M_RUNTIME_SCOPE, V_INT, 0, 0, 0, ACT(runtime_scope), NONE},
    {AS_M_REFS, V_OBJ, 0, 0, K_REFS, NONE, ACT(has_refs)},
    {AS_M_LINKS, V_IDS, 0, 0, 0, ACT(links), ACT(n_links)},
    {AS_M_MONITORS, V_IDS, 0, 0, 0, ACT(monitors), ACT(n_monitors)},
    {AS_M_INTERNAL, V_BOOL, 0, 0, 0, ACT(internal), NONE},
    {AS_M_SOCKETS, V_OBJS, 0, 0, K_SOCKET, ACT(sockets), ACT(n_sockets)},
    {AS_M_FULL_NAME, V_STR, 0, 0, 0, ACT(full_name), NONE},
    {AS_M_HANDLER_HISTOGRAM, V_PAIRS, 0, 0, 0, ACT(histogram), ACT(n_histogram)},
    {AS_M_ATTACHED_LATE, V_BOOL, 0, 0, 0, ACT(attached_late), NONE},
    {AS_M_MAILBOX_WAIT_HISTOGRAM, V_PAIRS, 0, 0, 0, ACT(wait_histogram), ACT(n_wait_histogram)},
    {AS_M_STUCK, V_OBJ, 0, 0, K_STUCK, NONE, ACT(has_stuck)},
    {AS_M_PEERS, V_OBJS, 0, 0, K_PEER, ACT(peers), ACT(n_peers)},
    {AS_M_PEERS_OTHER, V_INT, 0, 0, 0, ACT(peers_other), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_stuck[] = {
    {AS_M_TYPE, V_STR, 0, 1, 0, ACT(stuck_type), NONE},
    {AS_M_SINCE_NS, V_INT, 0, 1, 0, ACT(stuck_since_ns), NONE},
    {AS_M_HANDLER_NS, V_INT, 0, 1, 0, ACT(stuck_handler_ns), NONE},
    {AS_M_RUNNING, V_BOOL, 0, 0, 0, ACT(stuck_running), NONE},
    {AS_M_ON_CPU, V_BOOL, 0, 0, 0, ACT(stuck_on_cpu), NONE},
    {AS_M_CPU_NS, V_INT, 0, 0, 0, ACT(stuck_cpu_ns), NONE},
    {AS_M_CPU_WINDOW_NS, V_INT, 0, 0, 0, ACT(stuck_cpu_window_ns), NONE},
    {AS_M_STACK_SOURCE, V_STR, 0, 0, 0, ACT(stuck_source), NONE},
    {AS_M_STACK_COMPLETE, V_BOOL, 0, 0, 0, ACT(stuck_complete), NONE},
    {AS_M_STACK_END, V_STR, 0, 0, 0, ACT(stuck_end), NONE},
    {AS_M_STACK, V_STRS, 0, 0, 0, ACT(stuck_stack), ACT(n_stuck_stack)},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_refs[] = {
    {AS_M_STRONG, V_INT, 0, 1, 0, ACT(refs_strong), NONE},
    {AS_M_WEAK, V_INT, 0, 1, 0, ACT(refs_weak), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_stopped[] = {
    {AS_M_AT_NS, V_INT, 0, 1, 0, ACT(stopped_at_ns), NONE},
    {AS_M_REASON, V_STR, 0, 1, 0, ACT(stop_reason), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_mailbox[] = {
    {AS_M_KIND, V_STR, 0, 0, 0, ACT(mailbox_kind), NONE},
    {AS_M_LEN, V_INT, 0, 1, 0, ACT(mailbox_len), NONE},
    {AS_M_MAX, V_INT, 0, 1, 0, ACT(mailbox_max), NONE},
    {AS_M_ENQUEUED, V_INT, 0, 1, 0, ACT(mailbox_enqueued), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_outbox[] = {
    {AS_M_LEN, V_INT, 0, 1, 0, ACT(outbox_len), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_counters[] = {
    {AS_M_MESSAGES_RECEIVED, V_INT, 0, 1, 0, ACT(messages_received), NONE},
    {AS_M_MESSAGES_SENT, V_INT, 0, 1, 0, ACT(messages_sent), NONE},
    {AS_M_REPLIES, V_INT, 0, 0, 0, ACT(replies), NONE},
    {AS_M_HANDLED, V_INT, 0, 1, 0, ACT(handled), NONE},
    {AS_M_EXCEPTIONS, V_INT, 0, 1, 0, ACT(exceptions), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_handler[] = {
    {AS_M_TOTAL, V_INT, 0, 1, 0, ACT(handler_total_ns), NONE},
    {AS_M_MAX, V_INT, 0, 1, 0, ACT(handler_max_ns), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_handling[] = {
    {AS_M_TYPE, V_STR, 0, 1, 0, ACT(handling_type), NONE},
    {AS_M_ELAPSED_NS, V_INT, 0, 1, 0, ACT(handling_elapsed_ns), NONE},
    {AS_M_SINCE_NS, V_INT, 0, 0, 0, ACT(handling_since_ns), ACT(has_handling_since)},
    {AS_M_STACK, V_STRS, 0, 0, 0, ACT(handling_stack), ACT(n_handling_stack)},
    {AS_M_STACK_SOURCE, V_STR, 0, 0, 0, ACT(handling_stack_source), NONE},
    {AS_M_STACK_COMPLETE, V_BOOL, 0, 0, 0, ACT(handling_stack_complete), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_waiting[] = {
    {AS_M_TARGET, V_ID, 0, 1, 0, ACT(waiting_target), NONE},
    {AS_M_KIND, V_WAIT, 0, 1, 0, ACT(waiting_kind), NONE},
    {AS_M_ELAPSED_NS, V_INT, 0, 1, 0, ACT(waiting_elapsed_ns), NONE},
    {AS_M_SINCE_NS, V_INT, 0, 0, 0, ACT(waiting_since_ns), ACT(has_waiting_since)},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_msgtype[] = {
    {AS_M_NAME, V_STR, 0, 1, 0, offsetof(struct as_rec_msgtype, name), NONE},
    {AS_M_COUNT, V_INT, 0, 1, 0, offsetof(struct as_rec_msgtype, count), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

#define PEER(f) offsetof(struct as_rec_peer, f)
static const struct member members_peer[] = {
    {AS_M_TO, V_ID, 0, 0, 0, PEER(to), NONE},
    {AS_M_TO_THREAD, V_STR, 0, 0, 0, PEER(to_thread), NONE},
    {AS_M_FROM_THREAD, V_STR, 0, 0, 0, PEER(from_thread), NONE},
    {AS_M_COUNT, V_INT, 0, 1, 0, PEER(count), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

#define SOCK(f) offsetof(struct as_rec_socket, f)
static const struct member members_socket[] = {
    {AS_M_KIND, V_STR, 0, 1, 0, SOCK(kind), NONE},
    {AS_M_ENDPOINT, V_STR, 1, 0, 0, SOCK(endpoint), NONE},
    {AS_M_RECEIVED, V_INT, 0, 1, 0, SOCK(received), NONE},
    {AS_M_SENT, V_INT, 0, 1, 0, SOCK(sent), NONE},
    {AS_M_DEPTH, V_INT, 0, 0, 0, SOCK(depth), SOCK(has_depth)},
    {AS_M_MAX, V_INT, 0, 0, 0, SOCK(max), SOCK(has_max)},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member *const kind_members[K_COUNT] = {
    [K_SOCKET] = members_socket,
    [K_LINE] = members_line,         [K_CONFIG] = members_config,
    [K_TOTALS] = members_totals,     [K_COST] = members_cost,
    [K_CYCLE] = members_cycle,       [K_DIAG] = members_diag,
    [K_ACTOR] = members_actor,       [K_REFS] = members_refs,
    [K_STOPPED] = members_stopped,   [K_MAILBOX] = members_mailbox,
    [K_OUTBOX] = members_outbox,     [K_COUNTERS] = members_counters,
    [K_HANDLER] = members_handler,   [K_HANDLING] = members_handling,
    [K_WAITING] = members_waiting,   [K_MSGTYPE] = members_msgtype,
    [K_STUCK] = members_stuck,       [K_PEER] = members_peer,
};

/* Bits of each kind's required members, and its members' key lengths, computed once. */
static uint64_t kind_required[K_COUNT];
static unsigned char kind_key_len[K_COUNT][32];

static void reader_init_tables(void)
{
  for (int k = 0; k < K_COUNT; k++)
    for (const struct member *m = kind_members[k]; m->key; m++) {
      kind_key_len[k][m - kind_members[k]] = (unsigned char)strlen(m->key);
      if (m->required)
        kind_required[k] |= (uint64_t)1 << (m - kind_members[k]);
    }
}

static int reader_key_is(int kind, const struct member *m, const unsigned char *key, size_t n)
{
  return m->key && kind_key_len[kind][m - kind_members[kind]] == n && memcmp(m->key, key, n) == 0;
}

/* ---- the reader -------------------------------------------------------------------------- */

struct frame {
  int kind;                    /* K_* for an object; K_ARRAY + value_type for an array */
  char *base;                  /* the record its members are stored in */
  const struct member *member; /* object: the member whose value comes next; array: its own */
  char *owner;                 /* array: the record that holds the array */
  uint64_t seen;               /* object: members met so far */
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
  const char *path;      /* the named file, in source */
  int rotating;
  struct reader_part parts[READER_PARTS]; /* this run's files found, not read yet */
  size_t n_parts;
  dev_t dev;             /* the file being read */
  ino_t ino;
  int64_t last_seq;      /* the last snapshot line's seq; -1 before the first */
  int64_t missed;        /* snapshot lines removed before they were read */
  char missed_note[400];
  int watch_fd;          /* following: inotify on the named file's directory, or -1 */
  char *part_name;       /* the file being read, for messages; NULL: source */
  int expect_header;     /* the file just opened starts with its own header */
  int rotation_seen;     /* the named file is no longer the one being read */
  int fd;
  int is_socket, is_regular;
  struct as_reader_options opt;
  unsigned char *buf;
  size_t buf_len, buf_pos;
  int eof;
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
  size_t fed; /* bytes of the line given to yajl before the current chunk */
  long peer_pid; /* a unix socket's server (SO_PEERCRED), else -1 */
  int64_t header_deadline_ms; /* a socket's header is due by then (monotonic); 0: no deadline */
  off_t followed; /* following a regular file: where reading is in it */
  struct account account;
  struct arena header_arena, arena;
  struct as_rec_header header;
  int have_header;
  struct line_rec line;

  struct frame stack[READER_MAX_DEPTH];
  int depth;
  int skip_pending;
  int skip_depth;
  int failed; /* a callback set err */
  int64_t last_actor_id;
  int64_t tick_fs; /* the last line's that said it */
  int received_all_written; /* a line had totals.received_all: the writer counts it */

  struct vec actors, cycles, diags, sites, msgtypes, sockets, peers, ids, strs;
  struct reader_state state; /* version 2: the state keyframe and deltas build */
  struct as_reader_error *err;
};

static int reader_fail(struct as_reader *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reader_fail(struct as_reader *r, int code, const char *fmt, ...)
{
  char what[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  const char *name = r->part_name ? r->part_name : r->source;
  if (r->lineno)
    snprintf(r->err->text, sizeof r->err->text, "%s:%zu: %s", name, r->lineno, what);
  else
    snprintf(r->err->text, sizeof r->err->text, "%s: %s", name, what);
  r->err->code = code;
  r->failed = 1;
  return code;
}

/* "actor #12: member 'counters.exceptions'" (or "member 'totals.alive'"), for an error. */
static void reader_where(struct as_reader *r, char *out, size_t len)
{
  size_t used = 0;
  int actor = -1;
  for (int i = 0; i < r->depth; i++)
    if (r->stack[i].kind == K_ACTOR)
      actor = i;
  if (actor >= 0) {
    const struct as_rec_actor *a = (const struct as_rec_actor *)r->stack[actor].base;
    if (a->id > 0)
      used += (size_t)snprintf(out, len, "actor #%lld: ", (long long)a->id);
    else
      used += (size_t)snprintf(out, len, "actor %zu (its id not yet read): ",
                               r->stack[actor - 1].index - 1);
  }
  used += (size_t)snprintf(out + used, used < len ? len - used : 0, "member '");
  for (int i = actor >= 0 ? actor : 0; i < r->depth && used < len; i++) {
    const struct frame *f = &r->stack[i];
    if (f->kind < K_ARRAY && f->member)
      used += (size_t)snprintf(out + used, len - used, "%s%s", i > (actor >= 0 ? actor : 0) ? "." : "",
                               f->member->key);
    else if (f->kind >= K_ARRAY && i + 1 < r->depth)
      used += (size_t)snprintf(out + used, len - used, "[%zu]", f->index - 1);
  }
  if (used < len)
    snprintf(out + used, len - used, "'");
}

static const char *reader_expected(int type, int nullable)
{
  static const char *const text[][2] = {
      [V_INT] = {"a whole number >= 0", "a whole number >= 0 or null"},
      [V_ID] = {"an actor id (a whole number >= 1)", "an actor id (a whole number >= 1) or null"},
      [V_STR] = {"a string", "a string or null"},
      [V_BOOL] = {"true or false", "true, false or null"},
      [V_STATUS] = {"one of starting, running, stopping, stopped", ""},
      [V_RUNTIME] = {"a runtime name (a string)", ""},
      [V_WAIT] = {"one of reply, signal", ""},
      [V_OBJ] = {"an object", "an object or null"},
      [V_STRS] = {"an array of strings", ""},
      [V_IDS] = {"an array of actor ids", ""},
      [V_OBJS] = {"an array of objects", ""},
      [V_SITES] = {"an array of arrays of strings", ""},
      [V_PAIRS] = {"an array of [bucket, count] pairs", ""},
      [V_PAIR] = {"a [bucket, count] pair", ""},
  };
  return text[type][nullable ? 1 : 0];
}

static int reader_type_error(struct as_reader *r, int type, int nullable, const char *got)
{
  char where[300];
  reader_where(r, where, sizeof where);
  reader_fail(r, -EPROTO, "%s must be %s, not %s", where, reader_expected(type, nullable), got);
  return 0;
}

static int reader_nomem(struct as_reader *r)
{
  if (r->account.over)
    reader_fail(r, -ENOBUFS, "the line needs more memory than is left of the budget all sources "
                "share (%zu MiB; %zu actors into this line): it is dropped",
                r->account.budget->limit >> 20, r->actors.n);
  else
    reader_fail(r, -ENOMEM, "out of memory (%zu actors into this line)", r->actors.n);
  return 0;
}

static char *reader_strdup(struct as_reader *r, const unsigned char *s, size_t n)
{
  char *copy = arena_alloc(&r->arena, n + 1);
  if (!copy)
    return NULL;
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

static struct frame *reader_top(struct as_reader *r) { return &r->stack[r->depth - 1]; }

static int reader_push(struct as_reader *r, int kind, char *base, const struct member *m)
{
  if (r->depth == READER_MAX_DEPTH) {
    reader_fail(r, -EPROTO, "nested more than %d levels deep", READER_MAX_DEPTH);
    return 0;
  }
  struct frame *f = &r->stack[r->depth++];
  memset(f, 0, sizeof *f);
  f->kind = kind;
  f->base = base;
  f->member = m;
  return 1;
}

/* What the next value must be: its member (in an object) or the array's element type. */
struct expect {
  int type;     /* for an array element: V_STR, V_ID, V_OBJ or V_STRS */
  int nullable;
  int child;
  const struct member *member; /* NULL for an array element */
};

static struct expect reader_expect(struct as_reader *r)
{
  struct frame *f = reader_top(r);
  if (f->kind < K_ARRAY)
    return (struct expect){f->member->type, f->member->nullable, f->member->child, f->member};
  switch (f->kind - K_ARRAY) {
  case V_STRS: return (struct expect){V_STR, 0, 0, NULL};
  case V_IDS: return (struct expect){V_ID, 0, 0, NULL};
  case V_OBJS: return (struct expect){V_OBJ, 0, f->member->child, NULL};
  case V_PAIRS: return (struct expect){V_PAIR, 0, 0, NULL};
  case V_PAIR: return (struct expect){V_INT, 0, 0, NULL};
  default: return (struct expect){V_STRS, 0, 0, NULL}; /* V_SITES */
  }
}

/* Skipping an unknown member's value (of any shape). Returns 1 when the event was consumed. */
static int reader_skipping(struct as_reader *r, int opens, int closes)
{
  if (r->skip_depth > 0) {
    r->skip_depth += opens - closes;
    if (r->skip_depth > READER_MAX_DEPTH) {
      reader_fail(r, -EPROTO, "nested more than %d levels deep", READER_MAX_DEPTH);
      r->skip_depth = 0;
    }
    return 1;
  }
  if (r->skip_pending) {
    r->skip_pending = 0;
    r->skip_depth = opens;
    return 1;
  }
  return 0;
}

#define FIELD(base, off, type) (*(type *)((base) + (off)))

static int reader_on_null(void *ctx)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 0, 0))
    return !r->failed;
  if (r->depth == 0)
    return reader_fail(r, -EPROTO, "expected a JSON object"), 0;
  struct expect e = reader_expect(r);
  if (!e.nullable)
    return reader_type_error(r, e.type, 0, "null");
  return 1; /* records start zeroed: "absent" */
}

static int reader_store_int(struct as_reader *r, long long v)
{
  struct expect e = reader_expect(r);
  if (e.type != V_INT && e.type != V_ID)
    return reader_type_error(r, e.type, e.nullable, "a number");
  if (v < (e.type == V_ID ? 1 : 0))
    return reader_type_error(r, e.type, e.nullable, v < 0 ? "a negative number" : "0");
  struct frame *f = reader_top(r);
  if (!e.member) {
    int64_t *slot = vec_push(&r->ids);
    if (!slot)
      return reader_nomem(r);
    *slot = v;
    f->index++;
    return 1;
  }
  FIELD(f->base, e.member->off, int64_t) = v;
  if (e.member->off2 != NONE)
    FIELD(f->base, e.member->off2, int) = 1;
  return 1;
}

static int reader_on_integer(void *ctx, long long v)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 0, 0))
    return !r->failed;
  if (r->depth == 0)
    return reader_fail(r, -EPROTO, "expected a JSON object"), 0;
  return reader_store_int(r, v);
}

static int reader_on_double(void *ctx, double v)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 0, 0))
    return !r->failed;
  if (r->depth == 0)
    return reader_fail(r, -EPROTO, "expected a JSON object"), 0;
  struct expect e = reader_expect(r);
  return reader_type_error(r, e.type, e.nullable, "a fractional number");
}

static int reader_on_boolean(void *ctx, int v)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 0, 0))
    return !r->failed;
  if (r->depth == 0)
    return reader_fail(r, -EPROTO, "expected a JSON object"), 0;
  struct expect e = reader_expect(r);
  if (e.type != V_BOOL)
    return reader_type_error(r, e.type, e.nullable, v ? "true" : "false");
  FIELD(reader_top(r)->base, e.member->off, int) = v;
  return 1;
}

static int reader_on_string(void *ctx, const unsigned char *s, size_t n)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 0, 0))
    return !r->failed;
  if (r->depth == 0)
    return reader_fail(r, -EPROTO, "expected a JSON object"), 0;
  struct expect e = reader_expect(r);
  struct frame *f = reader_top(r);
  switch (e.type) {
  case V_STATUS: {
    enum as_status status;
    if (as_status_parse((const char *)s, n, &status) < 0)
      return reader_type_error(r, e.type, 0, "another string");
    FIELD(f->base, e.member->off, enum as_status) = status;
    return 1;
  }
  case V_WAIT: {
    enum as_wait_kind kind;
    if (as_wait_kind_parse((const char *)s, n, &kind) < 0)
      return reader_type_error(r, e.type, 0, "another string");
    FIELD(f->base, e.member->off, enum as_wait_kind) = kind;
    return 1;
  }
  case V_RUNTIME:
  case V_STR: {
    char *copy = reader_strdup(r, s, n);
    if (!copy)
      return reader_nomem(r);
    if (!e.member) {
      const char **slot = vec_push(&r->strs);
      if (!slot)
        return reader_nomem(r);
      *slot = copy;
      f->index++;
      return 1;
    }
    FIELD(f->base, e.member->off, const char *) = copy;
    if (e.type == V_RUNTIME)
      ((struct as_rec_actor *)f->base)->runtime_kind = as_runtime_parse(copy, n);
    return 1;
  }
  default:
    return reader_type_error(r, e.type, e.nullable, "a string");
  }
}

static int reader_on_map_key(void *ctx, const unsigned char *key, size_t n)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 0, 0))
    return !r->failed;
  struct frame *f = reader_top(r);
  const struct member *table = kind_members[f->kind];
  /* The writer's order is stable: try the member after the previous one first. */
  const struct member *m = f->member ? f->member + 1 : table;
  if (!reader_key_is(f->kind, m, key, n))
    for (m = table; m->key && !reader_key_is(f->kind, m, key, n); m++)
      ;
  if (!m->key) {
    r->skip_pending = 1; /* unknown members are ignored, as the format promises */
    return 1;
  }
  uint64_t bit = (uint64_t)1 << (m - table);
  f->member = m;
  if (f->seen & bit) {
    char where[300];
    reader_where(r, where, sizeof where);
    return reader_fail(r, -EPROTO, "%s appears twice", where), 0;
  }
  f->seen |= bit;
  return 1;
}

static char *reader_new_element(struct as_reader *r, int child)
{
  struct vec *v = child == K_ACTOR ? &r->actors : child == K_CYCLE ? &r->cycles
                : child == K_DIAG ? &r->diags : child == K_SOCKET ? &r->sockets
                : child == K_PEER ? &r->peers : &r->msgtypes;
  return vec_push(v);
}

static int reader_on_start_map(void *ctx)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 1, 0))
    return !r->failed;
  if (r->depth == 0)
    return reader_push(r, K_LINE, (char *)&r->line, NULL);
  struct expect e = reader_expect(r);
  if (e.type != V_OBJ)
    return reader_type_error(r, e.type, e.nullable, "an object");
  struct frame *f = reader_top(r);
  if (!e.member) { /* an element of an array of objects */
    char *element = reader_new_element(r, e.child);
    if (!element)
      return reader_nomem(r);
    f->index++;
    return reader_push(r, e.child, element, NULL);
  }
  if (e.member->off2 != NONE)
    FIELD(f->base, e.member->off2, int) = 1;
  return reader_push(r, e.child, f->base, NULL);
}

static int reader_check_required(struct as_reader *r, struct frame *f)
{
  const struct member *table = kind_members[f->kind];
  if (f->kind == K_LINE)
    return 1; /* a header's and a snapshot's needs differ: checked at the line's end */
  uint64_t missing = kind_required[f->kind] & ~f->seen;
  if (!missing)
    return 1;
  f->member = &table[__builtin_ctzll(missing)];
  char where[300];
  reader_where(r, where, sizeof where);
  return reader_fail(r, -EPROTO, "%s is missing", where), 0;
}

/* Bits of members_actor: the origin members a delta may leave out. */
#define ACTOR_ORIGIN ((uint64_t)1 << 2 | (uint64_t)1 << 4 | (uint64_t)1 << 6)

static int reader_end_actor(struct as_reader *r, struct as_rec_actor *a, uint64_t seen)
{
  uint64_t origin = seen & ACTOR_ORIGIN;
  if (origin && origin != ACTOR_ORIGIN) {
    const struct member *m = &members_actor[__builtin_ctzll(ACTOR_ORIGIN & ~origin)];
    return reader_fail(r, -EPROTO, "actor #%lld: member '%s' is missing", (long long)a->id,
                       m->key), 0;
  }
  a->has_origin = origin != 0;
  if (a->id <= r->last_actor_id)
    return reader_fail(r, -EPROTO, "actor #%lld is listed %s", (long long)a->id,
                       a->id == r->last_actor_id ? "twice" : "out of order (actors are sorted by id)"),
           0;
  r->last_actor_id = a->id;
  as_rec_actor_derive(a);
  return 1;
}

void as_rec_actor_derive(struct as_rec_actor *a)
{
  int64_t received = a->messages_received, sent = as_sat_add(a->messages_sent, a->replies);
  int64_t queued = a->mailbox_len, deepest = a->mailbox_max;
  for (size_t i = 0; i < a->n_sockets; i++) {
    const struct as_rec_socket *k = &a->sockets[i];
    received = as_sat_add(received, k->received);
    sent = as_sat_add(sent, k->sent);
    if (k->has_depth)
      queued = as_sat_add(queued, k->depth);
    int64_t top = k->has_max && k->max > k->depth ? k->max : k->has_depth ? k->depth : 0;
    if (top > deepest)
      deepest = top;
  }
  a->received_all = received;
  a->sent_all = sent;
  a->queued_all = queued;
  a->queued_all_max = queued > deepest ? queued : deepest;
}

static int reader_on_end_map(void *ctx)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 0, 1))
    return !r->failed;
  struct frame *f = reader_top(r);
  f->member = NULL;
  if (!reader_check_required(r, f))
    return 0;
  if (f->kind == K_ACTOR && !reader_end_actor(r, (struct as_rec_actor *)f->base, f->seen))
    return 0;
  r->depth--;
  return 1;
}

static int reader_on_start_array(void *ctx)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 1, 0))
    return !r->failed;
  if (r->depth == 0)
    return reader_fail(r, -EPROTO, "expected a JSON object"), 0;
  struct expect e = reader_expect(r);
  if (e.type != V_STRS && e.type != V_IDS && e.type != V_OBJS && e.type != V_SITES &&
      e.type != V_PAIRS && e.type != V_PAIR)
    return reader_type_error(r, e.type, e.nullable, "an array");
  struct frame *parent = reader_top(r);
  const struct member *m = e.member;
  if (e.type == V_PAIR) { /* one [bucket, count] pair: its numbers join the histogram's */
    parent->index++;
    if (!reader_push(r, K_ARRAY + V_PAIR, parent->base, parent->member))
      return 0;
    reader_top(r)->mark = r->ids.n;
    return 1;
  }
  if (!m) { /* one spawn site: an array of strings inside spawn_sites */
    struct as_rec_site *site = vec_push(&r->sites);
    if (!site)
      return reader_nomem(r);
    parent->index++;
    m = parent->member;
    if (!reader_push(r, K_ARRAY + V_STRS, (char *)site, m))
      return 0;
  } else if (!reader_push(r, K_ARRAY + e.type, parent->base, m)) {
    return 0;
  }
  struct frame *f = reader_top(r);
  f->owner = f->base;
  f->is_site = !e.member;
  f->mark = e.type == V_IDS || e.type == V_PAIRS ? r->ids.n : e.type == V_OBJS ? 0 : r->strs.n;
  if (e.type == V_OBJS && m->child == K_MSGTYPE)
    r->msgtypes.n = 0;
  if (e.type == V_OBJS && m->child == K_SOCKET)
    r->sockets.n = 0;
  if (e.type == V_OBJS && m->child == K_PEER)
    r->peers.n = 0;
  return 1;
}

/* Moves the elements gathered in a scratch vector since MARK into the arena. */
static void *reader_settle(struct as_reader *r, struct vec *v, size_t mark, size_t *count)
{
  *count = v->n - mark;
  void *out = arena_alloc(&r->arena, *count * v->elem + 1);
  if (out && *count)
    memcpy(out, (char *)v->data + mark * v->elem, *count * v->elem);
  v->n = mark;
  return out;
}

static void reader_pair_error(struct as_reader *r, const char *what)
{
  char where[300];
  reader_where(r, where, sizeof where);
  reader_fail(r, -EPROTO, "%s must be %s", where, what);
}

/* A histogram's pairs: buckets of the scheme, ascending, each counted at least once. */
static int reader_check_pairs(struct as_reader *r, const int64_t *pairs, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    int64_t bucket = pairs[2 * i], count = pairs[2 * i + 1];
    char what[96];
    if (bucket >= AS_HISTOGRAM_BUCKETS)
      snprintf(what, sizeof what, "[bucket, count] pairs with buckets below %u, not %lld",
               AS_HISTOGRAM_BUCKETS, (long long)bucket);
    else if (i > 0 && bucket <= pairs[2 * i - 2])
      snprintf(what, sizeof what, "sorted by bucket, each once (bucket %lld follows %lld)",
               (long long)bucket, (long long)pairs[2 * i - 2]);
    else if (count < 1)
      snprintf(what, sizeof what, "[bucket, count] pairs with counts of 1 or more");
    else
      continue;
    reader_pair_error(r, what);
    return 0;
  }
  return 1;
}

/* Each peer names one actor or thread, and only one. */
static int reader_check_peers(struct as_reader *r)
{
  const struct as_rec_peer *p = r->peers.data;
  for (size_t i = 0; i < r->peers.n; i++)
    if ((p[i].to != 0) + (p[i].to_thread != NULL) + (p[i].from_thread != NULL) != 1) {
      reader_pair_error(r, "objects with one of " AS_M_TO ", " AS_M_TO_THREAD " and " AS_M_FROM_THREAD);
      return 0;
    }
  return 1;
}

static int reader_on_end_array(void *ctx)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 0, 1))
    return !r->failed;
  struct frame *f = reader_top(r);
  int type = f->kind - K_ARRAY;
  const struct member *m = f->member;
  size_t count = 0;
  void *items = NULL;
  if (f->is_site) {
    struct as_rec_site *site = (struct as_rec_site *)f->owner;
    site->frames = reader_settle(r, &r->strs, f->mark, &site->n_frames);
    r->depth--;
    return site->frames ? 1 : reader_nomem(r);
  }
  if (type == V_PAIR) {
    if (r->ids.n - f->mark != 2)
      return reader_pair_error(r, "a pair of two numbers"), 0;
    r->depth--;
    return 1;
  }
  switch (type) {
  case V_PAIRS:
    if (!reader_check_pairs(r, (const int64_t *)r->ids.data + f->mark, (r->ids.n - f->mark) / 2))
      return 0;
    items = reader_settle(r, &r->ids, f->mark, &count);
    count /= 2;
    break;
  case V_STRS: items = reader_settle(r, &r->strs, f->mark, &count); break;
  case V_IDS: items = reader_settle(r, &r->ids, f->mark, &count); break;
  case V_SITES: items = r->sites.data; count = r->sites.n; break;
  default: /* V_OBJS */
    if (m->child == K_MSGTYPE)
      items = reader_settle(r, &r->msgtypes, 0, &count);
    else if (m->child == K_SOCKET)
      items = reader_settle(r, &r->sockets, 0, &count);
    else if (m->child == K_PEER && !reader_check_peers(r))
      return 0;
    else if (m->child == K_PEER)
      items = reader_settle(r, &r->peers, 0, &count);
    else {
      struct vec *v = m->child == K_ACTOR ? &r->actors : m->child == K_CYCLE ? &r->cycles : &r->diags;
      items = v->data;
      count = v->n;
    }
  }
  if (!items && count)
    return reader_nomem(r);
  FIELD(f->owner, m->off, void *) = items;
  FIELD(f->owner, m->off2, size_t) = count;
  r->depth--;
  return 1;
}

static const yajl_callbacks reader_callbacks = {
    reader_on_null,      reader_on_boolean,    reader_on_integer,   reader_on_double,
    NULL,                reader_on_string,     reader_on_start_map, reader_on_map_key,
    reader_on_end_map,   reader_on_start_array, reader_on_end_array,
};

/* ---- lines ------------------------------------------------------------------------------- */

static int reader_begin_line(struct as_reader *r)
{
  if (r->parser)
    yajl_free(r->parser);
  r->parser = yajl_alloc(&reader_callbacks, NULL, r);
  if (!r->parser)
    return reader_fail(r, -ENOMEM, "out of memory");
  arena_reset(&r->arena);
  memset(&r->line, 0, sizeof r->line);
  r->line.h.interval_ms = r->line.h.grave_ms = r->line.h.stack_depth = -1;
  r->actors.n = r->cycles.n = r->diags.n = r->sites.n = 0;
  r->msgtypes.n = r->sockets.n = r->peers.n = r->ids.n = r->strs.n = 0;
  r->depth = r->skip_depth = r->skip_pending = r->failed = 0;
  r->last_actor_id = 0;
  r->line_bytes = 0;
  r->line_blank = 1;
  reader_lex_reset(&r->lex);
  r->carry_len = r->fed = 0;
  return 0;
}

static int reader_syntax_error(struct as_reader *r, const unsigned char *chunk, size_t len)
{
  if (r->failed)
    return r->err->code;
  unsigned char *msg = yajl_get_error(r->parser, 0, chunk, len);
  char text[200];
  snprintf(text, sizeof text, "%s", msg ? (const char *)msg : "parse error");
  yajl_free_error(r->parser, msg);
  for (size_t n = strlen(text); n && (text[n - 1] == '\n' || text[n - 1] == ' '); n--)
    text[n - 1] = '\0';
  size_t column = r->fed + yajl_get_bytes_consumed(r->parser) + 1;
  return reader_fail(r, -EPROTO, "invalid JSON at column %zu: %s", column, text);
}

/* Gives yajl LEN bytes of the line. Returns 0 or an error. */
static int reader_parse(struct as_reader *r, const unsigned char *chunk, size_t len)
{
  if (!len)
    return 0;
  if (yajl_parse(r->parser, chunk, len) != yajl_status_ok)
    return reader_syntax_error(r, chunk, len);
  r->fed += len;
  return r->failed ? r->err->code : 0;
}

static int reader_carry(struct as_reader *r, const unsigned char *bytes, size_t len)
{
  if (!len)
    return 0;
  if (r->carry_len + len > r->carry_cap) {
    size_t cap = r->carry_cap ? r->carry_cap : 4096;
    while (cap < r->carry_len + len)
      cap *= 2;
    if (account_take(&r->account, cap - r->carry_cap) < 0)
      return reader_nomem(r), r->err->code;
    unsigned char *grown = realloc(r->carry, cap);
    if (!grown) {
      account_give(&r->account, cap - r->carry_cap);
      return reader_nomem(r), r->err->code;
    }
    r->carry = grown;
    r->carry_cap = cap;
  }
  memcpy(r->carry + r->carry_len, bytes, len);
  r->carry_len += len;
  return 0;
}

/* The token held back, whole now (or at the line's end). */
static int reader_flush(struct as_reader *r)
{
  size_t len = r->carry_len;
  r->carry_len = 0;
  return reader_parse(r, r->carry, len);
}

static int reader_token_too_long(struct as_reader *r)
{
  char where[300];
  reader_where(r, where, sizeof where);
  /* A member name follows "{", or "," inside an object (where yajl has got to). */
  int in_object = r->depth > 0 && !r->skip_depth && reader_top(r)->kind < K_ARRAY;
  int key = r->lex.before == '{' || (r->lex.before == ',' && in_object);
  if (key && reader_lex_in_string(&r->lex))
    return reader_fail(r, -EMSGSIZE, "a member name longer than %zu bytes (the limit), in the "
                       "object of %s", AS_READER_MAX_TOKEN, where);
  return reader_fail(r, -EMSGSIZE, "%s: a %s longer than %zu bytes (the limit)", where,
                     reader_lex_in_string(&r->lex) ? "string" : "number", AS_READER_MAX_TOKEN);
}

/* Gives yajl the whole tokens of LEN more bytes of the line, and holds back a token they leave
 * unfinished. Returns 0 or an error. */
static int reader_feed(struct as_reader *r, const unsigned char *p, size_t len)
{
  while (len) {
    size_t at;
    /* + 2: a string's quotes. */
    enum reader_lex_result lx = reader_lex_scan(&r->lex, p, len, AS_READER_MAX_TOKEN + 2, &at);
    if (lx == READER_LEX_TOO_LONG) {
      int rc = 0;
      if (r->lex.token_start != SIZE_MAX) /* what comes before it, so messages say where */
        rc = reader_parse(r, p, r->lex.token_start);
      return rc < 0 ? rc : reader_token_too_long(r);
    }
    if (lx == READER_LEX_TOKEN_ENDED) {
      int rc = reader_carry(r, p, at);
      if (rc < 0 || (rc = reader_flush(r)) < 0)
        return rc;
      p += at;
      len -= at;
      continue;
    }
    int rc = reader_parse(r, p, at);
    return rc < 0 ? rc : reader_carry(r, p + at, len - at);
  }
  return 0;
}

static int reader_check_header(struct as_reader *r)
{
  const struct line_rec *l = &r->line;
  if (!l->type || strcmp(l->type, AS_LINE_HEADER) != 0 || !l->format ||
      strcmp(l->format, AS_FORMAT_NAME) != 0 || l->h.version < 1)
    return reader_fail(r, -EPROTO, "not an actorscope file (the first line must be its header)");
  if (l->h.version > AS_FORMAT_VERSION)
    return reader_fail(r, -EPROTONOSUPPORT,
                       "format version %lld is newer than this tool reads (%d); use a newer "
                       "actorscope",
                       (long long)l->h.version, AS_FORMAT_VERSION);
  /* A process speaks for itself only: a unix socket's header names the process serving it. */
  if (r->peer_pid > 0 && l->h.pid != r->peer_pid)
    return reader_fail(r, -EPROTO, "refused: the header claims pid %lld, but the socket is served "
                       "by pid %ld", (long long)l->h.pid, r->peer_pid);
  r->header = l->h;
  char name[AS_PROGRAM_NAME_MAX];
  as_program_name(l->h.program, l->h.argv, l->h.argc, name, sizeof name);
  char *copy = arena_alloc(&r->arena, strlen(name) + 1);
  if (!copy)
    return reader_fail(r, -ENOMEM, "out of memory");
  r->header.name = strcpy(copy, name);
  r->have_header = 1;
  /* The header's strings live on in their own arena. */
  struct arena swap = r->header_arena;
  r->header_arena = r->arena;
  r->arena = swap;
  return 0;
}

/* A file written before totals.received_all: the pipes' total and every listed actor's other
 * sockets, the closest the file allows. Returns 1 (the line is ready). */
static int reader_received_all(struct as_reader *r, struct as_rec_snapshot *s)
{
  if (r->received_all_written)
    return 1;
  int64_t all = s->messages_received;
  for (size_t i = 0; i < s->n_actors; i++)
    all = as_sat_add(all, s->actors[i].received_all - s->actors[i].messages_received);
  s->received_all = all;
  return 1;
}

static int reader_check_snapshot(struct as_reader *r)
{
  struct line_rec *l = &r->line;
  int delta = l->type && strcmp(l->type, AS_LINE_DELTA) == 0 && r->header.version >= 2;
  if (!delta && (!l->type || strcmp(l->type, AS_LINE_SNAPSHOT) != 0))
    return reader_fail(r, -EPROTO, "expected a snapshot%s line, not %s%s%s",
                       r->header.version >= 2 ? " or delta" : "", l->type ? "\"" : "",
                       l->type ? l->type : "a line without a type", l->type ? "\"" : "");
  /* A delta leaves out what did not change since the line before. */
  uint64_t missing = (delta ? DELTA_REQUIRED : SNAPSHOT_REQUIRED) & ~r->stack[0].seen;
  if (missing)
    return reader_fail(r, -EPROTO, "the snapshot lacks its member '%s'",
                       members_line[__builtin_ctzll(missing)].key);
  for (size_t i = 0; i < l->s.n_actors; i++) {
    const struct as_rec_actor *a = &l->s.actors[i];
    if (!a->has_origin && !delta)
      return reader_fail(r, -EPROTO, "actor #%lld: member 'runtime' is missing", (long long)a->id);
    if (a->has_spawn_site && (uint64_t)a->spawn_site >= l->s.n_spawn_sites)
      return reader_fail(r, -EPROTO, "actor #%lld: member 'spawn_site' is %lld, but the snapshot "
                         "lists %zu spawn sites", (long long)a->id, (long long)a->spawn_site,
                         l->s.n_spawn_sites);
  }
  if (l->s.signal && !l->s.final)
    return reader_fail(r, -EPROTO, "member 'signal' is set on a snapshot that is not final");
  if (l->s.n_reaped && !delta)
    return reader_fail(r, -EPROTO, "member 'reaped' is set on a line that is not a delta");
  l->s.line = r->lineno;
  l->s.bytes = r->line_bytes;
  l->s.delta = delta;
  /* Histograms' unit: a delta listing no actor leaves it out. */
  if (r->stack[0].seen & LINE_HAS_TICK_FS)
    r->tick_fs = l->s.tick_fs;
  l->s.tick_fs = r->tick_fs;
  if (r->line.has_received_all)
    r->received_all_written = 1;
  if (r->header.version < 2)
    return reader_received_all(r, &l->s); /* no deltas follow: the line's records are the state */
  uint64_t seen = r->stack[0].seen;
  int carried = (seen & LINE_HAS_TOTALS ? AS_STATE_HAS_TOTALS : 0) |
                (seen & LINE_HAS_DEADLOCKS ? AS_STATE_HAS_DEADLOCKS : 0) |
                (seen & LINE_HAS_DIAGNOSTICS ? AS_STATE_HAS_DIAGNOSTICS : 0);
  int rc = delta ? as_state_delta(&r->state, &l->s, carried) : as_state_keyframe(&r->state, &l->s);
  if (rc == -EPROTO && !r->state.active)
    return reader_fail(r, rc, "a delta line before any keyframe (snapshot line)");
  if (rc == -EPROTO)
    return reader_fail(r, rc, "actor #%lld appears for the first time without its runtime, "
                       "spawn time and parent", (long long)r->state.unknown_id);
  if (rc < 0)
    return reader_fail(r, rc, "out of memory rebuilding the state (%zu actors)", r->state.n);
  return reader_received_all(r, &l->s);
}

/* The header of a later file of a rotated set: the same process, or the set is not one run. */
static int reader_check_part_header(struct as_reader *r)
{
  const struct line_rec *l = &r->line;
  r->expect_header = 0;
  if (!l->type || strcmp(l->type, AS_LINE_HEADER) != 0)
    return reader_fail(r, -EPROTO, "expected the header line of a rotated file");
  if (l->h.pid != r->header.pid || l->h.started_at_ns != r->header.started_at_ns)
    return reader_fail(r, -EPROTO, "this file was written by another process (pid %lld) than %s "
                       "(pid %lld)", (long long)l->h.pid, r->source, (long long)r->header.pid);
  return 0;
}

/* A line is parsed whole. Returns 1 (a snapshot is ready), 0 (the header), or an error. */
static int reader_end_line(struct as_reader *r)
{
  if (r->failed)
    return r->err->code;
  if (r->line.error && r->line.format && strcmp(r->line.format, AS_FORMAT_NAME) == 0)
    return reader_fail(r, -ECONNRESET, "the traced process ended this stream: %s",
                       r->line.error);
  if (!r->have_header)
    return reader_check_header(r);
  if (r->expect_header)
    return reader_check_part_header(r);
  return reader_check_snapshot(r);
}

/* ---- bytes in ---------------------------------------------------------------------------- */

static int64_t reader_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A socket that has not sent its header by the deadline is silent, or a slowloris. */
static int reader_wait_header(struct as_reader *r)
{
  for (;;) {
    int64_t left = r->header_deadline_ms - reader_now_ms();
    struct pollfd p = {r->fd, POLLIN, 0};
    int n = left > 0 ? poll(&p, 1, (int)left) : 0;
    if (n > 0)
      return 0;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return reader_fail(r, -EIO, "poll failed: %s", strerror(errno));
    return reader_fail(r, -ETIMEDOUT, "no whole header line within %u ms of connecting: dropped",
                       r->opt.header_timeout_ms);
  }
}

static int reader_fill(struct as_reader *r)
{
  for (;;) {
    if (r->header_deadline_ms && !r->have_header && reader_wait_header(r) < 0)
      return r->err->code;
    ssize_t n = read(r->fd, r->buf, READER_CHUNK);
    if (n > 0) {
      r->buf_len = (size_t)n;
      r->buf_pos = 0;
      r->bytes += (uint64_t)n;
      r->followed += n;
      return 1;
    }
    if (n == 0)
      return 0;
    if (errno == EINTR)
      continue;
    return reader_fail(r, -EIO, "read failed: %s", strerror(errno));
  }
}

/* Waits for more of a file being written: until something in its directory changes (inotify),
 * or follow_poll_ms at most. Returns 1 when there may be more, 0 to stop. */
static int reader_follow_wait(struct as_reader *r)
{
  if (!r->opt.follow || !r->is_regular)
    return 0;
  struct stat st;
  if (fstat(r->fd, &st) == 0 && st.st_size < r->followed) {
    reader_fail(r, -ESTALE, "the file was truncated while being followed (to %lld bytes, %lld "
                "read): its writer started it again, or someone else wrote it",
                (long long)st.st_size, (long long)r->followed);
    return -1;
  }
  struct stat named;
  if (!r->rotating && r->fd != STDIN_FILENO && r->path && (stat(r->path, &named) != 0 || named.st_ino != st.st_ino ||
                                  named.st_dev != st.st_dev)) {
    reader_fail(r, -ESTALE, "the file was replaced or removed while being followed");
    return -1;
  }
  unsigned ms = r->opt.follow_poll_ms ? r->opt.follow_poll_ms : 200;
  if (r->watch_fd >= 0) {
    struct pollfd p = {r->watch_fd, POLLIN, 0};
    if (poll(&p, 1, (int)ms) > 0) {
      char events[4096] __attribute__((aligned(8)));
      while (read(r->watch_fd, events, sizeof events) > 0)
        ;
    }
    return 1;
  }
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  return 1;
}

/* Following: a write to the file, or a rotation's renames and new file, wakes the follower at
 * once (watching the directory sees them all, whatever name the file has by then). */
static void reader_watch(struct as_reader *r)
{
  char dir[AS_DEST_PATH_MAX];
  const char *slash = strrchr(r->path, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else
    snprintf(dir, sizeof dir, "%.*s", slash == r->path ? 1 : (int)(slash - r->path), r->path);
  r->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (r->watch_fd >= 0 &&
      inotify_add_watch(r->watch_fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO |
                                              IN_DELETE | IN_CLOSE_WRITE) < 0) {
    close(r->watch_fd); /* then plain polling */
    r->watch_fd = -1;
  }
}

/* ---- rotated sets: which file comes next ------------------------------------------------- */

/* What the first two lines of a file say: the header's process, the first snapshot's seq.
 * Only top-level members are looked at; the rest is skipped unparsed where yajl allows. */
struct probe {
  int depth;
  int key; /* the top-level member whose value comes next: PROBE_* */
  int is_header, is_format;
  int64_t pid, started_at_ns, seq;
  int has_seq;
};
enum { PROBE_OTHER, PROBE_TYPE, PROBE_FORMAT, PROBE_PID, PROBE_STARTED, PROBE_SEQ };

static int probe_key(void *ctx, const unsigned char *key, size_t len)
{
  struct probe *p = ctx;
  static const char *const names[] = {NULL, AS_M_TYPE, AS_M_FORMAT, AS_M_PID,
                                      AS_M_STARTED_AT_NS, AS_M_SEQ};
  p->key = PROBE_OTHER;
  for (int i = 1; p->depth == 1 && i <= PROBE_SEQ; i++)
    if (strlen(names[i]) == len && memcmp(names[i], key, len) == 0)
      p->key = i;
  return 1;
}

static int probe_int(void *ctx, long long v)
{
  struct probe *p = ctx;
  if (p->depth == 1 && p->key == PROBE_PID)
    p->pid = v;
  else if (p->depth == 1 && p->key == PROBE_STARTED)
    p->started_at_ns = v;
  else if (p->depth == 1 && p->key == PROBE_SEQ && v >= 0) {
    p->seq = v;
    p->has_seq = 1;
    return 0; /* all that a snapshot line is probed for: stop there */
  }
  return 1;
}

static int probe_str(void *ctx, const unsigned char *v, size_t len)
{
  struct probe *p = ctx;
  if (p->depth == 1 && p->key == PROBE_TYPE)
    p->is_header = len == strlen(AS_LINE_HEADER) && memcmp(v, AS_LINE_HEADER, len) == 0;
  else if (p->depth == 1 && p->key == PROBE_FORMAT)
    p->is_format = len == strlen(AS_FORMAT_NAME) && memcmp(v, AS_FORMAT_NAME, len) == 0;
  return 1;
}

static int probe_open(void *ctx)
{
  ((struct probe *)ctx)->depth++;
  return 1;
}

static int probe_close(void *ctx)
{
  struct probe *p = ctx;
  p->depth--;
  p->key = PROBE_OTHER;
  return 1;
}

static int probe_other(void *ctx)
{
  ((struct probe *)ctx)->key = PROBE_OTHER;
  return 1;
}

static int probe_bool(void *ctx, int v)
{
  (void)v;
  return probe_other(ctx);
}

static int probe_double(void *ctx, double v)
{
  (void)v;
  return probe_other(ctx);
}

static const yajl_callbacks probe_callbacks = {
    probe_other, probe_bool, probe_int, probe_double, NULL, probe_str,
    probe_open,  probe_key,  probe_close, probe_open, probe_close};

/* Parses the line of FD that starts at *OFFSET into P, up to its end (moving *OFFSET past it)
 * or until P has its seq. Returns 1 (a whole line, or its seq), 0 (not all written yet), or -1
 * (not JSON, or unreadable). */
static int probe_line(int fd, off_t *offset, unsigned char *buf, size_t cap, struct probe *p,
                      size_t limit)
{
  yajl_handle h = yajl_alloc(&probe_callbacks, NULL, p);
  if (!h)
    return -1;
  int rc = 0;
  for (size_t used = 0; used <= limit;) {
    ssize_t n = pread(fd, buf, cap, *offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      rc = n < 0 ? -1 : 0;
      break;
    }
    unsigned char *nl = memchr(buf, '\n', (size_t)n);
    size_t len = nl ? (size_t)(nl - buf) : (size_t)n;
    *offset += (off_t)(len + (nl ? 1 : 0));
    used += len;
    yajl_status st = yajl_parse(h, buf, len);
    if (st == yajl_status_client_canceled) {
      rc = 1;
      break;
    }
    if (st != yajl_status_ok) {
      rc = -1;
      break;
    }
    if (nl) {
      rc = yajl_complete_parse(h) == yajl_status_ok ? 1 : -1;
      break;
    }
  }
  yajl_free(h);
  return rc;
}

/* Whether the regular file FD is one of this run (its header names this process), and the
 * seq its first snapshot line begins with (-1: not written yet). Returns 1, 0 (another file,
 * or its header is not all written yet), or -ENOMEM. */
static int reader_probe(const struct as_reader *r, int fd, int64_t *first_seq)
{
  enum { PROBE_CHUNK = 16 << 10 };
  unsigned char *buf = malloc(PROBE_CHUNK);
  if (!buf)
    return -ENOMEM;
  struct probe head = {0}, line = {0};
  off_t offset = 0;
  int rc = probe_line(fd, &offset, buf, PROBE_CHUNK, &head, READER_MAX_HEADER) == 1 &&
           head.is_header && head.is_format && head.pid == r->header.pid &&
           head.started_at_ns == r->header.started_at_ns;
  *first_seq = -1;
  /* The writer puts seq first but for type: a line that does not say it within the header's
   * limit is taken as not written yet (re-read at every look: so bounded). */
  if (rc && probe_line(fd, &offset, buf, PROBE_CHUNK, &line, READER_MAX_HEADER) == 1 &&
      line.has_seq)
    *first_seq = line.seq;
  free(buf);
  return rc;
}

static void reader_part_drop(struct as_reader *r, size_t i)
{
  close(r->parts[i].fd);
  free(r->parts[i].name);
  r->parts[i] = r->parts[--r->n_parts];
}

/* Opens the regular file at NAME without waiting (a FIFO put there) and without making it a
 * controlling terminal. Returns the descriptor with ST filled, or -1. */
static int reader_open_regular(const char *name, struct stat *st)
{
  int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return -1;
  if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Looks at NAME, NAME.1 ... for files of this run not read yet and holds them open (the writer
 * may move or remove them at any moment; a descriptor stays the same file). Unless ALL, stops
 * at the file being read or one read before: the names after it hold older files (a rotation
 * moves every file one name on, never one back). Returns 0 or an error. */
static int reader_scan_rotated(struct as_reader *r, int all)
{
  for (size_t i = 0; i < r->n_parts;) { /* held ones: a first line written since, or read past */
    struct reader_part *p = &r->parts[i];
    if (p->first_seq < 0 && reader_probe(r, p->fd, &p->first_seq) < 0)
      return reader_fail(r, -ENOMEM, "out of memory");
    if (p->first_seq >= 0 && p->first_seq <= r->last_seq)
      reader_part_drop(r, i);
    else
      i++;
  }
  for (unsigned k = 0; k <= AS_DEST_KEEP_MAX && r->n_parts < READER_PARTS; k++) {
    char name[AS_DEST_PATH_MAX];
    if (k == 0)
      snprintf(name, sizeof name, "%s", r->path);
    else if (as_dest_rotated_name(r->path, k, name, sizeof name) < 0)
      break;
    struct stat st;
    int fd = reader_open_regular(name, &st);
    if (fd < 0)
      continue; /* absent (or moving right now: it is found under its next name) */
    int known = st.st_dev == r->dev && st.st_ino == r->ino;
    if (known && !all) {
      close(fd);
      break;
    }
    for (size_t i = 0; i < r->n_parts && !known; i++)
      known = st.st_dev == r->parts[i].dev && st.st_ino == r->parts[i].ino;
    int64_t first_seq = -1;
    int rc = known ? 0 : reader_probe(r, fd, &first_seq);
    if (rc < 0) {
      close(fd);
      return reader_fail(r, rc, "out of memory");
    }
    struct reader_part *p = &r->parts[r->n_parts];
    int older = rc == 1 && first_seq >= 0 && first_seq <= r->last_seq;
    if (rc == 0 || older || !(p->name = strdup(name))) {
      close(fd);
      if (older && !all)
        break;
      continue;
    }
    p->fd = fd;
    p->dev = st.st_dev;
    p->ino = st.st_ino;
    p->first_seq = first_seq;
    r->n_parts++;
  }
  return 0;
}

/* The held file whose first seq is the smallest after the last one read; -1 when none (a file
 * whose first line is not written yet is the newest: it waits). */
static ssize_t reader_next_part(const struct as_reader *r)
{
  ssize_t best = -1;
  for (size_t i = 0; i < r->n_parts; i++)
    if (r->parts[i].first_seq > r->last_seq &&
        (best < 0 || r->parts[i].first_seq < r->parts[best].first_seq))
      best = (ssize_t)i;
  return best;
}

/* Goes on with held file I from its start: its first line is its own header. */
static int reader_switch_part(struct as_reader *r, size_t i)
{
  struct reader_part p = r->parts[i];
  r->parts[i] = r->parts[--r->n_parts];
  if (r->last_seq >= 0 && p.first_seq > r->last_seq + 1) {
    /* The files between were removed before this reader got to them: said in every line from
     * here on, as the tracer's own diagnostics are. */
    int64_t gap = p.first_seq - r->last_seq - 1;
    r->missed = as_sat_add(r->missed, gap);
    snprintf(r->missed_note, sizeof r->missed_note,
             "the reader missed %lld snapshot line%s (seq %lld to %lld; %lld in all): the "
             "rotated files holding them were removed before it read them (ACTORSCOPE_KEEP "
             "too small for how far behind it was); it went on at the keyframe of %s",
             (long long)gap, gap == 1 ? "" : "s", (long long)r->last_seq + 1,
             (long long)p.first_seq - 1, (long long)r->missed, p.name);
  }
  if (r->fd > STDIN_FILENO)
    close(r->fd);
  r->fd = p.fd;
  r->dev = p.dev;
  r->ino = p.ino;
  free(r->part_name);
  r->part_name = p.name;
  r->buf_len = r->buf_pos = 0;
  r->followed = 0;
  r->expect_header = 1;
  r->rotation_seen = 0;
  r->lineno = 0;
  r->done = 0;
  if (lseek(p.fd, 0, SEEK_SET) < 0)
    return reader_fail(r, -EIO, "cannot read it from its start: %s", strerror(errno));
  return 0;
}

/* Whether the named file is now another one, or none (the writer moved the one being read). */
static int reader_file_moved(const struct as_reader *r)
{
  struct stat named;
  return stat(r->path, &named) != 0 || named.st_ino != r->ino || named.st_dev != r->dev;
}

/* Whether the named file now holds another run than this one (its header whole): a new process
 * took the name, or someone put another file there. *PID: the pid its header names. */
static int reader_other_run_at_name(const struct as_reader *r, int64_t *pid)
{
  struct stat st;
  int fd = reader_open_regular(r->path, &st);
  if (fd < 0)
    return 0;
  unsigned char *buf = malloc(16 << 10);
  struct probe head = {0};
  off_t offset = 0;
  int other = buf && probe_line(fd, &offset, buf, 16 << 10, &head, READER_MAX_HEADER) == 1 &&
              head.is_header && head.is_format &&
              (head.pid != r->header.pid || head.started_at_ns != r->header.started_at_ns);
  free(buf);
  close(fd);
  *pid = head.pid;
  return other;
}

/* At the end of what was written so far (MID_LINE: inside a line). Returns 1 to read on (in
 * the next file of the set, or the moved file once more), 0 to go on as at a plain end, or an
 * error. */
static int reader_at_end(struct as_reader *r, int mid_line)
{
  if (!r->rotating)
    return 0;
  if (!r->rotation_seen) {
    if (!reader_file_moved(r))
      return 0;
    /* It was written to its end (its last line whole) before it was moved: read once more,
     * then go on. */
    r->rotation_seen = 1;
    return 1;
  }
  if (mid_line)
    return 0; /* a moved file that ends inside a line: its writer was killed */
  int rc = reader_scan_rotated(r, 0);
  ssize_t next = rc < 0 ? -1 : reader_next_part(r);
  int64_t other;
  if (next < 0 && rc == 0 && r->opt.follow && reader_other_run_at_name(r, &other))
    return reader_fail(r, -ESTALE, "the file was replaced by that of another process (pid %lld) "
                       "while being followed", (long long)other);
  if (next < 0)
    return rc;
  rc = reader_switch_part(r, (size_t)next);
  r->lineno = 1; /* reading that file's first line now */
  return rc < 0 ? rc : 1;
}

/* Reads up to the end of the next non-blank line. Returns 1 (a snapshot), 0 (the header, or
 * the end of the stream: r->done), or an error. */
static int reader_line(struct as_reader *r)
{
  int rc = reader_begin_line(r);
  if (rc < 0)
    return rc;
  r->lineno++;
  int deferred = 0; /* a syntax error in a line that may turn out to be cut short */
  for (;;) {
    if (r->buf_pos == r->buf_len) {
      rc = reader_fill(r);
      if (rc < 0)
        return rc;
      if (rc == 0) {
        if (!deferred) {
          rc = reader_at_end(r, !r->line_blank);
          if (rc < 0)
            return rc;
          if (rc > 0)
            continue;
        }
        if (!deferred) {
          int more = reader_follow_wait(r);
          if (more < 0)
            return r->err->code;
          if (more)
            continue;
        }
        r->done = 1;
        if (r->line_blank && !deferred) {
          r->lineno--;
          return 0;
        }
        /* A last line without its newline: whole, or cut short by a killed writer. */
        if (!deferred && reader_flush(r) == 0 &&
            yajl_complete_parse(r->parser) == yajl_status_ok && !r->failed)
          return reader_end_line(r);
        if (r->failed && r->err->code != -EPROTO)
          return r->err->code;
        r->truncated = 1;
        r->failed = 0;
        return 0;
      }
    }
    unsigned char *start = r->buf + r->buf_pos;
    size_t avail = r->buf_len - r->buf_pos;
    unsigned char *nl = memchr(start, '\n', avail);
    size_t len = nl ? (size_t)(nl - start) : avail;
    size_t limit = r->opt.max_line_bytes ? r->opt.max_line_bytes : AS_READER_MAX_LINE;
    /* A header is small (argv at most): anything else fails fast (report /dev/zero). */
    if (!r->have_header && limit > READER_MAX_HEADER)
      limit = READER_MAX_HEADER;
    r->buf_pos += len + (nl ? 1 : 0);
    if (r->line_bytes + len > limit)
      return reader_fail(r, -EMSGSIZE, "the line is longer than %zu bytes, the limit", limit);
    r->line_bytes += len;
    if (!deferred && len) {
      for (size_t i = 0; i < len && r->line_blank; i++)
        r->line_blank = start[i] == ' ' || start[i] == '\t' || start[i] == '\r';
      if ((rc = reader_feed(r, start, len)) < 0) {
        /* A syntax error may come from a cut in the last line: decided at its end. Our own
         * checks, and errors in a line whose end is in sight, stop at once. */
        if (nl || r->err->code != -EPROTO || !strstr(r->err->text, "invalid JSON"))
          return rc;
        deferred = 1;
      }
    }
    if (!nl)
      continue;
    if (deferred)
      return r->err->code;
    if (!r->line_blank)
      break;
    r->lineno++;
    r->line_bytes = r->fed = 0;
  }
  if ((rc = reader_flush(r)) < 0)
    return rc;
  if (yajl_complete_parse(r->parser) != yajl_status_ok)
    return reader_syntax_error(r, NULL, 0);
  return reader_end_line(r);
}

/* ---- sources ----------------------------------------------------------------------------- */

static const char *reader_getenv(const char *name) { return getenv(name); }

static int reader_connect(struct as_reader *r, const char *source)
{
  struct as_dest dest;
  char why[200];
  if (as_dest_parse(&dest, source, NULL, why, sizeof why) < 0)
    return reader_fail(r, -EINVAL, "is invalid: %s", why);
  int fd = -1, saved = 0;
  if (dest.kind == AS_DEST_UNIX) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, dest.path, strlen(dest.path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
      saved = errno;
      close(fd);
      fd = -1;
    }
  } else {
    if (dest.port == 0)
      return reader_fail(r, -EINVAL, "port 0 cannot be connected to: give the port the traced "
                                     "process reported");
    char port[16];
    snprintf(port, sizeof port, "%u", dest.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
    int gai = getaddrinfo(dest.host, port, &hints, &res);
    if (gai != 0)
      return reader_fail(r, -EHOSTUNREACH, "cannot resolve %s: %s", dest.host, gai_strerror(gai));
    saved = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
      fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
      if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        saved = errno;
        close(fd);
        fd = -1;
      }
    }
    freeaddrinfo(res);
  }
  if (fd < 0)
    return reader_fail(r, -(saved ? saved : errno), "cannot connect: %s",
                       strerror(saved ? saved : errno));
  r->fd = fd;
  r->is_socket = 1;
  if (r->opt.header_timeout_ms)
    r->header_deadline_ms = reader_now_ms() + r->opt.header_timeout_ms;
  char token[AS_TOKEN_MAX + 2];
  int have = as_token_from_env(reader_getenv, token, why, sizeof why);
  if (have < 0)
    return reader_fail(r, have, "%s", why);
  /* Who serves a unix socket is known (SO_PEERCRED): the token goes only to this user's own
   * processes or root's, never to a socket someone else planted in a shared directory. */
  struct ucred cred;
  socklen_t cred_len = sizeof cred;
  if (dest.kind == AS_DEST_UNIX &&
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) == 0 && cred_len == sizeof cred) {
    r->peer_pid = cred.pid > 0 ? (long)cred.pid : -1;
    if (have && cred.uid != geteuid() && cred.uid != 0) {
      memset(token, 0, sizeof token);
      return reader_fail(r, -EACCES, "refused: the socket is served by uid %u, neither this user "
                         "(%u) nor root, and the token is sent to no one else",
                         (unsigned)cred.uid, (unsigned)geteuid());
    }
  }
  if (have) {
    size_t len = strlen(token);
    token[len++] = '\n';
    size_t sent = 0;
    while (sent < len) {
      ssize_t n = send(fd, token + sent, len - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        memset(token, 0, sizeof token);
        return reader_fail(r, -EIO, "cannot send the token: %s", strerror(errno));
      }
      sent += (size_t)n;
    }
    memset(token, 0, sizeof token);
  }
  return 0;
}

static int reader_open_source(struct as_reader *r, const char *source)
{
  if (strcmp(source, "-") == 0) {
    r->fd = STDIN_FILENO;
    return 0;
  }
  if (as_dest_is_socket(source))
    return reader_connect(r, source);
  const char *path = strncmp(source, "file:", 5) == 0 ? source + 5 : source;
  /* Following, a FIFO without a writer is waited for by the caller (-EAGAIN, as for a file not
   * there yet), not in an open() nothing can interrupt. */
  r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (r->opt.follow ? O_NONBLOCK : 0));
  if (r->fd < 0)
    return reader_fail(r, -errno, "%s", strerror(errno));
  struct stat st;
  if (fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode))
    return reader_fail(r, -EISDIR, "%s", strerror(EISDIR));
  r->is_regular = fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode);
  if (r->opt.follow && S_ISFIFO(st.st_mode)) {
    /* Without a writer a read ends at once (0); with one it may have to wait (EAGAIN). */
    ssize_t n;
    while ((n = read(r->fd, r->buf, READER_CHUNK)) < 0 && errno == EINTR)
      ;
    if (n == 0)
      return reader_fail(r, -EAGAIN, "a FIFO that no process writes to (yet)");
    if (n > 0) {
      r->buf_len = (size_t)n;
      r->bytes += (uint64_t)n;
    }
  }
  if (r->opt.follow)
    fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) & ~O_NONBLOCK);
  return 0;
}

/* A regular file may be one of a set that an ACTORSCOPE_MAX_BYTES writer rotates (NAME.jsonl,
 * NAME.1.jsonl newest ...): reading starts at the oldest file of this run that is there, and
 * goes on at each file's end in the one that follows it. Returns 0 or an error. */
static int reader_start_rotated(struct as_reader *r)
{
  struct stat st;
  if (fstat(r->fd, &st) != 0)
    return reader_fail(r, -EIO, "%s", strerror(errno));
  r->rotating = 1;
  r->dev = st.st_dev;
  r->ino = st.st_ino;
  if (r->opt.follow)
    reader_watch(r);
  int64_t first_seq;
  int rc = reader_probe(r, r->fd, &first_seq);
  if (rc >= 0)
    rc = reader_scan_rotated(r, 1);
  if (rc < 0)
    return rc == -ENOMEM ? reader_fail(r, rc, "out of memory") : rc;
  ssize_t oldest = reader_next_part(r);
  if (oldest < 0 || (first_seq >= 0 && r->parts[oldest].first_seq > first_seq))
    return 0; /* the file opened is the oldest: read on */
  /* Hold the file opened too (read from its start when its turn comes). */
  struct reader_part *p = &r->parts[r->n_parts];
  if (r->n_parts == READER_PARTS || !(p->name = strdup(r->part_name ? r->part_name : r->path)))
    return reader_fail(r, -ENOMEM, "out of memory");
  p->fd = r->fd;
  p->dev = r->dev;
  p->ino = r->ino;
  p->first_seq = first_seq;
  r->n_parts++;
  r->fd = -1;
  return reader_switch_part(r, (size_t)oldest);
}

/* The named file is not there, or has no whole header yet: a rotation in progress moved it
 * and has not written the new one yet. Then the run is that of the newest rotated file, and
 * its files are read as above. Returns 0, or the first error again when there is none. */
static int reader_open_moved(struct as_reader *r, int rc)
{
  for (unsigned k = 1; k <= AS_DEST_KEEP_MAX; k++) {
    char name[AS_DEST_PATH_MAX];
    struct stat st;
    int fd;
    if (as_dest_rotated_name(r->path, k, name, sizeof name) < 0)
      break;
    if ((fd = reader_open_regular(name, &st)) < 0)
      continue;
    if (r->fd > STDIN_FILENO)
      close(r->fd);
    r->fd = fd;
    r->is_regular = 1;
    r->buf_len = r->buf_pos = 0;
    r->followed = 0;
    r->lineno = 0;
    r->done = r->truncated = r->failed = 0;
    free(r->part_name);
    r->part_name = strdup(name);
    struct as_reader_error first = *r->err;
    if (reader_line(r) == 0 && r->have_header) {
      r->err->code = 0;
      r->err->text[0] = '\0';
      return 0;
    }
    *r->err = first;
    return rc;
  }
  return rc;
}

int as_reader_open(struct as_reader **reader, const char *source,
                   const struct as_reader_options *options, struct as_reader_error *err)
{
  *reader = NULL;
  err->code = 0;
  err->text[0] = '\0';
  struct as_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->source = strdup(source)) || !(r->buf = malloc(READER_CHUNK))) {
    if (r)
      free(r->source);
    free(r);
    snprintf(err->text, sizeof err->text, "%s: out of memory", source);
    return err->code = -ENOMEM;
  }
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, reader_init_tables);
  r->fd = r->watch_fd = -1;
  r->last_seq = -1;
  r->peer_pid = -1;
  r->err = err;
  if (options)
    r->opt = *options;
  r->account.budget = r->opt.budget;
  r->arena.account = r->header_arena.account = &r->account;
  struct vec *vecs[] = {&r->actors, &r->cycles, &r->diags, &r->sites,
                        &r->msgtypes, &r->sockets, &r->peers, &r->ids, &r->strs};
  for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
    vecs[i]->account = &r->account;
  r->actors.elem = sizeof(struct as_rec_actor);
  r->cycles.elem = sizeof(struct as_rec_cycle);
  r->diags.elem = sizeof(struct as_rec_diagnostic);
  r->sites.elem = sizeof(struct as_rec_site);
  r->msgtypes.elem = sizeof(struct as_rec_msgtype);
  r->sockets.elem = sizeof(struct as_rec_socket);
  r->peers.elem = sizeof(struct as_rec_peer);
  r->ids.elem = sizeof(int64_t);
  r->strs.elem = sizeof(char *);
  int rc = reader_open_source(r, source);
  if (rc == 0)
    rc = reader_line(r);
  int unwritten = rc == -ENOENT || (rc == 0 && !r->have_header && r->is_regular);
  if (rc == 0 && !r->have_header)
    rc = r->truncated ? reader_fail(r, -EPROTO, "the header line is cut short")
                      : reader_fail(r, -EPROTO, "empty: no header line");
  r->path = strncmp(r->source, "file:", 5) == 0 ? r->source + 5 : r->source;
  int rotating = !r->opt.single_file && strcmp(source, "-") != 0 && !as_dest_is_socket(source);
  if (rc < 0 && rotating && !r->opt.follow && unwritten)
    rc = reader_open_moved(r, rc);
  if (rc == 0 && r->is_regular && rotating)
    rc = reader_start_rotated(r);
  if (rc < 0) {
    as_reader_close(r);
    return rc;
  }
  *reader = r;
  return 0;
}

/* Adds what the reader missed (reader_switch_part) to the line's diagnostics. */
static int reader_note_missed(struct as_reader *r)
{
  struct as_rec_snapshot *s = &r->line.s;
  struct as_rec_diagnostic *all = arena_alloc(&r->arena, (s->n_diagnostics + 1) * sizeof *all);
  if (!all)
    return reader_fail(r, -ENOMEM, "out of memory");
  if (s->n_diagnostics)
    memcpy(all, s->diagnostics, s->n_diagnostics * sizeof *all);
  all[s->n_diagnostics].code = "lines_missed";
  all[s->n_diagnostics].message = r->missed_note;
  s->diagnostics = all;
  s->n_diagnostics++;
  return 1;
}

int as_reader_next(struct as_reader *r, const struct as_rec_snapshot **snapshot,
                   struct as_reader_error *err)
{
  *snapshot = NULL;
  r->err = err;
  err->code = 0;
  err->text[0] = '\0';
  while (!r->done) {
    int rc = reader_line(r);
    if (rc < 0) {
      r->done = 1;
      return rc;
    }
    if (rc > 0) {
      r->last_seq = r->line.s.seq;
      if (r->missed && (rc = reader_note_missed(r)) < 0) {
        r->done = 1;
        return rc;
      }
      *snapshot = &r->line.s;
      if (r->line.s.final && r->opt.follow)
        r->done = 1; /* the writer is gone: nothing follows a final snapshot */
      return 1;
    }
  }
  return 0;
}

const struct as_rec_header *as_reader_header(const struct as_reader *r) { return &r->header; }
const char *as_reader_source(const struct as_reader *r) { return r->source; }
int as_reader_truncated(const struct as_reader *r) { return r->truncated; }
uint64_t as_reader_bytes(const struct as_reader *r) { return r->bytes; }
int as_reader_fd(const struct as_reader *r) { return r->fd; }
long as_reader_peer_pid(const struct as_reader *r) { return r->peer_pid; }

void as_reader_close(struct as_reader *r)
{
  if (!r)
    return;
  if (r->fd > STDIN_FILENO)
    close(r->fd);
  if (r->parser)
    yajl_free(r->parser);
  arena_free(&r->arena);
  arena_free(&r->header_arena);
  free(r->actors.data);
  free(r->cycles.data);
  free(r->diags.data);
  free(r->sites.data);
  free(r->msgtypes.data);
  free(r->sockets.data);
  free(r->peers.data);
  free(r->ids.data);
  free(r->strs.data);
  free(r->carry);
  /* What the vectors and the carry hold goes back to the budget; the arenas gave theirs. */
  account_give(&r->account, r->account.taken);
  as_state_free(&r->state);
  free(r->buf);
  while (r->n_parts)
    reader_part_drop(r, r->n_parts - 1);
  if (r->watch_fd >= 0)
    close(r->watch_fd);
  free(r->part_name);
  free(r->source);
  free(r);
}

int as_reader_each(const char *source, const struct as_reader_options *options,
                   as_reader_snapshot_fn on_snapshot, void *ctx, int *truncated,
                   struct as_reader_error *err)
{
  struct as_reader *r;
  int rc = as_reader_open(&r, source, options, err);
  if (rc < 0)
    return rc;
  const struct as_rec_snapshot *s;
  while ((rc = as_reader_next(r, &s, err)) > 0)
    if ((rc = on_snapshot(&r->header, s, ctx)) < 0)
      break;
  if (truncated)
    *truncated = r->truncated;
  as_reader_close(r);
  return rc < 0 ? rc : 0;
}
