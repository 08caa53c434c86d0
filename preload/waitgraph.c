#include "waitgraph.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int waitgraph_edge_cmp(const void *a, const void *b)
{
  const struct as_wait_edge *x = a, *y = b;
  return x->from < y->from ? -1 : x->from > y->from;
}

/* Index of the edge leaving `id`, or count when it waits on nothing. */
static size_t waitgraph_find(const struct as_wait_edge *sorted, size_t count, uint64_t id)
{
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (sorted[mid].from < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < count && sorted[lo].from == id ? lo : count;
}

int as_waitgraph_find_cycles(const struct as_wait_edge *edges, size_t count,
                             struct as_waitgraph_cycles *out)
{
  memset(out, 0, sizeof *out);
  if (count == 0)
    return 0;
  struct as_wait_edge *sorted = malloc(count * sizeof *sorted);
  size_t *walk = calloc(count, sizeof *walk); /* 0 = unvisited, else walk number */
  out->members = malloc(count * sizeof *out->members);
  out->starts = malloc(count * sizeof *out->starts);
  out->lengths = malloc(count * sizeof *out->lengths);
  if (!sorted || !walk || !out->members || !out->starts || !out->lengths) {
    free(sorted);
    free(walk);
    as_waitgraph_cycles_free(out);
    return -ENOMEM;
  }
  memcpy(sorted, edges, count * sizeof *sorted);
  qsort(sorted, count, sizeof *sorted, waitgraph_edge_cmp);

  for (size_t begin = 0; begin < count; begin++) {
    if (walk[begin])
      continue;
    size_t walk_id = begin + 1;
    size_t at = begin;
    while (at < count && !walk[at]) {
      walk[at] = walk_id;
      at = waitgraph_find(sorted, count, sorted[at].to);
    }
    if (at == count || walk[at] != walk_id)
      continue; /* the chain ends, or joins a chain already walked */

    /* `at` is on a new cycle: collect it starting from its smallest id. */
    size_t min_at = at;
    for (size_t k = waitgraph_find(sorted, count, sorted[at].to); k != at;
         k = waitgraph_find(sorted, count, sorted[k].to))
      if (sorted[k].from < sorted[min_at].from)
        min_at = k;
    size_t start = out->member_count;
    size_t k = min_at;
    do {
      out->members[out->member_count++] = sorted[k].from;
      k = waitgraph_find(sorted, count, sorted[k].to);
    } while (k != min_at);
    out->starts[out->cycle_count] = start;
    out->lengths[out->cycle_count] = out->member_count - start;
    out->cycle_count++;
  }
  free(sorted);
  free(walk);
  return 0;
}

void as_waitgraph_cycles_free(struct as_waitgraph_cycles *cycles)
{
  free(cycles->members);
  free(cycles->starts);
  free(cycles->lengths);
  memset(cycles, 0, sizeof *cycles);
}
