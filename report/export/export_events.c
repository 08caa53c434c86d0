/* The exact timeline from an events file (export_events.h). */
#include "export_events.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "actor_model.h"
#include "escape.h"
#include "events_format.h"

/* A thread that runs no actor gets a track of its own, apart from the actors' ids. */
#define EV_THREAD_TRACK_BASE 1000000000ll
#define EV_READ_RECORDS 4096u
#define EV_TYPES 65536u /* type ids are 16 bits */

/* ---- names ----------------------------------------------------------------------------------- */

void export_events_names_init(struct export_events_names *names)
{
  memset(names, 0, sizeof *names);
}

static ptrdiff_t ev_name_index(const struct export_events_names *names, int64_t id)
{
  /* Actors arrive in id order (snapshots list them sorted, new ones after older): binary
   * search over the ids seen so far, which stay sorted since they are appended in order. */
  size_t lo = 0, hi = names->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (names->ids[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < names->n && names->ids[lo] == id ? (ptrdiff_t)lo : -(ptrdiff_t)lo - 1;
}

int export_events_name(struct export_events_names *names, int64_t id, const char *name)
{
  const char *kept = intern_string(&names->strings, name ? name : "");
  if (!kept)
    return -ENOMEM;
  ptrdiff_t at = ev_name_index(names, id);
  if (at >= 0) {
    names->names[at] = kept;
    return 0;
  }
  size_t pos = (size_t)(-at - 1);
  if (names->n == names->cap) {
    size_t cap = names->cap ? names->cap * 2 : 64;
    int64_t *ids = realloc(names->ids, cap * sizeof *ids);
    if (!ids)
      return -ENOMEM;
    names->ids = ids;
    const char **ns = realloc(names->names, cap * sizeof *ns);
    if (!ns)
      return -ENOMEM;
    names->names = ns;
    names->cap = cap;
  }
  memmove(names->ids + pos + 1, names->ids + pos, (names->n - pos) * sizeof *names->ids);
  memmove(names->names + pos + 1, names->names + pos, (names->n - pos) * sizeof *names->names);
  names->ids[pos] = id;
  names->names[pos] = kept;
  names->n++;
  return 0;
}

static const char *ev_actor_name(const struct export_events_names *names, int64_t id)
{
  ptrdiff_t at = names ? ev_name_index(names, id) : -1;
  return at >= 0 ? names->names[at] : "";
}

void export_events_names_free(struct export_events_names *names)
{
  intern_table_free(&names->strings);
  free(names->ids);
  free(names->names);
  memset(names, 0, sizeof *names);
}

int export_events_path(const char *source, char *path, size_t len)
{
  int rc = as_events_path_of(source, path, len);
  if (rc < 0)
    return rc;
  FILE *f = fopen(path, "rb");
  if (!f)
    return -ENOENT;
  fclose(f);
  return 0;
}

int export_events_of_run(const char *path, const struct as_rec_header *run, char *why,
                         size_t why_len)
{
  struct as_events_header h;
  FILE *in = fopen(path, "rb");
  int read = in && fread(&h, sizeof h, 1, in) == 1;
  if (in)
    fclose(in);
  if (!read || memcmp(h.magic, AS_EVENTS_MAGIC, sizeof h.magic) != 0)
    return 1;
  if ((int64_t)h.pid == run->pid && (int64_t)h.started_at_ns == run->started_at_ns)
    return 1;
  snprintf(why, why_len,
           "written by pid %" PRIu64 " started at %" PRIu64 " ns, not pid %" PRId64
           " started at %" PRId64 " ns",
           h.pid, h.started_at_ns, run->pid, run->started_at_ns);
  return 0;
}

/* ---- the state while reading ------------------------------------------------------------------ */

/* A message sent and not yet taken, keyed by (receiver, msg). */
struct ev_send {
  uint64_t receiver, msg; /* receiver 0: a free slot */
  uint64_t ts, sender;
  uint32_t tid;
};

/* A handler begun and not yet ended. */
struct ev_open {
  uint64_t ts, msg;
  uint32_t tid;
  uint16_t type;
  int matched;
  struct ev_send send; /* the message it took, when matched */
};

struct ev_actor {
  uint64_t id; /* 0: a free slot (ev_table's key) */
  struct ev_open *stack;
  uint32_t depth, cap;
};

/* A thread as the file tells of it: its name (THREAD), whether its track is named. */
struct ev_thread {
  uint64_t tid; /* 0: a free slot (ev_table's key) */
  int tracked;  /* its track is named */
  char name[AS_EV_THREAD_NAME_MAX + 1];
};

/* Open addressing, linear probing, by a 64-bit key that is each slot's first member (0: a free
 * slot); a power-of-two number of ELEM-byte slots, at most half full. */
struct ev_table {
  char *slots;
  size_t elem, n, cap;
};

struct ev_state {
  FILE *out;
  int64_t pid, offset_ns;
  const struct export_events_names *names;
  char **types;          /* EV_TYPES names, NULL: unnamed */
  struct ev_send *sends; /* open addressing, linear probing, power-of-two size */
  size_t sends_n, sends_cap;
  struct ev_table actors;  /* of struct ev_actor, by id */
  struct ev_table threads; /* of struct ev_thread, by tid */
  /* Recording went off (PAUSE) and not on again: a BEGIN now is a straggler's, void. */
  int paused;
  uint64_t resumed_ns; /* the latest RESUME: a BEGIN stamped before it is void too */
  uint64_t flow_id;
  uint64_t last_ts;
  unsigned flags; /* EXPORT_EVENTS_* */
  uint64_t lost;  /* records the tracer said it lost */
};

static uint64_t ev_hash(uint64_t a, uint64_t b)
{
  uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a << 6) + (a >> 2));
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}

