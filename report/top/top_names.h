/* actorscope top: the actors' names on screen, cut so that two different names never read
 * the same (see docs/top.md, "Names"). */
#ifndef ACTORSCOPE_TOP_NAMES_H
#define ACTORSCOPE_TOP_NAMES_H

#include <stddef.h>

/* Fits NAMES[i] into WIDTHS[i] columns, into OUT[i] (CAP bytes each, at least WIDTHS[i] * 4 + 4):
 * a name too long loses its middle (top_text_fit_cut); when two different names still read the
 * same, each keeps its start up to where they differ, or its end from there. Returns 0, or -1
 * when out of memory (the names are then cut without telling them apart). */
int top_names_fit(char **out, size_t cap, const char *const *names, const int *widths, size_t n,
                  int ascii);

#endif
