/* CI rules for `actorscope check`: parsed from a rules file (one rule per line, '#' starts a
 * comment, a word with spaces goes in double quotes: expect "caf::(anonymous namespace)::impl"
 * 1, with \" and \\ inside) or from command-line flags, which give their words directly. */
#ifndef ACTORSCOPE_RULES_H
#define ACTORSCOPE_RULES_H

#include <stddef.h>

enum rule_kind {
  RULE_MAX_ALIVE,
  RULE_MAX_ALIVE_AT_EXIT,
  RULE_MAX_SPAWNED,
  RULE_EXPECT,
  RULE_MAX_MAILBOX,
  RULE_MAX_HANDLER_MS,
  RULE_NO_DEADLOCK,
  RULE_NO_EXCEPTIONS,
  RULE_BASELINE,
  RULE_MAX_HANDLER_P99_MS,      /* the p99 of a name's finished handlers (histograms merged) */
  RULE_MAX_MAILBOX_WAIT_P99_MS, /* the p99 of a name's messages' waits in the mailbox */
  RULE_NO_MESSAGES, /* actors (or a thread) named `name` never send to those named `peer` */
};

struct rule {
  enum rule_kind kind;
  char text[1024]; /* the rule as written, normalised to single spaces, names quoted if need be */
  long long limit; /* N, or MIN for expect */
  long long max;   /* MAX for expect */
  char name[512];  /* actor name filter; "" = every actor */
  char path[512];  /* baseline file */
  char peer[512];  /* no-messages: the receivers' name */
  double tolerance_pct;
};

struct rule_list {
  struct rule *items;
  size_t count, capacity;
};

struct rules_error {
  char text[512];
};

/* Parses one rule line. `where` prefixes errors ("rules.txt:3" or "--max-alive"). Blank and
 * comment-only lines add nothing. Returns 0 or -1 with err filled. */
int rules_parse_line(struct rule_list *list, const char *line, const char *where,
                     struct rules_error *err);
/* Adds one rule from its words (the keyword first), as a flag gives them: no quoting needed. */
int rules_add_words(struct rule_list *list, const char *const *words, size_t n, const char *where,
                    struct rules_error *err);
/* Parses a rules file. Returns 0 or -1. */
int rules_parse_file(struct rule_list *list, const char *path, struct rules_error *err);
void rules_free(struct rule_list *list);

#endif