static int ev_sends_grow(struct ev_state *s)
{
  size_t cap = s->sends_cap ? s->sends_cap * 2 : 1024;
  struct ev_send *table = calloc(cap, sizeof *table);
  if (!table)
    return -ENOMEM;
  for (size_t i = 0; i < s->sends_cap; i++) {
    struct ev_send *e = &s->sends[i];
    if (!e->receiver)
      continue;
    size_t k = ev_hash(e->receiver, e->msg) & (cap - 1);
    while (table[k].receiver)
      k = (k + 1) & (cap - 1);
    table[k] = *e;
  }
  free(s->sends);
  s->sends = table;
  s->sends_cap = cap;
  return 0;
}

static struct ev_send *ev_send_find(struct ev_state *s, uint64_t receiver, uint64_t msg)
{
  if (!s->sends_cap)
    return NULL;
  for (size_t k = ev_hash(receiver, msg) & (s->sends_cap - 1);; k = (k + 1) & (s->sends_cap - 1)) {
    struct ev_send *e = &s->sends[k];
    if (!e->receiver)
      return NULL;
    if (e->receiver == receiver && e->msg == msg)
      return e;
  }
}

/* Removes the entry at E, shifting later entries of its run back (no tombstones). */
static void ev_send_remove(struct ev_state *s, struct ev_send *e)
{
  size_t mask = s->sends_cap - 1, i = (size_t)(e - s->sends);
  for (size_t j = (i + 1) & mask; s->sends[j].receiver; j = (j + 1) & mask) {
    size_t home = ev_hash(s->sends[j].receiver, s->sends[j].msg) & mask;
    /* Entry j may move to the hole at i when i lies between its home and j (cyclically). */
    if (((j - home) & mask) >= ((j - i) & mask)) {
      s->sends[i] = s->sends[j];
      i = j;
    }
  }
  s->sends[i].receiver = 0;
  s->sends_n--;
}

