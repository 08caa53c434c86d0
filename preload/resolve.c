#define _GNU_SOURCE
#include "resolve.h"
#include "forklock.h"

#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The linker's symbol for our own ELF header: our load address without asking the loader.
 * dladdr() would do, but it takes the loader's load lock, and the callbacks of dl_iterate_phdr
 * (which hold the list lock) need it: a thread in dlopen holds the load lock and waits for the
 * list lock, a lock-order inversion that hung attached hosts. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

uintptr_t as_resolve_own_base(void) { return (uintptr_t)__ehdr_start; }

static int resolve_find_own_range(struct dl_phdr_info *info, size_t size, void *data)
{
  uintptr_t *range = data;
  if (info->dlpi_addr != as_resolve_own_base())
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
    as_forklock_dl_iterate_phdr(resolve_find_own_range, range);
  return (uintptr_t)addr >= range[0] && (uintptr_t)addr < range[1];
}

/* The loaded objects' names, copied while dl_iterate_phdr holds the loader's list lock: dlopen
 * must not be called there (a thread in dlclose holds the load lock and waits for the list
 * lock; dlopen under the list lock waits for the load lock). */
#define RESOLVE_OBJECTS_MAX 1024
struct resolve_names {
  char *names[RESOLVE_OBJECTS_MAX];
  size_t count;
};

static int resolve_collect(struct dl_phdr_info *info, size_t size, void *data)
{
  struct resolve_names *list = data;
  /* Our own object would hand back the hook itself. */
  if (!info->dlpi_name || !info->dlpi_name[0] || info->dlpi_addr == as_resolve_own_base())
    return 0;
  if (list->count == RESOLVE_OBJECTS_MAX)
    return 1;
  char *copy = strdup(info->dlpi_name);
  if (copy)
    list->names[list->count++] = copy;
  return 0;
}

static void *resolve_in_objects(const char *symbol)
{
  struct resolve_names *list = calloc(1, sizeof *list);
  if (!list)
    return NULL;
  as_forklock_dl_iterate_phdr(resolve_collect, list);
  void *found = NULL;
  for (size_t i = 0; i < list->count; i++) {
    void *handle = found ? NULL : dlopen(list->names[i], RTLD_LAZY | RTLD_NOLOAD);
    if (handle) {
      void *sym = dlsym(handle, symbol);
      dlclose(handle);
      if (sym && !as_resolve_is_own_address(sym))
        found = sym;
    }
    free(list->names[i]);
  }
  free(list);
  return found;
}

void *as_resolve_real(const char *symbol)
{
  void *sym = dlsym(RTLD_NEXT, symbol);
  if (sym)
    return sym;
  return resolve_in_objects(symbol);
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
