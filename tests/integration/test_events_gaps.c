/* export perfetto's handler slices where the events file has a gap (docs/events-format.md,
 * "What is recorded": PAUSE, GAP): events turned off and on again, a detach, records a full
 * ring dropped. A handler whose END was not recorded was closed by the actor's next END, however
 * much later: slices of hundreds of milliseconds holding the actor's later ones, and "still
 * running at the end of the recording". And threads running no actor are named as the kernel
 * names them (THREAD). */
#define _GNU_SOURCE
#include "attach_harness.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(events_gaps, .timeout = 180);

static json_t *export_trace(const char *dir, const char *snapshots)
{
  char trace[256], out[8192];
  snprintf(trace, sizeof trace, "%s/trace.json", dir);
  int rc = cli(out, sizeof out, 0, "export", "perfetto", "-o", trace, snapshots, NULL, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  json_error_t error;
  json_t *doc = json_load_file(trace, 0, &error);
  cr_assert_not_null(doc, "%s", error.text);
  return doc;
}

static int is_handler(json_t *e)
{
  const char *cat = json_string_value(json_object_get(e, "cat"));
  return cat && strcmp(cat, "handler") == 0;
}

static double num(json_t *e, const char *key) { return json_number_value(json_object_get(e, key)); }

struct slice {
  long long track;
  double from, to;
};

static int slice_order(const void *a, const void *b)
{
  const struct slice *x = a, *y = b;
  if (x->track != y->track)
    return x->track < y->track ? -1 : 1;
  return x->from < y->from ? -1 : x->from > y->from;
}

/* The programs' handlers never nest (no request().receive): on an actor's track no handler slice
 * holds another's start. At least MIN slices. Counts those that ended where no END was recorded
 * as HOW. */
static size_t assert_handlers_apart(json_t *doc, size_t min, const char *how)
{
  json_t *events = json_object_get(doc, "traceEvents"), *e;
  size_t i, n = 0, cut = 0;
  struct slice *slices = calloc(json_array_size(events) + 1, sizeof *slices);
  cr_assert_not_null(slices);
  json_array_foreach(events, i, e)
  {
    if (!is_handler(e))
      continue;
    const char *end = json_string_value(json_object_get(json_object_get(e, "args"), "end"));
    long long track = json_integer_value(json_object_get(e, "tid"));
    cr_assert(!end || strstr(end, "end of the recording") == NULL, "a handler of #%lld said \"%s\"",
              track, end);
    cut += end && strstr(end, how) != NULL;
    slices[n++] = (struct slice){track, num(e, "ts"), num(e, "ts") + num(e, "dur")};
  }
  cr_assert_geq(n, min, "only %zu handler slices: the test tests nothing", n);
  qsort(slices, n, sizeof *slices, slice_order);
  for (i = 1; i < n; i++)
    cr_assert(slices[i].track != slices[i - 1].track || slices[i].from >= slices[i - 1].to,
              "a handler slice of #%lld from %.3f to %.3f us holds another beginning at %.3f us",
              slices[i].track, slices[i - 1].from, slices[i - 1].to, slices[i].from);
  free(slices);
  return cut;
}

static size_t count_named(json_t *doc, const char *name)
{
  json_t *e;
  size_t i, n = 0;
  json_array_foreach(json_object_get(doc, "traceEvents"), i, e)
  {
    const char *it = json_string_value(json_object_get(e, "name"));
    n += it && strcmp(it, name) == 0;
  }
  return n;
}

/* The brief's reproduction: attach --events to a busy CAF program, events off and on again
 * (four times: a handler is open at one of them at least), detach. */
Test(events_gaps, events_off_and_on_never_join_a_begin_to_a_later_end)
{
  struct target t;
  const char *argv[] = {"caf_attach_target", "100000", "busy", NULL};
  target_start(&t, argv, 1);
  char out[8192];
  int rc = cli(out, sizeof out, 0, "attach", "--events", "-o", t.dest, t.pid_text, NULL, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  usleep(100000);
  for (int i = 0; i < 4; i++) {
    cr_assert_eq(cli(out, sizeof out, 0, "ctl", t.pid_text, "events", "off", NULL, NULL, NULL), 0,
                 "%s", out);
    usleep(100000);
    cr_assert_eq(cli(out, sizeof out, 0, "ctl", t.pid_text, "events", "on", NULL, NULL, NULL), 0,
                 "%s", out);
    usleep(50000);
  }
  cr_assert_eq(cli(out, sizeof out, 0, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  target_kill(&t);
  json_t *doc = export_trace(t.dir, t.dest);
  assert_handlers_apart(doc, 1000, "events went off");
  /* Four offs and a detach; four ons after an off. */
  cr_assert_eq(count_named(doc, "events off"), 5);
  cr_assert_eq(count_named(doc, "events on"), 4);
  json_decref(doc);
}

/* Rings of 16 records for a ping-pong: ENDs are dropped. */
Test(events_gaps, records_lost_at_a_full_ring_never_join_a_begin_to_a_later_end)
{
  char dir[64], dest[128], path[256], out[8192];
  snprintf(dir, sizeof dir, "/tmp/actorscope-gaps-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  snprintf(dest, sizeof dest, "%s/a.jsonl", dir);
  snprintf(path, sizeof path, "%s/caf_pingpong", AS_TEST_PROGRAMS);
  setenv("ACTORSCOPE_EVENTS_RING", "16", 1);
  int rc = cli(out, sizeof out, 0, "run", "--events", "-o", dest, "--", path, "20000");
  unsetenv("ACTORSCOPE_EVENTS_RING");
  cr_assert_eq(rc, 6, "%s", out);
  json_t *doc = export_trace(dir, dest);
  cr_assert_gt(count_named(doc, "events lost"), 0,
               "the rings lost nothing: the test tests nothing");
  size_t cut = assert_handlers_apart(doc, 20, "events were lost");
  cr_assert_gt(cut, 0, "no handler was cut where its thread lost records");
  json_decref(doc);
  as_test_remove_tree(dir);
}

/* A broker's network events are sent by CAF's multiplexer thread: its track, and the sender of
 * the broker's handlers, is named as report names it ("caf.multiplexer", not "thread 12396"). */
Test(events_gaps, a_thread_running_no_actor_is_named_as_the_kernel_names_it)
{
  char dir[64], dest[128], path[256], out[8192];
  snprintf(dir, sizeof dir, "/tmp/actorscope-gaps-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  snprintf(dest, sizeof dest, "%s/a.jsonl", dir);
  snprintf(path, sizeof path, "%s/caf_broker", AS_TEST_PROGRAMS);
  int rc = cli(out, sizeof out, 0, "run", "--events", "-o", dest, "--", path, NULL);
  cr_assert_eq(rc, 0, "%s", out);
  json_t *doc = export_trace(dir, dest);
  json_t *e;
  size_t i, multiplexer_track = 0, multiplexer_sends = 0;
  json_array_foreach(json_object_get(doc, "traceEvents"), i, e)
  {
    const char *name = json_string_value(json_object_get(e, "name"));
    json_t *args = json_object_get(e, "args");
    if (name && strcmp(name, "thread_name") == 0 &&
        json_integer_value(json_object_get(e, "tid")) >= 1000000000) {
      const char *thread = json_string_value(json_object_get(args, "name"));
      cr_assert(strncmp(thread, "thread ", 7) != 0, "a thread's track is called \"%s\"", thread);
      multiplexer_track += strcmp(thread, "caf.multiplexer") == 0;
    }
    const char *sender = json_string_value(json_object_get(args, "sender"));
    multiplexer_sends += is_handler(e) && sender && strcmp(sender, "caf.multiplexer") == 0;
  }
  cr_assert_eq(multiplexer_track, 1);
  /* The connection, its data, its close: report counts 3 from the thread (it_caf_kinds); the
   * close has no SEND (docs/events-format.md). */
  cr_assert_geq(multiplexer_sends, 2);
  json_decref(doc);
  as_test_remove_tree(dir);
}
