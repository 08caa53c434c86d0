/* The one evaluator of check's rules (rules.h) over a recorded run (recording.h): used by
 * `actorscope check` on a whole run and by top's warnings on a run still going. */
#define _GNU_SOURCE
#include "rules_eval.h"
#include "pairs.h"

#include "show.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rules_result_free(struct rules_result *r)
{
  free(r->detail);
  memset(r, 0, sizeof *r);
}

/* Runtime-internal actors named NAME that the rule does not see (0 with --internal). */
static size_t rules_hidden_named(const struct recording *m, const char *name)
{
  uint32_t id = strtab_find(&m->strings, name);
  size_t n = 0;
  for (size_t i = 0; id != UINT32_MAX && i < m->n_actors; i++)
    n += m->actors[i].name == id && !recording_visible(m, &m->actors[i]);
  return n;
}

static void rules_note(struct rules_result *r, const char *fmt, ...)
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

static int rules_name_matches(const struct rule *rule, const struct recording *m,
                              const struct rm_actor *a)
{
  return !rule->name[0] || strcmp(strtab_text(&m->strings, a->name), rule->name) == 0;
}

static void rules_eval_actors(const struct rule *rule, const struct recording *m,
                              struct rules_result *r)
{
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (!recording_visible(m, a) || !rules_name_matches(rule, m, a))
      continue;
    long long id = a->id;
    const char *name = strtab_text(&m->strings, a->name);
    if (rule->kind == RULE_MAX_MAILBOX) {
      if (a->mailbox_max > rule->limit)
        rules_note(r, "#%lld %s mailbox reached %lld", id, name, (long long)a->mailbox_max);
    } else if (rule->kind == RULE_MAX_HANDLER_MS) {
      uint32_t type;
      int running;
      int64_t ns = recording_handler_max(a, &type, &running),
              limit = as_sat_mul(rule->limit, 1000000);
      char took[SHOW_DURATION_MAX];
      if (ns > limit)
        rules_note(
            r, "#%lld %s handler %s %s%s%s%s", id, name, running ? "still running after" : "ran",
            show_duration_above(ns, limit, 0, took, sizeof took), type != RM_NONE ? " (" : "",
            type != RM_NONE ? strtab_text(&m->strings, type) : "", type != RM_NONE ? ")" : "");
    } else if (rule->kind == RULE_NO_EXCEPTIONS) {
      if (a->exceptions > 0)
        rules_note(r, "#%lld %s threw %lld", id, name, (long long)a->exceptions);
    }
  }
}

static void rules_growth(struct rules_result *r, const char *what, long long now, long long base,
                         double tolerance_pct)
{
  if ((double)now > (double)base * (1.0 + tolerance_pct / 100.0))
    rules_note(r, base ? "%s: %lld (baseline %lld, +%.1f%%)" : "%s: %lld (baseline %lld)", what,
               now, base, base ? ((double)now / (double)base - 1.0) * 100.0 : 0.0);
}

static int rules_eval_baseline(const struct rule *rule, const struct recording *m,
                               const struct rm_names *names, struct rules_result *r, char *err,
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
    rules_growth(r, what, agg->spawned, old ? old->spawned : 0, rule->tolerance_pct);
    for (size_t k = 0; k < agg->n_types; k++) {
      const char *type = strtab_text(&m->strings, agg->types[k].type);
      snprintf(what, sizeof what, "%s messages to %s", type, name);
      rules_growth(r, what, agg->types[k].sum, recording_name_count(&base, old, type),
                   rule->tolerance_pct);
    }
  }
  recording_names_free(&base_names);
  recording_free(&base);
  return 0;
}

/* Per actor name (or NAME only): the p99 of its finished handlers, or of its messages' waits
 * in the mailbox, from its actors' histograms merged. A run whose snapshots carry no such
 * histogram (an older tracer) cannot pass, nor a rule on a NAME none of whose messages was
 * timed (an io broker fed by network events only): it would check nothing. */
