/* One copy of each distinct string (actor names, runtimes, exit reasons): a run with 100k
 * actors of a few names keeps a few names. */
#ifndef ACTORSCOPE_INTERN_H
#define ACTORSCOPE_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern_table {
  char **slots;
  size_t cap, n;
};

/* The stored copy of TEXT (NULL stays NULL); NULL when out of memory. Valid until freed. */
const char *intern_string(struct intern_table *strings, const char *text);
void intern_table_free(struct intern_table *strings);

/* FNV-1a of TEXT, continuing from H (start with INTERN_HASH_SEED): one hash for every table of
 * names in the exports. */
#define INTERN_HASH_SEED 1469598103934665603ull
uint64_t intern_fnv1a(uint64_t h, const char *text);

#endif
