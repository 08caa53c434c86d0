/* actorscope top: the `/` filter. Words, all of which must match: `state:stuck` (running,
 * starting, stopping, busy, stuck, waiting, deadlock, stopped), `runtime:caf`, `type:ping` (a
 * message type the actor received or is handling), `name:worker` or a bare word: a part of
 * the name. Case does not matter. */
#ifndef ACTORSCOPE_TOP_FILTER_H
#define ACTORSCOPE_TOP_FILTER_H

#include "top_model.h"

#define TOP_FILTER_MAX 128
#define TOP_FILTER_TERMS 8

enum top_term_kind {
  TOP_TERM_NAME,
  TOP_TERM_STATE,
  TOP_TERM_RUNTIME,
  TOP_TERM_TYPE,
  TOP_TERM_SYSTEM
};

struct top_filter {
  char text[TOP_FILTER_MAX]; /* as typed; "" = no filter */
  struct {
    enum top_term_kind kind;
    enum top_state state;
    char word[TOP_FILTER_MAX];
  } terms[TOP_FILTER_TERMS];
  size_t n_terms;
};

/* Parses TEXT. Returns 0, or -1 with ERR (size CAP) saying what is wrong (FILTER unchanged). */
int top_filter_parse(struct top_filter *filter, const char *text, char *err, size_t cap);
int top_filter_match(const struct top_filter *filter, const struct as_rec_actor *a,
                     enum top_state state);

#endif
