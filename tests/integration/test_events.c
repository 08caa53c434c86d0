/* Event recording (ACTORSCOPE_EVENTS, issue 23): the events file read here with a reader of
 * its own (the layout as docs/events-format.md gives it, not the tool's code), and the
 * Perfetto export's exact slices and flows read back with jansson. */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

TestSuite(events, .timeout = 120);

/* ---- the events file, read from its documented layout ---------------------------------------- */

#define REC 40
enum { K_BEGIN = 1, K_END, K_CANCEL, K_SEND, K_SEND_UNDO, K_SPAWN, K_STOP, K_LOST, K_TYPE };

struct rec {
  uint64_t time_ns, actor, peer, msg;
  uint32_t tid;
  uint16_t type;
  uint8_t kind;
};

struct events_file {
  uint32_t file_index;
  size_t n;
  struct rec *recs;   /* every record but type names */
  char *types[65536]; /* names given in this file */
};

static uint64_t le64(const unsigned char *p)
{
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static uint32_t le32(const unsigned char *p)
{
  return (uint32_t)le64((const unsigned char[8]){p[0], p[1], p[2], p[3]});
}

static struct events_file *events_read(const char *path)
{
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "no events file %s", path);
  unsigned char h[64];
  cr_assert_eq(fread(h, 1, 64, f), 64, "%s: no header", path);
  cr_assert(memcmp(h, "ASEVENTS", 8) == 0, "%s: wrong magic", path);
  cr_assert_eq(le32(h + 8), 1, "version");
  cr_assert_eq(le32(h + 12), REC, "record size");
  struct events_file *e = calloc(1, sizeof *e);
  e->file_index = le32(h + 32);
  size_t cap = 0;
  unsigned char r[REC];
  while (fread(r, 1, REC, f) == REC) {
    struct rec x = {le64(r),      le64(r + 8),  le64(r + 16),
                    le64(r + 24), le32(r + 32), (uint16_t)(r[36] | r[37] << 8),
                    r[38]};
    if (x.kind == K_TYPE) {
      cr_assert_lt(x.msg, 64);
      char name[64 + REC] = {0};
      for (size_t got = 0; got < x.msg; got += REC)
        cr_assert_eq(fread(name + got, 1, REC, f), REC, "a type name cut short");
      e->types[x.type] = strdup(name);
      continue;
    }
    /* Every type a record uses is named before, in the same file. */
    if (x.type)
      cr_assert_not_null(e->types[x.type], "%s: type %u used before it is named", path, x.type);
    if (e->n == cap)
      e->recs = realloc(e->recs, (cap = cap ? cap * 2 : 1024) * sizeof *e->recs);
    e->recs[e->n++] = x;
  }
  fclose(f);
  return e;
}

static void events_free(struct events_file *e)
{
  for (size_t i = 0; i < 65536; i++)
    free(e->types[i]);
  free(e->recs);
  free(e);
}

static size_t count_kind(const struct events_file *e, int kind, uint64_t actor, const char *type)
{
  size_t n = 0;
  for (size_t i = 0; i < e->n; i++)
    if (e->recs[i].kind == kind && (!actor || e->recs[i].actor == actor) &&
        (!type || (e->recs[i].type && strcmp(e->types[e->recs[i].type], type) == 0)))
      n++;
  return n;
}

/* The one file in DIR ending in SUFFIX (asserts there is one) */
static char *only_file(const char *dir, const char *suffix)
{
  DIR *d = opendir(dir);
  cr_assert_not_null(d);
  char *found = NULL;
  struct dirent *de;
  size_t sl = strlen(suffix);
  while ((de = readdir(d))) {
    size_t n = strlen(de->d_name);
    if (n > sl && strcmp(de->d_name + n - sl, suffix) == 0) {
      cr_assert_null(found, "two files end in %s: %s and %s", suffix, found, de->d_name);
      if (asprintf(&found, "%s/%s", dir, de->d_name) < 0)
        abort();
    }
  }
  closedir(d);
  return found;
}

