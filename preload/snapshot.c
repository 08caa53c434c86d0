#include "snapshot.h"
#include "symcache.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const snapshot_status_names[] = {"starting", "running", "stopping", "stopped"};
static const char *const snapshot_wait_names[] = {"none", "reply", "signal"};

void as_snapshot_format_time(uint64_t wall_ns, char out[32])
{
  time_t secs = (time_t)(wall_ns / 1000000000u);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char date[24];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, 32, "%s.%03uZ", date, (unsigned)(wall_ns / 1000000u % 1000u));
}

static json_t *snapshot_time(uint64_t wall_ns)
{
  char text[32];
  as_snapshot_format_time(wall_ns, text);
  return json_string(text);
}

char *as_snapshot_encode_header(const struct as_header_info *h)
{
  json_t *argv = json_array();
  for (size_t i = 0; i < h->argc; i++)
    json_array_append_new(argv, json_string(h->argv[i]));
  json_t *root = json_pack("{s:s, s:s, s:i, s:I, s:s, s:o, s:o, s:I, s:{s:I, s:I, s:I}}",
                           "type", "header", "format", AS_FORMAT_NAME, "version",
                           AS_FORMAT_VERSION, "pid", (json_int_t)h->pid, "program",
                           h->program ? h->program : "", "argv", argv, "started_at",
                           snapshot_time(h->started_wall_ns), "started_at_ns",
                           (json_int_t)h->started_wall_ns, "config", "interval_ms",
                           (json_int_t)h->interval_ms, "grave_ms", (json_int_t)h->grave_ms,
                           "stack_depth", (json_int_t)h->stack_depth);
  char *line = root ? json_dumps(root, JSON_COMPACT) : NULL;
  json_decref(root);
  return line;
}

/* The symbol of the actor's code when it has one (the most specific name), else the name the
 * runtime gave it. */
static const char *snapshot_actor_name(const struct as_actor_view *v)
{
  const char *name = v->name_addr ? as_symcache_function(v->name_addr) : NULL;
  if (name)
    return name;
  return v->name[0] ? v->name : "<unknown>";
}

struct snapshot_type_row {
  const char *name;
  uint64_t count;
};

static int snapshot_type_row_cmp(const void *a, const void *b)
{
  const struct snapshot_type_row *x = a, *y = b;
  if (x->count != y->count)
    return x->count < y->count ? 1 : -1;
  return strcmp(x->name, y->name);
}

static json_t *snapshot_message_types(const struct as_actor_view *v)
{
  struct snapshot_type_row rows[AS_ACTOR_TYPE_SLOTS + 1];
  size_t n = 0;
  for (int i = 0; i < AS_ACTOR_TYPE_SLOTS; i++)
    if (v->type_ids[i] && v->type_counts[i])
      rows[n++] = (struct snapshot_type_row){as_typetab_name(v->type_ids[i]), v->type_counts[i]};
  if (v->other_types)
    rows[n++] = (struct snapshot_type_row){AS_TYPE_OVERFLOW_NAME, v->other_types};
  qsort(rows, n, sizeof rows[0], snapshot_type_row_cmp);
  json_t *out = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(out, json_pack("{s:s, s:I}", "name", rows[i].name, "count",
                                         (json_int_t)rows[i].count));
  return out;
}

static json_t *snapshot_spawn_site(const struct as_actor_view *v)
{
  json_t *out = json_array();
  for (uint32_t i = 0; i < v->spawn_frame_count; i++)
    json_array_append_new(out, json_string(as_symcache_frame(v->spawn_frames[i])));
  return out;
}

/* Nanoseconds from `then` to `now`, both in clock ticks. */
static uint64_t snapshot_since(uint64_t now, uint64_t then)
{
  return now > then ? as_clock_ticks_to_ns(now - then) : 0;
}

static json_t *snapshot_handling(const struct as_actor_view *v, uint64_t now)
{
  if (v->handling_type == AS_TYPE_NONE)
    return json_null();
  return json_pack("{s:s, s:I}", "type", as_typetab_name(v->handling_type), "elapsed_ns",
                   (json_int_t)snapshot_since(now, v->handling_since));
}

