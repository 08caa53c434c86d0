#define _GNU_SOURCE
#include "snapshot.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct as_actor_view make_view(uint64_t id, uint64_t parent, const char *name)
{
  struct as_actor_view v;
  memset(&v, 0, sizeof v);
  v.id = id;
  v.parent_id = parent;
  v.runtime = "czmq";
  v.name = name;
  v.spawned_at = 1000 + id;
  v.status = AS_STATUS_RUNNING;
  return v;
}

static json_t *encode_with_ids(struct as_actor_view *views, size_t n,
                               const struct as_waitgraph_cycles *cycles, uint64_t *ids,
                               size_t id_count)
{
  struct as_registry_collection c = {.views = views,
                                     .count = n,
                                     .capacity = n,
                                     .ids = ids,
                                     .id_count = id_count,
                                     .id_capacity = id_count,
                                     .totals = {2, 3, 1, 42}};
  /* Every listed actor stands for a waiting one too: deadlock names come from those. */
  struct as_snapshot_info info = {.seq = 7,
                                  .wall_ns = 1795500000123000000ULL,
                                  .uptime_ns = 5000,
                                  .start_ticks = 1000,
                                  .now_ticks = 10000,
                                  .waiting = views,
                                  .waiting_count = n};
  char *line = as_snapshot_encode(&c, cycles, &info);
  cr_assert_not_null(line);
  cr_assert_null(strchr(line, '\n'), "a snapshot must be one line");
  json_error_t err;
  json_t *root = json_loads(line, 0, &err);
  cr_assert_not_null(root, "%s", err.text);
  free(line);
  return root;
}

static json_t *encode(struct as_actor_view *views, size_t n,
                      const struct as_waitgraph_cycles *cycles)
{
  return encode_with_ids(views, n, cycles, NULL, 0);
}

Test(snapshot, top_level_fields_follow_the_format)
{
  struct as_actor_view v = make_view(1, 0, "solo");
  json_t *root = encode(&v, 1, NULL);
  cr_assert_str_eq(json_string_value(json_object_get(root, "type")), "snapshot");
  cr_assert_eq(json_integer_value(json_object_get(root, "seq")), 7);
  cr_assert_str_eq(json_string_value(json_object_get(root, "captured_at")),
                   "2026-11-24T06:00:00.123Z");
  cr_assert_eq(json_integer_value(json_object_get(root, "uptime_ns")), 5000);
  cr_assert(json_is_false(json_object_get(root, "final")));
  json_t *totals = json_object_get(root, "totals");
  cr_assert_eq(json_integer_value(json_object_get(totals, "alive")), 2);
  cr_assert_eq(json_integer_value(json_object_get(totals, "total_spawned")), 3);
  cr_assert_eq(json_integer_value(json_object_get(totals, "total_stopped")), 1);
  cr_assert_eq(json_integer_value(json_object_get(totals, "messages_received")), 42);
  cr_assert_eq(json_array_size(json_object_get(root, "deadlocks")), 0);
  json_decref(root);
}

Test(snapshot, actors_are_sorted_by_id_with_children_and_parent)
{
  struct as_actor_view views[] = {make_view(3, 1, "c2"), make_view(1, 0, "root"),
                                  make_view(2, 1, "c1")};
  json_t *root = encode(views, 3, NULL);
  json_t *actors = json_object_get(root, "actors");
  cr_assert_eq(json_array_size(actors), 3);
  json_t *first = json_array_get(actors, 0);
  cr_assert_str_eq(json_string_value(json_object_get(first, "name")), "root");
  cr_assert_null(json_object_get(first, "parent")); /* version 5: absent is null */
  json_t *children = json_object_get(first, "children");
  cr_assert_eq(json_array_size(children), 2);
  cr_assert_eq(json_integer_value(json_array_get(children, 0)), 2);
  cr_assert_eq(json_integer_value(json_array_get(children, 1)), 3);
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(actors, 1), "parent")), 1);
  cr_assert_eq(json_integer_value(json_object_get(first, "spawned_at_ns")), 1);
  json_decref(root);
}

