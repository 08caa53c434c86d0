#include "strtab.h"

#include <stdlib.h>
#include <string.h>

static uint64_t strtab_hash(const char *s)
{
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static size_t strtab_slot(const struct strtab *t, const char *text)
{
  size_t mask = t->n_slots - 1, i = (size_t)strtab_hash(text) & mask;
  while (t->slots[i] && strcmp(t->texts[t->slots[i] - 1], text) != 0)
    i = (i + 1) & mask;
  return i;
}

static int strtab_grow(struct strtab *t)
{
  size_t n_slots = t->n_slots ? t->n_slots * 2 : 256;
  uint32_t *slots = calloc(n_slots, sizeof *slots);
  if (!slots)
    return -1;
  free(t->slots);
  t->slots = slots;
  t->n_slots = n_slots;
  for (uint32_t i = 0; i < t->n; i++)
    t->slots[strtab_slot(t, t->texts[i])] = i + 1;
  return 0;
}

uint32_t strtab_find(const struct strtab *t, const char *text)
{
  if (!t->n_slots)
    return UINT32_MAX;
  uint32_t s = t->slots[strtab_slot(t, text)];
  return s ? s - 1 : UINT32_MAX;
}

uint32_t strtab_intern(struct strtab *t, const char *text)
{
  if ((size_t)t->n * 2 >= t->n_slots && strtab_grow(t) < 0)
    return UINT32_MAX;
  size_t slot = strtab_slot(t, text);
  if (t->slots[slot])
    return t->slots[slot] - 1;
  if (t->n == t->cap) {
    uint32_t cap = t->cap ? t->cap * 2 : 64;
    char **texts = realloc(t->texts, cap * sizeof *texts);
    if (!texts)
      return UINT32_MAX;
    t->texts = texts;
    t->cap = cap;
  }
  char *copy = strdup(text);
  if (!copy)
    return UINT32_MAX;
  t->texts[t->n] = copy;
  t->slots[slot] = ++t->n;
  return t->n - 1;
}

void strtab_free(struct strtab *t)
{
  for (uint32_t i = 0; i < t->n; i++)
    free(t->texts[i]);
  free(t->texts);
  free(t->slots);
  memset(t, 0, sizeof *t);
}
