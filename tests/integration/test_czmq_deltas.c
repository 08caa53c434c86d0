/* Format 2's delta lines: a reader that rebuilds the state from a keyframe and the deltas after
 * it sees exactly what a full snapshot shows. The oracle here is the final keyframe, taken
 * while the program is idle after its last change. */
#include "harness.h"

#include <criterion/criterion.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(czmq_deltas, .timeout = 60);

/* Members that are times of capture rather than state, and children (derived, not written in
 * deltas). */
static void drop_volatile(json_t *actor)
{
  json_object_del(actor, "children");
  json_t *handling = json_object_get(actor, "handling");
  if (json_is_object(handling))
    json_object_del(handling, "elapsed_ns");
  json_t *waiting = json_object_get(actor, "waiting_on");
  if (json_is_object(waiting))
    json_object_del(waiting, "elapsed_ns");
  json_object_del(actor, "spawn_site"); /* an index local to its line */
}

/* Equal, except that durations and instants (members ending in _ns, and handler_ns.*) agree
 * to within a microsecond: they are converted from clock ticks with a calibration refined at
 * every line. */
static int same_state(json_t *a, json_t *b, int is_time)
{
  if (json_is_integer(a) && json_is_integer(b) && is_time) {
    json_int_t d = json_integer_value(a) - json_integer_value(b);
    return d > -1000 && d < 1000;
  }
  if (json_is_object(a) && json_is_object(b)) {
    if (json_object_size(a) != json_object_size(b))
      return 0;
    const char *key;
    json_t *value;
    json_object_foreach(a, key, value)
    {
      size_t n = strlen(key);
      int time = is_time || (n > 3 && strcmp(key + n - 3, "_ns") == 0);
      if (!same_state(value, json_object_get(b, key), time))
        return 0;
    }
    return 1;
  }
  return json_equal(a, b);
}

/* id -> actor, rebuilt line by line as FORMAT.md says. */
static void apply_line(json_t *state, json_t *line)
{
  if (strcmp(as_test_str(line, "type"), "snapshot") == 0)
    json_object_clear(state);
  size_t i;
  json_t *actor;
  json_array_foreach(json_object_get(line, "actors"), i, actor)
  {
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)as_test_int(actor, "id"));
    json_t *copy = json_deep_copy(actor);
    drop_volatile(copy);
    /* An actor already known carries what may have changed: its members replace the old. */
    json_t *known = json_object_get(state, key);
    if (known)
      json_object_update(known, copy);
    else
      json_object_set(state, key, copy);
    json_decref(copy);
  }
  json_t *id;
  json_array_foreach(json_object_get(line, "reaped"), i, id)
  {
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)json_integer_value(id));
    cr_assert_not_null(json_object_get(state, key), "reaped #%s, which is not listed", key);
    json_object_del(state, key);
  }
}