Test(snapshot, counters_types_handling_waits_and_stop_are_encoded)
{
  struct as_actor_view v = make_view(5, 0, "worker");
  v.enqueued = 10;
  v.received = 7;
  v.mailbox_max = 4;
  v.replies = 3;
  v.replies_taken = 1;
  uint64_t tally[] = {(uint64_t)as_typetab_intern("small", 5) << AS_TALLY_COUNT_BITS | 2,
                      (uint64_t)as_typetab_intern("big", 3) << AS_TALLY_COUNT_BITS | 5};
  v.types_at = 0;
  v.type_count = 2;
  v.other_types = 1;
  v.handling_type = as_typetab_intern("big", 3);
  v.handling_since = 4000;
  v.wait_target = 9;
  v.wait_kind = AS_WAIT_SIGNAL;
  v.wait_since = 9000;
  json_t *root = encode_with_ids(&v, 1, NULL, tally, 2);
  json_t *a = json_array_get(json_object_get(root, "actors"), 0);
  json_t *mailbox = json_object_get(a, "mailbox");
  cr_assert_eq(json_integer_value(json_object_get(mailbox, "len")), 3);
  cr_assert_eq(json_integer_value(json_object_get(mailbox, "max")), 4);
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(a, "outbox"), "len")), 2);
  json_t *types = json_object_get(a, "message_types");
  cr_assert_eq(json_array_size(types), 3);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(types, 0), "name")), "big");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(types, 1), "name")), "small");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(types, 2), "name")), "<other>");
  json_t *handling = json_object_get(a, "handling");
  cr_assert_str_eq(json_string_value(json_object_get(handling, "type")), "big");
  cr_assert_eq(json_integer_value(json_object_get(handling, "elapsed_ns")), 6000);
  json_t *waiting = json_object_get(a, "waiting_on");
  cr_assert_eq(json_integer_value(json_object_get(waiting, "target")), 9);
  cr_assert_str_eq(json_string_value(json_object_get(waiting, "kind")), "signal");
  cr_assert_eq(json_integer_value(json_object_get(waiting, "elapsed_ns")), 1000);
  cr_assert_null(json_object_get(a, "stopped")); /* version 5: absent is null */
  json_decref(root);

  v.status = AS_STATUS_STOPPED;
  v.stopped_at = 8000;
  v.stop_reason = "destroyed";
  root = encode_with_ids(&v, 1, NULL, tally, 2);
  a = json_array_get(json_object_get(root, "actors"), 0);
  /* Version 5: the "stopped" object says the status (FORMAT.md "Defaults"). */
  cr_assert_null(json_object_get(a, "status"));
  json_t *stopped = json_object_get(a, "stopped");
  cr_assert(json_is_object(stopped));
  cr_assert_eq(json_integer_value(json_object_get(stopped, "at_ns")), 7000);
  cr_assert_str_eq(json_string_value(json_object_get(stopped, "reason")), "destroyed");
  json_decref(root);
}

Test(snapshot, deadlocks_list_ids_and_names)
{
  struct as_actor_view views[] = {make_view(1, 0, "left"), make_view(2, 0, "right")};
  uint64_t members[] = {1, 2};
  size_t starts[] = {0}, lengths[] = {2};
  struct as_waitgraph_cycles cycles = {members, 2, starts, lengths, 1};
  json_t *root = encode(views, 2, &cycles);
  json_t *cycle = json_array_get(json_object_get(root, "deadlocks"), 0);
  cr_assert_eq(json_integer_value(json_array_get(json_object_get(cycle, "actors"), 1)), 2);
  cr_assert_str_eq(json_string_value(json_array_get(json_object_get(cycle, "names"), 0)), "left");
  json_decref(root);
}

/* Encodes one actor of this name; asserts the snapshot parses back with the name expected. */
static void assert_name_encodes_as(const char *name, const char *expected)
{
  struct as_actor_view v = make_view(1, 0, name);
  json_t *root = encode(&v, 1, NULL);
  cr_assert_str_eq(json_string_value(
                       json_object_get(json_array_get(json_object_get(root, "actors"), 0), "name")),
                   expected);
  json_decref(root);
}

Test(snapshot, names_with_quotes_and_control_bytes_stay_valid_json)
{
  assert_name_encodes_as("a\"b\\c\n", "a\"b\\c\n");
}

