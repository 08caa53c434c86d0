/* Finds the real definition of a symbol we interpose. */
#ifndef AS_RESOLVE_H
#define AS_RESOLVE_H

#include <stdint.h>

/* dlsym(RTLD_NEXT) first; for runtimes loaded RTLD_LOCAL (plugins, Python extensions) that
 * lookup fails, so fall back to every loaded object but our own. NULL when nothing defines
 * it: the caller must then never call it. */
void *as_resolve_real(const char *symbol);
/* The same, stored into a hook's slot (hooks/hook.h); kept out of line, off the hot path. */
void *as_resolve_real_into(void *_Atomic *slot, const char *symbol) __attribute__((noinline));

/* A C++ name demangled by the C++ runtime's __cxa_demangle, wherever the process loaded it
 * (also privately, under a C++ library dlopen()ed RTLD_LOCAL), without GCC's ABI tags
 * ("f[abi:cxx11](int)" reads "f(int)"); malloc()ed, or NULL when it is no valid name or no C++
 * runtime is loaded. */
char *as_resolve_demangle(const char *mangled);

/* Where the actorscope library is loaded (its dlpi_addr), known without the loader's locks:
 * safe inside dl_iterate_phdr callbacks. */
uintptr_t as_resolve_own_base(void);

/* Whether an address lies inside the actorscope library itself. */
int as_resolve_is_own_address(const void *addr);

#endif
