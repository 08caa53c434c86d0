/* Ended actors (FORMAT.md "Ended actors"): the tracer leaves out the members whose value the
 * others imply (version 4), the reader puts them back, so a file of either version says the
 * same. Writer and reader together: the tracer's encoder and format/reader.c. */
#define _GNU_SOURCE
#include "registry_view.h"
#include "snapshot.h"
#include "reader.h"
#include "typetab.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An actor that lived and died between two lines, as the collector copies it. */
static struct as_actor_view ended_view(uint64_t id)
{
  struct as_actor_view v;
  memset(&v, 0, sizeof v);
  v.id = id;
  v.runtime = "caf";
  v.name = "worker";
  v.spawned_at = 2000 + id;
  v.status = AS_STATUS_STOPPED;
  v.stopped_at = 9000 + id;
  v.stop_reason = "normal";
  v.enqueued = v.received = v.handled = v.mailbox_max = 1;
  v.handler_ticks_total = v.handler_ticks_max = 4869;
  v.runtime_id = id;
  v.runtime_scope = 1;
  v.peers_at = SIZE_MAX;
  v.ended = 1;
  return v;
}

static char *encode_line(struct as_actor_view *views, size_t n)
{
  struct as_registry_collection c = {
      .views = views, .count = n, .capacity = n, .totals = {0, n, n, n, n}};
  struct as_snapshot_info info = {.seq = 0,
                                  .wall_ns = 1795500000123000000ULL,
                                  .uptime_ns = 20000,
                                  .start_ticks = 1000,
                                  .now_ticks = 21000};
  char *line = as_snapshot_encode(&c, NULL, &info);
  cr_assert_not_null(line);
  return line;
}

static json_t *ended_of(const char *line, size_t i)
{
  json_t *root = json_loads(line, 0, NULL);
  cr_assert_not_null(root);
  json_t *e = json_incref(json_array_get(json_object_get(root, "ended"), i));
  json_decref(root);
  cr_assert_not_null(e, "no ended actor %zu in %s", i, line);
  return e;
}

Test(ended, members_at_the_value_the_others_imply_are_left_out)
{
  struct as_actor_view views[] = {ended_view(7), ended_view(8), ended_view(9)};
  views[1].sent = 3;    /* written: not 0 */
  views[1].handled = 2; /* a second handler: max is not the total */
  views[1].handler_ticks_total = 9000;
  views[1].handler_ticks_max = 5000;
  views[1].runtime_id = 2; /* a second actor system: CAF's id is not ours */
  views[1].runtime_scope = 2;
  views[2].runtime = "czmq"; /* no runtime ids at all */
  views[2].runtime_id = 0;
  views[2].runtime_scope = 0;
  char *line = encode_line(views, 3);

  json_t *plain = ended_of(line, 0);
  cr_expect_null(json_object_get(plain, "messages_sent"), "%s", line);
  cr_expect_null(json_object_get(plain, "handler_max_ns"), "%s", line);
  cr_expect_null(json_object_get(plain, "runtime_id"), "%s", line);
  cr_expect_eq(json_integer_value(json_object_get(plain, "runtime_scope")), 1);
  cr_expect_eq(json_integer_value(json_object_get(plain, "handler_total_ns")), 4869);
  json_decref(plain);

  json_t *other = ended_of(line, 1);
  cr_expect_eq(json_integer_value(json_object_get(other, "messages_sent")), 3);
  cr_expect_eq(json_integer_value(json_object_get(other, "handler_total_ns")), 9000);
  cr_expect_eq(json_integer_value(json_object_get(other, "handler_max_ns")), 5000);
  cr_expect_eq(json_integer_value(json_object_get(other, "runtime_id")), 2);
  cr_expect_eq(json_integer_value(json_object_get(other, "runtime_scope")), 2);
  json_decref(other);

  json_t *czmq = ended_of(line, 2);
  cr_expect_null(json_object_get(czmq, "runtime_id"));
  cr_expect_null(json_object_get(czmq, "runtime_scope"));
  json_decref(czmq);
  free(line);
}

/* The records the reader gives for TEXT (a header and lines), copied out: the last line's. */
struct read_actors {
  struct as_rec_actor actors[8];
  int unbounded[8]; /* its mailbox_kind was "unbounded" */
  size_t count;
};

