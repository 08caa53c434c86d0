/* actorscope top: evaluating check's rules on each snapshot. */
#define _GNU_SOURCE
#include "top_warn.h"

#include "rules_eval.h"
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

int top_warn_any_broken(const struct top_warnings *w)
{
  for (size_t i = 0; i < w->rules.count; i++)
    if (w->states[i].broken)
      return 1;
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

void top_warn_check(struct top_warnings *w, const struct recording *run, int final)
{
  struct rm_names names;
  if (!w->rules.count || run->n_points == 0 || recording_names(run, &names) < 0)
    return;
  for (size_t i = 0; i < w->rules.count; i++) {
    struct top_rule_state *st = &w->states[i];
    struct rules_result result = {0};
    char err[300];
    if (rules_eval(&w->rules.items[i], run, &names, !final, &result, err, sizeof err) < 0 ||
        !result.detail) {
      rules_result_free(&result);
      continue;
    }
    if (!st->broken)
      st->since_ns = run->at_uptime_ns;
    st->broken = 1;
    /* One line a rule: the first offender and how many more (the w key's panel and check
     * name every one). */
    size_t more = 0;
    char *cut = strstr(result.detail, "; ");
    for (const char *p = cut; p; p = strstr(p + 2, "; "))
      more++;
    if (cut)
      *cut = '\0';
    if (more)
      snprintf(st->detail, sizeof st->detail, "%s (and %zu more)", result.detail, more);
    else
      snprintf(st->detail, sizeof st->detail, "%s", result.detail);
    rules_result_free(&result);
  }
  recording_names_free(&names);
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
    snprintf(line, sizeof line, "tracer %s: %s", s->diagnostics[i].code, s->diagnostics[i].message);
    emit(ctx, line);
    n++;
  }
  return n;
}
