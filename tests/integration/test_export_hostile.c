/* The exports against hostile recordings (tests/data/export): actor and message-type names full
 * of quotes, backslashes, newlines, markup and control characters must come out as the same
 * text in every format, never as markup or broken syntax; a parent cycle must not loop. */
#define _GNU_SOURCE
#include "harness.h"
#include "test_export_support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(export_hostile, .timeout = 60);

#define HOSTILE AS_TEST_DATA "/export/hostile-names.jsonl"
#define CYCLE AS_TEST_DATA "/export/parent-cycle.jsonl"

static char *export_to_text(const char *format, const char *run)
{
  const char *argv[] = {AS_TEST_CLI, "export", format, run, NULL};
  struct as_test_run r;
  as_test_run(argv, NULL, 0, &r);
  cr_assert_eq(r.status, 0, "export %s: %s", format, r.err);
  char *out = strdup(r.out);
  as_test_run_free(&r);
  return out;
}

/* The hostile name as the recording has it. */
static char *hostile_name(void)
{
  json_t *lines = as_test_load_lines(HOSTILE);
  char *name = strdup(as_test_str(as_test_actor_by_id(as_test_last_snapshot(lines), 2), "name"));
  json_decref(lines);
  cr_assert(strchr(name, '"') && strchr(name, '\n') && strstr(name, "<img"));
  return name;
}

Test(export_hostile, perfetto_names_round_trip_through_json)
{
  char *name = hostile_name(), *text = export_to_text("perfetto", HOSTILE);
  json_error_t error;
  json_t *trace = json_loads(text, 0, &error);
  cr_assert_not_null(trace, "%s", error.text);
  char expected[600];
  snprintf(expected, sizeof expected, "#2 %s", name);
  int found = 0;
  size_t i;
  json_t *ev;
  json_array_foreach(json_object_get(trace, "traceEvents"), i, ev)
  {
    const char *n = json_string_value(json_object_get(ev, "name"));
    json_t *args = json_object_get(ev, "args");
    if (n && strcmp(n, "thread_name") == 0 && json_integer_value(json_object_get(ev, "tid")) == 2)
      found += strcmp(json_string_value(json_object_get(args, "name")), expected) == 0;
  }
  cr_assert_eq(found, 1, "the track of #2 is not named '%s'", expected);
  json_decref(trace);
  free(text);
  free(name);
}

/* A label value of TEXT, unescaped as the exposition format says. */
static char *label_unescape(const char *at)
{
  char *out = malloc(strlen(at) + 1), *o = out;
  for (const char *p = at; *p && *p != '"'; p++) {
    if (*p == '\\') {
      p++;
      *o++ = *p == 'n' ? '\n' : *p;
    } else {
      *o++ = *p;
    }
  }
  *o = 0;
  return out;
}

Test(export_hostile, prometheus_labels_are_escaped_and_promtool_accepts_them)
{
  char *name = hostile_name(), *text = export_to_text("prometheus", HOSTILE);
  const char *at = strstr(text, "actorscope_messages_received_total{");
  cr_assert_not_null(at);
  at = strstr(text, ",name=\"ev");
  cr_assert_not_null(at, "%s", text);
  char *value = label_unescape(at + strlen(",name=\""));
  cr_assert_str_eq(value, name);
  free(value);
  /* Every sample is one line: no raw newline inside a label. */
  for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
    cr_assert(line[0] == '#' || strncmp(line, "actorscope_", 11) == 0, "a broken line: %.80s",
              line);
    if (!strchr(line, '\n'))
      break;
  }
  char path[] = "/tmp/actorscope-hostile-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  export_test_promtool(path);
  unlink(path);
  free(text);
  free(name);
}

Test(export_hostile, html_shows_names_as_text_never_as_markup)
{
  char *text = export_to_text("html", HOSTILE);
  cr_assert(strstr(text, "<img") == NULL, "a name became markup");
  cr_assert(strstr(text, "</script><img") == NULL);
  cr_assert(strstr(text, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;") != NULL);
  /* The name's backslash doubled and its newline as \n, as C writes them: readable, and the
   * name's own "\n" told apart from a newline. */
  cr_assert(strstr(text, "ev&quot;il\\\\name\\n&lt;/script&gt;") != NULL);
  free(text);
}

Test(export_hostile, a_parent_cycle_shows_every_actor_once)
{
  char *text = export_to_text("html", CYCLE);
  for (int id = 1; id <= 4; id++) {
    char needle[32];
    snprintf(needle, sizeof needle, "data-id=\"%d\"", id);
    const char *first = strstr(text, needle);
    cr_assert_not_null(first, "#%d missing", id);
    cr_assert_null(strstr(first + 1, needle), "#%d shown twice", id);
  }
  free(text);
  free(export_to_text("perfetto", CYCLE));
  free(export_to_text("prometheus", CYCLE));
}

Test(export_hostile, an_output_path_that_is_not_a_regular_file_is_left_alone)
{
  char dir[] = "/tmp/actorscope-export-out-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char fifo[128], link[128], target[128];
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  snprintf(link, sizeof link, "%s/link.html", dir);
  snprintf(target, sizeof target, "%s/target.txt", dir);
  cr_assert_eq(mkfifo(fifo, 0600), 0);
  cr_assert_eq(symlink(target, link), 0);
  const char *outputs[] = {fifo, link};
  for (int i = 0; i < 2; i++) {
    const char *argv[] = {AS_TEST_CLI, "export", "html", "-o", outputs[i], CYCLE, NULL};
    struct as_test_run r;
    as_test_run(argv, NULL, 0, &r);
    cr_assert_eq(r.status, 2, "%s: %s", outputs[i], r.err);
    cr_assert_not_null(strstr(r.err, "is not a regular file"), "%s", r.err);
    as_test_run_free(&r);
  }
  struct stat st;
  cr_assert_eq(lstat(fifo, &st), 0);
  cr_assert(S_ISFIFO(st.st_mode), "the FIFO was replaced");
  cr_assert_eq(lstat(link, &st), 0);
  cr_assert(S_ISLNK(st.st_mode), "the link was replaced");
  cr_assert_neq(access(target, F_OK), 0, "the link was followed");
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

Test(export_hostile, an_export_killed_while_it_reads_leaves_no_temporary_file)
{
  char dir[] = "/tmp/actorscope-export-kill-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char script[1024];
  /* A live source that sends a header and a line, then nothing: the export is writing its
   * file when SIGTERM comes. */
  snprintf(script, sizeof script,
           "(head -n 2 %s; sleep 3) | %s export html -o %s/out.html - & pid=$!; sleep 0.5; "
           "kill -TERM $pid; wait $pid; echo status $?; ls %s",
           CYCLE, AS_TEST_CLI, dir, dir);
  const char *argv[] = {"/bin/bash", "-c", script, NULL};
  struct as_test_run r;
  as_test_run(argv, NULL, 0, &r);
  cr_assert_str_eq(r.out, "status 143\n", "a temporary file was left behind: %s", r.out);
  as_test_run_free(&r);
  rmdir(dir);
}