Test(snapshot, the_header_names_format_version_and_process)
{
  const char *argv[] = {"prog", "--flag"};
  struct as_header_info h = {.pid = 99,
                             .program = "/bin/prog",
                             .argv = argv,
                             .argc = 2,
                             .started_wall_ns = 0,
                             .interval_ms = 500,
                             .grave_ms = 5000,
                             .stack_depth = 8};
  char *line = as_snapshot_encode_header(&h);
  json_t *root = json_loads(line, 0, NULL);
  cr_assert_str_eq(json_string_value(json_object_get(root, "type")), "header");
  cr_assert_str_eq(json_string_value(json_object_get(root, "format")), "actorscope");
  cr_assert_eq(json_integer_value(json_object_get(root, "version")), AS_FORMAT_VERSION);
  cr_assert_eq(json_integer_value(json_object_get(root, "pid")), 99);
  cr_assert_str_eq(json_string_value(json_array_get(json_object_get(root, "argv"), 1)), "--flag");
  cr_assert_str_eq(json_string_value(json_object_get(root, "started_at")),
                   "1970-01-01T00:00:00.000Z");
  json_decref(root);
  free(line);
}

Test(snapshot, a_program_path_and_arguments_that_are_not_utf8_are_kept_with_replacements)
{
  const char *argv[] = {"prog\xff", "--x=\xc3", "last"};
  struct as_header_info h = {.pid = 7, .program = "/tmp/b\xfe\xffin", .argv = argv, .argc = 3};
  char *line = as_snapshot_encode_header(&h);
  cr_assert_not_null(line);
  json_t *root = json_loads(line, 0, NULL);
  cr_assert_not_null(root, "not JSON: %s", line);
  cr_assert_str_eq(json_string_value(json_object_get(root, "program")),
                   "/tmp/b\xef\xbf\xbd\xef\xbf\xbdin");
  json_t *args = json_object_get(root, "argv");
  cr_assert_eq(json_array_size(args), 3);
  cr_assert_str_eq(json_string_value(json_array_get(args, 0)), "prog\xef\xbf\xbd");
  cr_assert_str_eq(json_string_value(json_array_get(args, 1)), "--x=\xef\xbf\xbd");
  cr_assert_str_eq(json_string_value(json_array_get(args, 2)), "last");
  json_decref(root);
  free(line);
}

Test(snapshot, identical_spawn_sites_are_written_once_and_referenced_by_index)
{
  void *here[2] = {(void *)0x1001, (void *)0x2002}, *there[1] = {(void *)0x3003};
  struct as_actor_view views[] = {make_view(1, 0, "a"), make_view(2, 0, "b"), make_view(3, 0, "c"),
                                  make_view(4, 0, "d")};
  views[0].spawn_frames = here, views[0].spawn_frame_count = 2;
  views[1].spawn_frames = there, views[1].spawn_frame_count = 1;
  views[2].spawn_frames = here, views[2].spawn_frame_count = 2;
  json_t *root = encode(views, 4, NULL);
  json_t *sites = json_object_get(root, "spawn_sites");
  cr_assert_eq(json_array_size(sites), 2);
  cr_assert_eq(json_array_size(json_array_get(sites, 0)), 2);
  json_t *actors = json_object_get(root, "actors");
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(actors, 0), "spawn_site")), 0);
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(actors, 1), "spawn_site")), 1);
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(actors, 2), "spawn_site")), 0);
  cr_assert_null(json_object_get(json_array_get(actors, 3), "spawn_site")); /* absent: null */
  json_decref(root);
}

/* The encoder keeps its tables from line to line: a line with many distinct sites (its table
 * grows), then a smaller line, then the many again, each numbered as if encoded alone. */
Test(snapshot, many_spawn_sites_keep_their_numbers_across_lines_of_any_size)
{
  enum { SITES = 300 };
  static void *frames[SITES][2];
  static struct as_actor_view views[2 * SITES];
  for (int round = 0; round < 3; round++) {
    size_t n = round == 1 ? 5 : 2 * SITES;
    for (size_t i = 0; i < n; i++) {
      size_t site = (i * 7) % SITES; /* every site twice, not in a row */
      frames[site][0] = (void *)(uintptr_t)(0x1000 + site);
      frames[site][1] = (void *)(uintptr_t)0x9999;
      views[i] = make_view(i + 1, 0, "w");
      views[i].spawn_frames = frames[site];
      views[i].spawn_frame_count = 2;
    }
    json_t *root = encode(views, n, NULL);
    json_t *sites = json_object_get(root, "spawn_sites");
    json_t *actors = json_object_get(root, "actors");
    cr_assert_eq(json_array_size(sites), n < SITES ? n : SITES, "round %d", round);
    for (size_t i = 0; i < n; i++) {
      json_int_t at = json_integer_value(json_object_get(json_array_get(actors, i), "spawn_site"));
      const char *first = json_string_value(json_array_get(json_array_get(sites, (size_t)at), 0));
      char want[32]; /* a frame is a return address: its call is the byte before */
      snprintf(want, sizeof want, "0x%zx", 0x1000 + (i * 7) % SITES - 1);
      cr_assert_not_null(first);
      cr_assert_str_eq(first, want, "round %d actor %zu: site %s, not %s", round, i, first, want);
    }
    json_decref(root);
  }
}

