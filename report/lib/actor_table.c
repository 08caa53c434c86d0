/* The per-actor table merged with each snapshot (actor_table.h). */
#include "actor_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void actor_table_init(struct actor_table *table, size_t elem)
{
  memset(table, 0, sizeof *table);
  table->elem = elem;
}

static void *table_at(char *items, size_t elem, size_t i) { return items + i * elem; }

int actor_table_update(struct actor_table *table, const struct as_rec_snapshot *snapshot,
                       actor_table_seen_fn seen, actor_table_gone_fn gone, void *ctx)
{
  size_t need = snapshot->n_actors;
  if (need > table->spare_cap) {
    char *grown = realloc(table->spare, need * table->elem);
    if (!grown && need)
      return -ENOMEM;
    table->spare = grown;
    table->spare_cap = need;
  }
  size_t old = 0, out = 0;
  int rc = 0;
  for (size_t i = 0; i < snapshot->n_actors && rc >= 0; i++) {
    const struct as_rec_actor *a = &snapshot->actors[i];
    while (old < table->n &&
           ((struct actor_table_state *)table_at(table->items, table->elem, old))->id < a->id) {
      if (gone)
        rc = gone(table_at(table->items, table->elem, old), ctx);
      old++;
      if (rc < 0)
        break;
    }
    if (rc < 0)
      break;
    void *state = table_at(table->spare, table->elem, out++);
    int is_new =
        !(old < table->n &&
          ((struct actor_table_state *)table_at(table->items, table->elem, old))->id == a->id);
    if (is_new) {
      memset(state, 0, table->elem);
      ((struct actor_table_state *)state)->id = a->id;
    } else {
      memcpy(state, table_at(table->items, table->elem, old++), table->elem);
    }
    if (seen)
      rc = seen(state, a, is_new, ctx);
  }
  while (rc >= 0 && old < table->n) {
    if (gone)
      rc = gone(table_at(table->items, table->elem, old), ctx);
    old++;
  }
  /* Swap: the merged records become the table, the old array the spare. */
  char *items = table->items;
  size_t cap = table->cap;
  table->items = table->spare;
  table->cap = table->spare_cap;
  table->n = out;
  table->spare = items;
  table->spare_cap = cap;
  return rc < 0 ? rc : 0;
}

int actor_table_each(struct actor_table *table, actor_table_gone_fn fn, void *ctx)
{
  for (size_t i = 0; i < table->n; i++) {
    int rc = fn(table_at(table->items, table->elem, i), ctx);
    if (rc < 0)
      return rc;
  }
  return 0;
}

void *actor_table_find(const struct actor_table *table, int64_t id)
{
  size_t lo = 0, hi = table->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    struct actor_table_state *s = table_at(table->items, table->elem, mid);
    if (s->id == id)
      return s;
    if (s->id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

void actor_table_free(struct actor_table *table)
{
  free(table->items);
  free(table->spare);
  memset(table, 0, sizeof *table);
}
