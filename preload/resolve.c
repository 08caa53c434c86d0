#define _GNU_SOURCE
#include "resolve.h"

#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct resolve_search {
  const char *symbol;
  void *found;
};

static uintptr_t resolve_own_base(void)
{
  static uintptr_t base;
  if (!base) {
    Dl_info info;
    if (dladdr((void *)resolve_own_base, &info))
      base = (uintptr_t)info.dli_fbase;
  }
  return base;
}

static int resolve_find_own_range(struct dl_phdr_info *info, size_t size, void *data)
{
  uintptr_t *range = data;
  if (info->dlpi_addr != resolve_own_base())
    return 0;
  for (size_t i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (!range[0] || lo < range[0])
      range[0] = lo;
    if (hi > range[1])
      range[1] = hi;
  }
  return 1;
}

/* Our own mapped range, found once: a range check is cheap enough for the spawn path. */
int as_resolve_is_own_address(const void *addr)
{
  static uintptr_t range[2];
  if (!range[1])
    dl_iterate_phdr(resolve_find_own_range, range);
  return (uintptr_t)addr >= range[0] && (uintptr_t)addr < range[1];
}

static int resolve_visit(struct dl_phdr_info *info, size_t size, void *data)
{
  struct resolve_search *search = data;
  if (!info->dlpi_name || !info->dlpi_name[0])
    return 0;
  /* Our own object would hand back the hook itself. */
  if (info->dlpi_addr == resolve_own_base())
    return 0;
  void *handle = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
  if (!handle)
    return 0;
  void *sym = dlsym(handle, search->symbol);
  dlclose(handle);
  if (sym && !as_resolve_is_own_address(sym)) {
    search->found = sym;
    return 1;
  }
  return 0;
}

void *as_resolve_real(const char *symbol)
{
  void *sym = dlsym(RTLD_NEXT, symbol);
  if (sym)
    return sym;
  struct resolve_search search = {symbol, NULL};
  dl_iterate_phdr(resolve_visit, &search);
  return search.found;
}

void *as_resolve_real_into(void *_Atomic *slot, const char *symbol)
{
  void *fn = as_resolve_real(symbol);
  atomic_store_explicit(slot, fn, memory_order_relaxed);
  return fn;
}

char *as_resolve_demangle(const char *mangled)
{
  typedef char *(*demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);
  static void *_Atomic demangle;
  static _Atomic int searched;
  demangle_fn fn = (demangle_fn)atomic_load_explicit(&demangle, memory_order_acquire);
  if (!fn && !atomic_load_explicit(&searched, memory_order_acquire)) {
    /* A C host that dlopen()ed a C++ library RTLD_LOCAL has libstdc++ outside the global
     * scope: as_resolve_real's search of every loaded object finds it there. */
    fn = (demangle_fn)as_resolve_real("__cxa_demangle");
    atomic_store_explicit(&demangle, (void *)fn, memory_order_release);
    atomic_store_explicit(&searched, 1, memory_order_release);
  }
  int status = -1;
  char *plain = fn ? fn(mangled, NULL, NULL, &status) : NULL;
  if (plain && status != 0) {
    free(plain);
    plain = NULL;
  }
  /* "f[abi:cxx11](int)" -> "f(int)": GCC's ABI tags (the C++11 std::string) tell a reader
   * nothing and lengthen every name they are in: actor names, message types, stack frames. */
  char *w = plain;
  for (const char *r = plain; r && *r;) {
    const char *end = strncmp(r, "[abi:", 5) == 0 ? strchr(r, ']') : NULL;
    if (end)
      r = end + 1;
    else
      *w++ = *r++;
  }
  if (w)
    *w = '\0';
  return plain;
}