static size_t count_files(const char *dir, const char *suffix)
{
  DIR *d = opendir(dir);
  size_t n = 0, sl = strlen(suffix);
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t len = strlen(de->d_name);
    n += len > sl && strcmp(de->d_name + len - sl, suffix) == 0;
  }
  closedir(d);
  return n;
}

/* ---- the export ------------------------------------------------------------------------------- */

/* The trace of RUN_FILE; OPTION: one option more (NULL: none). */
static json_t *export_trace_with(const char *run_file, const char *option)
{
  const char *argv[] = {
      AS_TEST_CLI, "export", "perfetto", option ? option : run_file, option ? run_file : NULL,
      NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "export failed: %s", run.err);
  json_error_t error;
  json_t *trace = json_loads(run.out, 0, &error);
  cr_assert_not_null(trace, "the trace is not JSON: %s (line %d)", error.text, error.line);
  as_test_run_free(&run);
  return trace;
}

static json_t *export_trace(const char *run_file) { return export_trace_with(run_file, NULL); }

/* Events of kind PH on track TID of TRACE ("X": slices), and whether TID is a named track. */
static size_t on_track(json_t *trace, json_int_t tid, const char *ph, int *named)
{
  json_t *ev;
  size_t k, n = 0;
  json_array_foreach(json_object_get(trace, "traceEvents"), k, ev)
  {
    if (json_integer_value(json_object_get(ev, "tid")) != tid)
      continue;
    n += strcmp(as_test_str(ev, "ph"), ph) == 0;
    if (named && strcmp(as_test_str(ev, "ph"), "M") == 0 &&
        strcmp(as_test_str(ev, "name"), "thread_name") == 0)
      *named = 1;
  }
  return n;
}

static double num(json_t *ev, const char *key)
{
  return json_number_value(json_object_get(ev, key));
}

/* Exact handler slices on actor TID named NAME; each with a flow in whose send (flow_out with
 * the same bind_id) is on track FROM (-1: any) and starts no later than the handler. Returns the
 * number of slices; *flows the number of them with a flow. */
static size_t slices_with_flows(json_t *trace, json_int_t tid, const char *name, json_int_t from,
                                size_t *flows)
{
  json_t *all = json_object_get(trace, "traceEvents"), *ev, *send;
  size_t i, k, n = 0;
  *flows = 0;
  json_array_foreach(all, i, ev)
  {
    if (strcmp(as_test_str(ev, "ph"), "X") || strcmp(as_test_str(ev, "cat"), "handler") ||
        json_integer_value(json_object_get(ev, "tid")) != tid ||
        strcmp(as_test_str(ev, "name"), name))
      continue;
    n++;
    cr_assert_geq(num(ev, "dur"), 0);
    if (!json_is_true(json_object_get(ev, "flow_in")))
      continue;
    json_int_t id = json_integer_value(json_object_get(ev, "bind_id"));
    size_t outs = 0;
    json_array_foreach(all, k, send)
    {
      if (!json_is_true(json_object_get(send, "flow_out")) ||
          json_integer_value(json_object_get(send, "bind_id")) != id)
        continue;
      outs++;
      cr_assert_str_eq(as_test_str(send, "name"), "send");
      if (from >= 0)
        cr_assert_eq(json_integer_value(json_object_get(send, "tid")), from);
      cr_assert_leq(num(send, "ts"), num(ev, "ts"), "a flow ends before it starts");
      json_int_t wait = as_test_int(ev, "args.mailbox_wait_ns");
      cr_assert_geq(wait, 0);
      /* ts are microseconds with three decimals: the wait is their difference in ns. */
      double diff_ns = (num(ev, "ts") - num(send, "ts")) * 1000.0;
      cr_assert(diff_ns > (double)wait - 2 && diff_ns < (double)wait + 2,
                "mailbox_wait_ns %lld, the flow spans %.1f ns", (long long)wait, diff_ns);
    }
    cr_assert_eq(outs, 1, "flow %lld has %zu starts", (long long)id, outs);
    (*flows)++;
  }
  return n;
}