/* Reads TEXT to its end into OUT; returns the reader's last result (0 at a clean end). */
static int read_text_into(const char *text, struct read_actors *out, struct as_reader_error *err)
{
  char path[] = "/tmp/actorscope-ended-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  struct as_reader *r;
  cr_assert_eq(as_reader_open(&r, path, NULL, err), 0, "%s", err->text);
  out->count = 0;
  const struct as_rec_snapshot *s;
  int rc;
  while ((rc = as_reader_next(r, &s, err)) > 0) {
    out->count = s->n_actors < 8 ? s->n_actors : 8;
    memcpy(out->actors, s->actors, out->count * sizeof *out->actors);
    for (size_t i = 0; i < out->count; i++) { /* the strings die with the reader */
      out->unbounded[i] = out->actors[i].mailbox_kind &&
                          strcmp(out->actors[i].mailbox_kind, AS_MAILBOX_UNBOUNDED) == 0;
      out->actors[i].name = out->actors[i].runtime = out->actors[i].stop_reason = NULL;
      out->actors[i].mailbox_kind = NULL;
    }
  }
  as_reader_close(r);
  unlink(path);
  return rc;
}

static struct read_actors read_text(const char *text)
{
  struct read_actors out;
  struct as_reader_error err = {0};
  int rc = read_text_into(text, &out, &err);
  cr_assert_eq(rc, 0, "%s", err.text);
  return out;
}

static char *with_header(int version, const char *line)
{
  const char *argv[] = {"p"};
  struct as_header_info h = {.pid = 7,
                             .program = "/bin/p",
                             .argv = argv,
                             .argc = 1,
                             .started_wall_ns = 1795500000000000000ULL,
                             .interval_ms = 100,
                             .grave_ms = 5000,
                             .stack_depth = 4};
  char *header = as_snapshot_encode_header(&h);
  cr_assert_not_null(header);
  char needle[32];
  snprintf(needle, sizeof needle, "\"version\":%d", AS_FORMAT_VERSION);
  char *at = strstr(header, needle);
  cr_assert_not_null(at);
  at[strlen("\"version\":")] = (char)('0' + version);
  char *text = NULL;
  cr_assert(asprintf(&text, "%s\n%s\n", header, line) > 0);
  free(header);
  return text;
}

/* What every command reads of an actor: its numbers, compared one by one (the records hold
 * pointers into the reader's memory, which differ). */
static void expect_same_numbers(const struct as_rec_actor *a, const struct as_rec_actor *b)
{
#define SAME(field)                                                                                \
  cr_expect_eq(a->field, b->field, "actor %lld: " #field " %lld, %lld", (long long)a->id,          \
               (long long)a->field, (long long)b->field)
  SAME(id);
  SAME(ended);
  SAME(status);
  SAME(has_runtime_id);
  SAME(runtime_id);
  SAME(runtime_scope);
  SAME(spawned_at_ns);
  SAME(has_spawn_site);
  SAME(has_parent);
  SAME(parent);
  SAME(stopped_at_ns);
  SAME(mailbox_len);
  SAME(mailbox_max);
  SAME(mailbox_enqueued);
  SAME(outbox_len);
  SAME(messages_received);
  SAME(messages_sent);
  SAME(replies);
  SAME(handled);
  SAME(exceptions);
  SAME(handler_total_ns);
  SAME(handler_max_ns);
  SAME(received_all);
  SAME(sent_all);
  SAME(queued_all);
  SAME(queued_all_max);
#undef SAME
}