static void rules_eval_p99(const struct rule *rule, const struct recording *m,
                           const struct rm_names *names, int partial, struct rules_result *r)
{
  int waits = rule->kind == RULE_MAX_MAILBOX_WAIT_P99_MS;
  int any = 0, named_untimed = 0;
  for (size_t i = 0; i < names->n; i++) {
    const struct rm_name *agg = &names->items[i];
    const char *name = strtab_text(&m->strings, agg->name);
    int64_t p99 =
        waits ? recording_name_wait_percentile(m, agg, 99) : recording_name_percentile(m, agg, 99);
    int64_t limit = as_sat_mul(rule->limit, 1000000);
    char p99_text[SHOW_DURATION_MAX], max_text[SHOW_DURATION_MAX];
    any |= p99 >= 0;
    if (rule->name[0] && strcmp(name, rule->name) != 0)
      continue;
    named_untimed |= p99 < 0 && waits && rule->name[0];
    if (p99 < 0 || p99 <= limit)
      continue;
    show_duration_above(p99, limit, 0, p99_text, sizeof p99_text);
    /* The maximum (never below the p99) with the p99's digits: one time reads the same twice. */
    if (waits) {
      struct rm_finished w = {0};
      recording_waits(m, agg->wait_hist, agg->n_wait_hist, &w); /* max and count */
      rules_note(r, "%s messages waited in the mailbox: p99 %s (max %s) of %llu timed", name,
                 p99_text, show_duration_above(w.max, limit, 0, max_text, sizeof max_text),
                 (unsigned long long)w.count);
    } else {
      rules_note(r, "%s handlers: p99 %s (max %s)", name, p99_text,
                 show_duration_above(agg->finished_max_ns, limit, 0, max_text, sizeof max_text));
    }
  }
  /* A tracer that times mailbox waits says how often in its header: without any histogram, its
   * run had no message timed, which an older tracer's could not have. While the run goes on, a
   * message may still be timed. */
  int timing = waits && m->mailbox_wait_every > 0;
  if (partial && (timing || any))
    return;
  if (!any && !timing)
    rules_note(r, waits ? "the run's snapshots carry no mailbox-wait histograms (a tracer older "
                          "than mailbox_wait_histogram?)"
                        : "the run's snapshots carry no handler-time histograms (a tracer older "
                          "than handler_histogram?)");
  else if (named_untimed)
    rules_note(r, "no message in the mailbox of %s was timed, so the rule checks nothing",
               rule->name);
  else if (!any)
    rules_note(r, "no message in any mailbox was timed, so the rule checks nothing");
}

/* An actor name as the report prints it, or as the tracer gave it whole: a template actor's
 * name the tracer shortened ("…stage<vector‹…>, 7>") is its full_name in the snapshots, and a
 * rule may give either (helper-64 could give only the shortened one, with its "…"). Every
 * count is kept under the printed name: NAME becomes it. */
static void rules_name_resolve(char *name, size_t cap, const struct recording *m)
{
  const struct rm_actor *whole = NULL;
  for (size_t i = 0; name[0] && i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (strcmp(strtab_text(&m->strings, a->name), name) == 0)
      return; /* a printed name: as it is */
    if (!whole && a->full_name != RM_NONE &&
        strcmp(strtab_text(&m->strings, a->full_name), name) == 0)
      whole = a;
  }
  if (whole)
    snprintf(name, cap, "%s", strtab_text(&m->strings, whole->name));
}

static int rules_eval_resolved(const struct rule *rule, const struct recording *m,
                               const struct rm_names *names, int partial, struct rules_result *r,
                               char *err, size_t err_len);

int rules_eval(const struct rule *rule, const struct recording *m, const struct rm_names *names,
               int partial, struct rules_result *r, char *err, size_t err_len)
{
  struct rule resolved = *rule;
  rules_name_resolve(resolved.name, sizeof resolved.name, m);
  rules_name_resolve(resolved.peer, sizeof resolved.peer, m);
  return rules_eval_resolved(&resolved, m, names, partial, r, err, err_len);
}

