/* Which members a snapshot file must have, member by member: a line holding every member the
 * format documents is read; the same line without one member fails naming it when the member
 * is required, and is read when it is not. The list below is the contract (the format's), kept
 * apart from the reader's tables: a table whose "required" column lost a member, or whose rows
 * were reordered while something still pointed into it by position, fails here. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

static const char header_v2[] =
    "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":2,\"pid\":7,\"program\":\"/bin/p\","
    "\"argv\":[\"p\"],\"started_at\":\"2026-11-24T06:00:00.000Z\",\"started_at_ns\":1,"
    "\"config\":{\"interval_ms\":100,\"grave_ms\":5000,\"stack_depth\":2}}";

static const char header_v3[] =
    "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":3,\"pid\":7,\"program\":\"/bin/p\","
    "\"argv\":[\"p\"],\"started_at\":\"2026-11-24T06:00:00.000Z\",\"started_at_ns\":1,"
    "\"config\":{\"interval_ms\":100,\"grave_ms\":5000,\"stack_depth\":2}}";

/* One actor with every member the format has, objects that may be null filled in. */
#define FULL_ACTOR                                                                                 \
  "{\"id\":1,\"name\":\"w\",\"full_name\":\"ns::w\",\"runtime\":\"caf\",\"status\":\"running\","   \
  "\"spawned_at_ns\":5,\"spawn_site\":null,\"parent\":null,\"children\":[],\"links\":[],"          \
  "\"monitors\":[],\"internal\":true,\"attached_late\":true,\"runtime_id\":1,"                     \
  "\"runtime_scope\":2,\"refs\":{\"strong\":1,\"weak\":1},"                                        \
  "\"stopped\":{\"at_ns\":9,\"reason\":\"normal\"},"                                               \
  "\"mailbox\":{\"kind\":\"unbounded\",\"len\":0,\"max\":3,\"enqueued\":4},"                       \
  "\"outbox\":{\"len\":0},"                                                                        \
  "\"counters\":{\"messages_received\":4,\"messages_sent\":1,\"replies\":0,\"handled\":4,"         \
  "\"exceptions\":0},\"handler_ns\":{\"total\":9,\"max\":8},"                                      \
  "\"handler_histogram\":[[5,4]],\"mailbox_wait_histogram\":[[2,1]],"                              \
  "\"handling\":{\"type\":\"ping\",\"elapsed_ns\":6,\"since_ns\":1,\"stack\":[\"f+0x1 (x)\"],"     \
  "\"stack_source\":\"syscall\",\"stack_complete\":true},"                                         \
  "\"stuck\":{\"type\":\"ping\",\"since_ns\":1,\"handler_ns\":6,\"running\":true,"                 \
  "\"on_cpu\":false,\"cpu_ns\":0,\"cpu_window_ns\":0,\"stack_source\":\"syscall\","                \
  "\"stack_complete\":true,\"stack_end\":\"outermost\",\"stack\":[\"f+0x1 (x)\"]},"                \
  "\"waiting_on\":{\"target\":1,\"kind\":\"reply\",\"elapsed_ns\":3,\"since_ns\":2},"              \
  "\"message_types\":[{\"name\":\"ping\",\"count\":4}],"                                           \
  "\"sockets\":[{\"kind\":\"ROUTER\",\"endpoint\":\"tcp://127.0.0.1:5555\",\"received\":3,"        \
  "\"sent\":2,\"depth\":1,\"max\":2}]}"

static const char full_keyframe[] =
    "{\"type\":\"snapshot\",\"seq\":0,\"captured_at\":\"2026-11-24T06:00:01.000Z\","
    "\"captured_at_ns\":1,\"uptime_ns\":100,\"final\":false,\"ended_by\":null,"
    "\"signal\":null,\"totals\":{\"alive\":1,\"total_spawned\":1,\"total_stopped\":0,"
    "\"messages_received\":4,\"received_all\":7},"
    "\"deadlocks\":[{\"actors\":[1],\"names\":[\"w\"]}],"
    "\"diagnostics\":[{\"code\":\"c\",\"message\":\"m\"}],"
    "\"last_cost\":{\"collect_ns\":1,\"encode_ns\":1,\"write_ns\":1,\"bytes\":1},"
    "\"spawn_sites\":[[\"f+0x1 (x)\"]],\"tick_fs\":385190,\"actors\":[" FULL_ACTOR "]}";

/* Version 3: an actor that lived and died between two lines, with every member its compact form
 * has (FORMAT.md, "Ended actors"). */
