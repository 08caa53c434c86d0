/* actorscope top: live warnings. The rules of a `check` rules file (report/lib/rules.h)
 * evaluated by check's own evaluator (rules_eval.h) on the run as folded so far, at every
 * snapshot: a rule a CI run would fail is listed the moment it breaks, and stays listed (a CI
 * run fails on what happened at any point). The tracer's own diagnostics are listed too. */
#ifndef ACTORSCOPE_TOP_WARN_H
#define ACTORSCOPE_TOP_WARN_H

#include "recording.h"
#include "rules.h"
#include "top_model.h"

struct top_rule_state {
  int broken;
  int64_t since_ns; /* uptime when it first broke */
  char detail[640]; /* what broke it, latest */
};

struct top_warnings {
  struct rule_list rules;
  struct top_rule_state *states; /* one per rule */
};

/* Reads a rules file (the syntax of `actorscope check`). Returns 0 or -1 with ERR filled. */
int top_warn_load(struct top_warnings *w, const char *path, struct rules_error *err);
/* Evaluates every rule on RUN, the run folded up to the current snapshot; FINAL: that
 * snapshot ended the run (what only the end can tell is judged then). */
void top_warn_check(struct top_warnings *w, const struct recording *run, int final);
/* Whether some rule broke (and stays broken: a CI run fails on what happened at any point). */
int top_warn_any_broken(const struct top_warnings *w);
/* Forgets what broke (a new process, or a replay going back). */
void top_warn_reset(struct top_warnings *w);
void top_warn_free(struct top_warnings *w);

/* The warning lines, in order: broken rules, then the tracer's diagnostics. Calls EMIT for
 * each with its text; returns how many there are. */
size_t top_warn_each(const struct top_warnings *w, const struct top_model *m,
                     void (*emit)(void *ctx, const char *text), void *ctx);

#endif
