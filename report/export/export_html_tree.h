/* The actor tree of the HTML page: nested <details> in the model's one tree order
 * (actor_model.h: each actor once, parent cycles and deep chains included, no recursion),
 * 2000 actors and 200 children an actor at most. */
#ifndef ACTORSCOPE_EXPORT_HTML_TREE_H
#define ACTORSCOPE_EXPORT_HTML_TREE_H

#include <stdio.h>

#include "export_html_model.h"

/* Writes the tree section. Returns 0 or -ENOMEM. */
int export_html_tree(FILE *out, const struct html_model *model);

#endif
