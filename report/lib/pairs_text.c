/* The text report's "Messages between actors". */
#include "pairs.h"

#include "recording.h"
#include "show.h"

#include <stdio.h>

#define PAIRS_NAME_WIDTH 40

static void pairs_print_talker(const struct recording *m, uint32_t name, int64_t id)
{
  char buf[PAIRS_NAME_WIDTH + 8];
  printf("%s", show_name(strtab_text(&m->strings, name), PAIRS_NAME_WIDTH, buf, sizeof buf));
  if (id)
    printf(" #%lld", (long long)id);
}

static void pairs_print(const struct recording *m, const struct rm_pairs *pairs, int all,
                        size_t lines)
{
  struct show_budget budget = {all ? (size_t)-1 : lines, 0};
  for (size_t i = 0; i < pairs->n; i++) {
    if (!show_spend(&budget))
      continue;
    printf("  ");
    pairs_print_talker(m, pairs->items[i].from, pairs->items[i].from_id);
    printf(" \u2192 ");
    pairs_print_talker(m, pairs->items[i].to, pairs->items[i].to_id);
    printf(" %lld\n", (long long)pairs->items[i].count);
  }
  show_skipped(&budget, "pairs");
}

void report_pairs_print(const struct recording *m, int all, size_t lines)
{
  struct rm_pairs by_name, by_actor = {0};
  if (recording_pairs(m, 0, &by_name) < 0 || !by_name.any ||
      (all && recording_pairs(m, 1, &by_actor) < 0)) {
    recording_pairs_free(&by_name);
    return;
  }
  printf("\nMessages between actors (a thread that runs no actor by its name):\n");
  if (!by_name.n)
    printf("  none sent\n");
  pairs_print(m, &by_name, all, lines);
  if (by_name.other)
    printf("  and %lld " PAIRS_OTHER_TEXT " (not told apart)\n", (long long)by_name.other,
           AS_PEERS_PER_ACTOR_MAX);
  if (all && by_actor.n) {
    printf("  per actor:\n");
    pairs_print(m, &by_actor, all, lines);
  }
  recording_pairs_free(&by_name);
  recording_pairs_free(&by_actor);
}
