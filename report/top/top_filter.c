/* actorscope top: parsing and matching the `/` filter. */
#define _GNU_SOURCE
#include "top_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *prefix;
  enum top_term_kind kind;
} filter_prefixes[] = {
    {"state:", TOP_TERM_STATE}, {"runtime:", TOP_TERM_RUNTIME}, {"type:", TOP_TERM_TYPE},
    {"name:", TOP_TERM_NAME},   {"system:", TOP_TERM_SYSTEM}, /* a CAF actor system's number (runtime_scope) */
};

int top_filter_parse(struct top_filter *filter, const char *text, char *err, size_t cap)
{
  struct top_filter f = {.n_terms = 0};
  snprintf(f.text, sizeof f.text, "%s", text);
  char copy[TOP_FILTER_MAX];
  snprintf(copy, sizeof copy, "%s", text);
  for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
    if (f.n_terms == TOP_FILTER_TERMS) {
      snprintf(err, cap, "at most %d words", TOP_FILTER_TERMS);
      return -1;
    }
    enum top_term_kind kind = TOP_TERM_NAME;
    for (size_t i = 0; i < sizeof filter_prefixes / sizeof filter_prefixes[0]; i++)
      if (strncasecmp(w, filter_prefixes[i].prefix, strlen(filter_prefixes[i].prefix)) == 0) {
        kind = filter_prefixes[i].kind;
        w += strlen(filter_prefixes[i].prefix);
        break;
      }
    if (kind == TOP_TERM_STATE && top_state_parse(w, &f.terms[f.n_terms].state) < 0) {
      snprintf(err, cap,
               "unknown state '%.40s': running, starting, stopping, busy, stuck, "
               "waiting, deadlock, stopped",
               w);
      return -1;
    }
    char *end = NULL;
    if (kind == TOP_TERM_SYSTEM && (!*w || (strtoll(w, &end, 10), *end))) {
      snprintf(err, cap, "system:N takes an actor system's number, not '%.40s'", w);
      return -1;
    }
    f.terms[f.n_terms].kind = kind;
    snprintf(f.terms[f.n_terms].word, sizeof f.terms[f.n_terms].word, "%s", w);
    f.n_terms++;
  }
  if (f.n_terms == 0)
    f.text[0] = '\0';
  *filter = f;
  return 0;
}

static int filter_has_type(const struct as_rec_actor *a, const char *word)
{
  if (a->has_handling && a->handling_type && strcasestr(a->handling_type, word))
    return 1;
  for (size_t i = 0; i < a->n_message_types; i++)
    if (strcasestr(a->message_types[i].name, word))
      return 1;
  return 0;
}

int top_filter_match(const struct top_filter *filter, const struct as_rec_actor *a,
                     enum top_state state)
{
  for (size_t i = 0; i < filter->n_terms; i++) {
    const char *w = filter->terms[i].word;
    switch (filter->terms[i].kind) {
    case TOP_TERM_STATE:
      if (state != filter->terms[i].state)
        return 0;
      break;
    case TOP_TERM_RUNTIME:
      if (!a->runtime || strcasecmp(a->runtime, w) != 0)
        return 0;
      break;
    case TOP_TERM_TYPE:
      if (!filter_has_type(a, w))
        return 0;
      break;
    case TOP_TERM_SYSTEM:
      if (!a->has_runtime_id || a->runtime_scope != strtoll(w, NULL, 10))
        return 0;
      break;
    case TOP_TERM_NAME:
      if (!strcasestr(a->name, w) && !(a->full_name && strcasestr(a->full_name, w)))
        return 0;
      break;
    }
  }
  return 1;
}
