#define _GNU_SOURCE
#include "got.h"
#include "forklock.h"
#include "testpause.h"
#include "elfdyn.h"
#include "got_maps.h"
#include "resolve.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#define GOT_R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define GOT_R_GLOB_DAT R_X86_64_GLOB_DAT
#define GOT_R_ABS64 R_X86_64_64
#elif defined(__aarch64__)
#define GOT_R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define GOT_R_GLOB_DAT R_AARCH64_GLOB_DAT
#define GOT_R_ABS64 R_AARCH64_ABS64
#else
#error "attach mode knows the relocation types of x86-64 and AArch64 only"
#endif

/* A hooked symbol: the library's export, and the definition the process bound before. */
struct got_hook {
  const char *name; /* in our own string table */
  uintptr_t hook, real;
};

/* A slot we rewrote: what it held, so that detach can write it back. */
struct got_slot {
  uintptr_t addr, original;
  const struct got_hook *hook;
};

/* A loaded object as last walked: its slots are slots[first .. first + count). */
struct got_object {
  uintptr_t base;
  const void *phdr;   /* with base and name, tells a reloaded object from the one before */
  uint64_t name_hash; /* of its path: another library may be loaded where one was unloaded */
  size_t first, count;
  unsigned seen_pass;
  int done;      /* its relocations were walked */
  int sightings; /* passes that saw it while not done (an object without RELRO waits one) */
};

static struct got_hook *got_hooks;
static size_t got_hook_count;
static struct got_object *got_objects;
static size_t got_object_count, got_object_capacity;
static struct got_slot *got_slots;
static size_t got_slot_count, got_slot_capacity;
static unsigned got_pass;
static uintptr_t got_own_base;
static size_t got_page;
/* Walks tried in one pass while objects keep being loaded under it (got_list_moved); a pass
 * that never got a still moment leaves the rest to the next. */
#define GOT_SYNC_ATTEMPTS 8

/* ---- the library's own exports ----------------------------------------------------------- */

