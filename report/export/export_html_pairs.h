/* The page's "Messages between actors": a graph of actor names (SVG, edges weighted by count)
 * and the pairs' counts, report's numbers (recording_pairs over the model's run). */
#ifndef ACTORSCOPE_EXPORT_HTML_PAIRS_H
#define ACTORSCOPE_EXPORT_HTML_PAIRS_H

#include <stdio.h>

#include "export_html_model.h"

/* The section; nothing for a run without peers. Returns 0 or -ENOMEM. */
int export_html_pairs(FILE *out, const struct html_model *m);

#endif
