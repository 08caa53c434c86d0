#define _GNU_SOURCE
#include "stuck_probe.h"
#include "format.h"
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Looks at a blocked thread this many times at most while it keeps moving between reads. */
#define PROBE_SYSCALL_TRIES 3
/* perf: a sample every millisecond of the thread's CPU time; waited for this long at most. */
#define PROBE_PERF_PERIOD_NS 1000000u
#define PROBE_PERF_WAIT_MS 100
/* The top of the stack perf copies with the sample: deep enough for the frames we keep. */
#define PROBE_PERF_STACK_BYTES 32768u
#define PROBE_PERF_DATA_PAGES 16u /* a power of two, holds one sample with its stack */

static int probe_read_file(const char *path, char *buf, size_t cap)
{
  int saved = errno;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    errno = saved;
    return -ENOENT;
  }
  ssize_t n;
  do
    n = read(fd, buf, cap - 1);
  while (n < 0 && errno == EINTR);
  close(fd);
  errno = saved;
  if (n <= 0)
    return -EIO;
  buf[n] = '\0';
  return (int)n;
}

static int probe_task_file(uint32_t tid, const char *name, char *buf, size_t cap)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%u/%s", tid, name);
  return probe_read_file(path, buf, cap);
}

/* Voluntary plus involuntary context switches: unchanged, the thread has not run. */
static int probe_switches(uint32_t tid, uint64_t *out)
{
  char buf[4096];
  if (probe_task_file(tid, "status", buf, sizeof buf) < 0)
    return -ENOENT;
  const char *v = strstr(buf, "\nvoluntary_ctxt_switches:");
  const char *nv = strstr(buf, "\nnonvoluntary_ctxt_switches:");
  if (!v || !nv)
    return -ENOENT;
  *out = strtoull(v + 25, NULL, 10) + strtoull(nv + 28, NULL, 10);
  return 0;
}

int as_stuck_thread_cpu_ns(uint32_t tid, uint64_t *ns)
{
  char buf[1024];
  if (probe_task_file(tid, "stat", buf, sizeof buf) < 0)
    return -ENOENT;
  /* After the command name (which may hold anything, ')' too): state is field 3, utime and
   * stime fields 14 and 15. */
  const char *p = strrchr(buf, ')');
  if (!p)
    return -EINVAL;
  p++;
  unsigned long long utime = 0, stime = 0;
  for (int field = 3; field <= 15 && p; field++) {
    p = strchr(p, ' ');
    if (!p)
      break;
    p++;
    if (field == 14)
      utime = strtoull(p, NULL, 10);
    else if (field == 15)
      stime = strtoull(p, NULL, 10);
  }
  if (!p)
    return -EINVAL;
  long hz = sysconf(_SC_CLK_TCK);
  *ns = (utime + stime) * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100));
  return 0;
}

/* "running", or "NR ARG1..ARG6 SP PC" in a system call ("-1 SP PC" blocked outside one). */
static int probe_syscall_line(uint32_t tid, char *buf, size_t cap, uint64_t *sp, uint64_t *pc)
{
  if (probe_task_file(tid, "syscall", buf, cap) < 0)
    return -ENOENT;
  if (strncmp(buf, "running", 7) == 0)
    return 1;
  char *last = strrchr(buf, ' ');
  if (!last)
    return -EINVAL;
  *pc = strtoull(last + 1, NULL, 16);
  *last = '\0';
  char *before = strrchr(buf, ' ');
  *last = ' ';
  if (!before)
    return -EINVAL;
  *sp = strtoull(before + 1, NULL, 16);
  return *sp && *pc ? 0 : -EINVAL;
}

/* Leaves out frames in our own object (a hook or trampoline between the runtime and the code
 * it calls): the user's stack is the host's. */
static unsigned probe_drop_own(void **frames, unsigned n)
{
  unsigned kept = 0;
  for (unsigned i = 0; i < n; i++)
    if (!as_resolve_is_own_address((const char *)frames[i] - 1))
      frames[kept++] = frames[i];
  return kept;
}