static const char full_ended_keyframe[] =
    "{\"type\":\"snapshot\",\"seq\":0,\"uptime_ns\":100,\"final\":false,"
    "\"totals\":{\"alive\":0,\"total_spawned\":1,\"total_stopped\":1,\"messages_received\":4},"
    "\"actors\":[],\"ended\":[{\"id\":3,\"name\":\"w\",\"full_name\":\"ns::w\","
    "\"internal\":true,\"runtime\":\"caf\",\"attached_late\":true,\"spawned_at_ns\":5,"
    "\"spawn_site\":0,\"parent\":1,\"stopped_at_ns\":9,\"reason\":\"normal\",\"enqueued\":4,"
    "\"mailbox_max\":3,\"outbox_len\":1,\"messages_received\":4,\"messages_sent\":1,"
    "\"replies\":1,\"handled\":4,\"exceptions\":1,\"handler_total_ns\":9,\"handler_max_ns\":8,"
    "\"handler_histogram\":[[5,4]],\"mailbox_wait_histogram\":[[2,1]],"
    "\"stuck\":{\"type\":\"ping\",\"since_ns\":1,\"handler_ns\":6},"
    "\"message_types\":[{\"name\":\"ping\",\"count\":4}],"
    "\"peers\":[{\"to_thread\":\"main\",\"count\":1}],\"peers_other\":2,"
    "\"runtime_id\":3,\"runtime_scope\":1}],\"spawn_sites\":[[\"f+0x1 (x)\"]]}";

/* The format's contract: every member of a snapshot line, by path ("actors.0.counters" is the
 * first actor's counters), and whether a reader must refuse a line without it. */
struct member_case {
  char path[48];
  int required;
};

static const struct member_case keyframe_members[] = {
    {"seq", 1},
    {"uptime_ns", 1},
    {"final", 1},
    {"totals", 1},
    {"actors", 1},
    {"captured_at", 0},
    {"captured_at_ns", 0},
    {"ended_by", 0},
    {"signal", 0},
    {"deadlocks", 0},
    {"diagnostics", 0},
    {"last_cost", 0},
    {"spawn_sites", 0},
    {"tick_fs", 0},
    {"totals.alive", 1},
    {"totals.total_spawned", 1},
    {"totals.total_stopped", 1},
    {"totals.messages_received", 1},
    {"totals.received_all", 0},
    {"deadlocks.0.actors", 1},
    {"deadlocks.0.names", 0},
    {"diagnostics.0.code", 0},
    {"diagnostics.0.message", 0},
    {"last_cost.collect_ns", 0},
    {"last_cost.encode_ns", 0},
    {"last_cost.write_ns", 0},
    {"last_cost.bytes", 0},
    /* an actor: what every command reads, and in a keyframe its origin */
    {"actors.0.id", 1},
    {"actors.0.name", 1},
    {"actors.0.status", 1},
    {"actors.0.stopped", 1},
    {"actors.0.mailbox", 1},
    {"actors.0.counters", 1},
    {"actors.0.handler_ns", 1},
    {"actors.0.handling", 1},
    {"actors.0.message_types", 1},
    {"actors.0.runtime", 1},
    {"actors.0.spawned_at_ns", 1},
    {"actors.0.parent", 1},
    {"actors.0.full_name", 0},
    {"actors.0.spawn_site", 0},
    {"actors.0.children", 0},
    {"actors.0.links", 0},
    {"actors.0.monitors", 0},
    {"actors.0.internal", 0},
    {"actors.0.attached_late", 0},
    {"actors.0.runtime_id", 0},
    {"actors.0.runtime_scope", 0},
    {"actors.0.refs", 0},
    {"actors.0.outbox", 0},
    {"actors.0.handler_histogram", 0},
    {"actors.0.mailbox_wait_histogram", 0},
    {"actors.0.stuck", 0},
    {"actors.0.waiting_on", 0},
    {"actors.0.sockets", 0},
    {"actors.0.refs.strong", 1},
    {"actors.0.refs.weak", 1},
    {"actors.0.stopped.at_ns", 1},
    {"actors.0.stopped.reason", 1},
    {"actors.0.mailbox.len", 1},
    {"actors.0.mailbox.max", 1},
    {"actors.0.mailbox.enqueued", 1},
    {"actors.0.mailbox.kind", 0},
    {"actors.0.outbox.len", 1},
    {"actors.0.counters.messages_received", 1},
    {"actors.0.counters.messages_sent", 1},
    {"actors.0.counters.handled", 1},
    {"actors.0.counters.exceptions", 1},
    {"actors.0.counters.replies", 0},
    {"actors.0.handler_ns.total", 1},
    {"actors.0.handler_ns.max", 1},
    {"actors.0.handling.type", 1},
    {"actors.0.handling.elapsed_ns", 1},
    {"actors.0.handling.since_ns", 0},
    {"actors.0.handling.stack", 0},
    {"actors.0.handling.stack_source", 0},
    {"actors.0.handling.stack_complete", 0},
    {"actors.0.stuck.type", 1},
    {"actors.0.stuck.since_ns", 1},
    {"actors.0.stuck.handler_ns", 1},
    {"actors.0.stuck.running", 0},
    {"actors.0.stuck.on_cpu", 0},
    {"actors.0.stuck.cpu_ns", 0},
    {"actors.0.stuck.cpu_window_ns", 0},
    {"actors.0.stuck.stack_source", 0},
    {"actors.0.stuck.stack_complete", 0},
    {"actors.0.stuck.stack_end", 0},
    {"actors.0.stuck.stack", 0},
    {"actors.0.waiting_on.target", 1},
    {"actors.0.waiting_on.kind", 1},
    {"actors.0.waiting_on.elapsed_ns", 1},
    {"actors.0.waiting_on.since_ns", 0},
    {"actors.0.message_types.0.name", 1},
    {"actors.0.message_types.0.count", 1},
    {"actors.0.sockets.0.kind", 1},
    {"actors.0.sockets.0.received", 1},
    {"actors.0.sockets.0.sent", 1},
    {"actors.0.sockets.0.endpoint", 0},
    {"actors.0.sockets.0.depth", 0},
    {"actors.0.sockets.0.max", 0},
};

