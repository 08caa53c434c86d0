/* report --json's "messages_between": the numbers of the text's "Messages between actors"
 * (pairs_text.c), from the same computation (recording_pairs). */
#include "pairs.h"

#include "jsonout.h"
#include "recording.h"

/* A talker's name and, per actor, its id (null for a thread, known by its name only). */
static void pairs_json_talker(struct jsonout *j, const struct recording *m, const char *key,
                              const char *id_key, uint32_t name, int64_t id)
{
  jsonout_str(j, key, strtab_text(&m->strings, name));
  if (!id_key)
    return;
  if (id)
    jsonout_int(j, id_key, id);
  else
    jsonout_null(j, id_key);
}

static void pairs_json_rows(struct jsonout *j, const struct recording *m, const char *key,
                            const struct rm_pairs *pairs, int by_actor)
{
  jsonout_array_begin(j, key);
  for (size_t i = 0; i < pairs->n; i++) {
    const struct rm_pair *p = &pairs->items[i];
    jsonout_object_begin(j, NULL);
    pairs_json_talker(j, m, "from", by_actor ? "from_id" : NULL, p->from, p->from_id);
    pairs_json_talker(j, m, "to", by_actor ? "to_id" : NULL, p->to, p->to_id);
    jsonout_int(j, "count", p->count);
    jsonout_object_end(j);
  }
  jsonout_array_end(j);
}

int report_pairs_json(struct jsonout *j, const struct recording *m, int all)
{
  struct rm_pairs by_name, by_actor = {0};
  if (recording_pairs(m, 0, &by_name) < 0)
    return -1;
  if (!by_name.any) {
    recording_pairs_free(&by_name);
    return 0;
  }
  if (all && recording_pairs(m, 1, &by_actor) < 0) {
    recording_pairs_free(&by_name);
    return -1;
  }
  jsonout_object_begin(j, "messages_between");
  pairs_json_rows(j, m, "by_name", &by_name, 0);
  jsonout_int(j, "others", by_name.other);
  if (all)
    pairs_json_rows(j, m, "by_actor", &by_actor, 1);
  jsonout_object_end(j);
  recording_pairs_free(&by_name);
  recording_pairs_free(&by_actor);
  return 0;
}
