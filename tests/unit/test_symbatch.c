/* Many code addresses symbolised at once (symbatch.h) read exactly as each alone: addresses in
 * several objects (libc, the test program and its .symtab, the preload's objects linked in), in
 * no order, some twice, one in no object, more than one batch holds. */
#include "stack.h"
#include "symbatch.h"
#include "symcache.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int symbatch_local(int x) { return x * 3; } /* static: only .symtab names it */

static size_t symbatch_addresses(const void **out, size_t max)
{
  const void *bases[] = {(const void *)malloc,
                         (const void *)strlen,
                         (const void *)snprintf,
                         (const void *)qsort,
                         (const void *)symbatch_local,
                         (const void *)as_stack_describe,
                         (const void *)as_symcache_function,
                         (const void *)fopen};
  size_t n = 0;
  for (size_t round = 0; n < max; round++)
    for (size_t i = 0; i < sizeof bases / sizeof bases[0] && n < max; i++)
      out[n++] = (const char *)bases[(i * 5 + round) % (sizeof bases / sizeof bases[0])] +
                 (round * 7 + i) % 23;
  out[3] = (const void *)(uintptr_t)0x10; /* in no object */
  out[9] = out[2];                        /* twice */
  return n;
}

Test(symbatch, many_addresses_read_as_each_alone)
{
  enum { N = AS_STACK_DESCRIBE_MANY };
  const void *addrs[N];
  size_t n = symbatch_addresses(addrs, N);
  char *many = calloc(n, 512);
  cr_assert_not_null(many);
  as_stack_describe_many(addrs, n, many, 512);
  for (size_t i = 0; i < n; i++) {
    char alone[512];
    as_stack_describe(addrs[i], alone, sizeof alone);
    cr_assert_str_eq(many + i * 512, alone, "address %zu (%p)", i, addrs[i]);
  }
  free(many);
  cr_assert_eq(symbatch_local(1), 3);
}

Test(symbatch, frames_described_together_are_the_cache_s_text)
{
  enum { N = AS_STACK_DESCRIBE_MANY + 9 }; /* more than one batch */
  const void *addrs[N];
  size_t n = symbatch_addresses(addrs, N);
  void *frames[N] = {NULL};
  for (size_t i = 0; i < n; i++)
    frames[i] = (char *)(uintptr_t)addrs[i] + 1; /* return addresses: after the call */
  as_symcache_frames(frames, n);
  for (size_t i = 0; i < n; i++) {
    char alone[512];
    as_stack_describe(addrs[i], alone, sizeof alone);
    cr_assert_str_eq(as_symcache_frame(frames[i]), alone, "frame %zu", i);
  }
}

/* A C++ function whose mangled name (263 bytes) is longer than a frame's old room for it. */
#define SYMBATCH_X33 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define SYMBATCH_LONG_MANGLED                                                                      \
  "_ZN40layer0_" SYMBATCH_X33 "40layer1_" SYMBATCH_X33 "40layer2_" SYMBATCH_X33                    \
  "40layer3_" SYMBATCH_X33 "40layer4_" SYMBATCH_X33 "40layer5_" SYMBATCH_X33 "5stuckEv"
__attribute__((noinline, used)) int symbatch_long_named(int x) __asm__(SYMBATCH_LONG_MANGLED);
__attribute__((noinline, used)) int symbatch_long_named(int x) { return x + 1; }

/* Demangled from the whole symbol (a name cut short first stayed mangled), and a name too long
 * for the frame's room loses its middle, not where it is nor its object. */
Test(symbatch, a_long_cxx_name_is_demangled_whole_and_cut_in_its_middle)
{
  cr_assert_not_null(dlopen("libstdc++.so.6", RTLD_NOW | RTLD_GLOBAL)); /* __cxa_demangle */
  const void *addr = (const char *)symbatch_long_named + 2;
  char text[512], many[512];
  as_stack_describe(addr, text, sizeof text);
  cr_assert(strncmp(text, "layer0_" SYMBATCH_X33 "::layer1_", 7 + 33 + 9) == 0, "%s", text);
  cr_assert(strstr(text, "::layer5_" SYMBATCH_X33 "::stuck()+0x2 ("), "%s", text);
  as_stack_describe_many(&addr, 1, many, sizeof many);
  cr_assert_str_eq(many, text);
  char cut[120];
  as_stack_describe(addr, cut, sizeof cut);
  cr_assert_eq(strlen(cut), sizeof cut - 1, "%s", cut);
  cr_assert(strncmp(cut, "layer0_", 7) == 0, "%s", cut);
  cr_assert(strstr(cut, "..."), "%s", cut);
  cr_assert(strstr(cut, "::stuck()+0x2 ("), "%s", cut);
  cr_assert_eq(cut[strlen(cut) - 1], ')', "%s", cut);
  cr_assert_eq(symbatch_long_named(1), 2);
}
