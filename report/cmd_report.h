/* actorscope report: the account of a run, shared by its text (cmd_report_text.c) and JSON
 * (cmd_report_json.c) renderings; cmd_report.c reads the run and gathers what both show. */
#ifndef ACTORSCOPE_CMD_REPORT_H
#define ACTORSCOPE_CMD_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "recording.h"

#define REPORT_TIMELINE_ROWS 10
#define REPORT_SLOWEST 10
#define REPORT_LINES_PER_SECTION 200
#define REPORT_NAME_WIDTH 48
#define REPORT_TYPES_PER_LINE 6
#define REPORT_MAX_INDENT 24

struct report {
  const struct recording *m;
  struct rm_names names;
  struct rm_tree tree; /* the visible actors, grouped then tree-ordered */
  size_t *slowest;
  size_t n_slowest;
  size_t lines_per_section;
};

/* The model qsort's comparisons below read (set before sorting). */
extern const struct recording *report_sort_model;

const char *report_str(const struct report *r, uint32_t i);
int report_slow_cmp(const void *x, const void *y);
int report_find_slowest(struct report *r);
int report_type_cmp(const void *x, const void *y);
int report_name_by_messages(const void *x, const void *y);
int report_outlier(const struct rm_name *agg, const struct rm_name_type *t, double *others);
const char *report_alive_heading(const struct recording *m, char *buf, size_t len);
/* Exit reason -> how many visible actors stopped with it, in the order the actors come
 * (malloc()ed in *OUT, *N rows). Returns 0, or -1 out of memory. */
struct report_reason {
  uint32_t reason; /* interned */
  int64_t count;
};
int report_reasons(const struct report *r, struct report_reason **out, size_t *n);
/* The account as one JSON object, streamed to stdout; ALL adds the messages between actors per
 * pair of actors. Returns 0, -1 out of memory, or -2 when writing stdout failed. */
int report_json_print(struct report *r, int all);
/* The account as text: ALL lifts the per-section line cap, NOW: --now. */
void report_print_text(struct report *r, int all, int now);

#endif
