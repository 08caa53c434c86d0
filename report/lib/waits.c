#include "waits.h"

#include "show.h"

#include <stdio.h>
#include <stdlib.h>

#define WAITS_NAME_WIDTH 48

void waits_json(struct jsonout *j, const char *key, const struct recording *m,
                const struct as_histogram_bin *bins, size_t n)
{
  struct rm_finished w;
  if (recording_waits(m, bins, n, &w) == 0)
    waits_json_percentiles(j, key, &w, "measured");
}

void waits_json_percentiles(struct jsonout *j, const char *key, const struct rm_finished *f,
                            const char *count_key)
{
  jsonout_object_begin(j, key);
  jsonout_int(j, "p50_ns", f->p50);
  jsonout_int(j, "p90_ns", f->p90);
  jsonout_int(j, "p99_ns", f->p99);
  jsonout_int(j, "max_ns", f->max);
  jsonout_int(j, count_key, (int64_t)f->count);
  jsonout_object_end(j);
}

/* "LEAD p50 … of N timed messages" and a newline, when the histogram exists: N counts the
 * timed messages (one in ACTORSCOPE_MAILBOX_WAIT_EVERY), not all those received. */
static void waits_print(const struct recording *m, const char *lead,
                        const struct as_histogram_bin *bins, size_t n)
{
  struct rm_finished w;
  if (recording_waits(m, bins, n, &w) < 0)
    return;
  char p50[SHOW_DURATION_MAX], p90[SHOW_DURATION_MAX], p99[SHOW_DURATION_MAX],
      max[SHOW_DURATION_MAX];
  printf("%sp50 %s, p90 %s, p99 %s, max %s of %llu timed message%s\n", lead,
         show_duration(w.p50, 0, p50, sizeof p50), show_duration(w.p90, 0, p90, sizeof p90),
         show_duration(w.p99, 0, p99, sizeof p99), show_duration(w.max, 0, max, sizeof max),
         (unsigned long long)w.count, w.count == 1 ? "" : "s");
}

void waits_print_line(const struct recording *m, const char *indent,
                      const struct as_histogram_bin *bins, size_t n)
{
  char lead[64];
  snprintf(lead, sizeof lead, "%swaited in the mailbox: ", indent);
  waits_print(m, lead, bins, n);
}

struct waits_row {
  const struct rm_name *agg;
  int64_t p99;
};

static int waits_row_cmp(const void *x, const void *y)
{
  const struct waits_row *a = x, *b = y;
  return a->p99 != b->p99 ? (a->p99 < b->p99 ? 1 : -1) : (a->agg < b->agg ? -1 : a->agg > b->agg);
}

void waits_print_section(const struct recording *m, const struct rm_names *names, size_t lines)
{
  struct waits_row *rows = malloc((names->n + 1) * sizeof *rows);
  if (!rows)
    return;
  size_t n = 0;
  for (size_t i = 0; i < names->n; i++)
    if (names->items[i].n_wait_hist)
      rows[n++] = (struct waits_row){&names->items[i],
                                     recording_name_wait_percentile(m, &names->items[i], 99)};
  if (n) {
    /* Names sorted by name already: the sort keeps that order among equal p99s. */
    qsort(rows, n, sizeof *rows, waits_row_cmp);
    printf("\nMailbox waits (enqueue to handler start, every actor of the name), longest p99 "
           "first:\n");
    struct show_budget budget = {lines, 0};
    char name[WAITS_NAME_WIDTH + 8], lead[WAITS_NAME_WIDTH + 48];
    for (size_t i = 0; i < n; i++) {
      if (!show_spend(&budget))
        continue;
      snprintf(lead, sizeof lead, "  %s (%lld actor%s): ",
               show_name(strtab_text(&m->strings, rows[i].agg->name), WAITS_NAME_WIDTH, name,
                         sizeof name),
               (long long)rows[i].agg->spawned, rows[i].agg->spawned == 1 ? "" : "s");
      waits_print(m, lead, rows[i].agg->wait_hist, rows[i].agg->n_wait_hist);
    }
    show_skipped(&budget, "names");
  }
  free(rows);
}
