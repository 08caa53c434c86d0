#define _GNU_SOURCE
#include "stack_remote.h"
#include "forklock.h"

/* The remote (generic) interface: unw_* are libunwind-x86_64.so.8's _Ux86_64_* here. */
#include <libunwind.h>

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

typedef unw_addr_space_t (*remote_create_fn)(unw_accessors_t *, int);
typedef int (*remote_caching_fn)(unw_addr_space_t, unw_caching_policy_t);
typedef int (*remote_init_fn)(unw_cursor_t *, unw_addr_space_t, void *);
typedef int (*remote_step_fn)(unw_cursor_t *);
typedef int (*remote_get_reg_fn)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
/* Not in libunwind.h, but exported: the lookup of an ip in an .eh_frame_hdr search table. */
typedef int (*remote_search_fn)(unw_addr_space_t, unw_word_t, unw_dyn_info_t *, unw_proc_info_t *,
                                int, void *);

#define REMOTE_NAME(x) REMOTE_NAME_(x)
#define REMOTE_NAME_(x) #x

static struct {
  remote_create_fn create;
  remote_caching_fn caching;
  remote_init_fn init;
  remote_step_fn step;
  remote_get_reg_fn get_reg;
  remote_search_fn search;
  unw_addr_space_t space;
  int disabled;
} remote;
static pthread_once_t remote_once = PTHREAD_ONCE_INIT;

/* Reads are cached in small lines for the length of one unwind: a frame's unwind info is read
 * word by word, and a system call per word would cost more than the unwinding. */
#define REMOTE_LINE_BYTES 256u
#define REMOTE_LINES 64u

struct remote_target {
  const struct as_stack_regs *regs;
  const unsigned char *copy; /* perf's copy of [copy_at, copy_at + copy_len), or NULL */
  uint64_t copy_at;
  size_t copy_len;
  uint64_t line_at[REMOTE_LINES]; /* address of the cached line + 1; 0 = empty */
  unsigned char line[REMOTE_LINES][REMOTE_LINE_BYTES];
};

/* Reads len bytes at addr of this process without any risk of faulting. 0 or -EFAULT. */
static int as_stack_remote_read(uint64_t addr, void *out, size_t len)
{
  struct iovec local = {out, len}, far = {(void *)(uintptr_t)addr, len};
  int saved = errno;
  ssize_t n = process_vm_readv(getpid(), &local, 1, &far, 1, 0);
  errno = saved;
  return n == (ssize_t)len ? 0 : -EFAULT;
}

static int remote_read(struct remote_target *t, uint64_t addr, void *out, size_t len)
{
  if (t->copy && addr >= t->copy_at && addr - t->copy_at <= t->copy_len &&
      len <= t->copy_len - (addr - t->copy_at)) {
    memcpy(out, t->copy + (addr - t->copy_at), len);
    return 0;
  }
  uint64_t base = addr & ~(uint64_t)(REMOTE_LINE_BYTES - 1);
  if (addr + len > base + REMOTE_LINE_BYTES || base + REMOTE_LINE_BYTES < base)
    return as_stack_remote_read(addr, out, len); /* straddles two lines */
  unsigned slot = (unsigned)(base / REMOTE_LINE_BYTES) % REMOTE_LINES;
  if (t->line_at[slot] != base + 1) {
    /* A line may end past the mapping's end: then only the word itself is read. */
    if (as_stack_remote_read(base, t->line[slot], REMOTE_LINE_BYTES) < 0)
      return as_stack_remote_read(addr, out, len);
    t->line_at[slot] = base + 1;
  }
  memcpy(out, t->line[slot] + (addr - base), len);
  return 0;
}

static int remote_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
                             void *arg)
{
  (void)as;
  if (write)
    return -UNW_EREADONLYREG;
  return remote_read(arg, addr, val, sizeof *val) == 0 ? 0 : -UNW_EINVAL;
}

static int remote_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write,
                             void *arg)
{
  (void)as;
  const struct remote_target *t = arg;
  if (write || reg < 0 || reg >= AS_REG_COUNT || !(t->regs->known & (1u << reg)))
    return -UNW_EBADREG;
  *val = t->regs->value[reg];
  return 0;
}

static int remote_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
                               void *arg)
{
  (void)as, (void)reg, (void)val, (void)write, (void)arg;
  return -UNW_EBADREG;
}

static int remote_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
  (void)as, (void)c, (void)arg;
  return -UNW_EINVAL;
}

static int remote_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
                                unw_word_t *offp, void *arg)
{
  (void)as, (void)addr, (void)buf, (void)len, (void)offp, (void)arg;
  return -UNW_ENOINFO; /* names come from stack.c, once per address */
}

static int remote_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
  (void)as, (void)addr, (void)arg;
  return -UNW_ENOINFO; /* no JIT registers code with libunwind here */
}

static void remote_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
  (void)as, (void)pi, (void)arg; /* libunwind frees what its table search allocated */
}

/* The object whose executable segment holds ip: that segment and its .eh_frame_hdr. */
struct remote_object {
  uint64_t ip, start, end, eh_frame_hdr;
};

static int remote_object_of(struct dl_phdr_info *info, size_t size, void *data)
{
  (void)size;
  struct remote_object *o = data;
  uint64_t start = 0, end = 0, hdr = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *p = &info->dlpi_phdr[i];
    uint64_t at = info->dlpi_addr + p->p_vaddr;
    if (p->p_type == PT_LOAD && (p->p_flags & PF_X) && o->ip >= at && o->ip - at < p->p_memsz) {
      start = at;
      end = at + p->p_memsz;
    } else if (p->p_type == PT_GNU_EH_FRAME) {
      hdr = at;
    }
  }
  if (!end)
    return 0;
  o->start = start;
  o->end = end;
  o->eh_frame_hdr = hdr;
  return 1;
}

