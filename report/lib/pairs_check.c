/* check's rule no-messages FROM TO. */
#include "pairs.h"

#include "recording.h"

#include <stdio.h>
#include <string.h>

/* A name the rule may speak of: an actor name of the run, or a thread seen talking. */
static int pairs_name_known(const struct recording *m, const struct rm_names *names,
                            const struct rm_pairs *pairs, const char *name)
{
  if (recording_names_find(m, names, name))
    return 1;
  for (size_t i = 0; i < pairs->n; i++)
    if (strcmp(strtab_text(&m->strings, pairs->items[i].from), name) == 0 ||
        strcmp(strtab_text(&m->strings, pairs->items[i].to), name) == 0)
      return 1;
  return 0;
}

int pairs_check_no_messages(const struct recording *m, const struct rm_names *names,
                            const char *from, const char *to, char *detail, size_t len)
{
  struct rm_pairs pairs;
  if (recording_pairs(m, 0, &pairs) < 0) {
    snprintf(detail, len, "out of memory");
    return -1;
  }
  int rc = 1;
  int64_t count = recording_pairs_between(m, &pairs, from, to);
  /* A rule that cannot see messages, or names no talker, would pass whatever happened. */
  if (!pairs.any)
    snprintf(detail, len, "the run records no messages between actors (a tracer before them)");
  else if (!pairs_name_known(m, names, &pairs, from))
    snprintf(detail, len, "no actor or thread is named %s in this run, so the rule checks nothing",
             from);
  else if (!pairs_name_known(m, names, &pairs, to))
    snprintf(detail, len, "no actor or thread is named %s in this run, so the rule checks nothing",
             to);
  else if (count > 0)
    snprintf(detail, len, "%s sent %lld message%s to %s", from, (long long)count,
             count == 1 ? "" : "s", to);
  else
    rc = 0;
  recording_pairs_free(&pairs);
  return rc;
}
