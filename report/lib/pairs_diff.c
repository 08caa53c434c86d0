/* diff's rows of messages between actor names. */
#define _GNU_SOURCE
#include "format.h"
#include "pairs.h"

#include "recording.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pairs_diff_row {
  char *label;
  int64_t a, b;
};

static int pairs_diff_cmp(const void *x, const void *y)
{
  return strcmp(((const struct pairs_diff_row *)x)->label,
                ((const struct pairs_diff_row *)y)->label);
}

/* Adds one run's pairs (SIDE 0: A, 1: B) to ROWS. */
static int pairs_diff_add(struct pairs_diff_row **rows, size_t *n, const struct recording *m,
                          const struct rm_pairs *pairs, int side)
{
  for (size_t i = 0; i < pairs->n; i++) {
    char *label = NULL;
    if (asprintf(&label, "%s \u2192 %s", strtab_text(&m->strings, pairs->items[i].from),
                 strtab_text(&m->strings, pairs->items[i].to)) < 0)
      return -1;
    size_t k = 0;
    while (k < *n && strcmp((*rows)[k].label, label) != 0)
      k++;
    if (k == *n) {
      struct pairs_diff_row *grown = reallocarray(*rows, *n + 1, sizeof **rows);
      if (!grown) {
        free(label);
        return -1;
      }
      *rows = grown;
      (*rows)[(*n)++] = (struct pairs_diff_row){label, 0, 0};
    } else {
      free(label);
    }
    if (side)
      (*rows)[k].b += pairs->items[i].count;
    else
      (*rows)[k].a += pairs->items[i].count;
  }
  return 0;
}

int pairs_diff_each(const struct recording *a, const struct recording *b,
                    void (*row)(const char *label, int64_t a, int64_t b, void *ctx), void *ctx)
{
  struct rm_pairs pa, pb;
  if (recording_pairs(a, 0, &pa) < 0)
    return -1;
  if (recording_pairs(b, 0, &pb) < 0) {
    recording_pairs_free(&pa);
    return -1;
  }
  struct pairs_diff_row *rows = NULL;
  size_t n = 0;
  int rc =
      pairs_diff_add(&rows, &n, a, &pa, 0) < 0 || pairs_diff_add(&rows, &n, b, &pb, 1) < 0 ? -1 : 0;
  if (rc == 0) {
    if (n)
      qsort(rows, n, sizeof *rows, pairs_diff_cmp);
    for (size_t i = 0; i < n; i++)
      row(rows[i].label, rows[i].a, rows[i].b, ctx);
    /* The messages no pair names: a pair that appears in B may be what A counted here. */
    if (pa.other || pb.other) {
      char label[96];
      snprintf(label, sizeof label, "others (" PAIRS_OTHER_TEXT ")", AS_PEERS_PER_ACTOR_MAX);
      row(label, pa.other, pb.other, ctx);
    }
  }
  for (size_t i = 0; i < n; i++)
    free(rows[i].label);
  free(rows);
  recording_pairs_free(&pa);
  recording_pairs_free(&pb);
  return rc;
}
