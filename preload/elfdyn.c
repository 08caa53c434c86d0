#define _GNU_SOURCE
#include "elfdyn.h"

#include <elf.h>
#include <string.h>

/* The .dynamic entries glibc has relocated in place (most), or not (the vDSO, some ports). */
static uintptr_t elfdyn_ptr(uintptr_t base, ElfW(Addr) ptr)
{
  return base && ptr < base ? base + ptr : ptr;
}

void as_elfdyn_read(uintptr_t base, const ElfW(Dyn) * dyn, struct as_elfdyn *d)
{
  memset(d, 0, sizeof *d);
  for (; dyn->d_tag != DT_NULL; dyn++) {
    switch (dyn->d_tag) {
    case DT_SYMTAB: d->symtab = (const void *)elfdyn_ptr(base, dyn->d_un.d_ptr); break;
    case DT_STRTAB: d->strtab = (const void *)elfdyn_ptr(base, dyn->d_un.d_ptr); break;
    case DT_GNU_HASH: d->gnu_hash = (const void *)elfdyn_ptr(base, dyn->d_un.d_ptr); break;
    case DT_RELA: d->rela = (const void *)elfdyn_ptr(base, dyn->d_un.d_ptr); break;
    case DT_RELASZ: d->rela_size = dyn->d_un.d_val; break;
    case DT_JMPREL: d->jmprel = (const void *)elfdyn_ptr(base, dyn->d_un.d_ptr); break;
    case DT_PLTRELSZ: d->jmprel_size = dyn->d_un.d_val; break;
    case DT_PLTREL: d->jmprel_is_rela = dyn->d_un.d_val == DT_RELA; break;
    case DT_TEXTREL: d->textrel = 1; break;
    case DT_FLAGS: d->textrel |= (dyn->d_un.d_val & DF_TEXTREL) != 0; break;
    }
  }
}

size_t as_elfdyn_symbol_count(const uint32_t *h)
{
  uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2];
  const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)(h + 4) + bloom_size);
  const uint32_t *chain = buckets + nbuckets;
  uint32_t last = 0;
  for (uint32_t b = 0; b < nbuckets; b++)
    if (buckets[b] > last)
      last = buckets[b];
  if (last < symoffset)
    return symoffset;
  while (!(chain[last - symoffset] & 1))
    last++;
  return (size_t)last + 1;
}
