/* A recorded run as one self-contained HTML page: no network, no external script, style or
 * font. The summary, deadlocks highlighted, plots as inline SVG (alive actors and messages/s
 * over time, the mailbox depth of the deepest actors, the slowest handlers), and the actor tree
 * as nested <details> elements (collapsible without script). */
#ifndef ACTORSCOPE_EXPORT_HTML_H
#define ACTORSCOPE_EXPORT_HTML_H

#include <stdio.h>

#include "reader.h"

/* Reads RUN (open; SOURCE is what it was opened from, read again for per-actor series when it
 * is a file) and writes the page to OUT. Returns 0 or a negative errno with ERR filled. */
int export_html_write(FILE *out, struct as_reader *run, const char *source,
                      struct as_reader_error *err);

#endif
