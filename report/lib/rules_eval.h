/* Evaluating check's rules (rules.h) on a recorded run (recording.h): the one evaluator behind
 * `actorscope check` (a whole run) and top's warnings (a run still going, evaluated as each
 * snapshot is folded in), so both say the same of the same actors. Runtime-internal actors
 * take part only when the recording includes them; a rule that fails, or checks nothing, only
 * because the actors it names are runtime-internal says so. */
#ifndef ACTORSCOPE_RULES_EVAL_H
#define ACTORSCOPE_RULES_EVAL_H

#include <stddef.h>

#include "recording.h"
#include "rules.h"

struct rules_result {
  char *detail; /* what broke the rule, "; "-separated; NULL when it holds */
  size_t len, cap;
};

/* Evaluates RULE on M (NAMES: recording_names of M) into R (zeroed by the caller). PARTIAL: the
 * run goes on, so what only its end can tell (expect's minimum, max-alive-at-exit, baseline, a
 * name no actor has yet) is not judged. Returns 0, or -1 with ERR filled when the rule cannot
 * be evaluated (a baseline that cannot be read). */
int rules_eval(const struct rule *rule, const struct recording *m, const struct rm_names *names,
               int partial, struct rules_result *r, char *err, size_t err_len);
void rules_result_free(struct rules_result *r);

#endif