static void ev_ts(struct ev_state *s, const char *member, uint64_t ns)
{
  int64_t t = s->offset_ns + (int64_t)ns;
  fprintf(s->out, ",\"%s\":%" PRId64 ".%03" PRId64, member, t / 1000, t % 1000);
}

static void ev_open_event(struct ev_state *s, const char *ph, int64_t tid)
{
  fprintf(s->out, ",\n{\"ph\":\"%s\",\"pid\":%" PRId64 ",\"tid\":%" PRId64, ph, s->pid, tid);
}

static void *ev_table_slot(const struct ev_table *t, size_t k) { return t->slots + k * t->elem; }

static uint64_t ev_table_key(const struct ev_table *t, size_t k)
{
  uint64_t key;
  memcpy(&key, ev_table_slot(t, k), sizeof key);
  return key;
}

/* The slot of KEY (made, zeroed but for its key, when CREATE); NULL when absent, or out of
 * memory. */
static void *ev_table_get(struct ev_table *t, uint64_t key, int create)
{
  for (size_t k = t->cap ? ev_hash(key, 0) & (t->cap - 1) : 0; t->cap; k = (k + 1) & (t->cap - 1)) {
    uint64_t at = ev_table_key(t, k);
    if (at == key)
      return ev_table_slot(t, k);
    if (!at)
      break;
  }
  if (!create)
    return NULL;
  if ((t->n + 1) * 2 > t->cap) {
    struct ev_table grown = {NULL, t->elem, t->n, t->cap ? t->cap * 2 : 256};
    if (!(grown.slots = calloc(grown.cap, grown.elem)))
      return NULL;
    for (size_t i = 0; i < t->cap; i++) {
      uint64_t old = ev_table_key(t, i);
      if (!old)
        continue;
      size_t k = ev_hash(old, 0) & (grown.cap - 1);
      while (ev_table_key(&grown, k))
        k = (k + 1) & (grown.cap - 1);
      memcpy(ev_table_slot(&grown, k), ev_table_slot(t, i), t->elem);
    }
    free(t->slots);
    *t = grown;
  }
  size_t k = ev_hash(key, 0) & (t->cap - 1);
  while (ev_table_key(t, k))
    k = (k + 1) & (t->cap - 1);
  memcpy(ev_table_slot(t, k), &key, sizeof key);
  t->n++;
  return ev_table_slot(t, k);
}

/* The thread TID (created when CREATE); NULL when absent, or out of memory. */
static struct ev_thread *ev_thread(struct ev_state *s, uint32_t tid, int create)
{
  return tid ? ev_table_get(&s->threads, tid, create) : NULL;
}

/* A thread running no actor as the snapshots name it among an actor's peers: "main" for the
 * process's main thread (report said "main" where the trace said "thread 30822"), else by its
 * name as the kernel had it (a THREAD record: "caf.multiplexer"), else (files of version 1, a
 * thread gone before the writer saw it) by its id. */
static void ev_thread_label(struct ev_state *s, uint32_t tid)
{
  const struct ev_thread *t = ev_thread(s, tid, 0);
  if ((int64_t)tid == s->pid)
    fputs("\"main\"", s->out);
  else if (t && t->name[0])
    escape_json_string(s->out, t->name);
  else
    fprintf(s->out, "\"thread %" PRIu32 "\"", tid);
}

/* "#ID NAME" for an actor, the thread's label for a thread running none. */
static void ev_who(struct ev_state *s, uint64_t actor, uint32_t tid)
{
  if (actor) {
    fprintf(s->out, "\"#%" PRIu64 " ", actor);
    escape_json_chars(s->out, ev_actor_name(s->names, (int64_t)actor));
    fputc('"', s->out);
  } else {
    ev_thread_label(s, tid);
  }
}