/* Blocked in a system call: 1 done, 0 the thread is running, <0 unreadable. */
static int probe_syscall(uint32_t tid, void **frames, unsigned max, struct as_stuck_probe *out)
{
  char first[256], again[256];
  for (int attempt = 0; attempt < PROBE_SYSCALL_TRIES; attempt++) {
    uint64_t before, after, sp = 0, pc = 0, sp2, pc2;
    if (probe_switches(tid, &before) < 0)
      return -ENOENT;
    int rc = probe_syscall_line(tid, first, sizeof first, &sp, &pc);
    if (rc != 0)
      return rc > 0 ? 0 : rc;
    struct as_stack_regs regs = {.known = (1u << AS_REG_RSP) | (1u << AS_REG_RIP)};
    regs.value[AS_REG_RSP] = sp;
    regs.value[AS_REG_RIP] = pc;
    enum as_stack_end end;
    /* pc is where the call returns to, as a return address is. */
    unsigned n = as_stack_remote_unwind(&regs, NULL, 0, 0, frames, max, &end);
    int same = probe_syscall_line(tid, again, sizeof again, &sp2, &pc2) == 0 &&
               strcmp(first, again) == 0 && probe_switches(tid, &after) == 0 && after == before;
    out->source = AS_STACK_SOURCE_SYSCALL;
    out->count = probe_drop_own(frames, n);
    out->end = same ? (enum as_stuck_end)end : AS_STUCK_END_MOVED;
    if (same)
      return 1;
  }
  return 1; /* kept, marked as moved */
}

struct probe_sample_header {
  struct perf_event_header header;
  uint32_t pid, tid;
  uint64_t abi;
};

/* The registers perf is asked for (bit per perf_regs.h index) and where each goes in ours. */
static const struct {
  unsigned perf, dwarf;
} probe_perf_regs[] = {
    {0, 0},   /* ax */ {3, 1}, /* dx */ {2, 2}, /* cx */ {1, 3}, /* bx */
    {4, 4},   /* si */ {5, 5}, /* di */ {6, 6}, /* bp */ {7, 7}, /* sp */
    {16, 8},  {17, 9},         {18, 10},        {19, 11},
    {20, 12}, {21, 13},        {22, 14},        {23, 15}, /* r8-r15 */
    {8, 16},                                              /* ip */
};
#define PROBE_PERF_REG_COUNT (sizeof probe_perf_regs / sizeof probe_perf_regs[0])
#define PROBE_PERF_REGS_SAMPLED 20u /* the bits of sample_regs_user */

/* Reads the first user-space sample from the ring and unwinds it: 1 done, 0 none there. */
static int probe_perf_read(const unsigned char *ring, size_t page, void **frames, unsigned max,
                           struct as_stuck_probe *out)
{
  const struct perf_event_mmap_page *meta = (const void *)ring;
  uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  size_t size = (size_t)PROBE_PERF_DATA_PAGES * page;
  const unsigned char *data = ring + page;
  static unsigned char record[PROBE_PERF_STACK_BYTES + 1024];
  for (uint64_t at = 0; at + sizeof(struct perf_event_header) <= head;) {
    struct perf_event_header h;
    for (size_t i = 0; i < sizeof h; i++)
      ((unsigned char *)&h)[i] = data[(at + i) % size];
    if (h.size < sizeof h || h.size > sizeof record || at + h.size > head)
      return 0;
    for (size_t i = 0; i < h.size; i++)
      record[i] = data[(at + i) % size];
    at += h.size;
    const struct probe_sample_header *s = (const void *)record;
    if (h.type != PERF_RECORD_SAMPLE || h.size < sizeof *s + 8 * (PROBE_PERF_REGS_SAMPLED + 1) ||
        s->abi != PERF_SAMPLE_REGS_ABI_64)
      continue;
    const uint64_t *perf_regs = (const uint64_t *)(s + 1);
    /* perf lays the registers out in the order of their bits. */
    uint64_t by_bit[24] = {0};
    unsigned k = 0;
    for (unsigned bit = 0; bit < 24; bit++)
      if ((bit < 12 || bit >= 16))
        by_bit[bit] = perf_regs[k++];
    struct as_stack_regs regs = {.known = 0};
    for (size_t i = 0; i < PROBE_PERF_REG_COUNT; i++) {
      regs.value[probe_perf_regs[i].dwarf] = by_bit[probe_perf_regs[i].perf];
      regs.known |= 1u << probe_perf_regs[i].dwarf;
    }
    const unsigned char *after_regs = (const unsigned char *)(perf_regs + k);
    uint64_t stack_size;
    memcpy(&stack_size, after_regs, sizeof stack_size);
    const unsigned char *stack = after_regs + 8;
    uint64_t dyn_size = 0;
    if (stack_size && (size_t)(stack - record) + stack_size + 8 <= h.size)
      memcpy(&dyn_size, stack + stack_size, sizeof dyn_size);
    if (dyn_size > stack_size)
      dyn_size = stack_size;
    enum as_stack_end end;
    unsigned n = as_stack_remote_unwind(&regs, dyn_size ? stack : NULL, regs.value[AS_REG_RSP],
                                        (size_t)dyn_size, frames, max, &end);
    /* The first frame is the sampled instruction itself: +1 makes it read as the others. */
    if (n)
      frames[0] = (char *)frames[0] + 1;
    out->source = AS_STACK_SOURCE_PERF;
    out->end = (enum as_stuck_end)end;
    out->count = probe_drop_own(frames, n);
    return 1;
  }
  return 0;
}