Test(ended, what_the_tracer_leaves_out_the_reader_gives_back)
{
  struct as_actor_view views[] = {ended_view(7), ended_view(8), ended_view(9)};
  views[1].sent = 3;
  views[1].handled = 2;
  views[1].handler_ticks_total = 9000;
  views[1].handler_ticks_max = 5000;
  views[1].runtime_id = 2;
  views[1].runtime_scope = 2;
  views[2].runtime = "czmq";
  views[2].runtime_id = 0;
  views[2].runtime_scope = 0;
  char *line = encode_line(views, 3);
  char *text = with_header(AS_FORMAT_VERSION, line);
  struct read_actors got = read_text(text);
  cr_assert_eq(got.count, 3, "%s", text);
  for (size_t i = 0; i < 3; i++) {
    const struct as_rec_actor *a = &got.actors[i];
    cr_expect_eq(a->id, (int64_t)views[i].id);
    cr_expect(a->ended);
    cr_expect_eq(a->messages_sent, (int64_t)views[i].sent, "actor %zu", i);
    cr_expect_eq(a->handler_total_ns, (int64_t)views[i].handler_ticks_total, "actor %zu", i);
    cr_expect_eq(a->handler_max_ns, (int64_t)views[i].handler_ticks_max, "actor %zu", i);
    cr_expect_eq(a->has_runtime_id, views[i].runtime_id != 0, "actor %zu", i);
    cr_expect_eq(a->runtime_id, (int64_t)views[i].runtime_id, "actor %zu", i);
    cr_expect_eq(a->runtime_scope, (int64_t)views[i].runtime_scope, "actor %zu", i);
  }
  free(text);
  free(line);
}

/* A version 3 file writes every member; the same actors in version 4 leave some out. */
#define ENDED_V3                                                                                   \
  "{\"type\":\"snapshot\",\"seq\":0,\"uptime_ns\":100,\"final\":true,"                             \
  "\"totals\":{\"alive\":0,\"total_spawned\":3,\"total_stopped\":3,\"messages_received\":4},"      \
  "\"actors\":[],\"spawn_sites\":[],\"ended\":["                                                   \
  "{\"id\":3,\"name\":\"w\",\"runtime\":\"caf\",\"spawned_at_ns\":5,\"stopped_at_ns\":9,"          \
  "\"reason\":\"normal\",\"enqueued\":2,\"mailbox_max\":1,\"messages_received\":1,"                \
  "\"messages_sent\":0,\"handled\":1,\"handler_total_ns\":70,\"handler_max_ns\":70,"               \
  "\"message_types\":[{\"name\":\"w\",\"count\":1}],\"runtime_id\":3,\"runtime_scope\":1},"        \
  "{\"id\":4,\"name\":\"w\",\"runtime\":\"caf\",\"spawned_at_ns\":5,\"stopped_at_ns\":9,"          \
  "\"reason\":\"normal\",\"enqueued\":2,\"mailbox_max\":2,\"messages_received\":2,"                \
  "\"messages_sent\":5,\"handled\":2,\"handler_total_ns\":70,\"handler_max_ns\":50,"               \
  "\"message_types\":[{\"name\":\"w\",\"count\":2}],\"runtime_id\":1,\"runtime_scope\":2},"        \
  "{\"id\":5,\"name\":\"t\",\"runtime\":\"czmq\",\"spawned_at_ns\":5,\"stopped_at_ns\":9,"         \
  "\"reason\":\"returned\",\"enqueued\":1,\"mailbox_max\":1,\"messages_received\":1,"              \
  "\"messages_sent\":0,\"handled\":0,\"handler_total_ns\":0,\"handler_max_ns\":0,"                 \
  "\"message_types\":[{\"name\":\"w\",\"count\":1}]}]}"
#define ENDED_V4                                                                                   \
  "{\"type\":\"snapshot\",\"seq\":0,\"uptime_ns\":100,\"final\":true,"                             \
  "\"totals\":{\"alive\":0,\"total_spawned\":3,\"total_stopped\":3,\"messages_received\":4},"      \
  "\"actors\":[],\"spawn_sites\":[],\"ended\":["                                                   \
  "{\"id\":3,\"name\":\"w\",\"runtime\":\"caf\",\"spawned_at_ns\":5,\"stopped_at_ns\":9,"          \
  "\"reason\":\"normal\",\"enqueued\":2,\"mailbox_max\":1,\"messages_received\":1,"                \
  "\"handled\":1,\"handler_total_ns\":70,"                                                         \
  "\"message_types\":[{\"name\":\"w\",\"count\":1}],\"runtime_scope\":1},"                         \
  "{\"id\":4,\"name\":\"w\",\"runtime\":\"caf\",\"spawned_at_ns\":5,\"stopped_at_ns\":9,"          \
  "\"reason\":\"normal\",\"enqueued\":2,\"mailbox_max\":2,\"messages_received\":2,"                \
  "\"messages_sent\":5,\"handled\":2,\"handler_total_ns\":70,\"handler_max_ns\":50,"               \
  "\"message_types\":[{\"name\":\"w\",\"count\":2}],\"runtime_id\":1,\"runtime_scope\":2},"        \
  "{\"id\":5,\"name\":\"t\",\"runtime\":\"czmq\",\"spawned_at_ns\":5,\"stopped_at_ns\":9,"         \
  "\"reason\":\"returned\",\"enqueued\":1,\"mailbox_max\":1,\"messages_received\":1,"              \
  "\"handled\":0,\"handler_total_ns\":0,"                                                          \
  "\"message_types\":[{\"name\":\"w\",\"count\":1}]}]}"