/* A delta line leaves out all that did not change: only its seq and uptime are required, and
 * an actor an earlier line described comes without its origin. */
static const struct member_case delta_members[] = {
    {"seq", 1},
    {"uptime_ns", 1},
    {"final", 0},
    {"totals", 0},
    {"actors", 0},
    {"deadlocks", 0},
    {"diagnostics", 0},
    {"tick_fs", 0},
    {"spawn_sites", 0},
    {"actors.0.id", 1},
    {"actors.0.counters", 1},
    {"actors.0.handling.type", 1},
};

/* An ended actor: what its full object requires, flat (origin included: it is described once),
 * and what that object leaves optional or the compact form leaves out when 0. */
static const struct member_case ended_members[] = {
    {"ended.0.id", 1},
    {"ended.0.name", 1},
    {"ended.0.runtime", 1},
    {"ended.0.spawned_at_ns", 1},
    {"ended.0.stopped_at_ns", 1},
    {"ended.0.reason", 1},
    {"ended.0.enqueued", 1},
    {"ended.0.mailbox_max", 1},
    {"ended.0.messages_received", 1},
    {"ended.0.messages_sent", 0}, /* version 4: 0 when absent */
    {"ended.0.handled", 1},
    {"ended.0.handler_total_ns", 1},
    {"ended.0.handler_max_ns", 0}, /* version 4: handler_total_ns when absent */
    {"ended.0.message_types", 1},
    {"ended.0.full_name", 0},
    {"ended.0.internal", 0},
    {"ended.0.attached_late", 0},
    {"ended.0.spawn_site", 0},
    {"ended.0.parent", 0},
    {"ended.0.outbox_len", 0},
    {"ended.0.replies", 0},
    {"ended.0.exceptions", 0},
    {"ended.0.handler_histogram", 0},
    {"ended.0.mailbox_wait_histogram", 0},
    {"ended.0.stuck", 0},
    {"ended.0.peers", 0},
    {"ended.0.peers_other", 0},
    {"ended.0.runtime_id", 0},
    {"ended.0.runtime_scope", 0},
    {"ended.0.stuck.type", 1},
    {"ended.0.message_types.0.count", 1},
    {"ended.0.peers.0.count", 1},
};

/* LINE (JSON) without the member at PATH, as one line of text (malloc()ed). */
static char *without(const char *line, const char *path)
{
  json_error_t jerr;
  json_t *root = json_loads(line, 0, &jerr);
  cr_assert_not_null(root, "the test's own line: %s", jerr.text);
  char copy[64];
  snprintf(copy, sizeof copy, "%s", path);
  json_t *at = root;
  char *key = copy, *dot;
  while ((dot = strchr(key, '.'))) {
    *dot = '\0';
    at = json_is_array(at) ? json_array_get(at, strtoul(key, NULL, 10)) : json_object_get(at, key);
    cr_assert_not_null(at, "no %s in the test's line", path);
    key = dot + 1;
  }
  cr_assert(json_object_get(at, key), "no %s in the test's line", path);
  json_object_del(at, key);
  char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(root);
  return text;
}