/* The encoder keeps a site's written frames by the address of its (interned, unchanging) frames:
 * the next line writes the very same bytes, and another site of as many frames its own. */
static char *spawn_sites_text(struct as_actor_view *views, size_t n)
{
  struct as_registry_collection c = {.views = views, .count = n, .capacity = n};
  struct as_snapshot_info info = {.seq = 1, .wall_ns = 1795500000123000000ULL, .now_ticks = 10000};
  char *line = as_snapshot_encode(&c, NULL, &info);
  cr_assert_not_null(line);
  char *from = strstr(line, "\"spawn_sites\":"), *to = from ? strstr(from, ",\"actors\":") : NULL;
  cr_assert(from && to, "%s", line);
  char *text = strndup(from, (size_t)(to - from));
  free(line);
  return text;
}

Test(snapshot, a_spawn_site_is_written_the_same_in_every_line)
{
  static void *first[3] = {(void *)0x1001, (void *)0x2002, (void *)0x3003};
  static void *second[3] = {(void *)0x4004, (void *)0x5005, (void *)0x6006};
  struct as_actor_view views[] = {make_view(1, 0, "a"), make_view(2, 0, "b")};
  views[0].spawn_frames = first, views[0].spawn_frame_count = 3;
  views[1].spawn_frames = second, views[1].spawn_frame_count = 3;
  char *once = spawn_sites_text(views, 2), *again = spawn_sites_text(views, 2);
  cr_assert_str_eq(again, once);
  cr_assert_str_eq(once, "\"spawn_sites\":[[\"0x1000\",\"0x2001\",\"0x3002\"],"
                         "[\"0x4003\",\"0x5004\",\"0x6005\"]]");
  views[0].spawn_frames = second; /* one site now, its own frames */
  char *one = spawn_sites_text(views, 1);
  cr_assert_str_eq(one, "\"spawn_sites\":[[\"0x4003\",\"0x5004\",\"0x6005\"]]");
  free(once);
  free(again);
  free(one);
}

Test(snapshot, invalid_utf8_in_names_becomes_a_replacement_character)
{
  assert_name_encodes_as("ok\xff\xc3\xa9", "ok\xef\xbf\xbd\xc3\xa9");
}

struct text_sink {
  char *text;
  size_t len, chunks;
};

static int text_sink_take(void *context, const char *text, size_t len)
{
  struct text_sink *s = context;
  s->text = realloc(s->text, s->len + len + 1);
  memcpy(s->text + s->len, text, len);
  s->len += len;
  s->text[s->len] = '\0';
  s->chunks++;
  return 0;
}

Test(snapshot, a_snapshot_streamed_in_small_chunks_is_the_line_built_whole)
{
  enum { N = 3000 };
  struct as_actor_view *views = calloc(N, sizeof *views);
  char names[N][16];
  for (size_t i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "worker-%zu", i);
    /* Newest first and a tree: the encoder sorts and finds children itself. */
    views[i] = make_view(N - i, i % 7 == 0 ? 0 : (N - i) / 2, names[i]);
    views[i].received = i * 1000003u;
  }
  struct as_registry_collection c = {.views = views, .count = N, .capacity = N};
  struct as_snapshot_info info = {.seq = 1, .wall_ns = 1795500000123000000ULL, .now_ticks = 10000};
  char *whole = as_snapshot_encode(&c, NULL, &info);
  cr_assert_not_null(whole);

  struct text_sink sink = {NULL, 0, 0};
  struct as_jsonw w;
  as_jsonw_init_streaming(&w, 4096, text_sink_take, &sink);
  cr_assert_eq(as_snapshot_write(&w, &c, NULL, &info), 0);
  as_jsonw_release(&w);
  cr_assert_gt(sink.chunks, 50, "only %zu chunks", sink.chunks);
  cr_assert_eq(sink.len, strlen(whole));
  cr_assert(strcmp(sink.text, whole) == 0, "the streamed line differs from the whole one");
  free(sink.text);
  free(whole);
  free(views);
}
