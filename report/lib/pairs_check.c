/* check's rule no-messages FROM TO. */
#include "pairs.h"

#include "format.h"
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

/* Messages that may have gone from FROM to TO without a name: what actors named FROM sent to
 * peers past the ones they list, and, when FROM is a thread, what threads sent to actors named
 * TO past theirs (kept in those actors' peers_other). */
static int64_t pairs_unnamed(const struct recording *m, const struct rm_names *names,
                             const char *from, const char *to)
{
  int from_is_actor = recording_names_find(m, names, from) != NULL;
  int64_t sum = 0;
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (!a->peers_other || !recording_visible(m, a))
      continue;
    const char *name = strtab_text(&m->strings, a->name);
    if (from_is_actor ? strcmp(name, from) == 0 : strcmp(name, to) == 0)
      sum += a->peers_other;
  }
  return sum;
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
  int64_t count = recording_pairs_between(m, &pairs, from, to), unnamed;
  /* A rule that cannot see messages, or names no talker, would pass whatever happened. */
  /* A thread whose every message went past its receivers' listed peers is named nowhere, yet
   * may have sent them: unnamed messages are said before an unknown name. */
  const char *unknown = !pairs_name_known(m, names, &pairs, from) ? from
                        : !pairs_name_known(m, names, &pairs, to) ? to
                                                                  : NULL;
  if (!pairs.any)
    snprintf(detail, len, "the run records no messages between actors (a tracer before them)");
  else if (count > 0)
    snprintf(detail, len, "%s sent %lld message%s to %s", from, (long long)count,
             count == 1 ? "" : "s", to);
  else if ((unnamed = pairs_unnamed(m, names, from, to)) > 0)
    snprintf(detail, len,
             "%s%s%s%lld message%s " PAIRS_OTHER_TEXT " may have gone from %s to %s: the tracer "
             "keeps no names for them, so the rule cannot tell",
             unknown ? "no actor or thread named " : "", unknown ? unknown : "",
             unknown ? " is listed, but " : "", (long long)unnamed, unnamed == 1 ? "" : "s",
             AS_PEERS_PER_ACTOR_MAX, from, to);
  else if (unknown)
    snprintf(detail, len, "no actor or thread is named %s in this run, so the rule checks nothing",
             unknown);
  else
    rc = 0;
  recording_pairs_free(&pairs);
  return rc;
}
