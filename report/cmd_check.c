/* actorscope check: a CI gate. Evaluates rules over a recorded run, prints one line per
 * violated rule naming the offending actors, optionally writes JUnit XML, and exits 1 when
 * any rule fails. */
#define _GNU_SOURCE
#include "commands.h"
#include "escape.h"
#include "rules_eval.h"
#include "recording.h"
#include "show.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char check_usage[] =
    "usage: actorscope check [RULE FLAGS] [--rules FILE] [--junit FILE] RUN\n"
    "\n"
    "Fails (exit 1) when the recorded RUN (a snapshot file, or unix:PATH / tcp:[HOST:]PORT of a\n"
    "live run, read to its end) breaks a rule. Rules (flags, or lines of a --rules file):\n"
    "  --max-alive N            max-alive N            never more than N actors alive at once\n"
    "  --max-alive-at-exit N    max-alive-at-exit N    at most N actors still alive at the end\n"
    "  --max-spawned N          max-spawned N          at most N actors spawned in all\n"
    "  --expect NAME=C|MIN..MAX expect NAME C|MIN..MAX how many actors of that name\n"
    "  --max-mailbox N[:NAME]   max-mailbox N [NAME]   no mailbox ever deeper than N\n"
    "  --max-handler-ms N[:NAME] max-handler-ms N [NAME] no handler ran (or hung) longer\n"
    "  --max-handler-p99-ms N[:NAME]\n"
    "                           max-handler-p99-ms N [NAME]\n"
    "                           per actor name, 99% of finished handlers took at most N ms\n"
    "  --max-mailbox-wait-p99-ms N[:NAME]\n"
    "                           max-mailbox-wait-p99-ms N [NAME]\n"
    "                           per actor name, 99% of messages waited at most N ms in the\n"
    "                           mailbox before their handler began\n"
    "  --no-deadlock            no-deadlock            no wait-for cycle in any snapshot\n"
    "  --no-exceptions          no-exceptions          no handler threw\n"
    "  (a --rules line)         no-messages FROM TO    actors named FROM never sent a message\n"
    "                           to actors named TO (or a thread of that name, e.g. main)\n"
    "  --baseline FILE          baseline FILE tolerance PCT\n"
    "                           actors per name and messages per type grow at most PCT%\n"
    "  --tolerance PCT          tolerance for --baseline (default 10)\n"
    "  --internal               include runtime-internal actors (CAF's spawn server ...)\n"
    "In a rules file '#' starts a comment and a NAME with spaces goes in double quotes\n"
    "(expect \"caf::(anonymous namespace)::impl\" 1); flags take names as they are\n"
    "(--expect 'my actor=2', --max-mailbox '10:my actor'). max-alive-at-exit fails when the\n"
    "run has no final snapshot. --junit FILE also writes a JUnit XML report.\n";

static int check_write_junit(const char *path, const char *run, const struct rule_list *rules,
                             const struct rules_result *results, size_t failures)
{
  FILE *out = fopen(path, "w");
  if (!out)
    return -1;
  fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"");
  escape_html_text(out, "actorscope check ");
  escape_html_text(out, run);
  fprintf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", rules->count, failures);
  for (size_t i = 0; i < rules->count; i++) {
    fprintf(out, "    <testcase classname=\"actorscope.check\" name=\"");
    escape_html_text(out, rules->items[i].text);
    if (!results[i].detail) {
      fprintf(out, "\"/>\n");
      continue;
    }
    fprintf(out, "\">\n      <failure message=\"");
    escape_html_text(out, results[i].detail);
    fprintf(out, "\">");
    escape_html_text(out, results[i].detail);
    fprintf(out, "</failure>\n    </testcase>\n");
  }
  fprintf(out, "  </testsuite>\n</testsuites>\n");
  return fclose(out) == 0 ? 0 : -1;
}

/* A flag's value as rule words: "N[:NAME]" (SEP ':', split at the first) or "NAME=COUNT"
 * (SEP '=', split at the last, the name first). Names need no quoting here. */
static int check_flag_rule(struct rule_list *rules, const char *keyword, const char *arg, char sep,
                           const char *flag, struct rules_error *err)
{
  char *copy = strdup(arg);
  if (!copy) {
    snprintf(err->text, sizeof err->text, "%s: out of memory", flag);
    return -1;
  }
  char *split = sep == ':' ? strchr(copy, ':') : sep == '=' ? strrchr(copy, '=') : NULL;
  const char *words[3] = {keyword, copy, NULL};
  size_t n = 2;
  if (split) {
    *split = '\0';
    words[n++] = split + 1;
  }
  int rc = rules_add_words(rules, words, n, flag, err);
  free(copy);
  return rc;
}