static const ElfW(Dyn) * got_dynamic_of(const struct dl_phdr_info *info)
{
  for (size_t i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
      return (const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
  return NULL;
}

static int got_hook_compare(const void *a, const void *b)
{
  return strcmp(((const struct got_hook *)a)->name, ((const struct got_hook *)b)->name);
}

static int got_find_own(struct dl_phdr_info *info, size_t size, void *data)
{
  if (info->dlpi_addr != got_own_base)
    return 0;
  *(const ElfW(Dyn) **)data = got_dynamic_of(info);
  return 1;
}

/* The hooks are what the library exports (preload/exports.map): defined functions of default
 * visibility, but for its own entry points (actorscope_*). */
static int got_collect_hooks(void)
{
  got_own_base = as_resolve_own_base();
  const ElfW(Dyn) *dyn = NULL;
  as_forklock_dl_iterate_phdr(got_find_own, &dyn);
  if (!dyn)
    return -ENOENT;
  struct as_elfdyn d;
  as_elfdyn_read(got_own_base, dyn, &d);
  if (!d.symtab || !d.strtab || !d.gnu_hash)
    return -ENOENT;
  size_t n = as_elfdyn_symbol_count(d.gnu_hash);
  struct got_hook *hooks = calloc(n ? n : 1, sizeof *hooks);
  if (!hooks)
    return -ENOMEM;
  size_t count = 0;
  for (size_t i = 1; i < n; i++) {
    const ElfW(Sym) *s = &d.symtab[i];
    const char *name = d.strtab + s->st_name;
    if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
        ELF64_ST_VISIBILITY(s->st_other) != STV_DEFAULT || strncmp(name, "actorscope_", 11) == 0)
      continue;
    hooks[count++] = (struct got_hook){name, got_own_base + s->st_value, 0};
  }
  qsort(hooks, count, sizeof *hooks, got_hook_compare);
  got_hooks = hooks;
  got_hook_count = count;
  return (int)count;
}

int as_got_prepare(void)
{
  if (got_hooks)
    return (int)got_hook_count;
  got_page = (size_t)sysconf(_SC_PAGESIZE);
  return got_collect_hooks();
}

static int got_count_adds(struct dl_phdr_info *info, size_t size, void *data)
{
  if (size >= offsetof(struct dl_phdr_info, dlpi_adds) + sizeof info->dlpi_adds)
    *(unsigned long long *)data = info->dlpi_adds;
  return 1;
}

/* Objects loaded so far (the loader counts each as it lists it). */
static unsigned long long got_loaded_count(void)
{
  unsigned long long adds = 0;
  as_forklock_dl_iterate_phdr(got_count_adds, &adds);
  return adds;
}

/* Real definitions are looked up outside dl_iterate_phdr (dlopen there could deadlock with a
 * thread loading an object); those not loaded yet are looked up again once objects were
 * loaded since (the loader counts them). */
static void got_resolve_reals(void)
{
  static unsigned long long resolved_at = ~0ull;
  unsigned long long adds = got_loaded_count();
  if (adds == resolved_at)
    return;
  resolved_at = adds;
  for (size_t i = 0; i < got_hook_count; i++)
    if (!got_hooks[i].real)
      got_hooks[i].real = (uintptr_t)as_resolve_real(got_hooks[i].name);
  dlerror(); /* failed lookups are ours: the host's next dlerror() must not see them */
}

static const struct got_hook *got_hook_named(const char *name)
{
  struct got_hook key = {name, 0, 0};
  return bsearch(&key, got_hooks, got_hook_count, sizeof key, got_hook_compare);
}

/* ---- writing a slot ------------------------------------------------------------------------ */

/* One aligned 8-byte store, so a thread calling through the slot reads the old target or the
 * new one; a read-only page (RELRO) is made writable around it and given back its protection. */
static int got_store(const struct as_got_maps *maps, uintptr_t addr, uintptr_t value)
{
  if (addr % sizeof(uintptr_t))
    return -EINVAL;
  int prot = as_got_maps_prot(maps, addr);
  if (prot < 0 || !(prot & PROT_READ))
    return -EFAULT;
  if (prot & PROT_WRITE) {
    __atomic_store_n((uintptr_t *)addr, value, __ATOMIC_RELEASE);
    return 0;
  }
  void *page = (void *)(addr & ~(uintptr_t)(got_page - 1));
  if (mprotect(page, got_page, prot | PROT_WRITE) != 0)
    return -errno;
  __atomic_store_n((uintptr_t *)addr, value, __ATOMIC_RELEASE);
  mprotect(page, got_page, prot);
  return 0;
}

/* Whether the page holding addr was mapped readable when the maps were read. */
static int got_readable(const struct as_got_maps *maps, uintptr_t addr)
{
  int prot = as_got_maps_prot(maps, addr);
  return prot >= 0 && (prot & PROT_READ);
}

static uintptr_t got_load(uintptr_t addr)
{
  return __atomic_load_n((uintptr_t *)addr, __ATOMIC_ACQUIRE);
}

/* ---- the pass over loaded objects ---------------------------------------------------------- */

struct got_pass {
  struct as_got_maps maps;
  struct as_got_stats *stats;
  int rc;
  int program;               /* 0: the libraries' walk; 1: the program's own, last */
  unsigned long long loaded; /* the loader's count of objects loaded when the maps were read */
  int moved;                 /* objects were loaded since: the maps may be another object's */
};

/* Whether an object was listed since LOADED was counted. The protections read from
 * /proc/self/maps before then may describe an object unloaded since, at the same addresses:
 * a page of the new one, still being relocated by another thread, would be made read-only
 * under the loader (a hammering test saw the loader fault in its relocation, 1 run in 24).
 * Checked under dl_iterate_phdr, which holds the lock the loader takes to list an object: a
 * walk is wholly before or wholly after each listing. */
static int got_list_moved(const struct dl_phdr_info *info, size_t size, unsigned long long loaded)
{
  return size >= offsetof(struct dl_phdr_info, dlpi_adds) + sizeof info->dlpi_adds &&
         info->dlpi_adds != loaded;
}

/* FNV-1a of an object's path (the program's is empty). */
static uint64_t got_name_hash(const char *name)
{
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char *c = (const unsigned char *)(name ? name : ""); *c; c++)
    h = (h ^ *c) * 0x100000001b3ull;
  return h;
}