Test(czmq_deltas, the_state_rebuilt_from_deltas_is_the_final_full_snapshot)
{
  /* Two actors work, then the program idles until SIGTERM: the final keyframe shows the state
   * the deltas must have built. */
  const char *argv[] = {
      "/usr/bin/timeout", "-s", "TERM", "0.8", AS_TEST_PROGRAMS "/czmq_ending", "paced", NULL};
  const char *env[] = {"ACTORSCOPE_KEYFRAME_S=3600", "ACTORSCOPE_INTERVAL_MS=20", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  json_t *lines = as_test_run_lines(&run);
  size_t n = json_array_size(lines), deltas = 0, listed_in_deltas = 0;
  cr_assert_geq(n, 5);
  json_t *final = json_array_get(lines, n - 1);
  cr_assert_str_eq(as_test_str(final, "type"), "snapshot");
  cr_assert(json_is_true(json_object_get(final, "final")));
  json_t *state = json_object();
  for (size_t i = 1; i + 1 < n; i++) {
    json_t *line = json_array_get(lines, i);
    int delta = strcmp(as_test_str(line, "type"), "delta") == 0;
    deltas += delta;
    listed_in_deltas += delta ? json_array_size(json_object_get(line, "actors")) : 0;
    apply_line(state, line);
  }
  cr_assert_geq(deltas, 3, "expected delta lines between the keyframes");
  cr_assert_geq(listed_in_deltas, 4, "the deltas should have listed the working actors");
  json_t *expected = json_object();
  apply_line(expected, final);
  cr_assert_eq(json_object_size(expected), 2);
  cr_assert(same_state(state, expected, 0), "rebuilt:\n%s\nfinal:\n%s",
            json_dumps(state, JSON_SORT_KEYS | JSON_INDENT(1)),
            json_dumps(expected, JSON_SORT_KEYS | JSON_INDENT(1)));
  /* The idle lines before the end list no actor and are small. */
  json_t *idle = json_array_get(lines, n - 2);
  cr_assert_null(json_object_get(idle, "actors"));
  json_decref(state);
  json_decref(expected);
  json_decref(lines);
  as_test_run_free(&run);
}

/* The seqs of a file's lines after its header; asserts the first is a keyframe. */
static json_t *rotated_file(const struct as_test_run *run, const char *name)
{
  char path[256];
  snprintf(path, sizeof path, "%s/%s", run->dir, name);
  json_t *lines = as_test_load_lines(path);
  cr_assert_str_eq(as_test_str(json_array_get(lines, 0), "type"), "header", "%s", name);
  cr_assert_str_eq(as_test_str(json_array_get(lines, 1), "type"), "snapshot",
                   "%s does not start with a keyframe", name);
  return lines;
}

Test(czmq_deltas, a_file_past_its_size_is_rotated_and_each_file_starts_with_a_keyframe)
{
  const char *argv[] = {"czmq_slow", "600", NULL};
  const char *env[] = {
      "ACTORSCOPE_OUTPUT=file:out.jsonl", "ACTORSCOPE_MAX_BYTES=4096",  "ACTORSCOPE_KEEP=2",
      "ACTORSCOPE_INTERVAL_MS=10",        "ACTORSCOPE_KEYFRAME_S=3600", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 0);
  cr_assert_str_eq(run.err, "");
  char path[256];
  snprintf(path, sizeof path, "%s/out.3.jsonl", run.dir);
  cr_assert_neq(access(path, F_OK), 0, "more than ACTORSCOPE_KEEP files kept");
  json_t *older = rotated_file(&run, "out.2.jsonl"), *old = rotated_file(&run, "out.1.jsonl"),
         *current = rotated_file(&run, "out.jsonl");
  /* Oldest first, the seqs go on from file to file without a gap. */
  json_int_t expect = as_test_int(json_array_get(older, 1), "seq");
  json_t *files[] = {older, old, current};
  for (int f = 0; f < 3; f++) {
    size_t i;
    json_t *line;
    json_array_foreach(files[f], i, line)
    {
      if (i == 0)
        continue;
      cr_assert_eq(as_test_int(line, "seq"), expect, "file %d line %zu", f, i);
      expect++;
    }
  }
  cr_assert(json_is_true(json_object_get(as_test_last_snapshot(current), "final")));
  for (int f = 0; f < 3; f++)
    json_decref(files[f]);
  as_test_run_free(&run);
}

/* How many lines a file holds (its header included). */
static size_t rotated_line_count(const char *path)
{
  char *text = as_test_read_file(path);
  size_t n = 0;
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  free(text);
  return n;
}

/* Every file of a set, oldest first: NAME.K.jsonl ... NAME.1.jsonl, NAME.jsonl. */
static size_t rotated_set(const struct as_test_run *run, char names[][64], size_t max)
{
  size_t n = 0;
  for (int k = 100; k >= 1 && n < max; k--) {
    char path[256];
    snprintf(names[n], 64, "out.%d.jsonl", k);
    snprintf(path, sizeof path, "%s/%s", run->dir, names[n]);
    if (access(path, F_OK) == 0)
      n++;
  }
  snprintf(names[n++], 64, "out.jsonl");
  return n;
}

/* ACTORSCOPE_MAX_BYTES is a bound on each file: the file is moved aside before a line that
 * would take it past the size; only a line larger than the size itself makes a file bigger,
 * and such a line is then the only one in its file. Each file begins with a keyframe, and the
 * seqs go on from file to file. */
static void rotated_check_bound(const char *max_bytes, long limit, const char *const *argv,
                                size_t *files, size_t *alone)
{
  char max_env[64];
  snprintf(max_env, sizeof max_env, "ACTORSCOPE_MAX_BYTES=%s", max_bytes);
  const char *env[] = {"ACTORSCOPE_OUTPUT=file:out.jsonl",
                       max_env,
                       "ACTORSCOPE_KEEP=100",
                       "ACTORSCOPE_INTERVAL_MS=10",
                       "ACTORSCOPE_KEYFRAME_S=3600",
                       NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_str_eq(run.err, "");
  static char names[102][64];
  size_t n = rotated_set(&run, names, 101);
  cr_assert_geq(n, 3, "expected rotations");
  json_int_t expect = -1;
  *alone = 0;
  for (size_t f = 0; f < n; f++) {
    char path[sizeof run.dir + 64];
    struct stat st;
    snprintf(path, sizeof path, "%s/%.63s", run.dir, names[f]);
    cr_assert_eq(stat(path, &st), 0);
    size_t lines = rotated_line_count(path);
    cr_assert(st.st_size <= limit || lines == 2,
              "%s: %lld bytes in %zu lines, over the limit of %ld with more than one snapshot",
              names[f], (long long)st.st_size, lines, limit);
    *alone += st.st_size > limit;
    json_t *content = rotated_file(&run, names[f]);
    size_t i;
    json_t *line;
    json_array_foreach(content, i, line)
    {
      if (i == 0)
        continue;
      if (expect >= 0)
        cr_assert_eq(as_test_int(line, "seq"), expect, "%s line %zu", names[f], i);
      expect = as_test_int(line, "seq") + 1;
    }
    json_decref(content);
  }
  *files = n;
  as_test_run_free(&run);
}

Test(czmq_deltas, no_file_passes_its_size_and_a_larger_line_gets_a_file_of_its_own)
{
  size_t files, alone;
  /* Lines well under the size: every file within it. Long enough for several files of small
   * delta lines however fast the machine is. */
  const char *small[] = {"czmq_slow", "1500", NULL};
  rotated_check_bound("4096", 4096, small, &files, &alone);
  cr_assert_eq(alone, 0);
  /* A CAF program's keyframes (its runtime's actors, their spawn stacks) pass 4 KiB: each one
   * is alone in a file, with its header. */
  const char *large[] = {"caf_pingpong", "100000", NULL};
  rotated_check_bound("4096", 4096, large, &files, &alone);
  cr_assert_geq(alone, 2, "no line larger than the size in %zu files", files);
}

/* A set whose first files were removed (ACTORSCOPE_KEEP) is read from its oldest file left;
 * report says which seqs it no longer has. */
Test(czmq_deltas, report_of_a_set_whose_first_files_were_removed_names_the_missing_seqs)
{
  const char *argv[] = {"czmq_slow", "600", NULL};
  const char *env[] = {
      "ACTORSCOPE_OUTPUT=file:out.jsonl", "ACTORSCOPE_MAX_BYTES=4096",  "ACTORSCOPE_KEEP=1",
      "ACTORSCOPE_INTERVAL_MS=10",        "ACTORSCOPE_KEYFRAME_S=3600", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  json_t *oldest = rotated_file(&run, "out.1.jsonl");
  json_int_t first = as_test_int(json_array_get(oldest, 1), "seq");
  json_decref(oldest);
  cr_assert_gt(first, 0, "the first files should have been removed");
  char path[256], expected[256];
  snprintf(path, sizeof path, "%s/out.jsonl", run.dir);
  const char *text[] = {AS_TEST_CLI, "report", path, NULL};
  struct as_test_run report;
  as_test_run(text, NULL, 0, &report);
  cr_assert_eq(report.status, 0, "%s", report.err);
  snprintf(expected, sizeof expected,
           "\nmissing snapshots: seq 0 to %lld not in this recording: the rotated files that "
           "held them were removed (ACTORSCOPE_KEEP), or it was recorded from a stream joined "
           "late\n",
           (long long)first - 1);
  cr_assert_not_null(strstr(report.out, expected), "%s", report.out);
  as_test_run_free(&report);
  const char *json[] = {AS_TEST_CLI, "report", "--json", path, NULL};
  as_test_run(json, NULL, 0, &report);
  json_t *account = json_loads(report.out, 0, NULL);
  json_t *gap = json_array_get(json_object_get(account, "missing_seqs"), 0);
  cr_assert_eq(json_integer_value(json_object_get(gap, "first")), 0);
  cr_assert_eq(json_integer_value(json_object_get(gap, "last")), first - 1);
  json_decref(account);
  as_test_run_free(&report);
  /* A seq no longer there is said to be gone, not merely absent. */
  char at[32];
  snprintf(at, sizeof at, "%lld", (long long)first - 1);
  const char *gone[] = {AS_TEST_CLI, "report", "--at", at, path, NULL};
  as_test_run(gone, NULL, 0, &report);
  cr_assert_eq(report.status, 2);
  cr_assert_not_null(strstr(report.err, "not in this recording"), "%s", report.err);
  as_test_run_free(&report);
  as_test_run_free(&run);
}

Test(czmq_deltas, rotation_never_moves_a_file_this_process_did_not_write)
{
  const char *argv[] = {"/bin/sh", "-c",
                        "echo theirs > out.1.jsonl; " AS_TEST_PROGRAMS "/czmq_slow 300; echo $?",
                        NULL};
  const char *env[] = {"ACTORSCOPE_OUTPUT=file:out.jsonl", "ACTORSCOPE_MAX_BYTES=4096",
                       "ACTORSCOPE_INTERVAL_MS=10", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_str_eq(run.out, "slow done\n0\n");
  cr_assert_not_null(strstr(run.err, "out.1.jsonl is not a file this process wrote; snapshots go "
                                     "on in "),
                     "%s", run.err);
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "stderr: %s", run.err);
  char path[256];
  snprintf(path, sizeof path, "%s/out.1.jsonl", run.dir);
  char *text = as_test_read_file(path);
  cr_assert_str_eq(text, "theirs\n");
  free(text);
  /* Tracing went on: the full file stayed, a new set started under the next free name. */
  snprintf(path, sizeof path, "%s/out-2.jsonl", run.dir);
  json_t *lines = as_test_load_lines(path);
  cr_assert(json_is_true(json_object_get(as_test_last_snapshot(lines), "final")),
            "the run's end is not in out-2.jsonl");
  json_decref(lines);
  as_test_run_free(&run);
}

/* The tool's JSON account of a run at SEQ. */
static json_t *report_at(const char *path, long long seq)
{
  char at[32];
  snprintf(at, sizeof at, "%lld", seq);
  const char *argv[] = {AS_TEST_CLI, "report", "--json", "--at", at, path, NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "report --at %s: %s", at, run.err);
  json_t *account = json_loads(run.out, 0, NULL);
  cr_assert_not_null(account, "report --json printed no JSON: %s", run.out);
  as_test_run_free(&run);
  return account;
}

Test(czmq_deltas, a_run_cut_inside_a_delta_line_reads_as_the_state_before_it)
{
  const char *argv[] = {
      "/usr/bin/timeout", "-s", "TERM", "0.8", AS_TEST_PROGRAMS "/czmq_ending", "paced", NULL};
  const char *env[] = {"ACTORSCOPE_KEYFRAME_S=3600", "ACTORSCOPE_INTERVAL_MS=20", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  char *path = as_test_only_output(run.dir);
  char *text = as_test_read_file(path);
  /* The last delta line that lists an actor, cut in its middle; the lines before stay. */
  char *cut = NULL;
  long long last_whole = -1;
  for (char *line = text, *next; *line; line = next + 1) {
    next = strchr(line, '\n');
    if (!next)
      break;
    if (strncmp(line, "{\"type\":\"delta\"", 15) == 0 && strstr(line, "\"actors\"") && next[1]) {
      cut = line + (next - line) / 2;
      last_whole = -1;
      for (char *prev = text, *p; (p = strchr(prev, '\n')) && p < line; prev = p + 1)
        if (strstr(prev, "\"seq\":") && strstr(prev, "\"seq\":") < p)
          last_whole = strtoll(strstr(prev, "\"seq\":") + 6, NULL, 10);
    }
  }
  cr_assert_not_null(cut, "no delta line listing actors");
  char cut_path[300];
  snprintf(cut_path, sizeof cut_path, "%s/cut.jsonl", run.dir);
  FILE *f = fopen(cut_path, "w");
  fwrite(text, 1, (size_t)(cut - text), f);
  fclose(f);
  /* The whole file and the cut one agree on the state at the last whole line. */
  json_t *whole = report_at(path, last_whole), *cut_run = report_at(cut_path, last_whole);
  json_t *a = json_object_get(whole, "actors"), *b = json_object_get(cut_run, "actors");
  cr_assert(json_array_size(a) >= 2);
  cr_assert(json_equal(a, b), "the state at %lld differs:\n%s\n%s", last_whole,
            json_dumps(a, JSON_INDENT(1)), json_dumps(b, JSON_INDENT(1)));
  json_decref(whole);
  json_decref(cut_run);
  free(text);
  free(path);
  as_test_run_free(&run);
}
