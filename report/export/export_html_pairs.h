/* The page's "Messages between actors": a graph of actor names (SVG, edges weighted by count)
 * and the pairs' counts, from each actor's peers as last listed. */
#ifndef ACTORSCOPE_EXPORT_HTML_PAIRS_H
#define ACTORSCOPE_EXPORT_HTML_PAIRS_H

#include <stdio.h>

#include "export_html_model.h"

/* Keeps A's peers in H (thread names interned in the model). Returns 0 or -ENOMEM. */
int html_pairs_keep(struct html_model *m, struct html_actor *h, const struct as_rec_actor *a);
/* The section; nothing for a run without peers. Returns 0 or -ENOMEM. */
int export_html_pairs(FILE *out, const struct html_model *m);

#endif