static int rules_eval_resolved(const struct rule *rule, const struct recording *m,
                               const struct rm_names *names, int partial, struct rules_result *r,
                               char *err, size_t err_len)
{
  char note[1536]; /* two names (each up to the rules' 511 bytes) and the words around them */
  /* A rule about a name no actor of the run has would check nothing: a misspelt name must not
   * let the gate pass. While the run goes on, such an actor may still come. */
  if (rule->name[0] && rule->kind != RULE_EXPECT && rule->kind != RULE_NO_MESSAGES &&
      !recording_names_find(m, names, rule->name)) {
    size_t hidden = rules_hidden_named(m, rule->name);
    if (hidden)
      rules_note(r,
                 "the %zu actor%s named %s %s runtime-internal, left out without --internal, "
                 "so the rule checks nothing",
                 hidden, hidden == 1 ? "" : "s", rule->name, hidden == 1 ? "is" : "are");
    else if (!partial)
      rules_note(r, "no actor is named %s in this run%s, so the rule checks nothing", rule->name,
                 m->include_internal ? "" : " (runtime-internal actors count with --internal)");
    return 0;
  }
  switch (rule->kind) {
  case RULE_MAX_ALIVE: {
    int64_t max = recording_max_alive(m);
    if (max > rule->limit)
      rules_note(r, "%lld actors were alive at once", (long long)max);
    return 0;
  }
  case RULE_MAX_ALIVE_AT_EXIT: {
    if (partial)
      return 0;
    /* Without a final snapshot, or after a detach, the state at exit is unknown: the rule
     * cannot pass. */
    if (m->end == RM_END_NO_FINAL || m->end == RM_END_DETACH) {
      rules_note(r, "%s", recording_end_note(m, note, sizeof note));
      return 0;
    }
    int64_t alive = 0;
    for (size_t i = 0; i < m->n_actors; i++)
      alive += recording_visible(m, &m->actors[i]) && recording_alive_at_end(m, &m->actors[i]);
    if (alive > rule->limit) {
      rules_note(r, "%lld actors alive at the end", (long long)alive);
      for (size_t i = 0; i < m->n_actors; i++)
        if (recording_visible(m, &m->actors[i]) && recording_alive_at_end(m, &m->actors[i]))
          rules_note(r, "#%lld %s", (long long)m->actors[i].id,
                     strtab_text(&m->strings, m->actors[i].name));
    }
    return 0;
  }
  case RULE_MAX_SPAWNED: {
    struct rm_counts counts;
    recording_counts(m, &counts);
    int64_t spawned = counts.spawned;
    if (spawned > rule->limit)
      rules_note(r, "%lld actors spawned", (long long)spawned);
    return 0;
  }
  case RULE_EXPECT: {
    const struct rm_name *agg = recording_names_find(m, names, rule->name);
    long long n = agg ? agg->spawned : 0;
    if ((n < rule->limit && !partial) || n > rule->max) {
      size_t hidden = rules_hidden_named(m, rule->name);
      if (hidden)
        rules_note(r,
                   "%lld actors named %s (and %zu runtime-internal ones, left out without "
                   "--internal)",
                   n, rule->name, hidden);
      else
        rules_note(r, "%lld actors named %s", n, rule->name);
    }
    return 0;
  }
  case RULE_MAX_MAILBOX:
  case RULE_MAX_HANDLER_MS:
  case RULE_NO_EXCEPTIONS: rules_eval_actors(rule, m, r); return 0;
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
      rules_note(r, "cycle %s(back to the first) from snapshot %lld", cycle ? cycle : "",
                 (long long)c->first_seq);
      free(cycle);
    }
    return 0;
  case RULE_BASELINE: /* the whole run against another: judged at its end */
    return partial ? 0 : rules_eval_baseline(rule, m, names, r, err, err_len);
  case RULE_MAX_HANDLER_P99_MS:
  case RULE_MAX_MAILBOX_WAIT_P99_MS: rules_eval_p99(rule, m, names, partial, r); return 0;
  case RULE_NO_MESSAGES:
    if (pairs_check_no_messages(m, names, rule->name, rule->peer, note, sizeof note) != 0)
      rules_note(r, "%s", note);
    return 0;
  }
  return 0;
}
