/* The actor tree of the HTML page (export_html_tree.h). */
#define _GNU_SOURCE
#include "export_html_tree.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "actor_model.h"
#include "escape.h"
#include "export_svg.h"

#define HTML_TREE_MAX 2000    /* actors shown in the tree */
#define HTML_CHILDREN_MAX 200 /* children shown under one actor */
#define HTML_OPEN_DEPTH 2     /* levels of the tree open at first */

static void tree_node_line(FILE *out, const struct html_actor *a)
{
  fprintf(out, "<span class=\"id\">#%" PRId64 "</span> <span class=\"nm\">", a->id);
  export_svg_text(out, a->name);
  fprintf(out, "</span><span class=\"rt\">%s</span>", a->runtime);
  const char *status = as_status_name(a->status);
  fprintf(out, "<span class=\"st st-%s\">%s</span>", status, status);
  if (a->deadlocked)
    fputs("<span class=\"st st-dl\">deadlocked</span>", out);
  fputs("<span class=\"facts\">", out);
  escape_html_count(out, a->received);
  fputs(" received · mailbox max ", out);
  escape_html_count(out, a->mailbox_max);
  fputs(" · longest handler ", out);
  if (html_actor_ran(a))
    escape_html_duration(out, html_actor_longest_ns(a));
  else
    fputs("\xe2\x80\x94", out);
  if (a->exceptions) {
    fputs(" · ", out);
    escape_html_count(out, a->exceptions);
    fputs(" exceptions", out);
  }
  if (a->reason) {
    fputs(" · exit ", out);
    export_svg_text(out, a->reason);
  }
  fputs("</span>", out);
}

static void tree_group(const struct html_actor *a, struct actor_group *g)
{
  *g = (struct actor_group){a->runtime, a->has_system, a->system};
}

/* One level of the tree being written: an actor whose children are listed below it. */
struct tree_level {
  size_t shown, more; /* children listed, children left out by the caps */
};

/* Closes the open levels deeper than DEPTH, each with a note of the children it left out. */
static void tree_close(FILE *out, struct tree_level *open, size_t *n_open, size_t depth)
{
  for (; *n_open > depth; (*n_open)--) {
    struct tree_level *l = &open[*n_open - 1];
    if (l->more) {
      fputs("<li class=\"note\">… ", out);
      escape_html_count(out, (int64_t)l->more);
      fputs(" more (actorscope report --all lists every actor)</li>", out);
    }
    fputs("</ul></details></li>", out);
  }
}

/* Writes ORDER[from, to), one group's actors in the model's tree order (actor_model.h) at
 * DEPTH each, as nested lists: HTML_TREE_MAX actors at most in all (*SHOWN so far),
 * HTML_CHILDREN_MAX under one actor. OPEN has room for every level. */
static void tree_write(FILE *out, const struct html_model *m, const size_t *order,
                       const size_t *depth, size_t from, size_t to, struct tree_level *open,
                       size_t *shown)
{
  size_t n_open = 0, none = (size_t)-1, skip_below = none;
  for (size_t p = from; p < to; p++) {
    size_t d = depth[p];
    if (skip_below != none && d > skip_below)
      continue; /* under an actor left out */
    skip_below = none;
    tree_close(out, open, &n_open, d);
    if (*shown >= HTML_TREE_MAX && d == 0)
      break; /* the note under the tree counts the rest */
    if (d > 0 && (open[d - 1].shown >= HTML_CHILDREN_MAX || *shown >= HTML_TREE_MAX)) {
      open[d - 1].more++;
      skip_below = d;
      continue;
    }
    if (d > 0)
      open[d - 1].shown++;
    (*shown)++;
    const struct html_actor *a = &m->actors[order[p]];
    fprintf(out, "<li class=\"actor%s\" data-id=\"%" PRId64 "\">", a->deadlocked ? " dl" : "",
            a->id);
    if (p + 1 < to && depth[p + 1] > d) {
      fprintf(out, "<details%s><summary>", d < HTML_OPEN_DEPTH ? " open" : "");
      tree_node_line(out, a);
      fputs("</summary><ul>", out);
      open[n_open++] = (struct tree_level){0, 0};
    } else {
      fputs("<div class=\"leaf\">", out);
      tree_node_line(out, a);
      fputs("</div></li>", out);
    }
  }
  tree_close(out, open, &n_open, 0);
}

int export_html_tree(FILE *out, const struct html_model *m)
{
  /* The model's one tree order over the page's actors (sorted by id, as the items must be). */
  size_t n = m->n_actors;
  struct actor_group *groups = calloc(n + 1, sizeof *groups);
  struct actor_tree_item *items = malloc((n + 1) * sizeof *items);
  size_t *rank = malloc((n + 1) * sizeof *rank), *order = malloc((n + 1) * sizeof *order);
  size_t *depth = malloc((n + 1) * sizeof *depth);
  unsigned char *cyclic = malloc(n + 1);
  struct tree_level *open = malloc((n + 1) * sizeof *open);
  int rc = groups && items && rank && order && depth && cyclic && open ? 0 : -ENOMEM;
  for (size_t i = 0; rc == 0 && i < n; i++)
    tree_group(&m->actors[i], &groups[i]);
  if (rc == 0 && actor_group_ranks(groups, n, rank) < 0)
    rc = -ENOMEM;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const struct html_actor *a = &m->actors[i];
    items[i] = (struct actor_tree_item){a->id, a->parent, rank[i], a->parent >= 0, 0};
  }
  if (rc == 0)
    rc = actor_tree_order(items, n, order, depth, cyclic);
  fputs("<section id=\"tree-section\"><h2>Actor tree</h2><p class=\"tools\">"
        "<button type=\"button\" onclick=\"setAll(true)\">expand all</button>"
        "<button type=\"button\" onclick=\"setAll(false)\">collapse all</button>"
        "<span class=\"note\">each actor in its last-seen state; reaped actors included</span></p>"
        "<ul id=\"tree\" class=\"tree\">",
        out);
  /* Grouped by runtime and CAF actor system, as report and top list them: a heading per
   * group, its actors under it. */
  size_t shown = 0;
  for (size_t gs = 0, ge; rc == 0 && gs < n && shown < HTML_TREE_MAX; gs = ge) {
    for (ge = gs + 1; ge < n && items[order[ge]].group == items[order[gs]].group;)
      ge++;
    char label[300];
    actor_group_label(label, sizeof label, &groups[order[gs]]);
    fputs("<li class=\"group\"><details open><summary><span class=\"grp\">", out);
    export_svg_text(out, label);
    fputs("</span> <span class=\"facts\">", out);
    escape_html_count(out, (int64_t)(ge - gs));
    fprintf(out, " actor%s</span></summary><ul>", ge - gs == 1 ? "" : "s");
    tree_write(out, m, order, depth, gs, ge, open, &shown);
    fputs("</ul></details></li>", out);
  }
  if (rc == 0 && shown < n) {
    fputs("<li class=\"note\">… ", out);
    escape_html_count(out, (int64_t)(n - shown));
    fputs(" more actors not shown (actorscope report --all lists every actor)</li>", out);
  }
  fputs("</ul></section>\n", out);
  free(groups), free(items), free(rank), free(order), free(depth), free(cyclic), free(open);
  return rc;
}
