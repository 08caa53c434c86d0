/* Growable arrays (grow.h). */
#define _GNU_SOURCE
#include "grow.h"

#include <errno.h>
#include <stdlib.h>

int grow_array(void **items, size_t *cap, size_t n, size_t elem)
{
  if (n < *cap)
    return 0;
  size_t next = *cap ? *cap * 2 : 16;
  void *grown = reallocarray(*items, next, elem);
  if (!grown)
    return -ENOMEM;
  *items = grown;
  *cap = next;
  return 0;
}
