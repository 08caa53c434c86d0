/* One copy of each distinct string (actor names, runtimes, exit reasons): a run with 100k
 * actors of a few names keeps a few names. */
#ifndef ACTORSCOPE_EXPORT_INTERN_H
#define ACTORSCOPE_EXPORT_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct export_intern {
  char **slots;
  size_t cap, n;
};

/* The stored copy of TEXT (NULL stays NULL); NULL when out of memory. Valid until freed. */
const char *export_intern(struct export_intern *strings, const char *text);
void export_intern_free(struct export_intern *strings);

/* FNV-1a of TEXT, continuing from H (start with EXPORT_HASH_SEED): one hash for every table of
 * names in the exports. */
#define EXPORT_HASH_SEED 1469598103934665603ull
uint64_t export_hash(uint64_t h, const char *text);

#endif
