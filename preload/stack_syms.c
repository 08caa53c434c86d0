#define _GNU_SOURCE
#include "stack_syms.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One symbol of an object's index: its offset from the load bias, size and name. */
struct syms_entry {
  uint32_t offset, size, name;
  uint32_t exact_only; /* size 0: matches its own address only, as in dladdr() */
};

struct syms_object {
  const struct link_map *map;
  uintptr_t bias;
  const void *dynamic;
  const char *strtab;
  size_t strtab_size;
  struct syms_entry *entries; /* sorted by offset, table order among equals */
  size_t count;
  int unusable; /* tables unreadable (or offsets beyond 4 GiB): dladdr() instead */
};

/* Objects indexed so far; a process with more asks dladdr() for the rest. */
#define SYMS_OBJECTS_MAX 128

static struct syms_object syms_objects[SYMS_OBJECTS_MAX];
static size_t syms_object_count;
static pthread_mutex_t syms_lock = PTHREAD_MUTEX_INITIALIZER;

/* A dynamic-section pointer: glibc rewrites most in place to run-time addresses, the vDSO's
 * stay offsets. */
static uintptr_t syms_ptr(uintptr_t value, uintptr_t bias)
{
  return value < bias ? value + bias : value;
}

/* How many entries the dynamic symbol table has: DT_HASH says, DT_GNU_HASH must be walked. */
static size_t syms_count_gnu(const uint32_t *h)
{
  uint32_t buckets = h[0], offset = h[1], bloom_words = h[2];
  const uint32_t *bucket = (const uint32_t *)((const ElfW(Addr) *)(h + 4) + bloom_words);
  const uint32_t *chain = bucket + buckets;
  uint32_t last = 0;
  for (uint32_t i = 0; i < buckets; i++)
    if (bucket[i] > last)
      last = bucket[i];
  if (last < offset)
    return offset;
  while (!(chain[last - offset] & 1))
    last++;
  return (size_t)last + 1;
}

/* LSD radix sort on the 32-bit offsets, 11 bits a pass: stable, so equal addresses keep table
 * order (dladdr() prefers the first). A pass whose digit is the same for every entry is
 * skipped: an object under 4 MiB sorts in two passes. */
