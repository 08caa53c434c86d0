/* actorscope check: a CI gate. Evaluates rules over a recorded run, prints one line per
 * violated rule naming the offending actors, optionally writes JUnit XML, and exits 1 when
 * any rule fails. */
#define _GNU_SOURCE
#include "commands.h"
#include "escape.h"
#include "rules.h"
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
    "  --baseline FILE          baseline FILE tolerance PCT\n"
    "                           actors per name and messages per type grow at most PCT%\n"
    "  --tolerance PCT          tolerance for --baseline (default 10)\n"
    "  --internal               include runtime-internal actors (CAF's spawn server ...)\n"
    "In a rules file '#' starts a comment and a NAME with spaces goes in double quotes\n"
    "(expect \"caf::(anonymous namespace)::impl\" 1); flags take names as they are\n"
    "(--expect 'my actor=2', --max-mailbox '10:my actor'). max-alive-at-exit fails when the\n"
    "run has no final snapshot. --junit FILE also writes a JUnit XML report.\n";

struct check_result {
  char *detail; /* NULL when the rule holds */
  size_t len, cap;
};

static void check_note(struct check_result *r, const char *fmt, ...)
{
  char *buf = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&buf, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  size_t add = strlen(buf) + 2;
  if (r->len + add + 1 > r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 256;
    while (cap < r->len + add + 1)
      cap *= 2;
    char *grown = realloc(r->detail, cap);
    if (!grown) {
      free(buf);
      return;
    }
    r->detail = grown;
    r->cap = cap;
  }
  r->len += (size_t)sprintf(r->detail + r->len, "%s%s", r->len ? "; " : "", buf);
  free(buf);
}

static int check_name_matches(const struct rule *rule, const struct recording *m,
                              const struct rm_actor *a)
{
  return !rule->name[0] || strcmp(strtab_text(&m->strings, a->name), rule->name) == 0;
}

