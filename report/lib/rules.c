#define _GNU_SOURCE
#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULES_MAX_WORDS 8

struct rules_syntax {
  const char *keyword;
  enum rule_kind kind;
  const char *usage;
};

static const struct rules_syntax rules_syntax[] = {
    {"max-alive", RULE_MAX_ALIVE, "max-alive N"},
    {"max-alive-at-exit", RULE_MAX_ALIVE_AT_EXIT, "max-alive-at-exit N"},
    {"max-spawned", RULE_MAX_SPAWNED, "max-spawned N"},
    {"expect", RULE_EXPECT, "expect NAME COUNT | expect NAME MIN..MAX"},
    {"max-mailbox", RULE_MAX_MAILBOX, "max-mailbox N [NAME]"},
    {"max-handler-ms", RULE_MAX_HANDLER_MS, "max-handler-ms N [NAME]"},
    {"no-deadlock", RULE_NO_DEADLOCK, "no-deadlock"},
    {"no-exceptions", RULE_NO_EXCEPTIONS, "no-exceptions"},
    {"baseline", RULE_BASELINE, "baseline FILE tolerance PCT"},
    {"max-handler-p99-ms", RULE_MAX_HANDLER_P99_MS, "max-handler-p99-ms N [NAME]"},
    {"max-mailbox-wait-p99-ms", RULE_MAX_MAILBOX_WAIT_P99_MS, "max-mailbox-wait-p99-ms N [NAME]"},
    {"no-messages", RULE_NO_MESSAGES, "no-messages FROM TO"},
};

static int rules_fail(struct rules_error *err, const char *where, const char *what,
                      const char *usage)
{
  snprintf(err->text, sizeof err->text, "%s: %s%s%s", where, what, usage ? "; expected: " : "",
           usage ? usage : "");
  return -1;
}

static int rules_number(const char *text, long long *out)
{
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (!*text || *end || errno || v < 0)
    return -1;
  *out = v;
  return 0;
}

/* Splits LINE (modified in place) into words; '#' outside quotes ends it. A word in double
 * quotes may hold spaces, '#', \" and \\. Returns the count, or -1 for an unclosed quote. */
static long rules_split(char *line, char **words)
{
  size_t n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      p++;
    if (!*p || *p == '#')
      return (long)n;
    if (n == RULES_MAX_WORDS + 1)
      return (long)n;
    char *out = p;
    words[n++] = out;
    if (*p == '"') {
      for (p++;; p++) {
        if (!*p)
          return -1;
        if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
          p++;
        else if (*p == '"')
          break;
        *out++ = *p;
      }
      p++;
      if (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
        return -1;
    } else {
      while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '#')
        *out++ = *p++;
    }
    char *next = *p && *p != '#' ? p + 1 : p;
    int comment = *p == '#';
    *out = '\0';
    p = next;
    if (comment)
      return (long)n;
  }
}

/* Appends WORD to the rule's text, quoted when it would not read back as one word. */
static void rules_append_word(char *text, size_t len, const char *word)
{
  size_t used = strlen(text);
  int quote = !*word || strpbrk(word, " \t\"#\\") != NULL;
  if (used && used + 1 < len)
    text[used++] = ' ';
  if (quote && used + 1 < len)
    text[used++] = '"';
  for (const char *c = word; *c && used + 2 < len; c++) {
    if (quote && (*c == '"' || *c == '\\'))
      text[used++] = '\\';
    text[used++] = *c;
  }
  if (quote && used + 1 < len)
    text[used++] = '"';
  text[used < len ? used : len - 1] = '\0';
}