/* Reads LINES (after the header) from a file. Returns snapshots read, or the error. */
static int read_lines_after(const char *header, const char *lines, struct as_reader_error *err)
{
  char path[] = "/tmp/actorscope-members-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "%s\n%s", header, lines);
  fclose(f);
  struct as_reader *r;
  int rc = as_reader_open(&r, path, NULL, err);
  int n = 0;
  const struct as_rec_snapshot *s;
  if (rc == 0) {
    while ((rc = as_reader_next(r, &s, err)) > 0)
      n++;
    as_reader_close(r);
  }
  unlink(path);
  return rc < 0 ? rc : n;
}

static int read_lines(const char *lines, struct as_reader_error *err)
{
  return read_lines_after(header_v2, lines, err);
}

/* The last key of PATH, as the reader's message quotes it. */
static const char *leaf(const char *path)
{
  const char *dot = strrchr(path, '.');
  return dot ? dot + 1 : path;
}

static void expect_member_after(const char *header, const char *before, const char *line,
                                const char *after, const struct member_case *c, const char *kind)
{
  char *cut = without(line, c->path);
  char *text = NULL;
  cr_assert(asprintf(&text, "%s%s\n%s", before, cut, after) > 0);
  struct as_reader_error err = {0};
  int rc = read_lines_after(header, text, &err);
  if (c->required) {
    cr_expect_eq(rc, -EPROTO, "a %s without %s must be refused (read: %d)", kind, c->path, rc);
    cr_expect(strstr(err.text, leaf(c->path)) &&
                  (strstr(err.text, "missing") || strstr(err.text, "lacks")),
              "a %s without %s: the error names it: %s", kind, c->path, err.text);
  } else {
    cr_expect_geq(rc, 1, "a %s without %s must be read: %s", kind, c->path, err.text);
  }
  free(text);
  free(cut);
}

static void expect_member(const char *before, const char *line, const char *after,
                          const struct member_case *c, const char *kind)
{
  expect_member_after(header_v2, before, line, after, c, kind);
}

Test(reader_members, a_line_with_every_member_is_read)
{
  char *text = NULL;
  cr_assert(asprintf(&text, "%s\n", full_keyframe) > 0);
  struct as_reader_error err = {0};
  cr_expect_eq(read_lines(text, &err), 1, "%s", err.text);
  free(text);
}

Test(reader_members, a_keyframe_without_a_required_member_is_refused_and_without_another_read)
{
  for (size_t i = 0; i < sizeof keyframe_members / sizeof keyframe_members[0]; i++)
    expect_member("", full_keyframe, "", &keyframe_members[i], "keyframe");
}

Test(reader_members, a_delta_needs_its_seq_and_uptime_only)
{
  /* The keyframe describes actor 1; the delta lists it again, changed, without what the
   * keyframe said of its origin (and without children: a delta carries none). */
  char *keyframe = NULL;
  cr_assert(asprintf(&keyframe, "%s\n", full_keyframe) > 0);
  json_t *line = json_loads(full_keyframe, 0, NULL);
  cr_assert_not_null(line);
  json_object_set_new(line, "type", json_string("delta"));
  json_object_set_new(line, "seq", json_integer(1));
  json_t *actor = json_array_get(json_object_get(line, "actors"), 0);
  const char *origin[] = {"runtime",    "spawned_at_ns", "parent",
                          "spawn_site", "attached_late", "children"};
  for (size_t i = 0; i < sizeof origin / sizeof origin[0]; i++)
    json_object_del(actor, origin[i]);
  char *delta = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(line);
  for (size_t i = 0; i < sizeof delta_members / sizeof delta_members[0]; i++)
    expect_member(keyframe, delta, "", &delta_members[i], "delta");
  free(delta);
  free(keyframe);
}

Test(reader_members, an_ended_actor_is_read_with_every_member_and_refused_without_a_required_one)
{
  char *text = NULL;
  cr_assert(asprintf(&text, "%s\n", full_ended_keyframe) > 0);
  struct as_reader_error err = {0};
  cr_expect_eq(read_lines_after(header_v3, text, &err), 1, "%s", err.text);
  free(text);
  for (size_t i = 0; i < sizeof ended_members / sizeof ended_members[0]; i++)
    expect_member_after(header_v3, "", full_ended_keyframe, "", &ended_members[i],
                        "version 3 ended actor");
}