static void check_actors(const struct rule *rule, const struct recording *m, struct check_result *r)
{
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (!recording_visible(m, a) || !check_name_matches(rule, m, a))
      continue;
    long long id = a->id;
    const char *name = strtab_text(&m->strings, a->name);
    if (rule->kind == RULE_MAX_MAILBOX) {
      if (a->mailbox_max > rule->limit)
        check_note(r, "#%lld %s mailbox reached %lld", id, name, (long long)a->mailbox_max);
    } else if (rule->kind == RULE_MAX_HANDLER_MS) {
      uint32_t type;
      int running;
      int64_t ns = recording_handler_max(a, &type, &running), limit = as_sat_mul(rule->limit, 1000000);
      char took[SHOW_DURATION_MAX];
      if (ns > limit)
        check_note(r, "#%lld %s handler %s %s%s%s%s", id, name,
                   running ? "still running after" : "ran",
                   show_duration_above(ns, limit, 0, took, sizeof took),
                   type != RM_NONE ? " (" : "", type != RM_NONE ? strtab_text(&m->strings, type) : "",
                   type != RM_NONE ? ")" : "");
    } else if (rule->kind == RULE_NO_EXCEPTIONS) {
      if (a->exceptions > 0)
        check_note(r, "#%lld %s threw %lld", id, name, (long long)a->exceptions);
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

static int check_baseline(const struct rule *rule, const struct recording *m,
                          const struct rm_names *names, struct check_result *r, char *err,
                          size_t err_len)
{
  struct recording base;
  struct rm_names base_names;
  if (recording_read(&base, rule->path, -1, m->include_internal, "check") < 0) {
    snprintf(err, err_len, "baseline %s cannot be used (see above)", rule->path);
    return -1;
  }
  if (recording_names(&base, &base_names) < 0) {
    recording_free(&base);
    snprintf(err, err_len, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < names->n; i++) {
    const struct rm_name *agg = &names->items[i];
    const char *name = strtab_text(&m->strings, agg->name);
    const struct rm_name *old = recording_names_find(&base, &base_names, name);
    char what[700];
    snprintf(what, sizeof what, "actors named %s", name);
    check_growth(r, what, agg->spawned, old ? old->spawned : 0, rule->tolerance_pct);
    for (size_t k = 0; k < agg->n_types; k++) {
      const char *type = strtab_text(&m->strings, agg->types[k].type);
      snprintf(what, sizeof what, "%s messages to %s", type, name);
      check_growth(r, what, agg->types[k].sum, recording_name_count(&base, old, type),
                   rule->tolerance_pct);
    }
  }
  recording_names_free(&base_names);
  recording_free(&base);
  return 0;
}

/* Per actor name (or NAME only): the p99 of its finished handlers, or of its messages' waits
 * in the mailbox, from its actors' histograms merged. A run whose snapshots carry no such
 * histogram (an older tracer) cannot pass. */
static void check_p99(const struct rule *rule, const struct recording *m,
                      const struct rm_names *names, struct check_result *r)
{
  int waits = rule->kind == RULE_MAX_MAILBOX_WAIT_P99_MS;
  int any = 0;
  for (size_t i = 0; i < names->n; i++) {
    const struct rm_name *agg = &names->items[i];
    const char *name = strtab_text(&m->strings, agg->name);
    int64_t p99 = waits ? recording_name_wait_percentile(m, agg, 99)
                        : recording_name_percentile(m, agg, 99);
    int64_t limit = as_sat_mul(rule->limit, 1000000);
    char p99_text[SHOW_DURATION_MAX], max_text[SHOW_DURATION_MAX];
    any |= p99 >= 0;
    if (p99 < 0 || (rule->name[0] && strcmp(name, rule->name) != 0) || p99 <= limit)
      continue;
    show_duration_above(p99, limit, 0, p99_text, sizeof p99_text);
    if (waits)
      check_note(r, "%s messages waited in the mailbox: p99 %s (max %s)", name, p99_text,
                 show_duration(recording_name_wait_percentile(m, agg, 100), 0, max_text,
                               sizeof max_text));
    else
      check_note(r, "%s handlers: p99 %s (max %s)", name, p99_text,
                 show_duration(agg->finished_max_ns, 0, max_text, sizeof max_text));
  }
  if (!any)
    check_note(r, waits ? "the run's snapshots carry no mailbox-wait histograms (a tracer older "
                          "than mailbox_wait_histogram?)"
                        : "the run's snapshots carry no handler-time histograms (a tracer older "
                          "than handler_histogram?)");
}

static int check_rule(const struct rule *rule, const struct recording *m,
                      const struct rm_names *names, struct check_result *r, char *err,
                      size_t err_len)
{
  char note[200];
  /* A rule about a name no actor of the run has would check nothing: a misspelt name must not
   * let the gate pass. */
  if (rule->name[0] && rule->kind != RULE_EXPECT && !recording_names_find(m, names, rule->name)) {
    check_note(r, "no actor is named %s in this run%s, so the rule checks nothing", rule->name,
               m->include_internal ? "" : " (runtime-internal actors count with --internal)");
    return 0;
  }
  switch (rule->kind) {
  case RULE_MAX_ALIVE: {
    int64_t max = recording_max_alive(m);
    if (max > rule->limit)
      check_note(r, "%lld actors were alive at once", (long long)max);
    return 0;
  }
  case RULE_MAX_ALIVE_AT_EXIT: {
    /* Without a final snapshot the state at exit is unknown: the rule cannot pass. */
    if (m->end == RM_END_NO_FINAL) {
      check_note(r, "%s", recording_end_note(m, note, sizeof note));
      return 0;
    }
    int64_t alive = 0;
    for (size_t i = 0; i < m->n_actors; i++)
      alive += recording_visible(m, &m->actors[i]) && recording_alive_at_end(m, &m->actors[i]);
    if (alive > rule->limit) {
      check_note(r, "%lld actors alive at the end", (long long)alive);
      for (size_t i = 0; i < m->n_actors; i++)
        if (recording_visible(m, &m->actors[i]) && recording_alive_at_end(m, &m->actors[i]))
          check_note(r, "#%lld %s", (long long)m->actors[i].id,
                     strtab_text(&m->strings, m->actors[i].name));
    }
    return 0;
  }
  case RULE_MAX_SPAWNED: {
    int64_t spawned = 0;
    for (size_t i = 0; i < names->n; i++)
      spawned = as_sat_add(spawned, names->items[i].spawned);
    /* Reaped before any snapshot listed them: only the totals know them. */
    if (m->include_internal || recording_hidden(m) == 0)
      spawned = m->at_spawned > spawned ? m->at_spawned : spawned;
    if (spawned > rule->limit)
      check_note(r, "%lld actors spawned", (long long)spawned);
    return 0;
  }
  case RULE_EXPECT: {
    const struct rm_name *agg = recording_names_find(m, names, rule->name);
    long long n = agg ? agg->spawned : 0;
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
    for (size_t i = 0; i < m->n_cycles; i++) {
      const struct rm_cycle *c = &m->cycles[i];
      char *cycle = NULL;
      size_t len = 0;
      FILE *out = open_memstream(&cycle, &len);
      if (!out)
        continue;
      for (size_t k = 0; k < c->n; k++)
        fprintf(out, "#%lld %s -> ", (long long)c->ids[k], strtab_text(&m->strings, c->names[k]));
      fclose(out);
      check_note(r, "cycle %s(back to the first) from snapshot %lld", cycle ? cycle : "",
                 (long long)c->first_seq);
      free(cycle);
    }
    return 0;
  case RULE_BASELINE:
    return check_baseline(rule, m, names, r, err, err_len);
  case RULE_MAX_HANDLER_P99_MS:
  case RULE_MAX_MAILBOX_WAIT_P99_MS:
    check_p99(rule, m, names, r);
    return 0;
  }
  return 0;
}

static int check_write_junit(const char *path, const char *run, const struct rule_list *rules,
                             const struct check_result *results, size_t failures)
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
static int check_flag_rule(struct rule_list *rules, const char *keyword, const char *arg,
                           char sep, const char *flag, struct rules_error *err)
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
  enum { O_RULES = 256, O_JUNIT, O_MAX_ALIVE, O_MAX_EXIT, O_MAX_SPAWNED, O_EXPECT, O_MAILBOX,
         O_HANDLER, O_HANDLER_P99, O_WAIT_P99, O_NO_DEADLOCK, O_NO_EXCEPTIONS, O_BASELINE, O_TOLERANCE, O_INTERNAL };
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
    fprintf(stderr, "actorscope check: %s\n", optind != argc - 1 ? "give exactly one run" : "no rules given");
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

  struct check_result *results = calloc(rules.count, sizeof *results);
  size_t failures = 0;
  int status = CMD_OK;
  for (size_t i = 0; i < rules.count && status == CMD_OK; i++) {
    char why[700];
    if (check_rule(&rules.items[i], &model, &names, &results[i], why, sizeof why) < 0) {
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
    free(results[i].detail);
  free(results);
  recording_names_free(&names);
  recording_free(&model);
  rules_free(&rules);
  return status;
}