static json_t *snapshot_waiting(const struct as_actor_view *v, uint64_t now)
{
  if (v->wait_target == 0)
    return json_null();
  int kind = v->wait_kind >= 0 && v->wait_kind <= AS_WAIT_SIGNAL ? v->wait_kind : AS_WAIT_NONE;
  return json_pack("{s:I, s:s, s:I}", "target", (json_int_t)v->wait_target, "kind",
                   snapshot_wait_names[kind], "elapsed_ns",
                   (json_int_t)snapshot_since(now, v->wait_since));
}

static json_t *snapshot_stopped(const struct as_actor_view *v, const struct as_snapshot_info *info)
{
  if (v->status != AS_STATUS_STOPPED)
    return json_null();
  return json_pack("{s:I, s:s}", "at_ns",
                   (json_int_t)snapshot_since(v->stopped_at, info->start_ticks), "reason",
                   v->stop_reason);
}

/* Views sorted by (parent, id) let each actor find its children by binary search. */
struct snapshot_family {
  const struct as_actor_view **by_parent;
  size_t count;
};

static int snapshot_by_parent_cmp(const void *a, const void *b)
{
  const struct as_actor_view *x = *(const struct as_actor_view *const *)a;
  const struct as_actor_view *y = *(const struct as_actor_view *const *)b;
  if (x->parent_id != y->parent_id)
    return x->parent_id < y->parent_id ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static json_t *snapshot_children(const struct snapshot_family *f, uint64_t id)
{
  json_t *out = json_array();
  size_t lo = 0, hi = f->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (f->by_parent[mid]->parent_id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i < f->count && f->by_parent[i]->parent_id == id; i++)
    json_array_append_new(out, json_integer((json_int_t)f->by_parent[i]->id));
  return out;
}

static json_t *snapshot_ids(const uint64_t *ids, size_t count)
{
  json_t *out = json_array();
  for (size_t i = 0; i < count; i++)
    json_array_append_new(out, json_integer((json_int_t)ids[i]));
  return out;
}

/* Members only some runtimes fill: added when present, so CZMQ actors carry none of them. */
static void snapshot_runtime_members(json_t *actor, const struct as_actor_view *v,
                                     const struct as_registry_collection *c)
{
  if (v->runtime_id) {
    json_object_set_new(actor, "runtime_id", json_integer((json_int_t)v->runtime_id));
    json_object_set_new(actor, "runtime_scope", json_integer((json_int_t)v->runtime_scope));
  }
  if (v->has_refs)
    json_object_set_new(actor, "refs", json_pack("{s:I, s:I}", "strong",
                                                 (json_int_t)v->strong_refs, "weak",
                                                 (json_int_t)v->weak_refs));
  json_object_set_new(actor, "links", snapshot_ids(c->ids + v->links_at, v->link_count));
  json_object_set_new(actor, "monitors", snapshot_ids(c->ids + v->monitors_at, v->monitor_count));
}

static json_t *snapshot_actor(const struct as_actor_view *v, const struct snapshot_family *family,
                              const struct as_snapshot_info *info)
{
  uint64_t now = info->now_ticks;
  uint64_t mailbox_len = v->enqueued > v->received ? v->enqueued - v->received : 0;
  uint64_t outbox_len = v->replies > v->replies_taken ? v->replies - v->replies_taken : 0;
  int status = v->status >= 0 && v->status <= AS_STATUS_STOPPED ? v->status : AS_STATUS_RUNNING;
  json_t *parent = v->parent_id ? json_integer((json_int_t)v->parent_id) : json_null();
  return json_pack(
      "{s:I, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o,"
      " s:{s:s, s:I, s:I, s:I}, s:{s:I},"
      " s:{s:I, s:I, s:I, s:I, s:I},"
      " s:{s:I, s:I}, s:o, s:o, s:o}",
      "id", (json_int_t)v->id, "name", snapshot_actor_name(v), "runtime", v->runtime, "status",
      snapshot_status_names[status], "spawned_at_ns",
      (json_int_t)snapshot_since(v->spawned_at, info->start_ticks), "spawn_site",
      snapshot_spawn_site(v), "parent", parent, "children", snapshot_children(family, v->id),
      "stopped", snapshot_stopped(v, info),
      "mailbox", "kind", "unbounded", "len", (json_int_t)mailbox_len, "max",
      (json_int_t)v->mailbox_max, "enqueued", (json_int_t)v->enqueued,
      "outbox", "len", (json_int_t)outbox_len,
      "counters", "messages_received", (json_int_t)v->received, "messages_sent",
      (json_int_t)v->sent, "replies", (json_int_t)v->replies, "handled", (json_int_t)v->handled,
      "exceptions", (json_int_t)v->exceptions,
      "handler_ns", "total", (json_int_t)as_clock_ticks_to_ns(v->handler_ticks_total), "max",
      (json_int_t)as_clock_ticks_to_ns(v->handler_ticks_max),
      "handling", snapshot_handling(v, now), "waiting_on", snapshot_waiting(v, now),
      "message_types", snapshot_message_types(v));
}

static json_t *snapshot_deadlocks(const struct as_waitgraph_cycles *cycles,
                                  const struct as_registry_collection *c)
{
  json_t *out = json_array();
  for (size_t i = 0; cycles && i < cycles->cycle_count; i++) {
    json_t *ids = json_array(), *names = json_array();
    for (size_t k = 0; k < cycles->lengths[i]; k++) {
      uint64_t id = cycles->members[cycles->starts[i] + k];
      json_array_append_new(ids, json_integer((json_int_t)id));
      const char *name = "<unknown>";
      for (size_t a = 0; a < c->count; a++)
        if (c->views[a].id == id)
          name = snapshot_actor_name(&c->views[a]);
      json_array_append_new(names, json_string(name));
    }
    json_array_append_new(out, json_pack("{s:o, s:o}", "actors", ids, "names", names));
  }
  return out;
}

static json_t *snapshot_diagnostics(const struct as_snapshot_info *info)
{
  json_t *out = json_array();
  for (size_t i = 0; i < info->diagnostic_count; i++)
    json_array_append_new(out, json_pack("{s:s, s:s}", "code", info->diagnostics[i].code,
                                         "message", info->diagnostics[i].text));
  return out;
}

static int snapshot_by_id_cmp(const void *a, const void *b)
{
  const struct as_actor_view *x = *(const struct as_actor_view *const *)a;
  const struct as_actor_view *y = *(const struct as_actor_view *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

char *as_snapshot_encode(const struct as_registry_collection *c,
                         const struct as_waitgraph_cycles *deadlocks,
                         const struct as_snapshot_info *info)
{
  const struct as_actor_view **by_id = malloc((c->count + 1) * sizeof *by_id);
  const struct as_actor_view **by_parent = malloc((c->count + 1) * sizeof *by_parent);
  if (!by_id || !by_parent) {
    free(by_id);
    free(by_parent);
    return NULL;
  }
  for (size_t i = 0; i < c->count; i++)
    by_id[i] = by_parent[i] = &c->views[i];
  qsort(by_id, c->count, sizeof *by_id, snapshot_by_id_cmp);
  qsort(by_parent, c->count, sizeof *by_parent, snapshot_by_parent_cmp);
  struct snapshot_family family = {by_parent, c->count};

  json_t *actors = json_array();
  for (size_t i = 0; i < c->count; i++) {
    json_t *actor = snapshot_actor(by_id[i], &family, info);
    snapshot_runtime_members(actor, by_id[i], c);
    json_array_append_new(actors, actor);
  }
  json_t *root = json_pack(
      "{s:s, s:I, s:o, s:I, s:I, s:b, s:{s:I, s:I, s:I, s:I}, s:o, s:o, s:o}", "type", "snapshot",
      "seq", (json_int_t)info->seq, "captured_at", snapshot_time(info->wall_ns), "captured_at_ns",
      (json_int_t)info->wall_ns, "uptime_ns", (json_int_t)info->uptime_ns, "final", info->final,
      "totals", "alive", (json_int_t)c->totals.alive, "total_spawned",
      (json_int_t)c->totals.total_spawned, "total_stopped", (json_int_t)c->totals.total_stopped,
      "messages_received", (json_int_t)c->totals.messages_received, "deadlocks",
      snapshot_deadlocks(deadlocks, c), "diagnostics", snapshot_diagnostics(info), "actors",
      actors);
  const struct as_snapshot_cost *cost = info->last_cost;
  if (root)
    json_object_set_new(root, "last_cost",
                        cost ? json_pack("{s:I, s:I, s:I, s:I}", "collect_ns",
                                         (json_int_t)cost->collect_ns, "encode_ns",
                                         (json_int_t)cost->encode_ns, "write_ns",
                                         (json_int_t)cost->write_ns, "bytes",
                                         (json_int_t)cost->bytes)
                             : json_null());
  free(by_id);
  free(by_parent);
  char *line = root ? json_dumps(root, JSON_COMPACT) : NULL;
  json_decref(root);
  return line;
}