/* DWARF pointer encodings an .eh_frame_hdr uses in practice (GNU ld, gold, lld). */
#define REMOTE_PE_UDATA4 0x03
#define REMOTE_PE_SDATA4 0x0b
#define REMOTE_PE_DATAREL_SDATA4 0x3b

static int remote_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
                                 int need_unwind_info, void *arg)
{
  struct remote_object o = {.ip = ip};
  if (!as_forklock_dl_iterate_phdr(remote_object_of, &o) || !o.eh_frame_hdr)
    return -UNW_ENOINFO;
  /* version, eh_frame_ptr encoding, fde_count encoding, table encoding; then eh_frame_ptr and
   * fde_count, 4 bytes each in the encodings accepted. */
  unsigned char head[12];
  if (remote_read(arg, o.eh_frame_hdr, head, sizeof head) < 0 || head[0] != 1 ||
      ((head[1] & 0x0f) != REMOTE_PE_UDATA4 && (head[1] & 0x0f) != REMOTE_PE_SDATA4) ||
      (head[2] != REMOTE_PE_UDATA4 && head[2] != REMOTE_PE_SDATA4) ||
      head[3] != REMOTE_PE_DATAREL_SDATA4)
    return -UNW_ENOINFO;
  uint32_t fde_count;
  memcpy(&fde_count, head + 8, sizeof fde_count);
  if (fde_count == 0)
    return -UNW_ENOINFO;
  unw_dyn_info_t di;
  memset(&di, 0, sizeof di);
  di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
  di.start_ip = o.start;
  di.end_ip = o.end;
  di.u.rti.segbase = o.eh_frame_hdr;
  di.u.rti.table_data = o.eh_frame_hdr + sizeof head;
  /* Each entry: initial location and FDE address, 4 bytes each; the length is in words. */
  di.u.rti.table_len = (unw_word_t)fde_count * 8 / sizeof(unw_word_t);
  return remote.search(as, ip, &di, pi, need_unwind_info, arg);
}

static unw_accessors_t remote_accessors = {
    .find_proc_info = remote_find_proc_info,
    .put_unwind_info = remote_put_unwind_info,
    .get_dyn_info_list_addr = remote_get_dyn_info_list_addr,
    .access_mem = remote_access_mem,
    .access_reg = remote_access_reg,
    .access_fpreg = remote_access_fpreg,
    .resume = remote_resume,
    .get_proc_name = remote_get_proc_name,
};

/* RTLD_LOCAL, as stack.c loads libunwind.so.8 (which this library needs): nothing of either
 * reaches the host's symbol scope. */
static void remote_load(void)
{
  void *lib = dlopen("libunwind-x86_64.so.8", RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return;
  remote.create = (remote_create_fn)dlsym(lib, REMOTE_NAME(unw_create_addr_space));
  remote.caching = (remote_caching_fn)dlsym(lib, REMOTE_NAME(unw_set_caching_policy));
  remote.init = (remote_init_fn)dlsym(lib, REMOTE_NAME(unw_init_remote));
  remote.step = (remote_step_fn)dlsym(lib, REMOTE_NAME(unw_step));
  remote.get_reg = (remote_get_reg_fn)dlsym(lib, REMOTE_NAME(unw_get_reg));
  remote.search = (remote_search_fn)dlsym(lib, "_Ux86_64_dwarf_search_unwind_table");
  if (!remote.create || !remote.caching || !remote.init || !remote.step || !remote.get_reg ||
      !remote.search)
    return;
  remote.space = remote.create(&remote_accessors, 0);
  /* No cache: code comes and goes with dlopen/dlclose, and unwinds are rare. */
  if (remote.space)
    remote.caching(remote.space, UNW_CACHE_NONE);
}

void as_stack_remote_disable(void) { remote.disabled = 1; }

unsigned as_stack_remote_unwind(const struct as_stack_regs *regs, const void *stack_copy,
                                uint64_t stack_at, size_t stack_len, void **frames, unsigned max,
                                enum as_stack_end *end)
{
  *end = AS_STACK_END_UNWIND;
  pthread_once(&remote_once, remote_load);
  if (!remote.space || remote.disabled || max == 0 || !(regs->known & (1u << AS_REG_RIP)) ||
      !(regs->known & (1u << AS_REG_RSP)))
    return 0;
  static struct remote_target target; /* the collector's alone; too big for its stack */
  memset(target.line_at, 0, sizeof target.line_at);
  target.regs = regs;
  target.copy = stack_copy;
  target.copy_at = stack_at;
  target.copy_len = stack_copy ? stack_len : 0;
  unw_cursor_t cursor;
  if (remote.init(&cursor, remote.space, &target) < 0)
    return 0;
  unsigned n = 0;
  for (;;) {
    unw_word_t ip = 0;
    if (remote.get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0) {
      *end = n ? AS_STACK_END_OUTERMOST : AS_STACK_END_UNWIND;
      break;
    }
    if (n == max) {
      *end = AS_STACK_END_DEPTH;
      break;
    }
    frames[n++] = (void *)(uintptr_t)ip;
    int rc = remote.step(&cursor);
    if (rc == 0) {
      *end = AS_STACK_END_OUTERMOST;
      break;
    }
    if (rc < 0)
      break;
  }
  return n;
}
