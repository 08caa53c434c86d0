/* actorscope report: a human-readable account of one recorded run. The account is built once
 * as JSON (--json prints it) and the text is rendered from it. */
#define _GNU_SOURCE
#include "commands.h"
#include "runmodel.h"
#include "snapfile.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char report_usage[] =
    "usage: actorscope report [--at SEQ] [--json] [--all] FILE\n"
    "\n"
    "Summarises a run: the actor tree, messages by type, mailbox maxima, slowest handlers,\n"
    "exit reasons, exceptions, actors alive at exit, deadlocks and a timeline.\n"
    "  --at SEQ   report the state at snapshot SEQ instead of the end\n"
    "  --json     print the same account as one JSON object\n"
    "  --all      list every actor (the text stops at 200 lines per section)\n";

#define REPORT_TIMELINE_ROWS 10
#define REPORT_SLOWEST 10
#define REPORT_LINES_PER_SECTION 200

static int report_id_cmp(const void *a, const void *b)
{
  long long x = snapfile_int(*(json_t *const *)a, "id");
  long long y = snapfile_int(*(json_t *const *)b, "id");
  return x < y ? -1 : x > y;
}

static json_t *report_actor_summary(const struct runmodel *m, json_t *a)
{
  json_t *counters = json_object_get(a, "counters");
  json_t *stopped = json_object_get(a, "stopped");
  return json_pack("{s:I, s:s, s:s?, s:s?, s:O?, s:s?, s:I, s:I, s:I, s:I, s:I, s:O?, s:O?}",
                   "id", snapfile_int(a, "id"), "name", snapfile_str(a, "name"), "runtime",
                   snapfile_str(a, "runtime"), "status", snapfile_str(a, "status"), "parent",
                   json_object_get(a, "parent"), "exit_reason",
                   stopped ? snapfile_str(stopped, "reason") : NULL, "messages_received",
                   snapfile_int(counters, "messages_received"), "messages_sent",
                   snapfile_int(counters, "messages_sent"), "exceptions",
                   snapfile_int(counters, "exceptions"), "mailbox_max",
                   snapfile_int(json_object_get(a, "mailbox"), "max"), "handler_max_ns",
                   snapfile_int(json_object_get(a, "handler_ns"), "max"), "message_types",
                   json_object_get(a, "message_types"), "children", json_object_get(a, "children"));
}

static int report_handler_cmp(const void *a, const void *b)
{
  long long x = snapfile_int(*(json_t *const *)a, "handler_max_ns");
  long long y = snapfile_int(*(json_t *const *)b, "handler_max_ns");
  return x < y ? 1 : x > y ? -1 : report_id_cmp(a, b);
}

static json_t *report_slowest(json_t *summaries)
{
  size_t n = json_array_size(summaries), k = 0;
  json_t **rows = calloc(n + 1, sizeof *rows);
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(summaries, i);
    if (snapfile_int(s, "handler_max_ns") > 0)
      rows[k++] = s;
  }
  qsort(rows, k, sizeof *rows, report_handler_cmp);
  json_t *out = json_array();
  for (size_t i = 0; i < k && i < REPORT_SLOWEST; i++)
    json_array_append(out, rows[i]);
  free(rows);
  return out;
}

static json_t *report_exit_reasons(json_t *summaries)
{
  json_t *reasons = json_object();
  size_t i;
  json_t *s;
  json_array_foreach(summaries, i, s) {
    const char *reason = snapfile_str(s, "exit_reason");
    if (reason)
      json_object_set_new(reasons, reason,
                          json_integer(json_integer_value(json_object_get(reasons, reason)) + 1));
  }
  return reasons;
}

static json_t *report_timeline(json_t *snapshots, size_t last)
{
  json_t *rows = json_array();
  size_t step = last / REPORT_TIMELINE_ROWS + 1;
  long long prev_msgs = 0, prev_up = 0;
  /* Every step-th snapshot, and always the last one. */
  for (size_t i = 0;; i = i + step < last ? i + step : last) {
    json_t *snap = json_array_get(snapshots, i);
    json_t *totals = json_object_get(snap, "totals");
    long long up = snapfile_int(snap, "uptime_ns"), msgs = snapfile_int(totals, "messages_received");
    double rate = up > prev_up ? (double)(msgs - prev_msgs) * 1e9 / (double)(up - prev_up) : 0.0;
    json_array_append_new(rows, json_pack("{s:I, s:I, s:I, s:I, s:f}", "seq",
                                          snapfile_int(snap, "seq"), "uptime_ns", up, "alive",
                                          snapfile_int(totals, "alive"), "messages_received", msgs,
                                          "messages_per_s", rate));
    prev_msgs = msgs;
    prev_up = up;
    if (i == last)
      break;
  }
  return rows;
}