int cmd_check(int argc, char **argv)
{
  enum {
    O_RULES = 256,
    O_JUNIT,
    O_MAX_ALIVE,
    O_MAX_EXIT,
    O_MAX_SPAWNED,
    O_EXPECT,
    O_MAILBOX,
    O_HANDLER,
    O_HANDLER_P99,
    O_WAIT_P99,
    O_NO_DEADLOCK,
    O_NO_EXCEPTIONS,
    O_BASELINE,
    O_TOLERANCE,
    O_INTERNAL
  };
  static const struct option options[] = {
      {"rules", required_argument, NULL, O_RULES},
      {"junit", required_argument, NULL, O_JUNIT},
      {"max-alive", required_argument, NULL, O_MAX_ALIVE},
      {"max-alive-at-exit", required_argument, NULL, O_MAX_EXIT},
      {"max-spawned", required_argument, NULL, O_MAX_SPAWNED},
      {"expect", required_argument, NULL, O_EXPECT},
      {"max-mailbox", required_argument, NULL, O_MAILBOX},
      {"max-handler-ms", required_argument, NULL, O_HANDLER},
      {"max-handler-p99-ms", required_argument, NULL, O_HANDLER_P99},
      {"max-mailbox-wait-p99-ms", required_argument, NULL, O_WAIT_P99},
      {"no-deadlock", no_argument, NULL, O_NO_DEADLOCK},
      {"no-exceptions", no_argument, NULL, O_NO_EXCEPTIONS},
      {"baseline", required_argument, NULL, O_BASELINE},
      {"tolerance", required_argument, NULL, O_TOLERANCE},
      {"internal", no_argument, NULL, O_INTERNAL},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  struct rule_list rules = {0};
  struct rules_error err = {""};
  const char *junit = NULL, *baseline = NULL, *tolerance = "10";
  int opt, rc = 0, internal = 0;
  optind = 1;
  while (rc == 0 && (opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (opt) {
    case O_RULES: rc = rules_parse_file(&rules, optarg, &err); break;
    case O_JUNIT: junit = optarg; break;
    case O_MAX_ALIVE:
      rc = check_flag_rule(&rules, "max-alive", optarg, 0, "--max-alive", &err);
      break;
    case O_MAX_EXIT:
      rc = check_flag_rule(&rules, "max-alive-at-exit", optarg, 0, "--max-alive-at-exit", &err);
      break;
    case O_MAX_SPAWNED:
      rc = check_flag_rule(&rules, "max-spawned", optarg, 0, "--max-spawned", &err);
      break;
    case O_EXPECT: rc = check_flag_rule(&rules, "expect", optarg, '=', "--expect", &err); break;
    case O_MAILBOX:
      rc = check_flag_rule(&rules, "max-mailbox", optarg, ':', "--max-mailbox", &err);
      break;
    case O_HANDLER:
      rc = check_flag_rule(&rules, "max-handler-ms", optarg, ':', "--max-handler-ms", &err);
      break;
    case O_HANDLER_P99:
      rc = check_flag_rule(&rules, "max-handler-p99-ms", optarg, ':', "--max-handler-p99-ms", &err);
      break;
    case O_WAIT_P99:
      rc = check_flag_rule(&rules, "max-mailbox-wait-p99-ms", optarg, ':',
                           "--max-mailbox-wait-p99-ms", &err);
      break;
    case O_NO_DEADLOCK: rc = rules_parse_line(&rules, "no-deadlock", "--no-deadlock", &err); break;
    case O_NO_EXCEPTIONS:
      rc = rules_parse_line(&rules, "no-exceptions", "--no-exceptions", &err);
      break;
    case O_BASELINE: baseline = optarg; break;
    case O_TOLERANCE: tolerance = optarg; break;
    case O_INTERNAL: internal = 1; break;
    case 'h':
      fputs(check_usage, stdout);
      rules_free(&rules);
      return CMD_OK;
    default:
      fputs(check_usage, stderr);
      rules_free(&rules);
      return CMD_USAGE;
    }
  }
  if (rc == 0 && baseline) {
    const char *words[] = {"baseline", baseline, "tolerance", tolerance};
    rc = rules_add_words(&rules, words, 4, "--baseline", &err);
  }
  if (rc < 0) {
    fprintf(stderr, "actorscope check: %s\n", err.text);
    rules_free(&rules);
    return CMD_USAGE;
  }
  if (optind != argc - 1 || rules.count == 0) {
    fprintf(stderr, "actorscope check: %s\n",
            optind != argc - 1 ? "give exactly one run" : "no rules given");
    fputs(check_usage, stderr);
    rules_free(&rules);
    return CMD_USAGE;
  }

  const char *run = argv[optind];
  struct recording model;
  struct rm_names names;
  if (recording_read(&model, run, -1, internal, "check") < 0) {
    rules_free(&rules);
    return CMD_USAGE;
  }
  if (recording_names(&model, &names) < 0) {
    fprintf(stderr, "actorscope check: out of memory\n");
    recording_free(&model);
    rules_free(&rules);
    return CMD_USAGE;
  }

  struct rules_result *results = calloc(rules.count, sizeof *results);
  size_t failures = 0;
  int status = CMD_OK;
  for (size_t i = 0; i < rules.count && status == CMD_OK; i++) {
    char why[700];
    if (rules_eval(&rules.items[i], &model, &names, 0, &results[i], why, sizeof why) < 0) {
      fprintf(stderr, "actorscope check: %s\n", why);
      status = CMD_USAGE;
    } else if (results[i].detail) {
      failures++;
      printf("FAIL ");
      show_clean(rules.items[i].text, stdout);
      printf(": ");
      show_clean(results[i].detail, stdout);
      printf("\n");
    }
  }
  if (status == CMD_OK) {
    printf("check: %zu of %zu rules failed\n", failures, rules.count);
    if (junit && check_write_junit(junit, run, &rules, results, failures) < 0) {
      fprintf(stderr, "actorscope check: cannot write %s\n", junit);
      status = CMD_USAGE;
    } else if (failures) {
      status = CMD_FAILED;
    }
  }
  for (size_t i = 0; i < rules.count; i++)
    rules_result_free(&results[i]);
  free(results);
  recording_names_free(&names);
  recording_free(&model);
  rules_free(&rules);
  return status;
}
