/* A loaded object's dynamic section, read in memory: what the attach mode's slot walk
 * (got.c) and the symbolisation of addresses (stack.c) need of it. */
#ifndef AS_ELFDYN_H
#define AS_ELFDYN_H

#include <link.h>
#include <stddef.h>
#include <stdint.h>

struct as_elfdyn {
  const ElfW(Sym) * symtab;
  const char *strtab;
  const uint32_t *gnu_hash;
  const ElfW(Rela) * rela, *jmprel;
  size_t rela_size, jmprel_size;
  int jmprel_is_rela, textrel;
};

/* Reads the object's entries (base: its load address; dyn: its PT_DYNAMIC, as in memory). */
void as_elfdyn_read(uintptr_t base, const ElfW(Dyn) * dyn, struct as_elfdyn *d);

/* Symbols in the dynamic symbol table, from the GNU hash table (the count is nowhere else). */
size_t as_elfdyn_symbol_count(const uint32_t *gnu_hash);

#endif
