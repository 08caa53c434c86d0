/* The process's mappings as /proc/self/maps lists them, read once per pass over the loaded
 * objects: which pages may be written, and which exist at all. */
#ifndef AS_GOT_MAPS_H
#define AS_GOT_MAPS_H

#include <stddef.h>
#include <stdint.h>

struct as_got_map {
  uintptr_t lo, hi;
  int prot; /* PROT_* */
};

struct as_got_maps {
  struct as_got_map *maps;
  size_t count, capacity;
};

/* Reads /proc/self/maps. Returns 0 or a negative errno (the set is then empty). */
int as_got_maps_read(struct as_got_maps *m);
/* The protection of the page holding addr, or -1 when nothing was mapped there when read. */
int as_got_maps_prot(const struct as_got_maps *m, uintptr_t addr);
void as_got_maps_free(struct as_got_maps *m);

#endif