static json_t *report_build(const struct runmodel *m)
{
  json_t *at = m->at;
  json_t *summaries = json_array(), *leaks = json_array();
  size_t i;
  json_t *a;
  long long exceptions = 0;
  json_array_foreach(m->actors, i, a) {
    json_t *s = report_actor_summary(m, a);
    exceptions += snapfile_int(s, "exceptions");
    json_array_append_new(summaries, s);
  }
  json_array_foreach(json_object_get(at, "actors"), i, a)
    if (strcmp(snapfile_str(a, "status") ? snapfile_str(a, "status") : "", "stopped") != 0)
      json_array_append_new(leaks, json_pack("{s:I, s:s}", "id", snapfile_int(a, "id"), "name",
                                             snapfile_str(a, "name")));

  const struct snapfile *file = m->file;
  json_t *h = file->header;
  return json_pack("{s:s, s:s?, s:O?, s:I, s:I, s:I, s:b, s:b, s:I, s:O, s:I, s:o, s:o, s:o, s:I, "
                   "s:o, s:O, s:o}",
                   "file", file->path, "program", snapfile_str(h, "program"), "argv",
                   json_object_get(h, "argv"), "pid", snapfile_int(h, "pid"), "snapshots",
                   (json_int_t)json_array_size(file->snapshots), "seq", snapfile_int(at, "seq"),
                   "final", json_is_true(json_object_get(at, "final")), "truncated",
                   file->truncated, "uptime_ns", snapfile_int(at, "uptime_ns"), "totals",
                   json_object_get(at, "totals"), "max_alive", m->max_alive, "actors", summaries,
                   "slowest_handlers", report_slowest(summaries), "exit_reasons",
                   report_exit_reasons(summaries), "exceptions", (json_int_t)exceptions,
                   "alive_at_end", leaks, "deadlocks", m->deadlocks, "timeline",
                   report_timeline(file->snapshots, m->last_index));
}

/* ---- text ---------------------------------------------------------------------------------- */