Test(ended, a_version_3_file_and_its_version_4_form_read_the_same)
{
  char *v3 = with_header(3, ENDED_V3);
  char *v4 = with_header(4, ENDED_V4);
  struct read_actors a = read_text(v3), b = read_text(v4);
  cr_assert_eq(a.count, 3);
  cr_assert_eq(b.count, 3);
  for (size_t i = 0; i < 3; i++)
    expect_same_numbers(&a.actors[i], &b.actors[i]);
  cr_expect_eq(b.actors[0].runtime_id, 3, "a runtime_id left out is the actor's id");
  cr_expect_eq(b.actors[0].handler_max_ns, 70, "a handler_max_ns left out is the total");
  cr_expect_eq(b.actors[1].runtime_id, 1, "a runtime_id written is kept");
  cr_expect_eq(b.actors[2].has_runtime_id, 0, "no runtime_scope: no runtime id (CZMQ)");
  free(v3);
  free(v4);
}

/* Version 5 (FORMAT.md "Defaults"): an actor object leaves out its members at their defaults. */
static struct as_actor_view idle_view(uint64_t id)
{
  struct as_actor_view v = ended_view(id);
  v.ended = 0;
  v.status = AS_STATUS_RUNNING;
  v.stopped_at = 0;
  v.stop_reason = NULL;
  v.enqueued = v.received = v.handled = v.mailbox_max = 0;
  v.handler_ticks_total = v.handler_ticks_max = 0;
  return v;
}

Test(defaults, an_idle_actor_is_listed_without_its_defaults)
{
  struct as_actor_view v = idle_view(7);
  char *line = encode_line(&v, 1);
  json_t *root = json_loads(line, 0, NULL);
  cr_assert_not_null(root);
  json_t *a = json_array_get(json_object_get(root, "actors"), 0);
  cr_assert_not_null(a, "%s", line);
  const char *left_out[] = {"status",     "spawn_site",    "parent",   "children",   "stopped",
                            "mailbox",    "outbox",        "counters", "handler_ns", "handling",
                            "waiting_on", "message_types", "links",    "monitors",   "runtime_id"};
  for (size_t i = 0; i < sizeof left_out / sizeof left_out[0]; i++)
    cr_expect_null(json_object_get(a, left_out[i]), "%s is written: %s", left_out[i], line);
  cr_expect_eq(json_integer_value(json_object_get(a, "runtime_scope")), 1, "%s", line);
  char *object = json_dumps(a, JSON_COMPACT);
  cr_expect_lt(strlen(object), 100, "%s", object); /* 430 bytes in version 4 */
  free(object);
  json_decref(root);
  free(line);
}

