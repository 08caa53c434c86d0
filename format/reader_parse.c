/* yajl's SAX events into typed records (reader_private.h): each value is checked against its
 * member in the table of the object it is in (type, range, nullable), stored where the table
 * says, and each object's end checks that its required members came. */
#define _GNU_SOURCE
#include "reader_private.h"
#include "reader_ended.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "histogram.h"

int reader_fail(struct as_reader *r, int code, const char *fmt, ...)
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

void reader_where(struct as_reader *r, char *out, size_t len)
{
  size_t used = 0;
  int actor = -1;
  for (int i = 0; i < r->depth; i++)
    if (r->stack[i].kind == K_ACTOR || r->stack[i].kind == K_ENDED)
      actor = i;
  if (actor >= 0) {
    const struct as_rec_actor *a = (const struct as_rec_actor *)r->stack[actor].base;
    if (a->id > 0)
      used += (size_t)snprintf(out, len, "actor #%lld: ", (long long)a->id);
    else
      used += (size_t)snprintf(out, len,
                               "actor %zu (its id not yet read): ", r->stack[actor - 1].index - 1);
  }
  used += (size_t)snprintf(out + used, used < len ? len - used : 0, "member '");
  for (int i = actor >= 0 ? actor : 0; i < r->depth && used < len; i++) {
    const struct frame *f = &r->stack[i];
    if (f->kind < K_ARRAY && f->member)
      used += (size_t)snprintf(out + used, len - used, "%s%s",
                               i > (actor >= 0 ? actor : 0) ? "." : "", f->member->key);
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

int reader_nomem(struct as_reader *r)
{
  if (r->account.over)
    reader_fail(r, -ENOBUFS,
                "the line needs more memory than is left of the budget all sources "
                "share (%zu MiB; %zu actors into this line): it is dropped",
                r->account.budget->limit >> 20, r->elements[K_ACTOR].n);
  else
    reader_fail(r, -ENOMEM, "out of memory (%zu actors into this line)", r->elements[K_ACTOR].n);
  return 0;
}

/* A string as UTF-8 (format/utf8.h): what yajl lets through ill-formed is mended. */
static char *reader_strdup(struct as_reader *r, const unsigned char *s, size_t n)
{
  size_t bad = as_utf8_bad_count(s, n);
  char *copy = reader_arena_alloc(&r->arena, n + 2 * bad + 1);
  if (!copy)
    return NULL;
  if (bad)
    n = as_utf8_mend(s, n, copy);
  else
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
  int type; /* for an array element: V_STR, V_ID, V_OBJ or V_STRS */
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
    int64_t *slot = reader_vec_push(&r->ids);
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
      const char **slot = reader_vec_push(&r->strs);
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
  default: return reader_type_error(r, e.type, e.nullable, "a string");
  }
}

static int reader_on_map_key(void *ctx, const unsigned char *key, size_t n)
{
  struct as_reader *r = ctx;
  if (reader_skipping(r, 0, 0))
    return !r->failed;
  struct frame *f = reader_top(r);
  const struct member *m = reader_member_find(f->kind, f->member, key, n);
  if (!m) {
    r->skip_pending = 1; /* unknown members are ignored, as the format promises */
    return 1;
  }
  uint64_t bit = reader_member_bit(f->kind, m);
  f->member = m;
  if (f->seen & bit) {
    char where[300];
    reader_where(r, where, sizeof where);
    return reader_fail(r, -EPROTO, "%s appears twice", where), 0;
  }
  f->seen |= bit;
  return 1;
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
    char *element = reader_vec_push(&r->elements[e.child]);
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
  const struct member *table = reader_kinds[f->kind].members;
  if (f->kind == K_LINE)
    return 1; /* a header's and a snapshot's needs differ: checked at the line's end */
  uint64_t missing = reader_members_with(f->kind, M_REQUIRED) & ~f->seen;
  if (r->header.version >= 5) /* left out at their defaults, filled in at the object's end */
    missing &= ~reader_members_with(f->kind, M_DEFAULT);
  if (!missing)
    return 1;
  f->member = &table[__builtin_ctzll(missing)];
  char where[300];
  reader_where(r, where, sizeof where);
  return reader_fail(r, -EPROTO, "%s is missing", where), 0;
}

/* "actors" and "ended" are each sorted by id, each id once. Returns 1, or 0 (failed). */
static int reader_actor_in_order(struct as_reader *r, const struct as_rec_actor *a,
                                 const char *what, const char *order)
{
  if (a->id <= r->last_actor_id)
    return reader_fail(r, -EPROTO, "%s #%lld is listed %s%s%s", what, (long long)a->id,
                       a->id == r->last_actor_id ? "twice" : "out of order (",
                       a->id == r->last_actor_id ? "" : order,
                       a->id == r->last_actor_id ? "" : ")"),
           0;
  r->last_actor_id = a->id;
  return 1;
}

static int reader_end_actor(struct as_reader *r, struct as_rec_actor *a, uint64_t seen)
{
  /* The origin members a delta may leave out: all of them or none (from version 5 a null
   * parent is left out with the others written). */
  uint64_t all = reader_members_with(K_ACTOR, M_ORIGIN), origin = seen & all;
  uint64_t needed = r->header.version >= 5 ? all & ~reader_members_with(K_ACTOR, M_DEFAULT) : all;
  if (origin && (origin & needed) != needed) {
    const struct member *m = &reader_kinds[K_ACTOR].members[__builtin_ctzll(needed & ~origin)];
    return reader_fail(r, -EPROTO, "actor #%lld: member '%s' is missing", (long long)a->id, m->key),
           0;
  }
  a->has_origin = origin != 0;
  if (!reader_actor_in_order(r, a, "actor", "actors are sorted by id"))
    return 0;
  if (r->header.version >= 5)
    as_actor_defaults_complete(a, seen);
  as_rec_actor_derive(a);
  return 1;
}

/* An ended actor: what its compact form implies; sorted by id like actors. */
static int reader_end_ended(struct as_reader *r, struct as_rec_actor *a, uint64_t seen)
{
  as_ended_complete(a, seen);
  return reader_actor_in_order(r, a, "ended actor", "sorted by id");
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
  if (f->kind == K_ENDED && !reader_end_ended(r, (struct as_rec_actor *)f->base, f->seen))
    return 0;
  if (f->kind == K_HANDLER && r->header.version >= 5)
    as_handler_defaults_complete((struct as_rec_actor *)f->base, f->seen);
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
    struct as_rec_site *site = reader_vec_push(&r->sites);
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
  if (e.type == V_OBJS && reader_kinds[m->child].per_owner)
    r->elements[m->child].n = 0;
  if (e.type == V_OBJS && (m->child == K_ENDED || m->child == K_ACTOR))
    r->last_actor_id = 0; /* "actors" and "ended": each sorted on its own */
  return 1;
}

/* Moves the elements gathered in a scratch vector since MARK into the arena. */
static void *reader_settle(struct as_reader *r, struct reader_vec *v, size_t mark, size_t *count)
{
  *count = v->n - mark;
  void *out = reader_arena_alloc(&r->arena, *count * v->elem + 1);
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
  const struct as_rec_peer *p = r->elements[K_PEER].data;
  for (size_t i = 0; i < r->elements[K_PEER].n; i++)
    if ((p[i].to != 0) + (p[i].to_thread != NULL) + (p[i].from_thread != NULL) != 1) {
      reader_pair_error(r, "objects with one of " AS_M_TO ", " AS_M_TO_THREAD
                           " and " AS_M_FROM_THREAD);
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
  case V_SITES:
    items = r->sites.data;
    count = r->sites.n;
    break;
  default: /* V_OBJS */
    if (m->child == K_PEER && !reader_check_peers(r))
      return 0;
    if (reader_kinds[m->child].per_owner) {
      items = reader_settle(r, &r->elements[m->child], 0, &count);
    } else {
      items = r->elements[m->child].data;
      count = r->elements[m->child].n;
    }
  }
  if (!items && count)
    return reader_nomem(r);
  FIELD(f->owner, m->off, void *) = items;
  FIELD(f->owner, m->off2, size_t) = count;
  r->depth--;
  return 1;
}

const yajl_callbacks reader_callbacks = {
    reader_on_null,
    reader_on_boolean,
    reader_on_integer,
    reader_on_double,
    NULL,
    reader_on_string,
    reader_on_start_map,
    reader_on_map_key,
    reader_on_end_map,
    reader_on_start_array,
    reader_on_end_array,
};
