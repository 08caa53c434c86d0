/* String interning by open addressing (intern.h). */
#define _GNU_SOURCE
#include "intern.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

uint64_t intern_fnv1a(uint64_t h, const char *text)
{
  for (const char *p = text; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ull;
  return h;
}

static size_t intern_hash(const char *text) { return (size_t)intern_fnv1a(INTERN_HASH_SEED, text); }

static int intern_grow(struct intern_table *s)
{
  size_t cap = s->cap ? s->cap * 2 : 64;
  char **slots = calloc(cap, sizeof *slots);
  if (!slots)
    return -1;
  for (size_t i = 0; i < s->cap; i++) {
    if (!s->slots[i])
      continue;
    size_t k = intern_hash(s->slots[i]) & (cap - 1);
    while (slots[k])
      k = (k + 1) & (cap - 1);
    slots[k] = s->slots[i];
  }
  free(s->slots);
  s->slots = slots;
  s->cap = cap;
  return 0;
}

const char *intern_string(struct intern_table *s, const char *text)
{
  if (!text)
    return NULL;
  if ((s->n + 1) * 2 > s->cap && intern_grow(s) < 0)
    return NULL;
  size_t k = intern_hash(text) & (s->cap - 1);
  for (; s->slots[k]; k = (k + 1) & (s->cap - 1))
    if (strcmp(s->slots[k], text) == 0)
      return s->slots[k];
  s->slots[k] = strdup(text);
  if (s->slots[k])
    s->n++;
  return s->slots[k];
}

void intern_table_free(struct intern_table *s)
{
  for (size_t i = 0; i < s->cap; i++)
    free(s->slots[i]);
  free(s->slots);
  memset(s, 0, sizeof *s);
}
