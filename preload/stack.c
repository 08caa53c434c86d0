#define _GNU_SOURCE
#include "stack.h"
#include "symbatch.h"
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
#include <stdatomic.h>
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

/* Room for a function's name, demangled whole: CAF's queue templates run to 1-2 KB. */
#define STACK_NAME_MAX 4096

static _Atomic as_stack_name_rewrite_fn stack_name_rewrite;

void as_stack_on_names(as_stack_name_rewrite_fn rewrite)
{
  atomic_store_explicit(&stack_name_rewrite, rewrite, memory_order_release);
}

/* C++ names are shown demangled when the process has a C++ runtime loaded. Demangled from the
 * symbol whole: one cut short first (CAF's 300-byte mangled queue names) could not be read. */
static void stack_demangle_into(const char *symbol, char *name, size_t len)
{
  /* A symbol past the room is shown as it is: the demangler's work (and recursion) grows with
   * its input, and the host's symbol tables are not ours to trust. */
  char *plain = strncmp(symbol, "_Z", 2) == 0 && strnlen(symbol, STACK_NAME_MAX) < STACK_NAME_MAX
                    ? as_resolve_demangle(symbol)
                    : NULL;
  as_stack_name_rewrite_fn rewrite =
      atomic_load_explicit(&stack_name_rewrite, memory_order_acquire);
  if (plain && rewrite)
    rewrite(plain, name, len);
  else
    snprintf(name, len, "%s", plain ? plain : symbol);
  free(plain);
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

/* The object holding addr (its path, as a description names it) and addr's offset in its file;
 * -ENOENT when none. _dl_find_object takes no loader lock, unlike dladdr(). */
static int stack_object_of(const void *addr, const struct link_map **map, const char **path,
                           uintptr_t *file_addr)
{
  struct dl_find_object found;
  if (_dl_find_object((void *)addr, &found) != 0 || !(*map = found.dlfo_link_map))
    return -ENOENT;
  *path = (*map)->l_name && (*map)->l_name[0] ? (*map)->l_name : "/proc/self/exe";
  *file_addr = (uintptr_t)addr - (*map)->l_addr;
  return 0;
}

/* The function around file_addr: sym, its dynamic symbol when it has one, else its file's
 * .symtab (static functions, the executable's own); fn empty when neither names it. */
static void stack_name_from(const struct as_elfdyn *dyn, const ElfW(Sym) * sym, const char *path,
                            uintptr_t file_addr, char *fn, size_t fn_len, uintptr_t *offset)
{
  uintptr_t start = 0;
  char symtab_name[STACK_NAME_MAX];
  const char *symbol;
  if (sym) {
    symbol = dyn->strtab + sym->st_name;
    *offset = file_addr - sym->st_value;
  } else if (as_elfsym_lookup(path, file_addr, symtab_name, sizeof symtab_name, &start) == 0) {
    symbol = symtab_name;
    *offset = file_addr - start;
  } else {
    fn[0] = '\0';
    *offset = file_addr;
    return;
  }
  stack_demangle_into(symbol, fn, fn_len);
}

/* Resolves the object holding addr and the name of the function around it. */
static int stack_lookup(const void *addr, char *fn, size_t fn_len, uintptr_t *offset,
                        const char **object)
{
  const struct link_map *map;
  uintptr_t file_addr;
  if (stack_object_of(addr, &map, object, &file_addr) < 0)
    return -ENOENT;
  struct as_elfdyn dyn;
  as_elfdyn_read(map->l_addr, map->l_ld, &dyn);
  stack_name_from(&dyn, stack_dynsym_find(&dyn, file_addr), *object, file_addr, fn, fn_len, offset);
  return 0;
}

int as_stack_function_name(const void *addr, char *out, size_t out_len)
{
  /* Demangled whole before its parameters go: a name cut short first would keep a parameter
   * list cut mid-type. */
  char whole[STACK_NAME_MAX];
  uintptr_t offset;
  const char *object;
  if (stack_lookup(addr, whole, sizeof whole, &offset, &object) < 0 || whole[0] == '\0')
    return -ENOENT;
  as_cxxname_function(whole);
  snprintf(out, out_len, "%s", whole);
  return 0;
}

/* "function+0xOFF (object)", or without the function when none is known. A function's name
 * too long for out loses its deepest template arguments first ("<...>"), then, if still too
 * long, its middle ("..."): where it is and in which object stay. */
static void stack_format(char *out, size_t out_len, char *fn, uintptr_t offset, const char *object)
{
  const char *base = strrchr(object, '/');
  base = base ? base + 1 : object;
  if (strcmp(object, "/proc/self/exe") == 0)
    base = program_invocation_short_name;
  char where[320];
  snprintf(where, sizeof where, "%s0x%lx (%s)", fn[0] ? "+" : "", (unsigned long)offset, base);
  size_t room = out_len > strlen(where) ? out_len - 1 - strlen(where) : 0;
  as_cxxname_elide_templates(fn, room);
  size_t len = strlen(fn);
  if (len <= room || room < 16) {
    snprintf(out, out_len, "%s%s", fn, where);
    return;
  }
  size_t head = (room - 3) / 2, tail = room - 3 - head;
  snprintf(out, out_len, "%.*s...%s%s", (int)head, fn, fn + len - tail, where);
}

int as_stack_describe(const void *addr, char *out, size_t out_len)
{
  char fn[STACK_NAME_MAX];
  uintptr_t offset;
  const char *object;
  if (stack_lookup(addr, fn, sizeof fn, &offset, &object) < 0) {
    snprintf(out, out_len, "%p", addr);
    return -ENOENT;
  }
  stack_format(out, out_len, fn, offset, object);
  return 0;
}

/* For each of n file addresses of one object, sorted, the symbol stack_dynsym_find gives it:
 * one pass over the table for them all, each symbol finding the addresses its extent may hold
 * by a binary search (a spawn site's frames lie mostly in the runtime's library, whose table a
 * pass takes ~50k instructions to read: once a frame, it was most of a short run's collector). */
static void stack_dynsym_find_sorted(const struct as_elfdyn *d, const uintptr_t *addrs, size_t n,
                                     const ElfW(Sym) * *best)
{
  for (size_t k = 0; k < n; k++)
    best[k] = NULL;
  if (!d->symtab || !d->strtab || !d->gnu_hash || n == 0)
    return;
  size_t count = stack_symbol_count(d->gnu_hash);
  for (size_t i = 1; i < count; i++) {
    const ElfW(Sym) *sym = &d->symtab[i];
    if (sym->st_value > addrs[n - 1] || sym->st_shndx == SHN_UNDEF ||
        ELF64_ST_TYPE(sym->st_info) == STT_TLS)
      continue;
    size_t lo = 0, hi = n; /* the first address at or past the symbol */
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (addrs[mid] < sym->st_value)
        lo = mid + 1;
      else
        hi = mid;
    }
    for (size_t k = lo; k < n && (sym->st_size ? addrs[k] - sym->st_value < sym->st_size
                                               : addrs[k] == sym->st_value);
         k++)
      if (!best[k] || sym->st_value > best[k]->st_value)
        best[k] = sym;
  }
}

