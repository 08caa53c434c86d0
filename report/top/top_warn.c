/* actorscope top: evaluating check's rules on each snapshot. */
#define _GNU_SOURCE
#include "top_warn.h"

#include "show.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int top_warn_load(struct top_warnings *w, const char *path, struct rules_error *err)
{
  memset(w, 0, sizeof *w);
  if (rules_parse_file(&w->rules, path, err) < 0)
    return -1;
  w->states = calloc(w->rules.count ? w->rules.count : 1, sizeof *w->states);
  if (!w->states) {
    snprintf(err->text, sizeof err->text, "%s: out of memory", path);
    return -1;
  }
  return 0;
}

void top_warn_reset(struct top_warnings *w)
{
  if (w->states)
    memset(w->states, 0, w->rules.count * sizeof *w->states);
}

void top_warn_free(struct top_warnings *w)
{
  rules_free(&w->rules);
  free(w->states);
  memset(w, 0, sizeof *w);
}

/* As `actorscope check` without --internal: runtime-internal actors (CAF's spawn server ...)
 * break no rule. */
static int warn_name_matches(const struct rule *r, const struct as_rec_actor *a)
{
  return !a->internal && (r->name[0] == '\0' || strcmp(r->name, a->name) == 0);
}

/* The first offending actor and how many more: "#3 worker mailbox reached 17 (and 2 more)". */
static int warn_actors(const struct rule *r, const struct as_rec_snapshot *s, char *out,
                       size_t cap)
{
  size_t hits = 0;
  for (size_t i = 0; i < s->n_actors; i++) {
    const struct as_rec_actor *a = &s->actors[i];
    if (!warn_name_matches(r, a))
      continue;
    /* As check: the longest handler, finished or still running, against the limit in ns. */
    int64_t handler_ns = a->has_handling && a->handling_elapsed_ns > a->handler_max_ns
                             ? a->handling_elapsed_ns
                             : a->handler_max_ns;
    int64_t limit_ns = as_sat_mul(r->limit, 1000000);
    int bad = (r->kind == RULE_MAX_MAILBOX && a->queued_all_max > r->limit) ||
              (r->kind == RULE_MAX_HANDLER_MS && handler_ns > limit_ns) ||
              (r->kind == RULE_NO_EXCEPTIONS && a->exceptions > 0);
    if (!bad)
      continue;
    if (hits++ > 0)
      continue;
    if (r->kind == RULE_MAX_MAILBOX)
      snprintf(out, cap, "#%lld %s mailbox reached %lld", (long long)a->id, a->name,
               (long long)a->queued_all_max);
    else if (r->kind == RULE_MAX_HANDLER_MS) {
      char took[SHOW_DURATION_MAX];
      snprintf(out, cap, "#%lld %s handler ran %s", (long long)a->id, a->name,
               show_duration_above(handler_ns, limit_ns, 0, took, sizeof took));
    }
    else
      snprintf(out, cap, "#%lld %s threw %lld", (long long)a->id, a->name,
               (long long)a->exceptions);
  }
  if (hits > 1) {
    size_t len = strlen(out);
    snprintf(out + len, cap - len, " (and %zu more)", hits - 1);
  }
  return hits > 0;
}

static int warn_expect(const struct rule *r, struct top_rule_state *st,
                       const struct as_rec_snapshot *s, char *out, size_t cap)
{
  /* Ids are never reused and grow with each spawn: an id above every one counted so far is an
   * actor not counted yet. */
  int64_t max_id = st->seen_max_id;
  for (size_t i = 0; i < s->n_actors; i++) {
    if (s->actors[i].id > st->seen_max_id && warn_name_matches(r, &s->actors[i]))
      st->seen++;
    if (s->actors[i].id > max_id)
      max_id = s->actors[i].id;
  }
  st->seen_max_id = max_id;
  if (st->seen > r->max || (s->final && st->seen < r->limit)) {
    snprintf(out, cap, "%lld actors named %s", st->seen, r->name);
    return 1;
  }
  return 0;
}

static void warn_cycle(const struct as_rec_snapshot *s, char *out, size_t cap)
{
  const struct as_rec_cycle *c = &s->deadlocks[0];
  size_t used = (size_t)snprintf(out, cap, "cycle");
  for (size_t k = 0; k < c->n_actors && used < cap; k++)
    used += (size_t)snprintf(out + used, cap - used, " #%lld %s ->", (long long)c->actors[k],
                             k < c->n_names ? c->names[k] : "?");
  if (used < cap)
    snprintf(out + used, cap - used, " (back to the first)");
}

static int warn_rule(const struct rule *r, struct top_rule_state *st,
                     const struct as_rec_snapshot *s, char *out, size_t cap)
{
  switch (r->kind) {
  case RULE_MAX_ALIVE:
    return s->alive > r->limit && snprintf(out, cap, "%lld actors alive", (long long)s->alive);
  case RULE_MAX_ALIVE_AT_EXIT:
    return s->final && s->alive > r->limit &&
           snprintf(out, cap, "%lld actors alive at the end", (long long)s->alive);
  case RULE_MAX_SPAWNED:
    return s->total_spawned > r->limit &&
           snprintf(out, cap, "%lld actors spawned", (long long)s->total_spawned);
  case RULE_EXPECT:
    return warn_expect(r, st, s, out, cap);
  case RULE_MAX_MAILBOX:
  case RULE_MAX_HANDLER_MS:
  case RULE_NO_EXCEPTIONS:
    return warn_actors(r, s, out, cap);
  case RULE_NO_DEADLOCK:
    if (s->n_deadlocks == 0)
      return 0;
    warn_cycle(s, out, cap);
    return 1;
  case RULE_BASELINE: /* needs the whole run: `actorscope check` compares it afterwards */
  case RULE_MAX_HANDLER_P99_MS: /* likewise: the run's histograms, merged per name */
  case RULE_MAX_MAILBOX_WAIT_P99_MS:
    return 0;
  }
  return 0;
}

void top_warn_check(struct top_warnings *w, const struct top_model *m)
{
  if (!m->snap)
    return;
  const struct as_rec_snapshot *s = &m->snap->snapshot;
  for (size_t i = 0; i < w->rules.count; i++) {
    struct top_rule_state *st = &w->states[i];
    char detail[sizeof st->detail];
    if (!warn_rule(&w->rules.items[i], st, s, detail, sizeof detail))
      continue;
    if (!st->broken)
      st->since_ns = s->uptime_ns;
    st->broken = 1;
    memcpy(st->detail, detail, sizeof detail);
  }
}

size_t top_warn_each(const struct top_warnings *w, const struct top_model *m,
                     void (*emit)(void *ctx, const char *text), void *ctx)
{
  size_t n = 0;
  char line[1800], since[SHOW_DURATION_MAX];
  for (size_t i = 0; i < w->rules.count; i++) {
    const struct top_rule_state *st = &w->states[i];
    if (!st->broken)
      continue;
    show_duration(st->since_ns, 0, since, sizeof since);
    snprintf(line, sizeof line, "FAIL %s: %s (since %s)", w->rules.items[i].text, st->detail,
             since);
    emit(ctx, line);
    n++;
  }
  const struct as_rec_snapshot *s = m->snap ? &m->snap->snapshot : NULL;
  for (size_t i = 0; s && i < s->n_diagnostics; i++) {
    snprintf(line, sizeof line, "tracer %s: %s", s->diagnostics[i].code,
             s->diagnostics[i].message);
    emit(ctx, line);
    n++;
  }
  return n;
}