/* The track of a sender that is no actor: named once. */
static int ev_thread_track(struct ev_state *s, uint32_t tid)
{
  struct ev_thread *t = ev_thread(s, tid, 1);
  if (!t)
    return tid ? -ENOMEM : 0;
  if (t->tracked)
    return 0;
  t->tracked = 1;
  int64_t track = EV_THREAD_TRACK_BASE + tid;
  ev_open_event(s, "M", track);
  fputs(",\"name\":\"thread_name\",\"args\":{\"name\":", s->out);
  ev_thread_label(s, tid);
  fputs("}}", s->out);
  ev_open_event(s, "M", track);
  fprintf(s->out, ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%" PRId64 "}}", track);
  return 0;
}

static const char *ev_type_name(const struct ev_state *s, uint16_t type)
{
  return s->types[type] ? s->types[type] : "";
}

/* The slices' category: with flow events v1 a flow joins the two events of its own category
 * at its own times (Chrome DevTools binds it so), so both ends share one. */
static const char *ev_category(const struct ev_state *s, const char *v2)
{
  return s->flags & EXPORT_EVENTS_FLOWS_V1 ? EXPORT_EVENTS_V1_CATEGORY : v2;
}

/* Flow events v1: "s" at the send, "f" at the handler's begin, bound to the slice that encloses
 * it ("bp":"e"), which the slice written just before begins at that very time. */
static void ev_flow_v1(struct ev_state *s, const char *ph, int64_t track, uint64_t ts,
                       uint64_t flow)
{
  ev_open_event(s, ph, track);
  fprintf(s->out, ",\"name\":\"message\",\"cat\":\"%s\",\"id\":%" PRIu64 "%s",
          EXPORT_EVENTS_V1_CATEGORY, flow, ph[0] == 'f' ? ",\"bp\":\"e\"" : "");
  ev_ts(s, "ts", ts);
  fputc('}', s->out);
}

/* The send slice, once it is known whether (and by which flow) a handler took the message. */
static int ev_write_send(struct ev_state *s, const struct ev_send *m, uint64_t flow)
{
  int64_t track = m->sender ? (int64_t)m->sender : EV_THREAD_TRACK_BASE + m->tid;
  if (!m->sender) {
    int rc = ev_thread_track(s, m->tid);
    if (rc < 0)
      return rc;
  }
  ev_open_event(s, "X", track);
  fprintf(s->out, ",\"name\":\"send\",\"cat\":\"%s\"", ev_category(s, "send"));
  ev_ts(s, "ts", m->ts);
  fputs(",\"dur\":0", s->out);
  if (flow && !(s->flags & EXPORT_EVENTS_FLOWS_V1))
    fprintf(s->out, ",\"bind_id\":%" PRIu64 ",\"flow_out\":true", flow);
  fputs(",\"args\":{\"to\":", s->out);
  ev_who(s, m->receiver, 0);
  fprintf(s->out, ",\"handled\":%s,\"thread\":%" PRIu32 "}}", flow ? "true" : "false", m->tid);
  if (flow && (s->flags & EXPORT_EVENTS_FLOWS_V1))
    ev_flow_v1(s, "s", track, m->ts, flow);
  return 0;
}

static struct ev_actor *ev_actor(struct ev_state *s, uint64_t id, int create)
{
  return ev_table_get(&s->actors, id, create);
}

static int ev_on_send(struct ev_state *s, const struct as_events_record *r)
{
  struct ev_send *old = ev_send_find(s, r->actor, r->msg);
  if (old) {
    /* The same name again before a handler took the first: that one was never taken (its
     * begin was lost, or the runtime dropped it). */
    int rc = ev_write_send(s, old, 0);
    ev_send_remove(s, old);
    if (rc < 0)
      return rc;
  }
  if ((s->sends_n + 1) * 2 > s->sends_cap && ev_sends_grow(s) < 0)
    return -ENOMEM;
  size_t k = ev_hash(r->actor, r->msg) & (s->sends_cap - 1);
  while (s->sends[k].receiver)
    k = (k + 1) & (s->sends_cap - 1);
  s->sends[k] = (struct ev_send){r->actor, r->msg, r->time_ns, r->peer, r->tid};
  s->sends_n++;
  return 0;
}