static int stack_addr_cmp(const void *a, const void *b)
{
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return x < y ? -1 : x > y;
}

void as_stack_describe_many(const void *const *addrs, size_t n, char *out, size_t out_len)
{
  if (n > AS_STACK_DESCRIBE_MANY)
    n = AS_STACK_DESCRIBE_MANY;
  const struct link_map *maps[AS_STACK_DESCRIBE_MANY];
  const char *paths[AS_STACK_DESCRIBE_MANY];
  uintptr_t file_addrs[AS_STACK_DESCRIBE_MANY];
  unsigned char done[AS_STACK_DESCRIBE_MANY];
  for (size_t i = 0; i < n; i++) {
    done[i] = stack_object_of(addrs[i], &maps[i], &paths[i], &file_addrs[i]) < 0;
    if (done[i])
      snprintf(out + i * out_len, out_len, "%p", addrs[i]);
  }
  /* Object by object: its addresses sorted (an address may come twice), one pass for them. */
  for (size_t i = 0; i < n; i++) {
    if (done[i])
      continue;
    uintptr_t sorted[AS_STACK_DESCRIBE_MANY];
    const ElfW(Sym) * best[AS_STACK_DESCRIBE_MANY];
    size_t k = 0;
    for (size_t j = i; j < n; j++)
      if (!done[j] && maps[j] == maps[i])
        sorted[k++] = file_addrs[j];
    qsort(sorted, k, sizeof *sorted, stack_addr_cmp);
    struct as_elfdyn dyn;
    as_elfdyn_read(maps[i]->l_addr, maps[i]->l_ld, &dyn);
    stack_dynsym_find_sorted(&dyn, sorted, k, best);
    for (size_t j = i; j < n; j++) {
      if (done[j] || maps[j] != maps[i])
        continue;
      const uintptr_t *at = bsearch(&file_addrs[j], sorted, k, sizeof *sorted, stack_addr_cmp);
      char fn[STACK_NAME_MAX];
      uintptr_t offset;
      stack_name_from(&dyn, best[at - sorted], paths[j], file_addrs[j], fn, sizeof fn, &offset);
      stack_format(out + j * out_len, out_len, fn, offset, paths[j]);
      done[j] = 1;
    }
  }
}