/* On a CPU: one sample of its user registers and stack, no signal. 1 done, 0 not allowed or no
 * sample in time. */
static int probe_perf(uint32_t tid, void **frames, unsigned max, struct as_stuck_probe *out)
{
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.sample_period = PROBE_PERF_PERIOD_NS;
  attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
  attr.sample_regs_user = 0xff0fffull; /* ax..ss and r8..r15: ds, es, fs, gs are not 64-bit's */
  attr.sample_stack_user = PROBE_PERF_STACK_BYTES;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  attr.exclude_callchain_kernel = 1;
  attr.wakeup_events = 1;
  int saved = errno;
  int fd = (int)syscall(SYS_perf_event_open, &attr, (pid_t)tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    errno = saved;
    return 0;
  }
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t len = (1 + PROBE_PERF_DATA_PAGES) * page;
  void *ring = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int done = 0;
  if (ring != MAP_FAILED) {
    struct pollfd p = {fd, POLLIN, 0};
    int waited = 0;
    while (!done && waited < PROBE_PERF_WAIT_MS) {
      int rc = poll(&p, 1, 10);
      waited += 10;
      if (rc > 0 || (rc == 0 && waited >= PROBE_PERF_WAIT_MS))
        done = probe_perf_read(ring, page, frames, max, out);
      if (rc > 0 && (p.revents & (POLLHUP | POLLERR)))
        break;
    }
    munmap(ring, len);
  }
  close(fd);
  errno = saved;
  return done;
}

void as_stuck_probe_thread(uint32_t tid, void **frames, unsigned max, struct as_stuck_probe *out)
{
  memset(out, 0, sizeof *out);
  out->end = AS_STUCK_END_UNWIND;
  int rc = probe_syscall(tid, frames, max, out);
  if (rc != 0)
    return;
  out->on_cpu = 1;
  if (probe_perf(tid, frames, max, out))
    return;
  /* It may have blocked since: then its system call tells where. */
  if (probe_syscall(tid, frames, max, out) > 0) {
    out->on_cpu = 0;
    return;
  }
  out->source = AS_STACK_SOURCE_CPU;
  out->count = 0;
}

const char *as_stack_source_name(enum as_stack_source source)
{
  switch (source) {
  case AS_STACK_SOURCE_SYSCALL: return AS_STACK_SOURCE_V_SYSCALL;
  case AS_STACK_SOURCE_PERF: return AS_STACK_SOURCE_V_PERF;
  case AS_STACK_SOURCE_CPU: return AS_STACK_SOURCE_V_CPU;
  case AS_STACK_SOURCE_NONE: break;
  }
  return NULL;
}

const char *as_stuck_end_name(enum as_stuck_end end)
{
  switch (end) {
  case AS_STUCK_END_OUTERMOST: return AS_STACK_END_V_OUTERMOST;
  case AS_STUCK_END_DEPTH: return AS_STACK_END_V_DEPTH;
  case AS_STUCK_END_UNWIND: return AS_STACK_END_V_UNWIND;
  case AS_STUCK_END_MOVED: return AS_STACK_END_V_MOVED;
  }
  return AS_STACK_END_V_UNWIND;
}