/* Summaries are sorted by id. */
static json_t *report_find(json_t *summaries, long long id)
{
  size_t lo = 0, hi = json_array_size(summaries);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (snapfile_int(json_array_get(summaries, mid), "id") < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  json_t *s = json_array_get(summaries, lo);
  return s && snapfile_int(s, "id") == id ? s : NULL;
}

/* Text sections of a run with 100k actors would be 100k lines: each stops at a budget. */
struct report_budget {
  size_t left;
  size_t skipped;
};

static int report_spend(struct report_budget *b)
{
  if (b->left == 0) {
    b->skipped++;
    return 0;
  }
  b->left--;
  return 1;
}

static void report_print_skipped(const struct report_budget *b, const char *what)
{
  if (b->skipped)
    printf("  ... and %zu more %s (--all prints every one)\n", b->skipped, what);
}

static void report_print_actor(json_t *summaries, json_t *s, int depth, struct report_budget *b)
{
  if (!report_spend(b))
    return;
  const char *reason = snapfile_str(s, "exit_reason");
  printf("  %*s#%lld %s [%s] %s%s%s%s  received %lld, sent %lld, mailbox max %lld\n", depth * 2,
         "", snapfile_int(s, "id"), snapfile_str(s, "name"), snapfile_str(s, "runtime"),
         snapfile_str(s, "status"), reason ? " (" : "", reason ? reason : "", reason ? ")" : "",
         snapfile_int(s, "messages_received"), snapfile_int(s, "messages_sent"),
         snapfile_int(s, "mailbox_max"));
  size_t i;
  json_t *child;
  json_array_foreach(json_object_get(s, "children"), i, child) {
    json_t *c = report_find(summaries, json_integer_value(child));
    if (c && depth < 64)
      report_print_actor(summaries, c, depth + 1, b);
  }
}

static void report_print_text(json_t *r, size_t lines_per_section)
{
  json_t *summaries = json_object_get(r, "actors");
  json_t *totals = json_object_get(r, "totals");
  printf("actorscope report: %s\n", snapfile_str(r, "file"));
  printf("program: %s (pid %lld)\n", snapfile_str(r, "program"), snapfile_int(r, "pid"));
  printf("state at snapshot seq %lld (%lld snapshots in all)%s, uptime %.3f s%s\n", snapfile_int(r, "seq"),
         snapfile_int(r, "snapshots"), json_is_true(json_object_get(r, "final")) ? " (final)" : "",
         (double)snapfile_int(r, "uptime_ns") / 1e9,
         json_is_true(json_object_get(r, "truncated")) ? "; the file's last line was cut short" : "");
  printf("actors: %lld spawned, %lld stopped, %lld alive (at most %lld at once); %lld messages "
         "received\n",
         snapfile_int(totals, "total_spawned"), snapfile_int(totals, "total_stopped"),
         snapfile_int(totals, "alive"), snapfile_int(r, "max_alive"),
         snapfile_int(totals, "messages_received"));

  printf("\nActor tree:\n");
  size_t i;
  json_t *s;
  struct report_budget budget = {lines_per_section, 0};
  json_array_foreach(summaries, i, s) {
    json_t *parent = json_object_get(s, "parent");
    if (!json_is_integer(parent) || !report_find(summaries, json_integer_value(parent)))
      report_print_actor(summaries, s, 0, &budget);
  }
  report_print_skipped(&budget, "actors");

  printf("\nMessages by type:\n");
  budget = (struct report_budget){lines_per_section, 0};
  json_array_foreach(summaries, i, s) {
    json_t *types = json_object_get(s, "message_types");
    if (json_array_size(types) == 0 || !report_spend(&budget))
      continue;
    printf("  #%lld %s:", snapfile_int(s, "id"), snapfile_str(s, "name"));
    size_t k;
    json_t *t;
    json_array_foreach(types, k, t)
      printf("%s %s %lld", k ? "," : "", snapfile_str(t, "name"), snapfile_int(t, "count"));
    printf("\n");
  }
  report_print_skipped(&budget, "actors");

  printf("\nSlowest handlers:\n");
  json_t *slowest = json_object_get(r, "slowest_handlers");
  if (json_array_size(slowest) == 0)
    printf("  none recorded\n");
  json_array_foreach(slowest, i, s)
    printf("  #%lld %s: %.3f ms\n", snapfile_int(s, "id"), snapfile_str(s, "name"),
           (double)snapfile_int(s, "handler_max_ns") / 1e6);

  printf("\nExit reasons:");
  const char *key;
  json_t *count;
  if (json_object_size(json_object_get(r, "exit_reasons")) == 0)
    printf(" none");
  json_object_foreach(json_object_get(r, "exit_reasons"), key, count)
    printf(" %s %lld", key, (long long)json_integer_value(count));
  printf("\nExceptions: %lld\n", snapfile_int(r, "exceptions"));
  json_array_foreach(summaries, i, s)
    if (snapfile_int(s, "exceptions") > 0)
      printf("  #%lld %s: %lld\n", snapfile_int(s, "id"), snapfile_str(s, "name"),
             snapfile_int(s, "exceptions"));

  json_t *leaks = json_object_get(r, "alive_at_end");
  printf("Alive at the end: %zu%s\n", json_array_size(leaks),
         json_array_size(leaks) ? " (never stopped: possible leaks)" : "");
  json_array_foreach(leaks, i, s)
    printf("  #%lld %s\n", snapfile_int(s, "id"), snapfile_str(s, "name"));

  json_t *deadlocks = json_object_get(r, "deadlocks");
  printf("Deadlocks: %zu\n", json_array_size(deadlocks));
  json_array_foreach(deadlocks, i, s) {
    printf("  first seen at snapshot %lld:", snapfile_int(s, "first_seq"));
    size_t k;
    json_t *id;
    json_array_foreach(json_object_get(s, "actors"), k, id)
      printf(" #%lld %s ->", (long long)json_integer_value(id),
             json_string_value(json_array_get(json_object_get(s, "names"), k)));
    printf(" #%lld\n", (long long)json_integer_value(json_array_get(json_object_get(s, "actors"), 0)));
  }

  printf("\nTimeline:\n  %10s %8s %14s\n", "uptime s", "alive", "messages/s");
  json_array_foreach(json_object_get(r, "timeline"), i, s)
    printf("  %10.3f %8lld %14.0f\n", (double)snapfile_int(s, "uptime_ns") / 1e9,
           snapfile_int(s, "alive"), json_real_value(json_object_get(s, "messages_per_s")));
}

int cmd_report(int argc, char **argv)
{
  static const struct option options[] = {{"at", required_argument, NULL, 'a'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"all", no_argument, NULL, 'A'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  long long at = -1;
  int as_json = 0, all = 0, opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    char *end = NULL;
    switch (opt) {
    case 'a':
      at = strtoll(optarg, &end, 10);
      if (!*optarg || *end || at < 0) {
        fprintf(stderr, "actorscope report: --at takes a snapshot number, not '%s'\n", optarg);
        return CMD_USAGE;
      }
      break;
    case 'j':
      as_json = 1;
      break;
    case 'A':
      all = 1;
      break;
    case 'h':
      fputs(report_usage, stdout);
      return CMD_OK;
    default:
      fputs(report_usage, stderr);
      return CMD_USAGE;
    }
  }
  if (optind != argc - 1) {
    fputs(report_usage, stderr);
    return CMD_USAGE;
  }
  struct snapfile file;
  struct runmodel model;
  if (runmodel_load(&file, &model, argv[optind], at, "report") < 0)
    return CMD_USAGE;
  json_t *report = report_build(&model);
  if (as_json) {
    char *text = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(text ? text : "{}");
    free(text);
  } else {
    report_print_text(report, all ? (size_t)-1 : REPORT_LINES_PER_SECTION);
  }
  json_decref(report);
  runmodel_free(&model);
  snapfile_free(&file);
  return CMD_OK;
}
