#define _GNU_SOURCE
#include "stack.h"
#include "cxxname.h"
#include "diag.h"
#include "elfdyn.h"
#include "elfsym.h"
#include "resolve.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <unwind.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The unwinder of libgcc_s, which every C++ host (CAF, libzmq's libstdc++) has loaded already:
 * the capture then loads nothing and makes no system call, where libunwind.so.8 cost two more
 * objects to map and relocate and a signal-mask call per frame it validated. Its header
 * (<unwind.h>) comes with the compiler; the functions are looked up, never linked, so that a
 * process that starts no actor does not load libgcc_s either. */
static _Unwind_Reason_Code (*stack_unwind_backtrace)(_Unwind_Trace_Fn trace, void *arg);
static _Unwind_Ptr (*stack_unwind_get_ip)(struct _Unwind_Context *context);
static _Unwind_Word (*stack_unwind_get_cfa)(struct _Unwind_Context *context);
static pthread_once_t stack_once = PTHREAD_ONCE_INIT;

/* RTLD_NOLOAD first: the host's own copy when it has one. RTLD_LOCAL otherwise, so that nothing
 * of ours enters the host's global scope. */
static void stack_load(void)
{
  void *lib = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
  if (!lib)
    lib = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib) {
    *(void **)&stack_unwind_backtrace = dlsym(lib, "_Unwind_Backtrace");
    *(void **)&stack_unwind_get_ip = dlsym(lib, "_Unwind_GetIP");
    *(void **)&stack_unwind_get_cfa = dlsym(lib, "_Unwind_GetCFA");
  }
  if (!stack_unwind_backtrace || !stack_unwind_get_ip || !stack_unwind_get_cfa) {
    stack_unwind_backtrace = NULL;
    as_diag_report("unwinder_missing",
                   "libgcc_s.so.1 could not be loaded; spawn sites are not recorded");
  }
}

struct stack_walk {
  void **frames;
  uintptr_t *slots; /* NULL: return addresses only */
  unsigned max, count;
  int skip; /* frames of this file still to pass over */
};

/* While a frame is reported, the unwinder's CFA is still its callee's: the stack pointer in
 * this frame just after the call returns, so the return address into this frame (its ip) lies
 * in the word below it. */
static _Unwind_Reason_Code stack_walk_frame(struct _Unwind_Context *context, void *arg)
{
  struct stack_walk *walk = arg;
  if (walk->skip > 0) {
    walk->skip--;
    return _URC_NO_REASON;
  }
  uintptr_t ip = stack_unwind_get_ip(context);
  if (ip == 0 || walk->count >= walk->max)
    return _URC_END_OF_STACK;
  walk->frames[walk->count] = (void *)ip;
  if (walk->slots)
    walk->slots[walk->count] = (uintptr_t)stack_unwind_get_cfa(context) - sizeof(void *);
  walk->count++;
  return walk->count < walk->max ? _URC_NO_REASON : _URC_END_OF_STACK;
}

/* The first frame reported is the function calling _Unwind_Backtrace (stack_walk_from, kept out
 * of line so that it is one): it is passed over. Further frames of this library are left out by
 * the callers, by address. */
static __attribute__((noinline)) unsigned stack_walk_from(void **frames, uintptr_t *slots,
                                                          unsigned max)
{
  pthread_once(&stack_once, stack_load);
  if (!stack_unwind_backtrace || max == 0)
    return 0;
  struct stack_walk walk = {.frames = frames, .slots = slots, .max = max, .skip = 1};
  stack_unwind_backtrace(stack_walk_frame, &walk);
  return walk.count;
}

unsigned as_stack_capture(void **frames, unsigned max)
{
  return stack_walk_from(frames, NULL, max);
}

unsigned as_stack_capture_slots(void **frames, uintptr_t *slots, unsigned max)
{
  return stack_walk_from(frames, slots, max);
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

/* Symbol counts of the objects looked up last (counting walks every hash bucket). Only the
 * collector symbolises, under its lock. */
#define STACK_COUNTS 8
static struct {
  const uint32_t *gnu_hash;
  uint32_t header[3]; /* buckets, first symbol, bloom words: an object mapped at the same place
                       * later is told apart */
  size_t count;
} stack_counts[STACK_COUNTS];
static unsigned stack_counts_next;

static size_t stack_symbol_count(const uint32_t *gnu_hash)
{
  for (unsigned i = 0; i < STACK_COUNTS; i++)
    if (stack_counts[i].gnu_hash == gnu_hash &&
        memcmp(stack_counts[i].header, gnu_hash, sizeof stack_counts[i].header) == 0)
      return stack_counts[i].count;
  size_t count = as_elfdyn_symbol_count(gnu_hash);
  stack_counts[stack_counts_next].gnu_hash = gnu_hash;
  memcpy(stack_counts[stack_counts_next].header, gnu_hash, sizeof stack_counts[0].header);
  stack_counts[stack_counts_next].count = count;
  stack_counts_next = (stack_counts_next + 1) % STACK_COUNTS;
  return count;
}

/* The defined symbol of the object's dynamic symbol table whose extent holds addr (file
 * address), the nearest when several do; NULL when none. One tight pass: dladdr() walks the same
 * table with more work per symbol, and a spawn site's frames are mostly in the runtime's large
 * library (libcaf_core: 5,400 symbols), so that it was most of a short program's tracing cost. */
static const ElfW(Sym) * stack_dynsym_find(const struct as_elfdyn *d, uintptr_t addr)
{
  if (!d->symtab || !d->strtab || !d->gnu_hash)
    return NULL;
  size_t count = stack_symbol_count(d->gnu_hash);
  const ElfW(Sym) *best = NULL;
  for (size_t i = 1; i < count; i++) {
    const ElfW(Sym) *sym = &d->symtab[i];
    if (sym->st_value > addr || sym->st_shndx == SHN_UNDEF ||
        ELF64_ST_TYPE(sym->st_info) == STT_TLS)
      continue;
    if ((sym->st_size ? addr - sym->st_value < sym->st_size : addr == sym->st_value) &&
        (!best || sym->st_value > best->st_value))
      best = sym;
  }
  return best;
}

/* Resolves the object holding addr and the name of the function around it: its dynamic symbols
 * in memory, else its file's .symtab (static functions, the executable's own). _dl_find_object
 * takes no loader lock, unlike dladdr(). */
static int stack_lookup(const void *addr, char *fn, size_t fn_len, uintptr_t *offset,
                        const char **object)
{
  struct dl_find_object found;
  const struct link_map *map;
  if (_dl_find_object((void *)addr, &found) != 0 || !(map = found.dlfo_link_map))
    return -ENOENT;
  const char *path = map->l_name && map->l_name[0] ? map->l_name : "/proc/self/exe";
  *object = path;
  uintptr_t file_addr = (uintptr_t)addr - map->l_addr;
  struct as_elfdyn dyn;
  as_elfdyn_read(map->l_addr, map->l_ld, &dyn);
  const ElfW(Sym) *sym = stack_dynsym_find(&dyn, file_addr);
  if (sym) {
    snprintf(fn, fn_len, "%s", dyn.strtab + sym->st_name);
    *offset = file_addr - sym->st_value;
    stack_demangle(fn, fn_len);
    return 0;
  }
  uintptr_t start = 0;
  if (as_elfsym_lookup(path, file_addr, fn, fn_len, &start) == 0) {
    *offset = file_addr - start;
    stack_demangle(fn, fn_len);
    return 0;
  }
  fn[0] = '\0';
  *offset = file_addr;
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