static int rules_fill(struct rule *r, const struct rules_syntax *syn, const char *const *w,
                      size_t n, const char *where, struct rules_error *err)
{
  switch (syn->kind) {
  case RULE_NO_DEADLOCK:
  case RULE_NO_EXCEPTIONS:
    return n == 1 ? 0 : rules_fail(err, where, "takes no arguments", syn->usage);
  case RULE_MAX_ALIVE:
  case RULE_MAX_ALIVE_AT_EXIT:
  case RULE_MAX_SPAWNED:
    if (n != 2 || rules_number(w[1], &r->limit) < 0)
      return rules_fail(err, where, "needs one whole number", syn->usage);
    return 0;
  case RULE_MAX_MAILBOX:
  case RULE_MAX_HANDLER_MS:
  case RULE_MAX_HANDLER_P99_MS:
  case RULE_MAX_MAILBOX_WAIT_P99_MS:
    if (n < 2 || n > 3 || rules_number(w[1], &r->limit) < 0)
      return rules_fail(err, where, "needs a whole number and an optional actor name", syn->usage);
    if (n == 3 && strlen(w[2]) >= sizeof r->name)
      return rules_fail(err, where, "the actor name is too long", syn->usage);
    if (n == 3)
      snprintf(r->name, sizeof r->name, "%s", w[2]);
    return 0;
  case RULE_EXPECT: {
    if (n != 3)
      return rules_fail(err, where, "needs an actor name and a count", syn->usage);
    if (strlen(w[1]) >= sizeof r->name)
      return rules_fail(err, where, "the actor name is too long", syn->usage);
    snprintf(r->name, sizeof r->name, "%s", w[1]);
    char count[64];
    snprintf(count, sizeof count, "%s", w[2]);
    char *dots = strstr(count, "..");
    if (dots) {
      *dots = '\0';
      if (rules_number(count, &r->limit) < 0 || rules_number(dots + 2, &r->max) < 0 ||
          r->limit > r->max)
        return rules_fail(err, where, "bad range", syn->usage);
    } else if (rules_number(w[2], &r->limit) < 0) {
      return rules_fail(err, where, "bad count", syn->usage);
    } else {
      r->max = r->limit;
    }
    return 0;
  }
  case RULE_NO_MESSAGES:
    if (n != 3)
      return rules_fail(err, where, "needs two names, the senders' and the receivers'", syn->usage);
    if (strlen(w[1]) >= sizeof r->name || strlen(w[2]) >= sizeof r->peer)
      return rules_fail(err, where, "the actor name is too long", syn->usage);
    snprintf(r->name, sizeof r->name, "%s", w[1]);
    snprintf(r->peer, sizeof r->peer, "%s", w[2]);
    return 0;
  case RULE_BASELINE: {
    char *end = NULL;
    if (n != 4 || strcmp(w[2], "tolerance") != 0)
      return rules_fail(err, where, "malformed baseline rule", syn->usage);
    if (strlen(w[1]) >= sizeof r->path)
      return rules_fail(err, where, "the baseline path is too long", syn->usage);
    snprintf(r->path, sizeof r->path, "%s", w[1]);
    char pct[64];
    snprintf(pct, sizeof pct, "%s", w[3]);
    size_t len = strlen(pct);
    if (len && pct[len - 1] == '%')
      pct[len - 1] = '\0';
    r->tolerance_pct = strtod(pct, &end);
    if (!*pct || *end || !(r->tolerance_pct >= 0) || r->tolerance_pct > 1e12)
      return rules_fail(err, where, "bad tolerance percentage", syn->usage);
    return 0;
  }
  }
  return rules_fail(err, where, "unknown rule", NULL);
}

int rules_add_words(struct rule_list *list, const char *const *w, size_t n, const char *where,
                    struct rules_error *err)
{
  if (n == 0)
    return 0;
  if (n > RULES_MAX_WORDS)
    return rules_fail(err, where, "too many words", NULL);
  const struct rules_syntax *syn = NULL;
  for (size_t i = 0; i < sizeof rules_syntax / sizeof rules_syntax[0]; i++)
    if (strcmp(w[0], rules_syntax[i].keyword) == 0)
      syn = &rules_syntax[i];
  if (!syn) {
    char what[160];
    snprintf(what, sizeof what, "unknown rule '%.100s'", w[0]);
    return rules_fail(err, where, what, NULL);
  }
  struct rule r;
  memset(&r, 0, sizeof r);
  r.kind = syn->kind;
  for (size_t i = 0; i < n; i++)
    rules_append_word(r.text, sizeof r.text, w[i]);
  if (rules_fill(&r, syn, w, n, where, err) < 0)
    return -1;
  if (list->count == list->capacity) {
    size_t capacity = list->capacity ? list->capacity * 2 : 8;
    struct rule *items = realloc(list->items, capacity * sizeof *items);
    if (!items)
      return rules_fail(err, where, "out of memory", NULL);
    list->items = items;
    list->capacity = capacity;
  }
  list->items[list->count++] = r;
  return 0;
}

int rules_parse_line(struct rule_list *list, const char *line, const char *where,
                     struct rules_error *err)
{
  char buf[2048];
  if (strlen(line) >= sizeof buf)
    return rules_fail(err, where, "line too long", NULL);
  snprintf(buf, sizeof buf, "%s", line);
  char *w[RULES_MAX_WORDS + 1];
  long n = rules_split(buf, w);
  if (n < 0)
    return rules_fail(err, where, "a quoted word is not closed (or runs into the next)", NULL);
  return rules_add_words(list, (const char *const *)w, (size_t)n, where, err);
}

int rules_parse_file(struct rule_list *list, const char *path, struct rules_error *err)
{
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err->text, sizeof err->text, "%s: %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0, lineno = 0;
  int rc = 0;
  while (rc == 0 && getline(&line, &cap, f) >= 0) {
    char where[600];
    snprintf(where, sizeof where, "%s:%zu", path, ++lineno);
    rc = rules_parse_line(list, line, where, err);
  }
  free(line);
  fclose(f);
  return rc;
}

void rules_free(struct rule_list *list)
{
  free(list->items);
  memset(list, 0, sizeof *list);
}
