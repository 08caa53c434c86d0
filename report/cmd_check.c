/* actorscope check: a CI gate. Evaluates rules over a recorded run, prints one line per
 * violated rule naming the offending actors, optionally writes JUnit XML, and exits 1 when
 * any rule fails. */
#define _GNU_SOURCE
#include "commands.h"
#include "rules.h"
#include "runmodel.h"
#include "snapfile.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char check_usage[] =
    "usage: actorscope check [RULE FLAGS] [--rules FILE] [--junit FILE] RUN\n"
    "\n"
    "Fails (exit 1) when the recorded RUN (a snapshot file, or unix:PATH / tcp:HOST:PORT of a\n"
    "live run, read to its end) breaks a rule. Rules (flags, or lines of a --rules file):\n"
    "  --max-alive N            max-alive N            never more than N actors alive at once\n"
    "  --max-alive-at-exit N    max-alive-at-exit N    at most N actors still alive at the end\n"
    "  --max-spawned N          max-spawned N          at most N actors spawned in all\n"
    "  --expect NAME=C|MIN..MAX expect NAME C|MIN..MAX how many actors of that name\n"
    "  --max-mailbox N[:NAME]   max-mailbox N [NAME]   no mailbox ever deeper than N\n"
    "  --max-handler-ms N[:NAME] max-handler-ms N [NAME] no handler ran (or hung) longer\n"
    "  --no-deadlock            no-deadlock            no wait-for cycle in any snapshot\n"
    "  --no-exceptions          no-exceptions          no handler threw\n"
    "  --baseline FILE          baseline FILE tolerance PCT\n"
    "                           actors per name and messages per type grow at most PCT%\n"
    "  --tolerance PCT          tolerance for --baseline (default 10)\n"
    "In a rules file '#' starts a comment. --junit FILE also writes a JUnit XML report.\n";

struct check_result {
  char *detail; /* NULL when the rule holds */
  size_t len, cap;
};

static void check_note(struct check_result *r, const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  size_t add = strlen(buf) + 2;
  if (r->len + add + 1 > r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 256;
    while (cap < r->len + add + 1)
      cap *= 2;
    char *grown = realloc(r->detail, cap);
    if (!grown)
      return;
    r->detail = grown;
    r->cap = cap;
  }
  r->len += (size_t)sprintf(r->detail + r->len, "%s%s", r->len ? "; " : "", buf);
}

static int check_name_matches(const struct rule *rule, json_t *actor)
{
  const char *name = snapfile_str(actor, "name");
  return !rule->name[0] || (name && strcmp(name, rule->name) == 0);
}

static void check_actors(const struct rule *rule, const struct runmodel *m, struct check_result *r)
{
  size_t i;
  json_t *a;
  json_array_foreach(m->actors, i, a) {
    if (!check_name_matches(rule, a))
      continue;
    long long id = snapfile_int(a, "id");
    const char *name = snapfile_str(a, "name");
    if (rule->kind == RULE_MAX_MAILBOX) {
      long long max = snapfile_int(json_object_get(a, "mailbox"), "max");
      if (max > rule->limit)
        check_note(r, "#%lld %s mailbox reached %lld", id, name, max);
    } else if (rule->kind == RULE_MAX_HANDLER_MS) {
      long long ns = runmodel_handler_max_ns(m, a);
      if (ns > rule->limit * 1000000LL)
        check_note(r, "#%lld %s handler ran %.1f ms", id, name, (double)ns / 1e6);
    } else if (rule->kind == RULE_NO_EXCEPTIONS) {
      long long n = snapfile_int(json_object_get(a, "counters"), "exceptions");
      if (n > 0)
        check_note(r, "#%lld %s threw %lld", id, name, n);
    }
  }
}

static void check_growth(struct check_result *r, const char *what, long long now, long long base,
                         double tolerance_pct)
{
  if ((double)now > (double)base * (1.0 + tolerance_pct / 100.0))
    check_note(r, base ? "%s: %lld (baseline %lld, +%.1f%%)" : "%s: %lld (baseline %lld)", what,
               now, base, base ? ((double)now / (double)base - 1.0) * 100.0 : 0.0);
}

