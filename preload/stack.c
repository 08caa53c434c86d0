#define _GNU_SOURCE
#include "stack.h"
#include "cxxname.h"
#include "diag.h"
#include "elfsym.h"
#include "resolve.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*stack_backtrace_fn)(void **frames, int max);

static stack_backtrace_fn stack_backtrace;
static pthread_once_t stack_once = PTHREAD_ONCE_INIT;

/* RTLD_LOCAL: libunwind.so.8 exports _Unwind_* and backtrace(); in the global scope they
 * would replace the host's own unwinder and break its C++ exceptions. */
static void stack_load(void)
{
  void *lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
  if (lib)
    stack_backtrace = (stack_backtrace_fn)dlsym(lib, "unw_backtrace");
  if (!stack_backtrace)
    as_diag_report("libunwind_missing",
                   "libunwind.so.8 could not be loaded; spawn sites are not recorded");
}

unsigned as_stack_capture(void **frames, unsigned max)
{
  pthread_once(&stack_once, stack_load);
  if (!stack_backtrace || max == 0)
    return 0;
  int n = stack_backtrace(frames, (int)max);
  return n > 0 ? (unsigned)n : 0;
}

/* C++ names are shown demangled when the process has a C++ runtime loaded. */
static void stack_demangle(char *name, size_t len)
{
  if (strncmp(name, "_Z", 2) != 0)
    return;
  char *plain = as_resolve_demangle(name);
  if (plain)
    snprintf(name, len, "%s", plain);
  free(plain);
}

/* "caf::behavior ns::f<int>" (a function template's symbol names its return type) ->
 * "ns::f<int>": whatever precedes the last space outside brackets goes. */
static void stack_strip_return_type(char *name)
{
  int depth = 0;
  char *start = NULL;
  for (char *p = name; *p; p++) {
    if (*p == '<' || *p == '(')
      depth++;
    else if ((*p == '>' || *p == ')') && depth > 0)
      depth--;
    else if (*p == ' ' && depth == 0)
      start = p + 1;
  }
  if (start && *start && strncmp(start - 9 > name ? start - 9 : name, "operator ", 9) != 0)
    memmove(name, start, strlen(start) + 1);
}

/* An actor's name needs no parameter list, nor a function template's return type. */
static void stack_strip_parameters(char *name)
{
  if (as_cxxname_strip_parameters(name))
    stack_strip_return_type(name);
}

/* Resolves the object holding addr and the name of the function around it. */
static int stack_lookup(const void *addr, char *fn, size_t fn_len, uintptr_t *offset,
                        const char **object)
{
  Dl_info info;
  struct link_map *map = NULL;
  if (!dladdr1(addr, &info, (void **)&map, RTLD_DL_LINKMAP) || !map)
    return -ENOENT;
  const char *path = map->l_name && map->l_name[0] ? map->l_name : "/proc/self/exe";
  *object = path;
  if (info.dli_sname && info.dli_saddr) {
    snprintf(fn, fn_len, "%s", info.dli_sname);
    *offset = (uintptr_t)addr - (uintptr_t)info.dli_saddr;
    stack_demangle(fn, fn_len);
    return 0;
  }
  uintptr_t start = 0;
  if (as_elfsym_lookup(path, (uintptr_t)addr - map->l_addr, fn, fn_len, &start) == 0) {
    *offset = (uintptr_t)addr - map->l_addr - start;
    stack_demangle(fn, fn_len);
    return 0;
  }
  fn[0] = '\0';
  *offset = (uintptr_t)addr - map->l_addr;
  return 0;
}

int as_stack_function_name(const void *addr, char *out, size_t out_len)
{
  /* Demangled whole before its parameters go: a name cut short first would keep a parameter
   * list cut mid-type. */
  char whole[4096];
  uintptr_t offset;
  const char *object;
  if (stack_lookup(addr, whole, sizeof whole, &offset, &object) < 0 || whole[0] == '\0')
    return -ENOENT;
  stack_strip_parameters(whole);
  snprintf(out, out_len, "%s", whole);
  return 0;
}

int as_stack_describe(const void *addr, char *out, size_t out_len)
{
  char fn[256];
  uintptr_t offset;
  const char *object;
  if (stack_lookup(addr, fn, sizeof fn, &offset, &object) < 0) {
    snprintf(out, out_len, "%p", addr);
    return -ENOENT;
  }
  const char *base = strrchr(object, '/');
  base = base ? base + 1 : object;
  if (strcmp(object, "/proc/self/exe") == 0)
    base = program_invocation_short_name;
  if (fn[0])
    snprintf(out, out_len, "%s+0x%lx (%s)", fn, (unsigned long)offset, base);
  else
    snprintf(out, out_len, "0x%lx (%s)", (unsigned long)offset, base);
  return 0;
}