static int ev_on_begin(struct ev_state *s, const struct as_events_record *r)
{
  /* Recorded by a thread that saw recording on as it went off (or published it after it came
   * back on): its END, if any, is not in the file, and the next END of the actor is another
   * handler's. Its message stays to be taken. */
  if (s->paused || r->time_ns < s->resumed_ns)
    return 0;
  struct ev_actor *a = ev_actor(s, r->actor, 1);
  if (!a)
    return -ENOMEM;
  if (a->depth == a->cap) {
    uint32_t cap = a->cap ? a->cap * 2 : 2;
    struct ev_open *stack = realloc(a->stack, cap * sizeof *stack);
    if (!stack)
      return -ENOMEM;
    a->stack = stack;
    a->cap = cap;
  }
  struct ev_open *o = &a->stack[a->depth++];
  *o = (struct ev_open){.ts = r->time_ns, .msg = r->msg, .tid = r->tid, .type = r->type};
  struct ev_send *m = r->msg != AS_EV_NO_MSG ? ev_send_find(s, r->actor, r->msg) : NULL;
  if (m) {
    o->matched = 1;
    o->send = *m;
    ev_send_remove(s, m);
  }
  return 0;
}

static void ev_write_handler(struct ev_state *s, uint64_t actor, const struct ev_open *o,
                             uint64_t end, const char *how, uint64_t flow)
{
  const char *type = ev_type_name(s, o->type);
  ev_open_event(s, "X", (int64_t)actor);
  fputs(",\"name\":", s->out);
  escape_json_string(s->out, *type ? type : "handler");
  fprintf(s->out, ",\"cat\":\"%s\"", ev_category(s, "handler"));
  ev_ts(s, "ts", o->ts);
  uint64_t dur = end > o->ts ? end - o->ts : 0;
  fprintf(s->out, ",\"dur\":%" PRIu64 ".%03" PRIu64, dur / 1000, dur % 1000);
  if (flow && !(s->flags & EXPORT_EVENTS_FLOWS_V1))
    fprintf(s->out, ",\"bind_id\":%" PRIu64 ",\"flow_in\":true", flow);
  fputs(",\"args\":{\"type\":", s->out);
  escape_json_string(s->out, type);
  fprintf(s->out, ",\"thread\":%" PRIu32, o->tid);
  if (o->matched) {
    fprintf(s->out, ",\"mailbox_wait_ns\":%" PRIu64 ",\"sender\":",
            o->ts > o->send.ts ? o->ts - o->send.ts : 0);
    ev_who(s, o->send.sender, o->send.tid);
  }
  if (how) {
    fputs(",\"end\":", s->out);
    escape_json_string(s->out, how);
  }
  fputs("}}", s->out);
  if (flow && (s->flags & EXPORT_EVENTS_FLOWS_V1))
    ev_flow_v1(s, "f", (int64_t)actor, o->ts, flow);
}

/* The open handler AT of the actor ends at END (HOW: why, when not by returning). */
static int ev_end_at(struct ev_state *s, struct ev_actor *a, uint32_t at, uint64_t end,
                     const char *how)
{
  struct ev_open taken = a->stack[at], *o = &taken;
  memmove(a->stack + at, a->stack + at + 1, (--a->depth - at) * sizeof *a->stack);
  uint64_t flow = 0;
  if (o->matched) {
    flow = ++s->flow_id;
    int rc = ev_write_send(s, &o->send, flow);
    if (rc < 0)
      return rc;
  }
  ev_write_handler(s, a->id, o, end, how, flow);
  return 0;
}

/* The innermost open handler of the actor ends at END. */
static int ev_end_one(struct ev_state *s, struct ev_actor *a, uint64_t end, const char *how)
{
  return ev_end_at(s, a, a->depth - 1, end, how);
}