static json_int_t actor_id(json_t *lines, const char *name)
{
  json_t *a = as_test_actor_named(as_test_last_snapshot(lines), name);
  cr_assert_not_null(a, "no actor %s", name);
  return as_test_int(a, "id");
}

/* ---- tests ------------------------------------------------------------------------------------ */

Test(events, a_caf_ping_pong_of_n_rounds_gives_n_exact_slices_on_each_side_and_n_flows)
{
  const char *argv[] = {"caf_pingpong", "500", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 6);
  json_t *lines = as_test_run_lines(&run);
  json_int_t ping = actor_id(lines, "ping"), pong = actor_id(lines, "pong");

  char *path = only_file(run.dir, ".events");
  struct events_file *e = events_read(path);
  cr_assert_eq(count_kind(e, K_BEGIN, (uint64_t)pong, "ping"), 500);
  cr_assert_eq(count_kind(e, K_BEGIN, (uint64_t)ping, "pong"), 500);
  cr_assert_eq(count_kind(e, K_END, (uint64_t)pong, NULL),
               count_kind(e, K_BEGIN, (uint64_t)pong, NULL));
  cr_assert_eq(count_kind(e, K_SEND, (uint64_t)pong, NULL), 501, "500 pings and the exit");
  cr_assert_eq(count_kind(e, K_SPAWN, (uint64_t)ping, NULL), 1);
  cr_assert_eq(count_kind(e, K_SPAWN, (uint64_t)pong, NULL), 1);
  cr_assert_eq(count_kind(e, K_STOP, (uint64_t)pong, NULL), 1);
  cr_assert_eq(count_kind(e, K_LOST, 0, NULL), 0);
  events_free(e);

  json_t *trace = export_trace(as_test_only_output(run.dir));
  size_t flows;
  cr_assert_eq(slices_with_flows(trace, pong, "ping", ping, &flows), 500);
  cr_assert_eq(flows, 500);
  cr_assert_eq(slices_with_flows(trace, ping, "pong", pong, &flows), 500);
  cr_assert_eq(flows, 500);
  /* The sampled slices of a run without events are not added beside the exact ones. */
  json_t *ev;
  size_t i;
  json_array_foreach(json_object_get(trace, "traceEvents"), i, ev)
      cr_assert(strcmp(as_test_str(ev, "ph"), "B") && strcmp(as_test_str(ev, "ph"), "E"));
  json_decref(trace);
  free(path);
  json_decref(lines);
  as_test_run_free(&run);
}

/* A caf_pingpong of 50 rounds written to SNAPSHOTS with its events at EVENTS: the export draws
 * pong's 50 handlers of ping's messages, each with its flow. */
static void expect_fifty_flows(const char *snapshots, const char *events)
{
  struct events_file *e = events_read(events);
  events_free(e);
  json_t *lines = as_test_load_lines(snapshots);
  json_int_t ping = actor_id(lines, "ping"), pong = actor_id(lines, "pong");
  json_t *trace = export_trace(snapshots);
  size_t flows;
  cr_expect_eq(slices_with_flows(trace, pong, "ping", ping, &flows), 50);
  cr_expect_eq(flows, 50);
  json_decref(trace);
  json_decref(lines);
}

/* Snapshots written under a name without .jsonl: the events go to NAME.events beside it, and
 * the export finds them there (it looked only beside NAME.jsonl, and drew no flow). */