/* The object as last walked at this place. One of another name there was unloaded since (its
 * slots went with it): the entry starts over for the one there now, whose slots lie elsewhere
 * (reading the old ones faulted past the new object's end, 2 attaches in 41). */
static struct got_object *got_object_find(const struct dl_phdr_info *info)
{
  uint64_t name_hash = got_name_hash(info->dlpi_name);
  for (size_t i = 0; i < got_object_count; i++) {
    struct got_object *o = &got_objects[i];
    if (o->base != info->dlpi_addr || o->phdr != info->dlpi_phdr)
      continue;
    if (o->name_hash != name_hash)
      *o = (struct got_object){.base = o->base, .phdr = o->phdr, .name_hash = name_hash};
    return o;
  }
  return NULL;
}

static struct got_object *got_object_add(const struct dl_phdr_info *info)
{
  if (got_object_count == got_object_capacity) {
    size_t capacity = got_object_capacity ? got_object_capacity * 2 : 64;
    struct got_object *grown = realloc(got_objects, capacity * sizeof *grown);
    if (!grown)
      return NULL;
    got_objects = grown;
    got_object_capacity = capacity;
  }
  struct got_object *o = &got_objects[got_object_count++];
  *o = (struct got_object){.base = info->dlpi_addr,
                           .phdr = info->dlpi_phdr,
                           .name_hash = got_name_hash(info->dlpi_name)};
  return o;
}

static int got_slot_add(uintptr_t addr, uintptr_t original, const struct got_hook *hook)
{
  if (got_slot_count == got_slot_capacity) {
    size_t capacity = got_slot_capacity ? got_slot_capacity * 2 : 256;
    struct got_slot *grown = realloc(got_slots, capacity * sizeof *grown);
    if (!grown)
      return -ENOMEM;
    got_slots = grown;
    got_slot_capacity = capacity;
  }
  got_slots[got_slot_count++] = (struct got_slot){addr, original, hook};
  return 0;
}

/* Whether the loader is done writing this object's relocations: its RELRO pages are read-only
 * already (the loader protects them right after relocating), or, without RELRO, a pass before
 * this one saw it. A slot written while the loader still relocates would be overwritten, or
 * its page protected under the loader's feet. */
static int got_object_settled(const struct dl_phdr_info *info, const struct got_pass *pass,
                              const struct got_object *o)
{
  for (size_t i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_GNU_RELRO)
      continue;
    /* As the loader protects it: from the page holding its start to its end rounded down. */
    uintptr_t lo = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(got_page - 1);
    uintptr_t hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(uintptr_t)(got_page - 1);
    if (lo >= hi)
      break;
    int prot = as_got_maps_prot(&pass->maps, lo);
    return prot >= 0 && !(prot & PROT_WRITE);
  }
  return o->sightings > 1;
}

/* Whether a lazily bound PLT slot still points into its own object (the resolver stub). */
static int got_in_object(const struct dl_phdr_info *info, uintptr_t value)
{
  for (size_t i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_LOAD && value >= info->dlpi_addr + ph->p_vaddr &&
        value < info->dlpi_addr + ph->p_vaddr + ph->p_memsz)
      return 1;
  }
  return 0;
}

static void got_take_slot(struct got_pass *pass, const struct dl_phdr_info *info,
                          const ElfW(Rela) * r, const struct as_elfdyn *d)
{
  uint32_t type = ELF64_R_TYPE(r->r_info), sym = ELF64_R_SYM(r->r_info);
  if (!sym || (type != GOT_R_JUMP_SLOT && type != GOT_R_GLOB_DAT && type != GOT_R_ABS64))
    return;
  if (type == GOT_R_ABS64 && r->r_addend != 0)
    return; /* an address inside the function, not the function */
  const struct got_hook *hook = got_hook_named(d->strtab + d->symtab[sym].st_name);
  if (!hook || !hook->real)
    return;
  uintptr_t addr = info->dlpi_addr + r->r_offset;
  if (!got_readable(&pass->maps, addr))
    return;
  uintptr_t value = got_load(addr);
  if (value == hook->hook)
    return; /* a slot we wrote and forgot (the object was reloaded at the same place) */
  if (value != hook->real && !(type == GOT_R_JUMP_SLOT && got_in_object(info, value))) {
    pass->stats->foreign++; /* another interposer's, or the program's own definition */
    return;
  }
  if (got_slot_add(addr, value, hook) < 0) {
    pass->rc = -ENOMEM;
    return;
  }
  if (got_store(&pass->maps, addr, hook->hook) < 0) {
    got_slot_count--;
    pass->stats->unwritable++;
  }
}