static int ev_on_cancel(struct ev_state *s, const struct as_events_record *r)
{
  struct ev_actor *a = ev_actor(s, r->actor, 0);
  if (!a || !a->depth)
    return 0;
  struct ev_open *o = &a->stack[--a->depth];
  if (!o->matched)
    return 0;
  /* Left in the mailbox: a later handler takes it. */
  struct as_events_record again = {.time_ns = o->send.ts,
                                   .actor = o->send.receiver,
                                   .peer = o->send.sender,
                                   .msg = o->send.msg,
                                   .tid = o->send.tid};
  return ev_on_send(s, &again);
}

/* Why a handler's slice ends where no END said so: its END was never recorded. */
#define EV_CUT_OFF "cut: events went off while it ran (ctl events off, detach or exit)"
#define EV_CUT_LOST                                                                                \
  "cut: events were lost on its thread while it ran; it ended at an unknown time after this"

/* Ends at END the open handlers of every actor (TID 0) or those that began on thread TID, at
 * any depth (an actor that went on on another thread has begun one since): their ENDs are not
 * in the file, and an END after this must not close them. */
static int ev_cut(struct ev_state *s, uint32_t tid, uint64_t end, const char *how)
{
  for (size_t i = 0; i < s->actors.cap; i++) {
    struct ev_actor *a = ev_table_slot(&s->actors, i);
    for (uint32_t at = a->id ? a->depth : 0; at-- > 0;) {
      if (tid && a->stack[at].tid != tid)
        continue;
      int rc = ev_end_at(s, a, at, end < a->stack[at].ts ? a->stack[at].ts : end, how);
      if (rc < 0)
        return rc;
    }
  }
  return 0;
}

/* A process instant: recording went off or on. On the main thread's track, named (a viewer
 * shows a process instant across the process). */
static int ev_recording_mark(struct ev_state *s, const char *name, uint64_t ts)
{
  int rc = ev_thread_track(s, (uint32_t)s->pid);
  if (rc < 0)
    return rc;
  ev_open_event(s, "i", EV_THREAD_TRACK_BASE + s->pid);
  fprintf(s->out, ",\"name\":\"%s\",\"s\":\"p\",\"cat\":\"events\"", name);
  ev_ts(s, "ts", ts);
  fputc('}', s->out);
  return 0;
}

static int ev_on_pause(struct ev_state *s, const struct as_events_record *r)
{
  s->paused = 1;
  int rc = ev_recording_mark(s, "events off", r->time_ns);
  return rc < 0 ? rc : ev_cut(s, 0, r->time_ns, EV_CUT_OFF);
}

static int ev_on_resume(struct ev_state *s, const struct as_events_record *r)
{
  int rc = s->paused ? ev_recording_mark(s, "events on", r->time_ns) : 0;
  s->paused = 0;
  s->resumed_ns = r->time_ns;
  return rc;
}

static int ev_lost(struct ev_state *s, const struct as_events_record *r)
{
  /* On the thread's own track, named as a sender's is (it was "Thread 1000002574"). */
  int rc = ev_thread_track(s, r->tid);
  if (rc < 0)
    return rc;
  ev_open_event(s, "i", (int64_t)EV_THREAD_TRACK_BASE + r->tid);
  fputs(",\"name\":\"events lost\",\"s\":\"p\",\"cat\":\"events\"", s->out);
  ev_ts(s, "ts", r->time_ns);
  fprintf(s->out, ",\"args\":{\"records\":%" PRIu64 ",\"thread\":%" PRIu32 "}}", r->msg, r->tid);
  return 0;
}

static int ev_malformed(struct as_reader_error *err, const char *path, const char *why)
{
  err->code = -EINVAL;
  snprintf(err->text, sizeof err->text, "%s: %s", path, why);
  return -EINVAL;
}

