/* What each object of the format holds (reader_private.h): for every record kind a table of
 * its members, each with its type, what is required of it (the flags column: never a position
 * in the table, so a table may be reordered or grown anywhere), and where its value goes. */
#define _GNU_SOURCE
#include "reader_private.h"

#include <string.h>

#define LINE(f) offsetof(struct reader_line_rec, f)
#define ACT(f) offsetof(struct as_rec_actor, f)
#define SOCK(f) offsetof(struct as_rec_socket, f)
#define PEER(f) offsetof(struct as_rec_peer, f)

static const struct member members_line[] = {
    {AS_M_TYPE, V_STR, 0, 0, 0, LINE(type), NONE},
    {AS_M_FORMAT, V_STR, 0, 0, 0, LINE(format), NONE},
    {AS_M_ERROR, V_STR, 0, 0, 0, LINE(error), NONE},
    {AS_M_VERSION, V_INT, 0, 0, 0, LINE(h.version), NONE},
    {AS_M_PID, V_INT, 0, 0, 0, LINE(h.pid), NONE},
    {AS_M_PROGRAM, V_STR, 0, 0, 0, LINE(h.program), NONE},
    {AS_M_ARGV, V_STRS, 0, 0, 0, LINE(h.argv), LINE(h.argc)},
    {AS_M_STARTED_AT, V_STR, 0, 0, 0, LINE(h.started_at), NONE},
    {AS_M_STARTED_AT_NS, V_INT, 0, 0, 0, LINE(h.started_at_ns), NONE},
    {AS_M_CONFIG, V_OBJ, 0, 0, K_CONFIG, NONE, NONE},
    {AS_M_SEQ, V_INT, 0, M_SNAPSHOT | M_DELTA, 0, LINE(s.seq), NONE},
    {AS_M_CAPTURED_AT, V_STR, 0, 0, 0, LINE(s.captured_at), NONE},
    {AS_M_CAPTURED_AT_NS, V_INT, 0, 0, 0, LINE(s.captured_at_ns), NONE},
    {AS_M_UPTIME_NS, V_INT, 0, M_SNAPSHOT | M_DELTA, 0, LINE(s.uptime_ns), NONE},
    {AS_M_FINAL, V_BOOL, 0, M_SNAPSHOT, 0, LINE(s.final), NONE},
    {AS_M_SIGNAL, V_STR, 1, 0, 0, LINE(s.signal), NONE},
    {AS_M_ENDED_BY, V_STR, 1, 0, 0, LINE(s.ended_by), NONE},
    {AS_M_REAPED, V_IDS, 0, 0, 0, LINE(s.reaped), LINE(s.n_reaped)},
    {AS_M_TOTALS, V_OBJ, 0, M_SNAPSHOT, K_TOTALS, NONE, NONE},
    {AS_M_DEADLOCKS, V_OBJS, 0, 0, K_CYCLE, LINE(s.deadlocks), LINE(s.n_deadlocks)},
    {AS_M_DIAGNOSTICS, V_OBJS, 0, 0, K_DIAG, LINE(s.diagnostics), LINE(s.n_diagnostics)},
    {AS_M_LAST_COST, V_OBJ, 1, 0, K_COST, NONE, LINE(s.has_last_cost)},
    {AS_M_SPAWN_SITES, V_SITES, 0, 0, 0, LINE(s.spawn_sites), LINE(s.n_spawn_sites)},
    {AS_M_ACTORS, V_OBJS, 0, M_SNAPSHOT, K_ACTOR, LINE(s.actors), LINE(s.n_actors)},
    {AS_M_TICK_FS, V_INT, 0, 0, 0, LINE(s.tick_fs), NONE},
    {AS_M_ENDED, V_OBJS, 0, 0, K_ENDED, LINE(ended), LINE(n_ended)},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_config[] = {
    {AS_M_INTERVAL_MS, V_INT, 0, 0, 0, LINE(h.interval_ms), NONE},
    {AS_M_GRAVE_MS, V_INT, 0, 0, 0, LINE(h.grave_ms), NONE},
    {AS_M_STACK_DEPTH, V_INT, 0, 0, 0, LINE(h.stack_depth), NONE},
    {AS_M_MAILBOX_WAIT_EVERY, V_INT, 0, 0, 0, LINE(h.mailbox_wait_every), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_totals[] = {
    {AS_M_ALIVE, V_INT, 0, M_REQUIRED, 0, LINE(s.alive), NONE},
    {AS_M_TOTAL_SPAWNED, V_INT, 0, M_REQUIRED, 0, LINE(s.total_spawned), NONE},
    {AS_M_TOTAL_STOPPED, V_INT, 0, M_REQUIRED, 0, LINE(s.total_stopped), NONE},
    {AS_M_MESSAGES_RECEIVED, V_INT, 0, M_REQUIRED, 0, LINE(s.messages_received), NONE},
    {AS_M_RECEIVED_ALL, V_INT, 0, 0, 0, LINE(s.received_all), LINE(has_received_all)},
    {AS_M_RUNTIME_RUNNING, V_INT, 0, 0, 0, LINE(s.runtime_running), LINE(s.has_runtime_running)},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_cost[] = {
    {AS_M_COLLECT_NS, V_INT, 0, 0, 0, LINE(s.cost_collect_ns), NONE},
    {AS_M_ENCODE_NS, V_INT, 0, 0, 0, LINE(s.cost_encode_ns), NONE},
    {AS_M_WRITE_NS, V_INT, 0, 0, 0, LINE(s.cost_write_ns), NONE},
    {AS_M_BYTES, V_INT, 0, 0, 0, LINE(s.cost_bytes), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_cycle[] = {
    {AS_M_ACTORS, V_IDS, 0, M_REQUIRED, 0, offsetof(struct as_rec_cycle, actors),
     offsetof(struct as_rec_cycle, n_actors)},
    {AS_M_NAMES, V_STRS, 0, 0, 0, offsetof(struct as_rec_cycle, names),
     offsetof(struct as_rec_cycle, n_names)},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_diag[] = {
    {AS_M_CODE, V_STR, 0, 0, 0, offsetof(struct as_rec_diagnostic, code), NONE},
    {AS_M_MESSAGE, V_STR, 0, 0, 0, offsetof(struct as_rec_diagnostic, message), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

/* An actor's members that an ended actor (version 3) holds alike, flat in both: defined once,
 * so that the two forms cannot come to read one member differently. */
#define MEMBERS_IDENTITY                                                                           \
  {AS_M_ID, V_ID, 0, M_REQUIRED, 0, ACT(id), NONE},                                                \
      {AS_M_NAME, V_STR, 0, M_REQUIRED, 0, ACT(name), NONE},                                       \
      {AS_M_FULL_NAME, V_STR, 0, 0, 0, ACT(full_name), NONE},                                      \
  {                                                                                                \
    AS_M_INTERNAL, V_BOOL, 0, 0, 0, ACT(internal), NONE                                            \
  }
/* Where it comes from. An actor's object has runtime, spawned_at_ns and parent all or none (a
 * delta leaves them out for an actor an earlier line described: M_ORIGIN, checked at the
 * actor's end); an ended actor always has its runtime and spawn time, and a parent only when it
 * had one. */
#define MEMBERS_ORIGIN(spawn_flags, parent_flags)                                                  \
  {AS_M_RUNTIME, V_RUNTIME, 0, spawn_flags, 0, ACT(runtime), NONE},                                \
      {AS_M_SPAWNED_AT_NS, V_INT, 0, spawn_flags, 0, ACT(spawned_at_ns), NONE},                    \
      {AS_M_SPAWN_SITE, V_INT, 1, 0, 0, ACT(spawn_site), ACT(has_spawn_site)},                     \
  {                                                                                                \
    AS_M_PARENT, V_ID, 1, parent_flags, 0, ACT(parent), ACT(has_parent)                            \
  }
/* What it did: the message counts (in an actor's object, inside "counters"; an ended actor of
 * version 4 leaves out messages_sent at 0), its message types, histograms, longest stuck run,
 * peers and runtime ids. */
#define MEMBERS_COUNTS(required, sent_flags)                                                       \
  {AS_M_MESSAGES_RECEIVED, V_INT, 0, required, 0, ACT(messages_received), NONE},                   \
      {AS_M_MESSAGES_SENT, V_INT, 0, sent_flags, 0, ACT(messages_sent), NONE},                     \
      {AS_M_REPLIES, V_INT, 0, 0, 0, ACT(replies), NONE},                                          \
  {                                                                                                \
    AS_M_HANDLED, V_INT, 0, required, 0, ACT(handled), NONE                                        \
  }
#define MEMBERS_MEASURES                                                                           \
  {AS_M_HANDLER_HISTOGRAM, V_PAIRS, 0, 0, 0, ACT(histogram), ACT(n_histogram)},                    \
      {AS_M_MAILBOX_WAIT_HISTOGRAM, V_PAIRS, 0, 0, 0, ACT(wait_histogram), ACT(n_wait_histogram)}, \
      {AS_M_STUCK, V_OBJ, 0, 0, K_STUCK, NONE, ACT(has_stuck)},                                    \
      {AS_M_MESSAGE_TYPES,  V_OBJS, 0, M_REQUIRED | M_DEFAULT, K_MSGTYPE, ACT(message_types),      \
       ACT(n_message_types)},                                                                      \
      {AS_M_PEERS, V_OBJS, 0, 0, K_PEER, ACT(peers), ACT(n_peers)},                                \
      {AS_M_PEERS_OTHER, V_INT, 0, 0, 0, ACT(peers_other), NONE},                                  \
      {AS_M_RUNTIME_ID, V_INT, 0, 0, 0, ACT(runtime_id), ACT(has_runtime_id)},                     \
      {AS_M_RUNTIME_SCOPE, V_INT, 0, 0, 0, ACT(runtime_scope), NONE},                              \
  {                                                                                                \
    AS_M_ATTACHED_LATE, V_BOOL, 0, 0, 0, ACT(attached_late), NONE                                  \
  }

/* The members every command reads are required: a file without them cannot pass a check. From
 * version 5 those at a default may be left out (M_DEFAULT; reader_ended.c fills them in). */
static const struct member members_actor[] = {
    MEMBERS_IDENTITY,
    {AS_M_STATUS, V_STATUS, 0, M_REQUIRED | M_DEFAULT, 0, ACT(status), NONE},
    MEMBERS_ORIGIN(M_ORIGIN, M_ORIGIN | M_DEFAULT),
    {AS_M_CHILDREN, V_IDS, 0, 0, 0, ACT(children), ACT(n_children)},
    {AS_M_STOPPED, V_OBJ, 1, M_REQUIRED | M_DEFAULT, K_STOPPED, NONE, ACT(has_stopped)},
    {AS_M_MAILBOX, V_OBJ, 0, M_REQUIRED | M_DEFAULT, K_MAILBOX, NONE, NONE},
    {AS_M_OUTBOX, V_OBJ, 0, 0, K_OUTBOX, NONE, NONE},
    {AS_M_COUNTERS, V_OBJ, 0, M_REQUIRED | M_DEFAULT, K_COUNTERS, NONE, NONE},
    {AS_M_HANDLER_NS, V_OBJ, 0, M_REQUIRED | M_DEFAULT, K_HANDLER, NONE, NONE},
    {AS_M_HANDLING, V_OBJ, 1, M_REQUIRED | M_DEFAULT, K_HANDLING, NONE, ACT(has_handling)},
    {AS_M_WAITING_ON, V_OBJ, 1, 0, K_WAITING, NONE, ACT(has_waiting)},
    MEMBERS_MEASURES,
    {AS_M_REFS, V_OBJ, 0, 0, K_REFS, NONE, ACT(has_refs)},
    {AS_M_LINKS, V_IDS, 0, 0, 0, ACT(links), ACT(n_links)},
    {AS_M_MONITORS, V_IDS, 0, 0, 0, ACT(monitors), ACT(n_monitors)},
    {AS_M_SOCKETS, V_OBJS, 0, 0, K_SOCKET, ACT(sockets), ACT(n_sockets)},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_stuck[] = {
    {AS_M_TYPE, V_STR, 0, M_REQUIRED, 0, ACT(stuck_type), NONE},
    {AS_M_SINCE_NS, V_INT, 0, M_REQUIRED, 0, ACT(stuck_since_ns), NONE},
    {AS_M_HANDLER_NS, V_INT, 0, M_REQUIRED, 0, ACT(stuck_handler_ns), NONE},
    {AS_M_RUNNING, V_BOOL, 0, 0, 0, ACT(stuck_running), NONE},
    {AS_M_ON_CPU, V_BOOL, 0, 0, 0, ACT(stuck_on_cpu), NONE},
    {AS_M_CPU_NS, V_INT, 0, 0, 0, ACT(stuck_cpu_ns), NONE},
    {AS_M_CPU_WINDOW_NS, V_INT, 0, 0, 0, ACT(stuck_cpu_window_ns), NONE},
    {AS_M_STACK_SOURCE, V_STR, 0, 0, 0, ACT(stuck_source), NONE},
    {AS_M_STACK_COMPLETE, V_BOOL, 0, 0, 0, ACT(stuck_complete), NONE},
    {AS_M_STACK_END, V_STR, 0, 0, 0, ACT(stuck_end), NONE},
    {AS_M_STACK, V_STRS, 0, 0, 0, ACT(stuck_stack), ACT(n_stuck_stack)},
    {NULL, 0, 0, 0, 0, 0, 0}};

/* An ended actor (version 3): a stopped actor's members, flat; the rest is implied (status
 * stopped, mailbox unbounded, no handler, wait, links, monitors, sockets or refs), and from
 * version 4 what its other members imply (reader_ended.c fills them in). */
static const struct member members_ended[] = {
    MEMBERS_IDENTITY,
    MEMBERS_ORIGIN(M_REQUIRED, 0),
    {AS_M_STOPPED_AT_NS, V_INT, 0, M_REQUIRED, 0, ACT(stopped_at_ns), NONE},
    {AS_M_REASON, V_STR, 0, M_REQUIRED, 0, ACT(stop_reason), NONE},
    {AS_M_ENQUEUED, V_INT, 0, M_REQUIRED, 0, ACT(mailbox_enqueued), NONE},
    {AS_M_MAILBOX_MAX, V_INT, 0, M_REQUIRED, 0, ACT(mailbox_max), NONE},
    {AS_M_OUTBOX_LEN, V_INT, 0, 0, 0, ACT(outbox_len), NONE},
    MEMBERS_COUNTS(M_REQUIRED, 0),
    {AS_M_EXCEPTIONS, V_INT, 0, 0, 0, ACT(exceptions), NONE},
    {AS_M_HANDLER_TOTAL_NS, V_INT, 0, M_REQUIRED, 0, ACT(handler_total_ns), NONE},
    {AS_M_HANDLER_MAX_NS, V_INT, 0, 0, 0, ACT(handler_max_ns), NONE},
    MEMBERS_MEASURES,
    {NULL, 0, 0, 0, 0, 0, 0}};

/* One of to, to_thread and from_thread, checked when the array ends (reader_parse.c). */
static const struct member members_peer[] = {
    {AS_M_TO, V_ID, 0, 0, 0, PEER(to), NONE},
    {AS_M_TO_THREAD, V_STR, 0, 0, 0, PEER(to_thread), NONE},
    {AS_M_FROM_THREAD, V_STR, 0, 0, 0, PEER(from_thread), NONE},
    {AS_M_COUNT, V_INT, 0, M_REQUIRED, 0, PEER(count), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_refs[] = {
    {AS_M_STRONG, V_INT, 0, M_REQUIRED, 0, ACT(refs_strong), NONE},
    {AS_M_WEAK, V_INT, 0, M_REQUIRED, 0, ACT(refs_weak), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_stopped[] = {
    {AS_M_AT_NS, V_INT, 0, M_REQUIRED, 0, ACT(stopped_at_ns), NONE},
    {AS_M_REASON, V_STR, 0, M_REQUIRED, 0, ACT(stop_reason), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_mailbox[] = {
    {AS_M_KIND, V_STR, 0, 0, 0, ACT(mailbox_kind), NONE},
    {AS_M_LEN, V_INT, 0, M_REQUIRED | M_DEFAULT, 0, ACT(mailbox_len), NONE},
    {AS_M_MAX, V_INT, 0, M_REQUIRED | M_DEFAULT, 0, ACT(mailbox_max), NONE},
    {AS_M_ENQUEUED, V_INT, 0, M_REQUIRED | M_DEFAULT, 0, ACT(mailbox_enqueued), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_outbox[] = {
    {AS_M_LEN, V_INT, 0, M_REQUIRED, 0, ACT(outbox_len), NONE}, {NULL, 0, 0, 0, 0, 0, 0}};

/* An ended actor's exceptions are left out when 0: an actor's counters always say them. */
static const struct member members_counters[] = {
    MEMBERS_COUNTS(M_REQUIRED | M_DEFAULT, M_REQUIRED | M_DEFAULT),
    {AS_M_EXCEPTIONS, V_INT, 0, M_REQUIRED | M_DEFAULT, 0, ACT(exceptions), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_handler[] = {
    {AS_M_TOTAL, V_INT, 0, M_REQUIRED | M_DEFAULT, 0, ACT(handler_total_ns), NONE},
    {AS_M_MAX, V_INT, 0, M_REQUIRED | M_DEFAULT, 0, ACT(handler_max_ns), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_handling[] = {
    {AS_M_TYPE, V_STR, 0, M_REQUIRED, 0, ACT(handling_type), NONE},
    {AS_M_ELAPSED_NS, V_INT, 0, M_REQUIRED, 0, ACT(handling_elapsed_ns), NONE},
    {AS_M_SINCE_NS, V_INT, 0, 0, 0, ACT(handling_since_ns), ACT(has_handling_since)},
    {AS_M_STACK, V_STRS, 0, 0, 0, ACT(handling_stack), ACT(n_handling_stack)},
    {AS_M_STACK_SOURCE, V_STR, 0, 0, 0, ACT(handling_stack_source), NONE},
    {AS_M_STACK_COMPLETE, V_BOOL, 0, 0, 0, ACT(handling_stack_complete), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_waiting[] = {
    {AS_M_TARGET, V_ID, 0, M_REQUIRED, 0, ACT(waiting_target), NONE},
    {AS_M_KIND, V_WAIT, 0, M_REQUIRED, 0, ACT(waiting_kind), NONE},
    {AS_M_ELAPSED_NS, V_INT, 0, M_REQUIRED, 0, ACT(waiting_elapsed_ns), NONE},
    {AS_M_SINCE_NS, V_INT, 0, 0, 0, ACT(waiting_since_ns), ACT(has_waiting_since)},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_msgtype[] = {
    {AS_M_NAME, V_STR, 0, M_REQUIRED, 0, offsetof(struct as_rec_msgtype, name), NONE},
    {AS_M_COUNT, V_INT, 0, M_REQUIRED, 0, offsetof(struct as_rec_msgtype, count), NONE},
    {NULL, 0, 0, 0, 0, 0, 0}};

static const struct member members_socket[] = {
    {AS_M_KIND, V_STR, 0, M_REQUIRED, 0, SOCK(kind), NONE},
    {AS_M_ENDPOINT, V_STR, 1, 0, 0, SOCK(endpoint), NONE},
    {AS_M_RECEIVED, V_INT, 0, M_REQUIRED, 0, SOCK(received), NONE},
    {AS_M_SENT, V_INT, 0, M_REQUIRED, 0, SOCK(sent), NONE},
    {AS_M_DEPTH, V_INT, 0, 0, 0, SOCK(depth), SOCK(has_depth)},
    {AS_M_MAX, V_INT, 0, 0, 0, SOCK(max), SOCK(has_max)},
    {NULL, 0, 0, 0, 0, 0, 0}};

/* A frame notes the members met as bits of a mask: no table may outgrow it. */
#define MEMBERS_FIT(t)                                                                             \
  _Static_assert(sizeof t / sizeof t[0] - 1 <= READER_KIND_MEMBERS_MAX, #t " outgrows the mask")
MEMBERS_FIT(members_line);
MEMBERS_FIT(members_config);
MEMBERS_FIT(members_totals);
MEMBERS_FIT(members_cost);
MEMBERS_FIT(members_cycle);
MEMBERS_FIT(members_diag);
MEMBERS_FIT(members_actor);
MEMBERS_FIT(members_stuck);
MEMBERS_FIT(members_ended);
MEMBERS_FIT(members_peer);
MEMBERS_FIT(members_refs);
MEMBERS_FIT(members_stopped);
MEMBERS_FIT(members_mailbox);
MEMBERS_FIT(members_outbox);
MEMBERS_FIT(members_counters);
MEMBERS_FIT(members_handler);
MEMBERS_FIT(members_handling);
MEMBERS_FIT(members_waiting);
MEMBERS_FIT(members_msgtype);
MEMBERS_FIT(members_socket);

/* Adding a record kind: reader_private.h says how. */
const struct reader_kind reader_kinds[K_COUNT] = {
    [K_LINE] = {members_line, 0, 0},
    [K_CONFIG] = {members_config, 0, 0},
    [K_TOTALS] = {members_totals, 0, 0},
    [K_COST] = {members_cost, 0, 0},
    [K_CYCLE] = {members_cycle, sizeof(struct as_rec_cycle), 0},
    [K_DIAG] = {members_diag, sizeof(struct as_rec_diagnostic), 0},
    [K_ACTOR] = {members_actor, sizeof(struct as_rec_actor), 0},
    [K_REFS] = {members_refs, 0, 0},
    [K_STOPPED] = {members_stopped, 0, 0},
    [K_MAILBOX] = {members_mailbox, 0, 0},
    [K_OUTBOX] = {members_outbox, 0, 0},
    [K_COUNTERS] = {members_counters, 0, 0},
    [K_HANDLER] = {members_handler, 0, 0},
    [K_HANDLING] = {members_handling, 0, 0},
    [K_WAITING] = {members_waiting, 0, 0},
    [K_MSGTYPE] = {members_msgtype, sizeof(struct as_rec_msgtype), 1},
    [K_SOCKET] = {members_socket, sizeof(struct as_rec_socket), 1},
    [K_STUCK] = {members_stuck, 0, 0},
    [K_ENDED] = {members_ended, sizeof(struct as_rec_actor), 0},
    [K_PEER] = {members_peer, sizeof(struct as_rec_peer), 1},
};

/* Computed once: each kind's members' key lengths (keys are compared for every member met),
 * and the bits of its members with each combination of flags (checked at every object's end). */
#define MEMBER_FLAGS_ALL 32
static unsigned char kind_key_len[K_COUNT][READER_KIND_MEMBERS_MAX];
static uint64_t kind_with[K_COUNT][MEMBER_FLAGS_ALL];

void reader_members_init(void)
{
  for (int k = 0; k < K_COUNT; k++) {
    const struct member *table = reader_kinds[k].members;
    for (const struct member *m = table; m->key; m++) {
      kind_key_len[k][m - table] = (unsigned char)strlen(m->key);
      for (unsigned flags = 0; flags < MEMBER_FLAGS_ALL; flags++)
        if ((m->flags & flags) == flags)
          kind_with[k][flags] |= (uint64_t)1 << (m - table);
    }
  }
}

static int members_key_is(int kind, const struct member *m, const unsigned char *key, size_t n)
{
  return m->key && kind_key_len[kind][m - reader_kinds[kind].members] == n &&
         memcmp(m->key, key, n) == 0;
}

const struct member *reader_member_find(int kind, const struct member *after,
                                        const unsigned char *key, size_t n)
{
  const struct member *table = reader_kinds[kind].members;
  const struct member *m = after ? after + 1 : table;
  if (!members_key_is(kind, m, key, n))
    for (m = table; m->key && !members_key_is(kind, m, key, n); m++)
      ;
  return m->key ? m : NULL;
}

uint64_t reader_member_bit(int kind, const struct member *m)
{
  return (uint64_t)1 << (m - reader_kinds[kind].members);
}

uint64_t reader_members_with(int kind, unsigned flags)
{
  return kind_with[kind][flags % MEMBER_FLAGS_ALL];
}

int reader_members_saw(int kind, uint64_t seen, const char *key)
{
  const struct member *m = reader_member_find(kind, NULL, (const unsigned char *)key, strlen(key));
  return m && (seen & reader_member_bit(kind, m));
}