static int check_baseline(const struct rule *rule, const struct runmodel *m,
                          struct check_result *r, char *err, size_t err_len)
{
  struct snapfile base_file;
  struct snapfile_error ferr;
  if (snapfile_load(&base_file, rule->path, &ferr) < 0) {
    snprintf(err, err_len, "baseline %s", ferr.text);
    return -1;
  }
  struct runmodel base;
  if (runmodel_build(&base, &base_file, -1) < 0) {
    snprintf(err, err_len, "baseline %s holds no snapshot", rule->path);
    snapfile_free(&base_file);
    return -1;
  }
  const char *name;
  json_t *agg;
  json_object_foreach(m->by_name, name, agg) {
    json_t *old = json_object_get(base.by_name, name);
    char what[256];
    snprintf(what, sizeof what, "actors named %s", name);
    check_growth(r, what, snapfile_int(agg, "spawned"), snapfile_int(old, "spawned"),
                 rule->tolerance_pct);
    const char *type;
    json_t *count;
    json_object_foreach(json_object_get(agg, "messages"), type, count) {
      snprintf(what, sizeof what, "%s messages to %s", type, name);
      check_growth(r, what, json_integer_value(count),
                   json_integer_value(json_object_get(json_object_get(old, "messages"), type)),
                   rule->tolerance_pct);
    }
  }
  runmodel_free(&base);
  snapfile_free(&base_file);
  return 0;
}

static int check_rule(const struct rule *rule, const struct runmodel *m, struct check_result *r,
                      char *err, size_t err_len)
{
  json_t *totals = json_object_get(m->at, "totals");
  size_t i;
  json_t *a;
  switch (rule->kind) {
  case RULE_MAX_ALIVE:
    if (m->max_alive > rule->limit)
      check_note(r, "%lld actors were alive at once", m->max_alive);
    return 0;
  case RULE_MAX_ALIVE_AT_EXIT:
    if (snapfile_int(totals, "alive") > rule->limit) {
      check_note(r, "%lld actors alive at the end", snapfile_int(totals, "alive"));
      json_array_foreach(json_object_get(m->at, "actors"), i, a)
        if (strcmp(snapfile_str(a, "status") ? snapfile_str(a, "status") : "", "stopped") != 0)
          check_note(r, "#%lld %s", snapfile_int(a, "id"), snapfile_str(a, "name"));
    }
    return 0;
  case RULE_MAX_SPAWNED:
    if (snapfile_int(totals, "total_spawned") > rule->limit)
      check_note(r, "%lld actors spawned", snapfile_int(totals, "total_spawned"));
    return 0;
  case RULE_EXPECT: {
    long long n = snapfile_int(json_object_get(m->by_name, rule->name), "spawned");
    if (n < rule->limit || n > rule->max)
      check_note(r, "%lld actors named %s", n, rule->name);
    return 0;
  }
  case RULE_MAX_MAILBOX:
  case RULE_MAX_HANDLER_MS:
  case RULE_NO_EXCEPTIONS:
    check_actors(rule, m, r);
    return 0;
  case RULE_NO_DEADLOCK:
    json_array_foreach(m->deadlocks, i, a) {
      char cycle[400] = "";
      size_t used = 0, k;
      json_t *id;
      json_array_foreach(json_object_get(a, "actors"), k, id)
        used += (size_t)snprintf(cycle + used, used < sizeof cycle ? sizeof cycle - used : 0,
                                 "#%lld %s -> ", (long long)json_integer_value(id),
                                 json_string_value(json_array_get(json_object_get(a, "names"), k)));
      check_note(r, "cycle %s(back to the first) from snapshot %lld", cycle,
                 snapfile_int(a, "first_seq"));
    }
    return 0;
  case RULE_BASELINE:
    return check_baseline(rule, m, r, err, err_len);
  }
  return 0;
}

static void check_xml_escaped(FILE *out, const char *text)
{
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    switch (*p) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&apos;", out); break;
    default:
      /* XML 1.0 forbids most control characters, even escaped. */
      if (*p >= 0x20 || *p == '\t' || *p == '\n')
        fputc(*p, out);
    }
  }
}

static int check_write_junit(const char *path, const char *run, const struct rule_list *rules,
                             const struct check_result *results, size_t failures)
{
  FILE *out = fopen(path, "w");
  if (!out)
    return -1;
  fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"");
  check_xml_escaped(out, "actorscope check ");
  check_xml_escaped(out, run);
  fprintf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", rules->count, failures);
  for (size_t i = 0; i < rules->count; i++) {
    fprintf(out, "    <testcase classname=\"actorscope.check\" name=\"");
    check_xml_escaped(out, rules->items[i].text);
    if (!results[i].detail) {
      fprintf(out, "\"/>\n");
      continue;
    }
    fprintf(out, "\">\n      <failure message=\"");
    check_xml_escaped(out, results[i].detail);
    fprintf(out, "\">");
    check_xml_escaped(out, results[i].detail);
    fprintf(out, "</failure>\n    </testcase>\n");
  }
  fprintf(out, "  </testsuite>\n</testsuites>\n");
  return fclose(out) == 0 ? 0 : -1;
}