static void got_walk_relocations(struct got_pass *pass, const struct dl_phdr_info *info,
                                 const struct as_elfdyn *d)
{
  if (!d->symtab || !d->strtab || d->textrel)
    return;
  const ElfW(Rela) * tables[2] = {d->rela, d->jmprel_is_rela ? d->jmprel : NULL};
  size_t sizes[2] = {d->rela_size, d->jmprel_size};
  for (int t = 0; t < 2; t++)
    for (size_t i = 0; tables[t] && i < sizes[t] / sizeof(ElfW(Rela)); i++)
      got_take_slot(pass, info, &tables[t][i], d);
}

/* A slot undone since (a lazy binding that raced our write, the program rebinding it) is
 * written again when it holds what it held before; anything else is left alone. */
static void got_recheck_object(struct got_pass *pass, const struct got_object *o)
{
  for (size_t i = o->first; i < o->first + o->count; i++) {
    const struct got_slot *s = &got_slots[i];
    if (!got_readable(&pass->maps, s->addr))
      continue;
    uintptr_t value = got_load(s->addr);
    if (value == s->hook->hook)
      continue;
    if ((value == s->original || value == s->hook->real) &&
        got_store(&pass->maps, s->addr, s->hook->hook) == 0)
      pass->stats->rebound++;
  }
}

static int got_is_loader(const struct dl_phdr_info *info)
{
  return info->dlpi_name && strstr(info->dlpi_name, "/ld-linux") != NULL;
}

/* Runs under the loader's lock (dl_iterate_phdr): no object is unloaded meanwhile. */
static int got_visit(struct dl_phdr_info *info, size_t size, void *data)
{
  struct got_pass *pass = data;
  as_test_pause("got_visit"); /* inside the walk: the loader's lock held */
  if (got_list_moved(info, size, pass->loaded)) {
    pass->moved = 1;
    return 1;
  }
  if (info->dlpi_addr == got_own_base || info->dlpi_addr == getauxval(AT_SYSINFO_EHDR) ||
      got_is_loader(info) || pass->rc < 0)
    return 0;
  /* The program (listed first, without a name) is rewritten after its libraries: once its own
   * calls reach the hooks, so do the libraries' on its behalf. */
  if ((info->dlpi_name && info->dlpi_name[0]) == pass->program)
    return 0;
  const ElfW(Dyn) *dyn = got_dynamic_of(info);
  if (!dyn)
    return 0;
  struct got_object *o = got_object_find(info);
  if (!o && !(o = got_object_add(info))) {
    pass->rc = -ENOMEM;
    return 1;
  }
  o->seen_pass = got_pass;
  pass->stats->objects++;
  o->sightings++;
  /* Slots are written only once the loader is done with the object, walked or not: an object
   * walked before may be another one since, loaded where an unloaded one was (the same base
   * and headers), its pages still changing protection under the loader (a store into a page
   * the loader had just made read-only faulted, 1 run in 150 of a hammering test). */
  if (!got_object_settled(info, pass, o))
    return 0;
  if (o->done) {
    got_recheck_object(pass, o);
    return 0;
  }
  /* Objects are walked whole, one after the other: an object's slots are contiguous. */
  struct as_elfdyn d;
  as_elfdyn_read(info->dlpi_addr, dyn, &d);
  o->first = got_slot_count;
  got_walk_relocations(pass, info, &d);
  o->count = got_slot_count - o->first;
  o->done = 1;
  return 0;
}