#define SYMS_DIGIT_BITS 11
#define SYMS_BUCKETS (1u << SYMS_DIGIT_BITS)
static int syms_sort(struct syms_entry *e, size_t n)
{
  struct syms_entry *tmp = malloc(n * sizeof *tmp);
  size_t *count = malloc((SYMS_BUCKETS + 1) * sizeof *count);
  if (!tmp || !count) {
    free(tmp);
    free(count);
    return -ENOMEM;
  }
  struct syms_entry *src = e, *dst = tmp;
  for (unsigned shift = 0; shift < 32; shift += SYMS_DIGIT_BITS) {
    memset(count, 0, (SYMS_BUCKETS + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++)
      count[((src[i].offset >> shift) & (SYMS_BUCKETS - 1)) + 1]++;
    int one_bucket = 0;
    for (size_t b = 1; b <= SYMS_BUCKETS && !one_bucket; b++)
      one_bucket = count[b] == n;
    if (one_bucket)
      continue;
    for (size_t b = 1; b <= SYMS_BUCKETS; b++)
      count[b] += count[b - 1];
    for (size_t i = 0; i < n; i++)
      dst[count[(src[i].offset >> shift) & (SYMS_BUCKETS - 1)]++] = src[i];
    struct syms_entry *swap = src;
    src = dst, dst = swap;
  }
  if (src != e)
    memcpy(e, src, n * sizeof *e);
  free(tmp);
  free(count);
  return 0;
}

static int syms_index(struct syms_object *o)
{
  const ElfW(Sym) *symtab = NULL;
  const uint32_t *hash = NULL, *gnu_hash = NULL;
  for (const ElfW(Dyn) *d = o->dynamic; d->d_tag != DT_NULL; d++) {
    if (d->d_tag == DT_SYMTAB)
      symtab = (const ElfW(Sym) *)syms_ptr(d->d_un.d_ptr, o->bias);
    else if (d->d_tag == DT_STRTAB)
      o->strtab = (const char *)syms_ptr(d->d_un.d_ptr, o->bias);
    else if (d->d_tag == DT_STRSZ)
      o->strtab_size = d->d_un.d_val;
    else if (d->d_tag == DT_HASH)
      hash = (const uint32_t *)syms_ptr(d->d_un.d_ptr, o->bias);
    else if (d->d_tag == DT_GNU_HASH)
      gnu_hash = (const uint32_t *)syms_ptr(d->d_un.d_ptr, o->bias);
  }
  if (!symtab || !o->strtab || (!hash && !gnu_hash))
    return -ENOENT;
  size_t total = gnu_hash ? syms_count_gnu(gnu_hash) : hash[1];
  struct syms_entry *e = malloc((total ? total : 1) * sizeof *e);
  if (!e)
    return -ENOMEM;
  size_t n = 0;
  /* The symbols dladdr() considers: those its hash table lists (a GNU table starts at its
   * first hashed symbol; with a System V one, the global and weak), neither TLS nor absolute
   * nor undefined without an address. */
  for (size_t i = gnu_hash ? gnu_hash[1] : 0; i < total; i++) {
    const ElfW(Sym) *s = &symtab[i];
    unsigned bind = ELF64_ST_BIND(s->st_info);
    if ((!gnu_hash && bind != STB_GLOBAL && bind != STB_WEAK) ||
        ELF64_ST_TYPE(s->st_info) == STT_TLS || (s->st_shndx == SHN_UNDEF && s->st_value == 0) ||
        s->st_shndx == SHN_ABS || s->st_name >= o->strtab_size)
      continue;
    uintptr_t offset = (uintptr_t)s->st_value;
    if (offset > UINT32_MAX || s->st_size > UINT32_MAX) {
      free(e);
      return -ERANGE;
    }
    e[n++] = (struct syms_entry){(uint32_t)offset, (uint32_t)s->st_size, s->st_name,
                                 s->st_size == 0};
  }
  if (syms_sort(e, n) < 0) {
    free(e);
    return -ENOMEM;
  }
  o->entries = e;
  o->count = n;
  return 0;
}

static struct syms_object *syms_object_of(const struct link_map *map)
{
  for (size_t i = 0; i < syms_object_count; i++)
    if (syms_objects[i].map == map && syms_objects[i].bias == map->l_addr &&
        syms_objects[i].dynamic == map->l_ld)
      return &syms_objects[i];
  if (syms_object_count == SYMS_OBJECTS_MAX)
    return NULL;
  struct syms_object *o = &syms_objects[syms_object_count++];
  *o = (struct syms_object){.map = map, .bias = map->l_addr, .dynamic = map->l_ld};
  o->unusable = !map->l_ld || syms_index(o) < 0;
  return o;
}

static int syms_matches(const struct syms_entry *e, uint64_t offset)
{
  return e->exact_only ? offset == e->offset : offset < (uint64_t)e->offset + e->size;
}

/* dladdr()'s choice: of the symbols containing the address, the one starting last; among
 * those starting there, the first in the table. */
static const struct syms_entry *syms_find(const struct syms_object *o, uintptr_t offset)
{
  size_t lo = 0, hi = o->count;
  while (lo < hi) { /* the first entry starting after offset */
    size_t mid = lo + (hi - lo) / 2;
    if (o->entries[mid].offset <= offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  const struct syms_entry *best = NULL;
  for (size_t i = lo; i-- > 0;) {
    const struct syms_entry *e = &o->entries[i];
    if (best && e->offset != best->offset)
      break;
    if (syms_matches(e, offset))
      best = e;
  }
  if (best)
    return best;
  /* Nothing starts at the nearest address and contains it: an earlier, larger symbol may. */
  for (size_t i = lo; i-- > 0;) {
    const struct syms_entry *e = &o->entries[i];
    if (syms_matches(e, offset)) {
      while (i > 0 && o->entries[i - 1].offset == e->offset && syms_matches(&o->entries[i - 1], offset))
        e = &o->entries[--i];
      return e;
    }
  }
  return NULL;
}

int as_stack_syms_lookup(const void *addr, struct as_stack_sym *sym)
{
  struct dl_find_object found;
  if (_dl_find_object((void *)addr, &found) != 0 || !found.dlfo_link_map)
    return -ENOENT;
  const struct link_map *map = found.dlfo_link_map;
  pthread_mutex_lock(&syms_lock);
  struct syms_object *o = syms_object_of(map);
  if (!o || o->unusable) {
    pthread_mutex_unlock(&syms_lock);
    return -ENOENT;
  }
  sym->object = map->l_name ? map->l_name : "";
  sym->load_bias = map->l_addr;
  sym->name = NULL;
  sym->start = 0;
  uintptr_t offset = (uintptr_t)addr - map->l_addr;
  const struct syms_entry *e = syms_find(o, offset);
  if (e && o->strtab[e->name]) {
    sym->name = o->strtab + e->name;
    sym->start = map->l_addr + e->offset;
  }
  pthread_mutex_unlock(&syms_lock);
  return 0;
}
