/* What a user reads first, on programs nobody here wrote: Zeek's Broker (CAF inside Python,
 * Debian's python3-broker) is named by its script in every view, its tuple message types read
 * as one type each, no name carries an ABI tag; CZMQ's own self-tests show their handler times
 * in readable units, the same text in the report and the HTML page. */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(real_names, .timeout = 240);

static char *record(const char *const *program, const char *out_name, struct as_test_run *run)
{
  const char *argv[16] = {AS_TEST_CLI, "run", "-i", "100", "-o", out_name, "--"};
  size_t n = 7;
  for (size_t i = 0; program[i] && n < 15; i++)
    argv[n++] = program[i];
  argv[n] = NULL;
  as_test_run(argv, NULL, 0, run);
  char *path = NULL;
  cr_assert(asprintf(&path, "%s/%s", run->dir, out_name) > 0);
  return path;
}

static void cli(const char *const *argv, struct as_test_run *out)
{
  as_test_run(argv, NULL, 0, out);
  cr_assert_eq(out->status, 0, "%s: %s%s", argv[1], out->out, out->err);
}

/* The interpreter's own name, as /proc/self/exe gives it ("python3.11"). */
static void python_name(char *out, size_t cap)
{
  char target[PATH_MAX];
  ssize_t n = readlink("/usr/bin/python3", target, sizeof target - 1);
  cr_assert_gt(n, 0);
  target[n] = '\0';
  const char *slash = strrchr(target, '/');
  snprintf(out, cap, "%s", slash ? slash + 1 : target);
}

Test(real_names, a_python_program_is_named_by_its_script_in_every_view)
{
  const char *program[] = {"/usr/bin/python3", AS_TEST_PROGRAMS "/broker_pubsub.py", "50", "20",
                           NULL};
  struct as_test_run run;
  char *path = record(program, "broker.jsonl", &run);
  cr_assert_eq(run.status, 0, "%s%s", run.out, run.err);
  cr_assert(strstr(run.out, "published 50 received 50 stored 20"), "%s", run.out);
  char python[PATH_MAX], name[PATH_MAX + 32];
  python_name(python, sizeof python);
  snprintf(name, sizeof name, "broker_pubsub.py (%s)", python);
  /* run's own summary names it the same way, not by the interpreter's path. */
  char who[PATH_MAX + 64];
  snprintf(who, sizeof who, " (%s): ", name);
  cr_expect(strstr(run.err, who), "%s", run.err);
  cr_expect(!strstr(run.err, "/python3"), "%s", run.err);

  struct as_test_run out;
  const char *report[] = {AS_TEST_CLI, "report", path, NULL};
  cli(report, &out);
  char line[PATH_MAX + 96];
  snprintf(line, sizeof line, "program: %s (pid ", name);
  cr_expect(strstr(out.out, line), "%s", out.out);
  /* Broker's master_resolver gets one (actorvec, str, actor): one type, not "actorvec, str,
   * actor 1" after "actor 1". */
  cr_expect(strstr(out.out, "(actorvec, str, actor) 1"), "%s", out.out);
  cr_expect(!strstr(out.out, "abi:"), "%s", out.out);
  cr_expect(!strstr(out.out, " 0.000 ms"), "%s", out.out);
  as_test_run_free(&out);

  const char *json[] = {AS_TEST_CLI, "report", "--json", path, NULL};
  cli(json, &out);
  json_t *doc = json_loads(out.out, 0, NULL);
  cr_assert_not_null(doc);
  cr_expect_str_eq(json_string_value(json_object_get(doc, "name")), name);
  cr_expect(strstr(json_string_value(json_object_get(doc, "program")), python));
  json_decref(doc);
  as_test_run_free(&out);

  const char *top[] = {AS_TEST_CLI, "top", "--batch", "--frames", "1", path, NULL};
  cli(top, &out);
  snprintf(line, sizeof line, "%s pid ", name);
  cr_expect_eq(strncmp(out.out, line, strlen(line)), 0, "%s", out.out);
  as_test_run_free(&out);

  const char *html[] = {AS_TEST_CLI, "export", "html", path, NULL};
  cli(html, &out);
  snprintf(line, sizeof line, "<title>actorscope: %s (pid ", name);
  cr_expect(strstr(out.out, line), "%.400s", out.out);
  as_test_run_free(&out);

  const char *prom[] = {AS_TEST_CLI, "export", "prometheus", path, NULL};
  cli(prom, &out);
  snprintf(line, sizeof line, "program=\"%s\"", name);
  cr_expect(strstr(out.out, line), "%.600s", out.out);
  as_test_run_free(&out);

  char *text = as_test_read_file(path);
  cr_expect(!strstr(text, "abi:"), "a name in the snapshots keeps an ABI tag");
  free(text);
  free(path);
  as_test_run_free(&run);
}