Test(defaults, what_the_tracer_leaves_out_the_reader_gives_back)
{
  struct as_actor_view views[] = {idle_view(7), idle_view(8), idle_view(9)};
  views[1].enqueued = 3; /* a mailbox, counters, handler times, another actor system */
  views[1].received = 1;
  views[1].handled = 1;
  views[1].mailbox_max = 2;
  views[1].sent = 4;
  views[1].handler_ticks_total = views[1].handler_ticks_max = 700;
  views[1].runtime_id = 2;
  views[1].runtime_scope = 2;
  views[1].status = AS_STATUS_STOPPING;
  views[2].handled = 2; /* two handlers: max is not the total */
  views[2].received = views[2].enqueued = 2;
  views[2].handler_ticks_total = 900;
  views[2].handler_ticks_max = 600;
  views[2].status = AS_STATUS_STOPPED;
  views[2].stopped_at = 9000;
  views[2].stop_reason = "normal";
  char *line = encode_line(views, 3);
  cr_expect_null(strstr(line, "\"links\""), "no actor has links: %s", line);
  cr_expect_null(strstr(line, "\"waiting_on\""), "no actor waits: %s", line);
  cr_expect_null(strstr(line, "\"status\":\"stopped\""), "\"stopped\" says it: %s", line);
  cr_expect(strstr(line, "\"status\":\"stopping\""), "%s", line);
  char *text = with_header(AS_FORMAT_VERSION, line);
  struct read_actors got = read_text(text);
  cr_assert_eq(got.count, 3, "%s", text);
  for (size_t i = 0; i < 3; i++) {
    const struct as_rec_actor *a = &got.actors[i];
    const struct as_actor_view *v = &views[i];
    cr_expect_eq(a->id, (int64_t)v->id);
    cr_expect_eq(a->status, (enum as_status)v->status, "actor %zu", i);
    cr_expect(got.unbounded[i], "actor %zu: mailbox kind", i);
    cr_expect_eq(a->has_stopped, v->status == AS_STATUS_STOPPED, "actor %zu", i);
    cr_expect_eq(a->has_handling, 0);
    cr_expect_eq(a->has_waiting, 0);
    cr_expect_eq(a->has_parent, 0);
    cr_expect_eq(a->mailbox_len, (int64_t)(v->enqueued - v->received), "actor %zu", i);
    cr_expect_eq(a->mailbox_max, (int64_t)v->mailbox_max, "actor %zu", i);
    cr_expect_eq(a->mailbox_enqueued, (int64_t)v->enqueued, "actor %zu", i);
    cr_expect_eq(a->messages_received, (int64_t)v->received, "actor %zu", i);
    cr_expect_eq(a->messages_sent, (int64_t)v->sent, "actor %zu", i);
    cr_expect_eq(a->handled, (int64_t)v->handled, "actor %zu", i);
    cr_expect_eq(a->handler_total_ns, (int64_t)v->handler_ticks_total, "actor %zu", i);
    cr_expect_eq(a->handler_max_ns, (int64_t)v->handler_ticks_max, "actor %zu", i);
    cr_expect_eq(a->has_runtime_id, 1, "actor %zu", i);
    cr_expect_eq(a->runtime_id, (int64_t)v->runtime_id, "actor %zu", i);
    cr_expect_eq(a->runtime_scope, (int64_t)v->runtime_scope, "actor %zu", i);
    cr_expect_eq(a->n_message_types, 0);
    cr_expect_eq(a->n_links, 0);
    cr_expect_eq(a->n_monitors, 0);
  }
  free(text);
  free(line);
}

/* Files of versions 1 to 4 are read as before: what they must write, they must write. */
Test(defaults, a_version_4_actor_without_its_counters_is_refused)
{
  const char *line =
      "{\"type\":\"snapshot\",\"seq\":0,\"uptime_ns\":100,\"final\":true,"
      "\"totals\":{\"alive\":1,\"total_spawned\":1,\"total_stopped\":0,"
      "\"messages_received\":0},\"spawn_sites\":[],\"actors\":[{\"id\":1,\"name\":\"w\","
      "\"runtime\":\"caf\",\"status\":\"running\",\"spawned_at_ns\":5,\"parent\":null,"
      "\"stopped\":null,\"mailbox\":{\"kind\":\"unbounded\",\"len\":0,\"max\":0,\"enqueued\":0},"
      "\"handler_ns\":{\"total\":0,\"max\":0},\"handling\":null,\"message_types\":[]}]}";
  for (int version = 4; version <= 5; version++) {
    char *text = with_header(version, line);
    struct read_actors out;
    struct as_reader_error err = {0};
    int rc = read_text_into(text, &out, &err);
    if (version == 4)
      cr_expect(rc < 0 && strstr(err.text, "counters"), "version 4 read: %s", err.text);
    else
      cr_expect(rc == 0 && out.count == 1 && out.actors[0].messages_received == 0,
                "version 5: counters left out are all 0: %s", err.text);
    free(text);
  }
}