/* Turns "N[:NAME]" into "keyword N NAME". */
static int check_flag_rule(struct rule_list *rules, const char *keyword, const char *arg,
                           char sep, const char *flag, struct rules_error *err)
{
  char line[700];
  const char *colon = sep ? strchr(arg, sep) : NULL;
  if (colon)
    snprintf(line, sizeof line, "%s %.*s %s", keyword, (int)(colon - arg), arg, colon + 1);
  else
    snprintf(line, sizeof line, "%s %s", keyword, arg ? arg : "");
  return rules_parse_line(rules, line, flag, err);
}

int cmd_check(int argc, char **argv)
{
  enum { O_RULES = 256, O_JUNIT, O_MAX_ALIVE, O_MAX_EXIT, O_MAX_SPAWNED, O_EXPECT, O_MAILBOX,
         O_HANDLER, O_NO_DEADLOCK, O_NO_EXCEPTIONS, O_BASELINE, O_TOLERANCE };
  static const struct option options[] = {
      {"rules", required_argument, NULL, O_RULES},
      {"junit", required_argument, NULL, O_JUNIT},
      {"max-alive", required_argument, NULL, O_MAX_ALIVE},
      {"max-alive-at-exit", required_argument, NULL, O_MAX_EXIT},
      {"max-spawned", required_argument, NULL, O_MAX_SPAWNED},
      {"expect", required_argument, NULL, O_EXPECT},
      {"max-mailbox", required_argument, NULL, O_MAILBOX},
      {"max-handler-ms", required_argument, NULL, O_HANDLER},
      {"no-deadlock", no_argument, NULL, O_NO_DEADLOCK},
      {"no-exceptions", no_argument, NULL, O_NO_EXCEPTIONS},
      {"baseline", required_argument, NULL, O_BASELINE},
      {"tolerance", required_argument, NULL, O_TOLERANCE},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  struct rule_list rules = {0};
  struct rules_error err = {""};
  const char *junit = NULL, *baseline = NULL, *tolerance = "10";
  int opt, rc = 0;
  optind = 1;
  while (rc == 0 && (opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (opt) {
    case O_RULES: rc = rules_parse_file(&rules, optarg, &err); break;
    case O_JUNIT: junit = optarg; break;
    case O_MAX_ALIVE: rc = check_flag_rule(&rules, "max-alive", optarg, 0, "--max-alive", &err); break;
    case O_MAX_EXIT:
      rc = check_flag_rule(&rules, "max-alive-at-exit", optarg, 0, "--max-alive-at-exit", &err);
      break;
    case O_MAX_SPAWNED:
      rc = check_flag_rule(&rules, "max-spawned", optarg, 0, "--max-spawned", &err);
      break;
    case O_EXPECT: rc = check_flag_rule(&rules, "expect", optarg, '=', "--expect", &err); break;
    case O_MAILBOX: rc = check_flag_rule(&rules, "max-mailbox", optarg, ':', "--max-mailbox", &err); break;
    case O_HANDLER:
      rc = check_flag_rule(&rules, "max-handler-ms", optarg, ':', "--max-handler-ms", &err);
      break;
    case O_NO_DEADLOCK: rc = rules_parse_line(&rules, "no-deadlock", "--no-deadlock", &err); break;
    case O_NO_EXCEPTIONS:
      rc = rules_parse_line(&rules, "no-exceptions", "--no-exceptions", &err);
      break;
    case O_BASELINE: baseline = optarg; break;
    case O_TOLERANCE: tolerance = optarg; break;
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
    char line[700];
    snprintf(line, sizeof line, "baseline %s tolerance %s", baseline, tolerance);
    rc = rules_parse_line(&rules, line, "--baseline", &err);
  }
  if (rc < 0) {
    fprintf(stderr, "actorscope check: %s\n", err.text);
    rules_free(&rules);
    return CMD_USAGE;
  }
  if (optind != argc - 1 || rules.count == 0) {
    fprintf(stderr, "actorscope check: %s\n", optind != argc - 1 ? "give exactly one run" : "no rules given");
    fputs(check_usage, stderr);
    rules_free(&rules);
    return CMD_USAGE;
  }

  const char *run = argv[optind];
  struct snapfile file;
  struct runmodel model;
  if (runmodel_load(&file, &model, run, -1, "check") < 0) {
    rules_free(&rules);
    return CMD_USAGE;
  }

  struct check_result *results = calloc(rules.count, sizeof *results);
  size_t failures = 0;
  int status = CMD_OK;
  for (size_t i = 0; i < rules.count && status == CMD_OK; i++) {
    char why[700];
    if (check_rule(&rules.items[i], &model, &results[i], why, sizeof why) < 0) {
      fprintf(stderr, "actorscope check: %s\n", why);
      status = CMD_USAGE;
    } else if (results[i].detail) {
      failures++;
      printf("FAIL %s: %s\n", rules.items[i].text, results[i].detail);
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
    free(results[i].detail);
  free(results);
  runmodel_free(&model);
  snapfile_free(&file);
  rules_free(&rules);
  return status;
}