/* The first "Slowest handlers" line's duration: "  #7 zbeacon: 1.23 ms handling ..." */
static char *first_slowest(const char *report)
{
  const char *at = strstr(report, "\nSlowest handlers:\n  #");
  cr_assert_not_null(at, "%s", report);
  at = strstr(at + 20, ": ");
  cr_assert_not_null(at);
  at += 2;
  const char *end = strstr(at, " handling");
  const char *alt = strstr(at, " (message type");
  if (!end || (alt && alt < end))
    end = alt;
  cr_assert_not_null(end);
  return strndup(at, (size_t)(end - at));
}

Test(real_names, czmqs_self_tests_read_their_handler_times_in_units_the_html_agrees_with)
{
  const char *program[] = {AS_TEST_PROGRAMS "/czmq_selftests", "zproxy", "zmonitor", NULL};
  struct as_test_run run;
  char *path = record(program, "selftests.jsonl", &run);
  cr_assert_eq(run.status, 0, "%s%s", run.out, run.err);

  struct as_test_run out;
  const char *report[] = {AS_TEST_CLI, "report", path, NULL};
  cli(report, &out);
  cr_expect(strstr(out.out, "/czmq_selftests (pid "), "%s", out.out);
  char *longest = first_slowest(out.out);
  /* Three significant digits and a unit: "812 ns", "4.10 µs", "23.5 ms", "1.50 s". */
  size_t digits = strspn(longest, "0123456789."), len = strlen(longest);
  cr_expect(digits == 3 || digits == 4, "'%s'", longest);
  cr_expect(len > 3 &&
                (strcmp(longest + len - 3, " ns") == 0 ||
                 strcmp(longest + len - 4, " \xc2\xb5s") == 0 ||
                 strcmp(longest + len - 3, " ms") == 0 || strcmp(longest + len - 2, " s") == 0),
            "'%s'", longest);
  cr_expect(!strstr(out.out, " 0.000 ms"), "%s", out.out);
  as_test_run_free(&out);

  /* The longest handler of the run, shown on the HTML page's card in the same words. */
  const char *html[] = {AS_TEST_CLI, "export", "html", path, NULL};
  cli(html, &out);
  char card[128];
  snprintf(card, sizeof card, ">%s<", longest);
  cr_expect(strstr(out.out, card), "the page does not show %s", card);
  as_test_run_free(&out);
  free(longest);
  free(path);
  as_test_run_free(&run);
}

/* A command line longer than the header holds (a job runner passing thousands of paths): the
 * header lists its first words whole, the one cut by the reading buffer's end left out rather
 * than named wrongly, and the program runs as without the tracer. */
Test(real_names, a_command_line_longer_than_the_header_holds_lists_no_cut_word)
{
#define LONG_ARGS 40
  static char words[LONG_ARGS][1001];
  const char *argv[LONG_ARGS + 5] = {"caf_selfloop", "10", "1", "1"};
  for (int i = 0; i < LONG_ARGS; i++) {
    memset(words[i], 'a' + i % 26, 1000);
    words[i][0] = (char)('0' + i % 10);
    words[i][1000] = '\0';
    argv[4 + i] = words[i];
  }
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  json_t *lines = as_test_run_lines(&run);
  json_t *listed = json_object_get(json_array_get(lines, 0), "argv");
  cr_assert(json_is_array(listed));
  size_t count = json_array_size(listed);
  cr_assert_gt(count, 4, "%zu words", count);
  cr_assert_lt(count, LONG_ARGS + 4, "all %zu words listed: the line was not longer", count);
  for (size_t i = 1; i < count; i++)
    cr_assert_str_eq(json_string_value(json_array_get(listed, i)), argv[i], "word %zu", i);
  json_decref(lines);
  as_test_run_free(&run);
}
