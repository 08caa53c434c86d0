/* The sorted dynamic-symbol index names every code address exactly as dladdr() does. */
#define _GNU_SOURCE
#include "stack_syms.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

struct compare_stats {
  size_t compared, named;
};

/* Compares addresses through each executable segment of one object, a few bytes apart. */
static int compare_object(struct dl_phdr_info *info, size_t size, void *data)
{
  (void)size;
  struct compare_stats *stats = data;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
      continue;
    uintptr_t begin = info->dlpi_addr + ph->p_vaddr, end = begin + ph->p_memsz;
    /* A stride that is no multiple of common alignments, so starts, middles and ends of
     * functions are all met; at most ~20k addresses an object. */
    uintptr_t stride = (end - begin) / 20000 + 13;
    for (uintptr_t a = begin; a < end; a += stride) {
      Dl_info expected;
      struct link_map *map = NULL;
      int dl_ok = dladdr1((void *)a, &expected, (void **)&map, RTLD_DL_LINKMAP) && map;
      struct as_stack_sym got;
      int ours = as_stack_syms_lookup((void *)a, &got);
      if (!dl_ok) {
        cr_expect_neq(ours, 0, "%#lx: dladdr() knows no object, the index named one", a);
        continue;
      }
      cr_assert_eq(ours, 0, "%#lx in %s: no object found", a, map->l_name);
      cr_assert_str_eq(got.object, map->l_name ? map->l_name : "");
      cr_assert_eq(got.load_bias, map->l_addr);
      stats->compared++;
      if (!expected.dli_sname) {
        cr_assert_null(got.name, "%#lx in %s: dladdr() has no name, the index says %s", a,
                       map->l_name, got.name);
        continue;
      }
      cr_assert_not_null(got.name, "%#lx in %s: dladdr() says %s, the index nothing", a,
                         map->l_name, expected.dli_sname);
      cr_assert_str_eq(got.name, expected.dli_sname, "%#lx in %s", a, map->l_name);
      cr_assert_eq(got.start, (uintptr_t)expected.dli_saddr, "%#lx %s", a, got.name);
      stats->named++;
    }
  }
  return 0;
}

Test(stack_syms, names_every_address_of_every_loaded_object_as_dladdr_does)
{
  /* libm loaded late: an object the index meets after others were indexed. */
  void *libm = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
  cr_assert_not_null(libm);
  struct compare_stats stats = {0, 0};
  dl_iterate_phdr(compare_object, &stats);
  /* Twice: the second pass answers from the built indexes. */
  dl_iterate_phdr(compare_object, &stats);
  cr_assert_gt(stats.compared, 20000u, "too few addresses compared: %zu", stats.compared);
  cr_assert_gt(stats.named, 10000u, "too few named: %zu", stats.named);
  dlclose(libm);
}

Test(stack_syms, names_known_functions_and_refuses_addresses_outside_objects)
{
  struct as_stack_sym sym;
  cr_assert_eq(as_stack_syms_lookup((const char *)(uintptr_t)&fprintf + 3, &sym), 0);
  /* fprintf or an alias of it at the same address (_IO_fprintf), as dladdr() chooses. */
  cr_assert_not_null(strstr(sym.name, "fprintf"), "%s", sym.name);
  cr_assert_eq(sym.start, (uintptr_t)&fprintf);
  cr_assert_not_null(strstr(sym.object, "libc.so"), "%s", sym.object);
  int on_stack;
  cr_assert_neq(as_stack_syms_lookup(&on_stack, &sym), 0);
  cr_assert_neq(as_stack_syms_lookup((void *)16, &sym), 0);
}
