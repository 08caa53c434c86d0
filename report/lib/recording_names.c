/* A recorded run's per-name aggregates (recording.h): every visible actor of a name added up,
 * histograms merged by bucket. */
#define _GNU_SOURCE
#include "recording.h"

#include <stdlib.h>
#include <string.h>

/* Adds a sorted histogram into another (both by bucket). Returns 0 or -1 (ENOMEM). */
static int rm_hist_merge(struct as_histogram_bin **into, size_t *n_into,
                         const struct as_histogram_bin *add, size_t n_add)
{
  if (!n_add)
    return 0;
  struct as_histogram_bin *out = malloc((*n_into + n_add) * sizeof *out);
  if (!out)
    return -1;
  size_t i = 0, k = 0, n = 0;
  const struct as_histogram_bin *a = *into;
  while (i < *n_into || k < n_add) {
    if (k == n_add || (i < *n_into && a[i].bucket < add[k].bucket))
      out[n++] = a[i++];
    else if (i == *n_into || add[k].bucket < a[i].bucket)
      out[n++] = add[k++];
    else {
      out[n] = a[i++];
      out[n++].count += add[k++].count;
    }
  }
  free(*into);
  *into = out;
  *n_into = n;
  return 0;
}

/* ---- per name ---------------------------------------------------------------------------- */

static const struct recording *rm_sort_model;

static int rm_name_cmp(const void *x, const void *y)
{
  const struct rm_name *a = x, *b = y;
  return strcmp(strtab_text(&rm_sort_model->strings, a->name),
                strtab_text(&rm_sort_model->strings, b->name));
}

static int rm_name_type_add(struct rm_name *agg, const struct rm_type *t, int64_t actor_id)
{
  struct rm_name_type *row = NULL;
  for (size_t k = 0; k < agg->n_types && !row; k++)
    if (agg->types[k].type == t->group)
      row = &agg->types[k];
  if (!row) {
    struct rm_name_type *grown = reallocarray(agg->types, agg->n_types + 1, sizeof *grown);
    if (!grown)
      return -1;
    agg->types = grown;
    row = &agg->types[agg->n_types++];
    *row = (struct rm_name_type){t->group, 0, -1, 0};
  }
  row->sum = as_sat_add(row->sum, t->count);
  if (t->count > row->max) {
    row->max = t->count;
    row->max_id = actor_id;
  }
  return 0;
}

/* Adds a socket into its name's row of the same kind. */
static int rm_name_socket_add(struct rm_name *agg, const struct rm_socket *s)
{
  size_t k = 0;
  while (k < agg->n_sockets && agg->sockets[k].kind != s->kind)
    k++;
  if (k == agg->n_sockets) {
    struct rm_socket *grown = reallocarray(agg->sockets, k + 1, sizeof *grown);
    if (!grown)
      return -1;
    agg->sockets = grown;
    agg->sockets[agg->n_sockets++] = (struct rm_socket){s->kind, 0, 0};
  }
  agg->sockets[k].received = as_sat_add(agg->sockets[k].received, s->received);
  agg->sockets[k].sent = as_sat_add(agg->sockets[k].sent, s->sent);
  return 0;
}

/* A name's sockets, busiest first, then by kind: the same order whichever instance used which
 * first. */
static int rm_socket_cmp(const void *x, const void *y)
{
  const struct rm_socket *a = x, *b = y;
  int64_t ta = as_sat_add(a->received, a->sent), tb = as_sat_add(b->received, b->sent);
  if (ta != tb)
    return ta > tb ? -1 : 1;
  return strcmp(strtab_text(&rm_sort_model->strings, a->kind),
                strtab_text(&rm_sort_model->strings, b->kind));
}

int recording_names(const struct recording *m, struct rm_names *out)
{
  memset(out, 0, sizeof *out);
  /* name index -> slot + 1 */
  uint32_t *slot_of = calloc(m->strings.n + 1, sizeof *slot_of);
  struct rm_name *items = calloc(m->n_actors + 1, sizeof *items);
  if (!slot_of || !items) {
    free(slot_of);
    free(items);
    return -1;
  }
  size_t n = 0;
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct rm_actor *a = &m->actors[i];
    if (!recording_visible(m, a))
      continue;
    if (!slot_of[a->name]) {
      items[n].name = a->name;
      slot_of[a->name] = (uint32_t)++n;
    }
    struct rm_name *agg = &items[slot_of[a->name] - 1];
    agg->spawned++;
    agg->alive_at_end += recording_alive_at_end(m, a);
    if (a->mailbox_max > agg->mailbox_max)
      agg->mailbox_max = a->mailbox_max;
    agg->exceptions = as_sat_add(agg->exceptions, a->exceptions);
    int64_t longest = recording_handler_max(a, NULL, NULL);
    if (longest > agg->handler_max_ns)
      agg->handler_max_ns = longest;
    agg->messages = as_sat_add(agg->messages, a->received);
    if (a->handler_max_ns > agg->finished_max_ns)
      agg->finished_max_ns = a->handler_max_ns;
    int failed =
        rm_hist_merge(&agg->hist, &agg->n_hist, a->hist, a->n_hist) < 0 ||
        rm_hist_merge(&agg->wait_hist, &agg->n_wait_hist, a->wait_hist, a->n_wait_hist) < 0;
    for (size_t k = 0; k < a->n_types && !failed; k++)
      failed = rm_name_type_add(agg, &a->types[k], a->id) < 0;
    for (size_t k = 0; k < a->n_sockets && !failed; k++)
      failed = rm_name_socket_add(agg, &a->sockets[k]) < 0;
    if (failed) {
      out->items = items;
      out->n = n;
      recording_names_free(out);
      free(slot_of);
      return -1;
    }
  }
  free(slot_of);
  rm_sort_model = m;
  for (size_t i = 0; i < n; i++)
    if (items[i].n_sockets > 1)
      qsort(items[i].sockets, items[i].n_sockets, sizeof *items[i].sockets, rm_socket_cmp);
  qsort(items, n, sizeof *items, rm_name_cmp);
  out->items = items;
  out->n = n;
  return 0;
}

void recording_names_free(struct rm_names *names)
{
  for (size_t i = 0; i < names->n; i++) {
    free(names->items[i].types);
    free(names->items[i].sockets);
    free(names->items[i].hist);
    free(names->items[i].wait_hist);
  }
  free(names->items);
  memset(names, 0, sizeof *names);
}

const struct rm_name *recording_names_find(const struct recording *m, const struct rm_names *names,
                                           const char *name)
{
  uint32_t id = strtab_find(&m->strings, name);
  if (id == UINT32_MAX)
    return NULL;
  size_t lo = 0, hi = names->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(strtab_text(&m->strings, names->items[mid].name), name);
    if (c == 0)
      return &names->items[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

int64_t recording_name_count(const struct recording *m, const struct rm_name *agg, const char *type)
{
  if (!agg)
    return 0;
  uint32_t id = strtab_find(&m->strings, type);
  for (size_t k = 0; k < agg->n_types; k++)
    if (agg->types[k].type == id)
      return agg->types[k].sum;
  return 0;
}
