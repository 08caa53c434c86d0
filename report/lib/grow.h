/* Room for one more element in a growable array (doubling): the one way the exports and serve
 * grow their tables. */
#ifndef ACTORSCOPE_GROW_H
#define ACTORSCOPE_GROW_H

#include <stddef.h>

/* Makes *ITEMS (of *CAP elements of ELEM bytes, N used) hold at least N + 1. Returns 0 or
 * -ENOMEM (the array is then unchanged). */
int grow_array(void **items, size_t *cap, size_t n, size_t elem);

#endif
