/* Interned strings: each distinct text stored once, named by a 32-bit index. */
#ifndef AS_STRTAB_H
#define AS_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct strtab {
  char **texts;
  uint32_t n, cap;
  uint32_t *slots; /* open addressing: index + 1, 0 = empty */
  size_t n_slots;
};

/* The index of TEXT, adding it when new. Returns UINT32_MAX when out of memory. */
uint32_t strtab_intern(struct strtab *t, const char *text);
/* The index of TEXT, or UINT32_MAX when absent. */
uint32_t strtab_find(const struct strtab *t, const char *text);
static inline const char *strtab_text(const struct strtab *t, uint32_t i)
{
  return i < t->n ? t->texts[i] : "";
}
void strtab_free(struct strtab *t);

#endif
