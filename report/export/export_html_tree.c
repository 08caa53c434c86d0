/* The actor tree of the HTML page (export_html_tree.h). */
#include "export_html_tree.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "escape.h"

#define HTML_TREE_MAX 2000      /* actors shown in the tree */
#define HTML_CHILDREN_MAX 200   /* children shown under one actor */
#define HTML_OPEN_DEPTH 2       /* levels of the tree open at first */

struct tree {
  const struct html_model *m;
  size_t *first_child, *next_sibling; /* indexes into m->actors; SIZE_MAX: none */
  unsigned char *shown;
  size_t n_shown;
};

static void tree_node_line(FILE *out, const struct html_actor *a)
{
  fprintf(out, "<span class=\"id\">#%" PRId64 "</span> <span class=\"nm\">", a->id);
  escape_html_text(out, a->name);
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
    escape_html_text(out, a->reason);
  }
  fputs("</span>", out);
}

/* Depth-first with an explicit stack: a 100k-deep chain cannot overflow ours, and the page
 * nests at most HTML_TREE_MAX levels. */
static int tree_write(FILE *out, struct tree *t, size_t root)
{
  struct frame {
    size_t node, next_child, shown_children;
  };
  size_t cap = 64, depth = 0;
  struct frame *stack = malloc(cap * sizeof *stack);
  if (!stack)
    return -ENOMEM;
  stack[0] = (struct frame){root, t->first_child[root], 0};
  t->shown[root] = 1;
  t->n_shown++;
  for (;;) {
    struct frame *f = &stack[depth];
    const struct html_actor *a = &t->m->actors[f->node];
    if (f->shown_children == 0 && f->next_child == t->first_child[f->node]) {
      /* Entering the node. */
      fprintf(out, "<li class=\"actor%s\" data-id=\"%" PRId64 "\">", a->deadlocked ? " dl" : "",
              a->id);
      if (f->next_child == SIZE_MAX) {
        fputs("<div class=\"leaf\">", out);
        tree_node_line(out, a);
        fputs("</div></li>", out);
        if (depth-- == 0)
          break;
        continue;
      }
      fprintf(out, "<details%s><summary>", depth < HTML_OPEN_DEPTH ? " open" : "");
      tree_node_line(out, a);
      fputs("</summary><ul>", out);
    }
    /* The next child not shown yet, within the caps. */
    size_t child = f->next_child;
    while (child != SIZE_MAX && t->shown[child])
      child = t->next_sibling[child];
    if (child != SIZE_MAX &&
        (f->shown_children >= HTML_CHILDREN_MAX || t->n_shown >= HTML_TREE_MAX)) {
      size_t more = 0;
      for (size_t c = child; c != SIZE_MAX; c = t->next_sibling[c])
        more += !t->shown[c];
      fputs("<li class=\"note\">… ", out);
      escape_html_count(out, (int64_t)more);
      fputs(" more (actorscope report --all lists every actor)</li>", out);
      child = SIZE_MAX;
    }
    if (child == SIZE_MAX) {
      fputs("</ul></details></li>", out);
      if (depth-- == 0)
        break;
      continue;
    }
    f->next_child = t->next_sibling[child];
    f->shown_children++;
    if (depth + 1 == cap) {
      struct frame *grown = realloc(stack, (cap *= 2) * sizeof *stack);
      if (!grown) {
        free(stack);
        return -ENOMEM;
      }
      stack = grown;
    }
    t->shown[child] = 1;
    t->n_shown++;
    stack[++depth] = (struct frame){child, t->first_child[child], 0};
  }
  free(stack);
  return 0;
}

int export_html_tree(FILE *out, const struct html_model *m)
{
  size_t n = m->n_actors;
  struct tree t = {m, malloc((n + 1) * sizeof(size_t)), malloc((n + 1) * sizeof(size_t)),
                   calloc(n + 1, 1), 0};
  if (!t.first_child || !t.next_sibling || !t.shown) {
    free(t.first_child), free(t.next_sibling), free(t.shown);
    return -ENOMEM;
  }
  /* Children in id order: built backwards so each list comes out ascending. */
  for (size_t i = 0; i < n; i++)
    t.first_child[i] = t.next_sibling[i] = SIZE_MAX;
  for (size_t i = n; i-- > 0;) {
    const struct html_actor *parent =
        m->actors[i].parent >= 0 ? html_model_actor(m, m->actors[i].parent) : NULL;
    if (parent && parent != &m->actors[i]) {
      size_t p = (size_t)(parent - m->actors);
      t.next_sibling[i] = t.first_child[p];
      t.first_child[p] = i;
    }
  }
  fputs("<section id=\"tree-section\"><h2>Actor tree</h2><p class=\"tools\">"
        "<button type=\"button\" onclick=\"setAll(true)\">expand all</button>"
        "<button type=\"button\" onclick=\"setAll(false)\">collapse all</button>"
        "<span class=\"note\">each actor in its last-seen state; reaped actors included</span></p>"
        "<ul id=\"tree\" class=\"tree\">",
        out);
  int rc = 0;
  /* Roots: no parent, or a parent never listed; then whatever a parent cycle left out. */
  for (int pass = 0; pass < 2 && rc == 0; pass++)
    for (size_t i = 0; i < n && rc == 0 && t.n_shown < HTML_TREE_MAX; i++) {
      const struct html_actor *a = &m->actors[i];
      int root = a->parent < 0 || !html_model_actor(m, a->parent) ||
                 html_model_actor(m, a->parent) == a;
      if (!t.shown[i] && (root || pass == 1))
        rc = tree_write(out, &t, i);
    }
  if (t.n_shown < n) {
    fputs("<li class=\"note\">… ", out);
    escape_html_count(out, (int64_t)(n - t.n_shown));
    fputs(" more actors not shown (actorscope report --all lists every actor)</li>", out);
  }
  fputs("</ul></section>\n", out);
  free(t.first_child), free(t.next_sibling), free(t.shown);
  return rc;
}
