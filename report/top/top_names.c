/* actorscope top: names told apart. A cut name keeps its end (what tells
 * broker::detail::master_actor from broker::detail::clone_actor); the few that still collide
 * are found by sorting the cut texts and cut again around their first difference. */
#define _GNU_SOURCE
#include "top_names.h"

#include "top_canvas.h"

#include <stdlib.h>
#include <string.h>

struct names_ctx {
  char **out;
  const char *const *names;
};

static int names_cmp(const void *x, const void *y, void *arg)
{
  const struct names_ctx *c = arg;
  size_t i = *(const size_t *)x, j = *(const size_t *)y;
  int d = strcmp(c->out[i], c->out[j]);
  return d ? d : strcmp(c->names[i], c->names[j]);
}

/* Bytes A and B share at their start, backed off to the start of a character. */
static size_t names_common_head(const char *a, const char *b)
{
  size_t k = 0;
  while (a[k] && a[k] == b[k])
    k++;
  while (k && ((unsigned char)a[k] & 0xc0) == 0x80)
    k--;
  return k;
}

/* Bytes A and B share at their end, backed off to the start of a character. */
static size_t names_common_tail(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b), k = 0;
  while (k < la && k < lb && a[la - 1 - k] == b[lb - 1 - k])
    k++;
  while (k && k < la && ((unsigned char)a[la - k] & 0xc0) == 0x80)
    k--;
  return k;
}

/* Columns of the first BYTES bytes of TEXT. */
static int names_cols(const char *text, size_t bytes)
{
  char buf[1024];
  size_t n = bytes < sizeof buf - 1 ? bytes : sizeof buf - 1;
  memcpy(buf, text, n);
  buf[n] = '\0';
  return top_text_width(buf);
}

/* Cuts NAME (which differs from OTHER) so that where they differ shows. */
static void names_recut(char *out, size_t cap, const char *name, const char *other, int width,
                        int ascii)
{
  size_t head = names_common_head(name, other);
  int head_cols = names_cols(name, head) + 2; /* the first different character (maybe wide) */
  if (head_cols + 1 <= width) {
    top_text_fit_cut(out, cap, name, width, head_cols, ascii);
    return;
  }
  size_t tail = names_common_tail(name, other), len = strlen(name);
  int tail_cols = top_text_width(name + len - tail) + 2;
  if (tail_cols + 1 <= width)
    top_text_fit_cut(out, cap, name, width, width - 1 - tail_cols, ascii);
  /* else they differ only where WIDTH columns cannot show: the default cut stays */
}

int top_names_fit(char **out, size_t cap, const char *const *names, const int *widths, size_t n,
                  int ascii)
{
  for (size_t i = 0; i < n; i++)
    top_text_fit_cut(out[i], cap, names[i] ? names[i] : "", widths[i], -1, ascii);
  if (n < 2)
    return 0;
  size_t *by_text = malloc(n * sizeof *by_text);
  if (!by_text)
    return -1;
  for (size_t i = 0; i < n; i++)
    by_text[i] = i;
  struct names_ctx ctx = {out, names};
  qsort_r(by_text, n, sizeof *by_text, names_cmp, &ctx);
  /* Equal texts are neighbours; of a run of equal texts, recut each against the next. */
  for (size_t k = 0; k + 1 < n; k++) {
    size_t i = by_text[k], j = by_text[k + 1];
    const char *a = names[i] ? names[i] : "", *b = names[j] ? names[j] : "";
    if (strcmp(out[i], out[j]) != 0 || strcmp(a, b) == 0)
      continue;
    names_recut(out[i], cap, a, b, widths[i], ascii);
    names_recut(out[j], cap, b, a, widths[j], ascii);
  }
  free(by_text);
  return 0;
}