/* Objects the pass did not see were unloaded: their slots no longer exist. An object's slots
 * are contiguous, but objects are not in the order of their slots (one may settle a pass
 * later than the next): the kept slots are copied into a new array. */
static int got_forget_unloaded(void)
{
  size_t kept = 0;
  for (size_t i = 0; i < got_object_count; i++)
    if (got_objects[i].seen_pass == got_pass)
      kept += got_objects[i].count;
  if (kept == got_slot_count)
    return 0;
  struct got_slot *slots = malloc((kept ? kept : 1) * sizeof *slots);
  if (!slots)
    return -ENOMEM;
  size_t kept_objects = 0, at = 0;
  for (size_t i = 0; i < got_object_count; i++) {
    struct got_object o = got_objects[i];
    if (o.seen_pass != got_pass)
      continue;
    memcpy(&slots[at], &got_slots[o.first], o.count * sizeof *slots);
    o.first = at;
    at += o.count;
    got_objects[kept_objects++] = o;
  }
  free(got_slots);
  got_slots = slots;
  got_slot_count = got_slot_capacity = kept;
  got_object_count = kept_objects;
  return 0;
}

int as_got_sync(struct as_got_stats *stats)
{
  struct as_got_stats local;
  if (!stats)
    stats = &local;
  memset(stats, 0, sizeof *stats);
  if (!got_hooks)
    return -ENOENT;
  got_resolve_reals();
  struct got_pass pass;
  for (int attempt = 0; attempt < GOT_SYNC_ATTEMPTS; attempt++) {
    memset(stats, 0, sizeof *stats);
    pass = (struct got_pass){.stats = stats, .loaded = got_loaded_count()};
    int rc = as_got_maps_read(&pass.maps);
    if (rc < 0)
      return rc;
    got_pass++;
    as_forklock_dl_iterate_phdr(got_visit, &pass);
    pass.program = 1;
    if (!pass.moved)
      as_forklock_dl_iterate_phdr(got_visit, &pass);
    as_got_maps_free(&pass.maps);
    if (!pass.moved)
      break;
  }
  /* A walk cut short saw only some objects: none is taken for unloaded then. */
  if (pass.rc == 0 && !pass.moved)
    pass.rc = got_forget_unloaded();
  stats->slots = got_slot_count;
  return pass.rc;
}

struct got_restore {
  struct as_got_maps maps;
  size_t restored;
  unsigned long long loaded;
  int moved;
};

static int got_restore_visit(struct dl_phdr_info *info, size_t size, void *data)
{
  struct got_restore *r = data;
  if (got_list_moved(info, size, r->loaded)) {
    r->moved = 1;
    return 1;
  }
  struct got_object *o = got_object_find(info);
  if (!o)
    return 0;
  for (size_t i = o->first; i < o->first + o->count; i++) {
    const struct got_slot *s = &got_slots[i];
    /* The real function, not always what the slot held: a lazily bound slot held its own PLT
     * stub, and the object there now may be the same library loaded again with its functions
     * bound at load (RTLD_NOW), whose stubs lead to a resolver it never set up (a call after
     * detach jumped to address 0, 3 in 3). The real function is what the stub would bind. */
    if (got_readable(&r->maps, s->addr) && got_load(s->addr) == s->hook->hook &&
        got_store(&r->maps, s->addr, s->hook->real) == 0)
      r->restored++;
  }
  o->count = 0;
  return 0;
}

size_t as_got_restore(void)
{
  if (!got_hooks)
    return 0;
  size_t restored = 0;
  for (int attempt = 0; attempt < GOT_SYNC_ATTEMPTS; attempt++) {
    struct got_restore r = {.loaded = got_loaded_count()};
    if (as_got_maps_read(&r.maps) < 0)
      break;
    as_forklock_dl_iterate_phdr(got_restore_visit, &r);
    as_got_maps_free(&r.maps);
    restored += r.restored;
    if (!r.moved)
      break;
  }
  /* Forget every object: a later attach walks them afresh. */
  got_object_count = 0;
  got_slot_count = 0;
  return restored;
}

size_t as_got_slot_count(void) { return got_slot_count; }