static void ev_state_free(struct ev_state *s)
{
  for (size_t i = 0; s->types && i < EV_TYPES; i++)
    free(s->types[i]);
  free(s->types);
  for (size_t i = 0; i < s->actors.cap; i++)
    free(((struct ev_actor *)ev_table_slot(&s->actors, i))->stack);
  free(s->actors.slots);
  free(s->sends);
  free(s->threads.slots);
}

/* The end of the file: handlers still open end there, messages never taken are shown. */
static int ev_finish(struct ev_state *s)
{
  for (size_t i = 0; i < s->actors.cap; i++) {
    struct ev_actor *a = ev_table_slot(&s->actors, i);
    while (a->id && a->depth) {
      int rc = ev_end_one(s, a, s->last_ts, "still running at the end of the recording");
      if (rc < 0)
        return rc;
    }
  }
  for (size_t i = 0; i < s->sends_cap; i++) {
    if (!s->sends[i].receiver)
      continue;
    int rc = ev_write_send(s, &s->sends[i], 0);
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* A record of a runtime-internal actor the snapshots left out: a handler it ran, a message it
 * sent or was sent (report leaves out its pairs likewise). */
static int ev_hidden(const struct ev_state *s, const struct as_events_record *r)
{
  const struct actor_model_view *hidden = s->names ? s->names->hidden : NULL;
  if (!hidden || r->kind < AS_EV_BEGIN || r->kind > AS_EV_STOP)
    return 0; /* not an actor's: LOST, TYPE, PAUSE, RESUME, THREAD */
  return actor_model_view_hides(hidden, (int64_t)r->actor) ||
         (r->kind == AS_EV_SEND && r->peer && actor_model_view_hides(hidden, (int64_t)r->peer));
}

static int ev_record(struct ev_state *s, const struct as_events_record *r)
{
  if (r->time_ns > s->last_ts)
    s->last_ts = r->time_ns;
  if (ev_hidden(s, r))
    return 0;
  struct ev_actor *a;
  switch (r->kind) {
  case AS_EV_SEND: return r->actor ? ev_on_send(s, r) : 0;
  case AS_EV_SEND_UNDO: {
    struct ev_send *m = ev_send_find(s, r->actor, r->msg);
    if (m)
      ev_send_remove(s, m);
    return 0;
  }
  case AS_EV_BEGIN: return r->actor ? ev_on_begin(s, r) : 0;
  case AS_EV_END:
    a = ev_actor(s, r->actor, 0);
    return a && a->depth ? ev_end_one(s, a, r->time_ns, NULL) : 0;
  case AS_EV_CANCEL: return ev_on_cancel(s, r);
  case AS_EV_STOP:
    a = ev_actor(s, r->actor, 0);
    while (a && a->depth) {
      int rc = ev_end_one(s, a, r->time_ns, "the actor stopped");
      if (rc < 0)
        return rc;
    }
    return 0;
  case AS_EV_LOST: s->lost += r->msg; return ev_lost(s, r);
  case AS_EV_PAUSE: return ev_on_pause(s, r);
  case AS_EV_RESUME: return ev_on_resume(s, r);
  case AS_EV_GAP: return r->tid ? ev_cut(s, r->tid, r->time_ns, EV_CUT_LOST) : 0;
  case AS_EV_THREAD: {
    struct ev_thread *t = ev_thread(s, r->tid, 1);
    if (t)
      as_events_thread_name_get(r, t->name);
    return t || !r->tid ? 0 : -ENOMEM;
  }
  default: /* spawn: the snapshots' instants say it; kinds of later versions: skipped */ return 0;
  }
}

int export_events_write(FILE *out, const char *path, int64_t pid, int64_t offset_ns,
                        const struct export_events_names *names, unsigned flags, uint64_t *flow_id,
                        struct export_events_counts *counts, struct as_reader_error *err)
{
  *counts = (struct export_events_counts){0, 0};
  FILE *in = fopen(path, "rb");
  if (!in) {
    err->code = -errno;
    snprintf(err->text, sizeof err->text, "%s: %s", path, strerror(errno));
    return err->code;
  }
  struct as_events_header h;
  int rc = 0;
  if (fread(&h, sizeof h, 1, in) != 1 || memcmp(h.magic, AS_EVENTS_MAGIC, sizeof h.magic) != 0)
    rc = ev_malformed(err, path, "not an actorscope events file");
  else if (h.version != AS_EVENTS_VERSION)
    rc = ev_malformed(err, path, "an events file of another version");
  else if (h.record_size < sizeof(struct as_events_record) || h.record_size > 4096 ||
           h.record_size % 8)
    rc = ev_malformed(err, path, "an events file with records of an unknown size");
  if (rc < 0) {
    fclose(in);
    return rc;
  }
  struct ev_state s = {.out = out,
                       .pid = pid,
                       .offset_ns = offset_ns,
                       .names = names,
                       .actors = {.elem = sizeof(struct ev_actor)},
                       .threads = {.elem = sizeof(struct ev_thread)},
                       .flags = flags,
                       .flow_id = *flow_id};
  size_t size = h.record_size;
  char *block = malloc(EV_READ_RECORDS * size);
  s.types = calloc(EV_TYPES, sizeof *s.types);
  if (!block || !s.types) {
    free(block);
    free(s.types);
    fclose(in);
    err->code = -ENOMEM;
    snprintf(err->text, sizeof err->text, "out of memory");
    return -ENOMEM;
  }
  size_t n, skip = 0;
  struct as_events_record pending_type = {0};
  char name[AS_EV_TYPE_NAME_MAX + 1];
  size_t name_have = 0;
  while (rc == 0 && (n = fread(block, size, EV_READ_RECORDS, in)) > 0) {
    for (size_t i = 0; i < n && rc == 0; i++) {
      const char *raw = block + i * size;
      if (skip) {
        /* A type's name, 40 bytes a record (the record's own size: only its first 40 count). */
        size_t take = pending_type.msg - name_have < sizeof(struct as_events_record)
                          ? pending_type.msg - name_have
                          : sizeof(struct as_events_record);
        memcpy(name + name_have, raw, take);
        name_have += take;
        if (--skip == 0) {
          name[name_have] = '\0';
          if (strlen(name) != name_have)
            rc = ev_malformed(err, path, "a type name holds a NUL byte");
          else {
            free(s.types[pending_type.type]);
            if (!(s.types[pending_type.type] = strdup(name)))
              rc = -ENOMEM;
          }
        }
        continue;
      }
      struct as_events_record r;
      memcpy(&r, raw, sizeof r);
      counts->records++;
      if (r.kind == AS_EV_TYPE) {
        if (r.msg > AS_EV_TYPE_NAME_MAX) {
          rc = ev_malformed(err, path, "a type name longer than 63 bytes");
          break;
        }
        pending_type = r;
        name_have = 0;
        skip = (r.msg + sizeof r - 1) / sizeof r;
        if (!skip) {
          free(s.types[r.type]);
          s.types[r.type] = NULL;
        }
        continue;
      }
      if (r.time_ns > (uint64_t)INT64_MAX / 2) {
        rc = ev_malformed(err, path, "a time out of range");
        break;
      }
      rc = ev_record(&s, &r);
    }
  }
  if (rc == 0 && ferror(in))
    rc = -EIO;
  if (rc == 0)
    rc = ev_finish(&s);
  if (rc < 0 && err->code != rc) {
    err->code = rc;
    snprintf(err->text, sizeof err->text, "%s: %s", path,
             rc == -ENOMEM ? "out of memory" : strerror(-rc));
  }
  counts->lost = s.lost;
  *flow_id = s.flow_id;
  free(block);
  ev_state_free(&s);
  fclose(in);
  return rc < 0 ? rc : 0;
}