Test(events, a_run_under_a_name_without_jsonl_has_its_events_found_beside_it)
{
  const char *argv[] = {"caf_pingpong", "50", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", "ACTORSCOPE_OUTPUT=file:trace.log", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 6, "%s", run.err);
  char snapshots[128], events[128];
  snprintf(snapshots, sizeof snapshots, "%s/trace.log", run.dir);
  snprintf(events, sizeof events, "%s/trace.log.events", run.dir);
  expect_fifty_flows(snapshots, events);
  as_test_run_free(&run);
}

/* A run's leftovers: NAME.events alone (its snapshots removed), or NAME.jsonl alone (a run
 * without events). Either way this run's snapshots and events take NAME-2 together, and the
 * leftover is left as it was. Before, a leftover NAME.events turned event recording off while
 * the snapshots took NAME.jsonl, and beside a leftover NAME.jsonl the events went to
 * NAME.events while the snapshots went to NAME-2.jsonl: no flow in either export. */
static void events_run_beside_leftover(const char *leftover)
{
  char dir[] = "/tmp/as-events-leftover-XXXXXX", path[128], output[160];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/%s", dir, leftover);
  as_test_write_text(path, "left over\n");
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=file:%s/run.jsonl", dir);
  const char *argv[] = {"caf_pingpong", "50", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", output, NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 6, "%s", run.err);
  cr_expect(strstr(run.err, "snapshots go to") != NULL, "%s", run.err);
  cr_expect(strstr(run.err, "no more events") == NULL, "%s", run.err);
  char snapshots[128], events[128];
  snprintf(snapshots, sizeof snapshots, "%s/run-2.jsonl", dir);
  snprintf(events, sizeof events, "%s/run-2.events", dir);
  expect_fifty_flows(snapshots, events);
  struct stat st;
  cr_expect(stat(path, &st) == 0 && st.st_size == 10, "the leftover %s was changed", path);
  as_test_run_free(&run);
  as_test_remove_tree(dir);
}

Test(events, a_leftover_events_file_moves_snapshots_and_events_to_a_free_name_together)
{
  events_run_beside_leftover("run.events");
}

Test(events, a_leftover_snapshot_file_moves_snapshots_and_events_to_a_free_name_together)
{
  events_run_beside_leftover("run.jsonl");
}

Test(events, a_czmq_ping_pong_gives_a_slice_and_a_flow_from_the_main_thread_per_message)
{
  const char *argv[] = {"czmq_pingpong", "300", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 3);
  json_t *lines = as_test_run_lines(&run);
  json_int_t actor = actor_id(lines, "pong_actor");
  char *path = only_file(run.dir, ".events");
  struct events_file *e = events_read(path);
  cr_assert_eq(count_kind(e, K_BEGIN, (uint64_t)actor, "PING"), 300);
  cr_assert_eq(count_kind(e, K_SEND, (uint64_t)actor, NULL), 301, "300 PINGs and $TERM");
  cr_assert_eq(count_kind(e, K_STOP, (uint64_t)actor, NULL), 1);
  events_free(e);

  json_t *trace = export_trace(as_test_only_output(run.dir));
  size_t flows;
  cr_assert_eq(slices_with_flows(trace, actor, "PING", -1, &flows), 300);
  cr_assert_eq(flows, 300);
  /* The sends come from the main thread, which runs no actor: a track of its own. */
  json_t *ev;
  size_t i, sends = 0;
  json_array_foreach(json_object_get(trace, "traceEvents"), i,
                     ev) if (strcmp(as_test_str(ev, "name"), "send") == 0)
  {
    cr_assert_geq(json_integer_value(json_object_get(ev, "tid")), 1000000000);
    sends++;
  }
  cr_assert_eq(sends, 301);
  /* Named as the snapshots name it among the actor's peers ("from_thread": "main"). */
  size_t named_main = 0;
  json_array_foreach(json_object_get(trace, "traceEvents"), i, ev)
  {
    json_t *args = json_object_get(ev, "args");
    named_main += strcmp(as_test_str(ev, "name"), "thread_name") == 0 &&
                  json_integer_value(json_object_get(ev, "tid")) >= 1000000000 &&
                  strcmp(json_string_value(json_object_get(args, "name")), "main") == 0;
  }
  cr_assert_eq(named_main, 1, "the main thread's track is not named main");
  json_decref(trace);
  free(path);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(events,
     a_tiny_ring_loses_events_counted_alike_in_the_file_and_the_snapshots_and_the_host_is_unharmed)
{
  const char *argv[] = {"caf_pingpong", "20000", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", "ACTORSCOPE_EVENTS_RING=16", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 6);
  char *path = only_file(run.dir, ".events");
  struct events_file *e = events_read(path);
  uint64_t lost = 0;
  for (size_t i = 0; i < e->n; i++)
    if (e->recs[i].kind == K_LOST)
      lost += e->recs[i].msg;
  cr_assert_gt(lost, 0, "80,000 events through 16-record rings lost none");
  /* What was kept and what was lost add up to every event of the run. */
  size_t begins = count_kind(e, K_BEGIN, 0, NULL);
  cr_assert_lt(begins, 40000);
  json_t *lines = as_test_run_lines(&run);
  json_t *diags = json_object_get(as_test_last_snapshot(lines), "diagnostics");
  json_t *d = as_test_find(diags, "code", "events_dropped");
  cr_assert_not_null(d, "the snapshots do not say events were dropped");
  char expect[64];
  snprintf(expect, sizeof expect, "%llu events were dropped", (unsigned long long)lost);
  cr_assert(strncmp(as_test_str(d, "message"), expect, strlen(expect)) == 0, "%s vs %s",
            as_test_str(d, "message"), expect);
  /* The export reads a lossy file too. */
  json_decref(export_trace(as_test_only_output(run.dir)));
  events_free(e);
  free(path);
  json_decref(lines);
  as_test_run_free(&run);
}

/* A ring too small for a busy ping-pong loses records: report says how many the tracer dropped
 * (its diagnostic), and the export says the same number on stderr, not only as marks in the
 * trace. */
Test(events, records_lost_at_a_full_ring_are_told_by_report_and_the_export_alike)
{
  const char *argv[] = {"caf_pingpong", "20000", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", "ACTORSCOPE_EVENTS_RING=16", NULL};
  struct as_test_run run, out;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 6, "%s", run.err);
  char *snapshots = as_test_only_output(run.dir);
  const char *report[] = {AS_TEST_CLI, "report", snapshots, NULL};
  as_test_run(report, NULL, 0, &out);
  const char *said = strstr(out.out, "the tracer said: events_dropped: ");
  cr_assert_not_null(said, "%s", out.out);
  unsigned long long dropped =
      strtoull(said + strlen("the tracer said: events_dropped: "), NULL, 10);
  cr_assert_gt(dropped, 0);
  as_test_run_free(&out);
  const char *export[] = {AS_TEST_CLI, "export", "perfetto", snapshots, NULL};
  as_test_run(export, NULL, 0, &out);
  cr_assert_eq(out.status, 0, "%s", out.err);
  const char *lost = strstr(out.err, ": the tracer lost ");
  cr_assert_not_null(lost, "export said: %s", out.err);
  cr_expect_eq(strtoull(lost + strlen(": the tracer lost "), NULL, 10), dropped, "%s", out.err);
  as_test_run_free(&out);
  free(snapshots);
  as_test_run_free(&run);
}

Test(events, with_events_off_no_events_file_is_written)
{
  const char *argv[] = {"caf_pingpong", "200", NULL};
  const char *off[] = {"ACTORSCOPE_EVENTS=0", NULL};
  for (int k = 0; k < 2; k++) {
    struct as_test_run run;
    as_test_run(argv, k ? off : NULL, 1, &run);
    cr_assert_eq(run.status, 6);
    cr_assert_eq(as_test_count_outputs(run.dir), 1);
    cr_assert_eq(count_files(run.dir, ".events"), 0);
    as_test_run_free(&run);
  }
}

Test(events, an_invalid_setting_is_reported_and_the_program_runs_untraced)
{
  const char *argv[] = {"caf_pingpong", "10", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=yes", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 6);
  cr_assert(strstr(run.err, "ACTORSCOPE_EVENTS='yes' is invalid"), "%s", run.err);
  as_test_run_free(&run);
}

Test(events, the_events_file_is_bounded_and_rotated_like_the_snapshot_file)
{
  const char *argv[] = {"caf_pingpong", "20000", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", "ACTORSCOPE_EVENTS_RING=65536",
                       "ACTORSCOPE_MAX_BYTES=64K", "ACTORSCOPE_KEEP=2", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 6);
  char name[256];
  const char *suffixes[] = {".events", ".1.events", ".2.events"};
  char *newest = only_file(run.dir, ".jsonl");
  /* NAME.jsonl may itself have rotated to NAME.1.jsonl: take the name from the one without. */
  size_t base = strlen(newest) - strlen(".jsonl");
  uint32_t previous_index = UINT32_MAX;
  for (int k = 0; k < 3; k++) {
    snprintf(name, sizeof name, "%.*s%s", (int)base, newest, suffixes[k]);
    struct stat st;
    cr_assert_eq(stat(name, &st), 0, "no %s", name);
    cr_assert_leq(st.st_size, 65536, "%s is %lld bytes", name, (long long)st.st_size);
    cr_assert_eq(st.st_mode & 0777, 0600);
    struct events_file *e = events_read(name); /* each file names its own types */
    cr_assert_gt(e->n, 0);
    if (k)
      cr_assert_lt(e->file_index, previous_index, "the older file has the lower index");
    previous_index = e->file_index;
    events_free(e);
  }
  snprintf(name, sizeof name, "%.*s.3.events", (int)base, newest);
  struct stat st;
  cr_assert_neq(stat(name, &st), 0, "more files than ACTORSCOPE_KEEP");
  free(newest);
  as_test_run_free(&run);
}

/* A rotation refused (something planted at NAME.1.jsonl) moves the snapshots to the NAME-2 set:
 * the events follow, so that each set's snapshots export with their own period's events (they
 * went on into NAME.events, which then paired with the first set's snapshots). */
Test(events, events_follow_the_snapshots_to_the_set_a_refused_rotation_starts)
{
  char dir[] = "/tmp/as-events-rotation-XXXXXX", planted[96], output[128];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(planted, sizeof planted, "%s/run.1.jsonl", dir);
  as_test_write_text(planted, "planted\n");
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=file:%s/run.jsonl", dir);
  const char *argv[] = {"czmq_pingpong", "20000", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", "ACTORSCOPE_MAX_BYTES=4096",
                       "ACTORSCOPE_INTERVAL_MS=20", output, NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 3, "%s", run.err);
  cr_assert(strstr(run.err, "snapshots go on in"), "no rotation was refused: %s", run.err);
  char snapshots[128], events[128];
  snprintf(snapshots, sizeof snapshots, "%s/run-2.jsonl", dir);
  snprintf(events, sizeof events, "%s/run-2.events", dir);
  /* The set's events files hold the actors of its snapshots: pong's handlers of PING. (Not
   * the export's flows: with 4 KB files the newest, which it draws, may hold only the end's
   * records.) */
  json_t *lines = as_test_load_lines(snapshots);
  json_int_t pong = actor_id(lines, "pong_actor");
  size_t pings = 0;
  for (int k = 0;; k++) {
    char rotated[160];
    if (k)
      snprintf(rotated, sizeof rotated, "%s/run-2.%d.events", dir, k);
    if (k && access(rotated, F_OK) != 0)
      break;
    struct events_file *e = events_read(k ? rotated : events);
    pings += count_kind(e, K_BEGIN, (uint64_t)pong, "PING");
    events_free(e);
  }
  cr_assert_gt(pings, 0, "the NAME-2 set's snapshots have no events of their own");
  json_decref(export_trace(snapshots));
  json_decref(lines);
  as_test_run_free(&run);
  as_test_remove_tree(dir);
}

/* A real program nobody here wrote: Zeek's Broker (CAF inside Python). Without losses, every
 * handler the snapshots count is one exact slice in the export. */
/* Runtime-internal actors (Broker's basp broker, its stream managers ...) are left out as report
 * leaves them out: no slice or send of theirs without --internal; with it, on named tracks. */
Test(events, brokers_handlers_are_each_an_exact_slice)
{
  const char *argv[] = {"/usr/bin/python3", AS_TEST_PROGRAMS "/broker_pubsub.py", "200", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", "ACTORSCOPE_EVENTS_RING=262144", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0, "%s%s", run.out, run.err);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert_null(as_test_find(json_object_get(last, "diagnostics"), "code", "events_dropped"));
  char *path = only_file(run.dir, ".events");
  struct events_file *e = events_read(path);
  json_t *traces[2] = {export_trace(as_test_only_output(run.dir)),
                       export_trace_with(as_test_only_output(run.dir), "--internal")};
  json_t *actor;
  size_t i, checked = 0, handled_total = 0, internal = 0;
  json_array_foreach(json_object_get(last, "actors"), i, actor)
  {
    json_int_t id = as_test_int(actor, "id"), handled = as_test_int(actor, "counters.handled");
    int is_internal = json_is_true(json_object_get(actor, "internal"));
    cr_expect_eq((json_int_t)count_kind(e, K_END, (uint64_t)id, NULL), handled, "actor %lld %s",
                 (long long)id, as_test_str(actor, "name"));
    for (int with_internal = 0; with_internal < 2; with_internal++) {
      int named = 0;
      size_t slices = on_track(traces[with_internal], id, "X", &named);
      if (is_internal && !with_internal) {
        cr_expect_eq(slices, 0, "runtime-internal #%lld %s: %zu slices without --internal",
                     (long long)id, as_test_str(actor, "name"), slices);
        continue;
      }
      cr_expect_geq((json_int_t)slices, handled, "#%lld %s", (long long)id,
                    as_test_str(actor, "name"));
      cr_expect(named || slices == 0, "#%lld %s: slices on a track with no name", (long long)id,
                as_test_str(actor, "name"));
    }
    internal += is_internal && handled > 0;
    checked++;
    handled_total += (size_t)handled;
  }
  cr_assert_gt(checked, 3);
  cr_assert_gt(internal, 0, "no runtime-internal actor handled a message");
  cr_assert_gt(handled_total, 200);
  events_free(e);
  free(path);
  json_decref(traces[0]);
  json_decref(traces[1]);
  json_decref(lines);
  as_test_run_free(&run);
}

/* A NAME.events another run left beside this run's snapshots (a run without events, or one whose
 * events file was replaced): its header names another process, so the export leaves it out and
 * says so in one line, and the trace keeps the sampled handlers. It used to draw the other
 * program's handlers on this run's tracks without a word. */
Test(events, another_run_s_events_file_is_left_out_with_a_warning)
{
  const char *argv[] = {"caf_pingpong", "50", NULL};
  const char *env[] = {"ACTORSCOPE_EVENTS=1", NULL};
  struct as_test_run first, second;
  as_test_run(argv, env, 1, &first);
  as_test_run(argv, env, 1, &second);
  cr_assert_eq(first.status, 6, "%s", first.err);
  cr_assert_eq(second.status, 6, "%s", second.err);
  char *stale = only_file(first.dir, ".events"), *own = only_file(second.dir, ".events");
  cr_assert_eq(rename(stale, own), 0);
  const char *export[] = {AS_TEST_CLI, "export", "perfetto", as_test_only_output(second.dir), NULL};
  struct as_test_run run;
  as_test_run(export, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  cr_expect(strstr(run.err, "is another run's (written by pid ") &&
                strstr(run.err, "its events are left out") &&
                !strchr(strchr(run.err, '\n') + 1, '\n'),
            "%s", run.err);
  json_t *trace = json_loads(run.out, 0, NULL), *ev;
  cr_assert_not_null(trace);
  size_t i, exact = 0;
  json_array_foreach(json_object_get(trace, "traceEvents"), i, ev) exact +=
      strcmp(as_test_str(ev, "ph"), "X") == 0;
  cr_expect_eq(exact, 0, "%zu exact slices from another run's events", exact);
  json_decref(trace);
  as_test_run_free(&run);
  free(stale);
  free(own);
  as_test_run_free(&first);
  as_test_run_free(&second);
}
