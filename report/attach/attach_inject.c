#define _GNU_SOURCE
#include "attach_inject.h"
#include "attach_target.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "actorscope attach injects on x86-64 only"
#endif

#define INJECT_STOP_MS 3000u    /* a stop requested must come within this */
#define INJECT_DLOPEN_MS 30000u /* loading may wait for another thread's loader lock */
#define INJECT_CALL_MS 10000u
#define INJECT_SCRATCH_BYTES (1u << 20)
#define INJECT_STRINGS_BYTES 8192u
#define INJECT_RTLD_NOW_LOCAL 2 /* RTLD_NOW | RTLD_LOCAL */

struct inject {
  struct attach_inject *in;
  struct user_regs_struct saved;
  struct user_fpregs_struct saved_fp;
  uint64_t syscall_insn; /* the `syscall` the thread stopped after */
  uint64_t scratch;      /* 0 until mapped */
  int pending_signal;    /* a signal that arrived meanwhile, delivered at release */
  int running;           /* a call outlived its watchdog: the thread still runs */
  char *why;
  size_t len;
};

static uint64_t inject_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The watchdog: every wait is bounded. Returns 0 with the status, -ETIMEDOUT, or -errno. */
static int inject_wait(pid_t tid, int *status, unsigned ms)
{
  uint64_t deadline = inject_now_ms() + ms;
  for (;;) {
    pid_t got = waitpid(tid, status, __WALL | WNOHANG);
    if (got == tid)
      return 0;
    if (got < 0 && errno != EINTR)
      return -errno;
    if (inject_now_ms() >= deadline)
      return -ETIMEDOUT;
    struct timespec pause = {0, 200000};
    nanosleep(&pause, NULL);
  }
}

static int inject_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
  struct iovec local = {(void *)buf, len}, remote = {(void *)(uintptr_t)addr, len};
  return process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

/* Runs the thread until it stops again; a signal meant for the program is held back and
 * delivered when the thread is released. Returns the stop signal, or -errno. */
static int inject_resume(struct inject *j, int request, unsigned ms)
{
  pid_t tid = j->in->tid;
  if (ptrace(request, tid, 0, 0) < 0)
    return -errno;
  for (;;) {
    int status;
    int rc = inject_wait(tid, &status, ms);
    if (rc == -ETIMEDOUT)
      j->running = 1;
    if (rc < 0)
      return rc;
    if (WIFEXITED(status) || WIFSIGNALED(status))
      return -ESRCH;
    int sig = WSTOPSIG(status);
    if (status >> 16 == 0 && (sig == SIGSEGV || sig == SIGTRAP))
      return sig;
    if (status >> 16 == 0 && !j->pending_signal)
      j->pending_signal = sig;
    /* Resumed as it was asked to go on: PTRACE_CONT after a signal's stop in the middle of a
     * single step let the thread run on past the injected syscall into the program's own code,
     * with the mmap's address as its wait's result (an epoll loop read it and died). */
    if (ptrace(request, tid, 0, 0) < 0)
      return -errno;
  }
}

static int inject_syscall(struct inject *j, long nr, const uint64_t args[6], uint64_t *ret)
{
  struct user_regs_struct r = j->saved;
  r.rax = (uint64_t)nr;
  r.orig_rax = (uint64_t)-1; /* no syscall restart on the way */
  r.rdi = args[0];
  r.rsi = args[1];
  r.rdx = args[2];
  r.r10 = args[3];
  r.r8 = args[4];
  r.r9 = args[5];
  r.rip = j->syscall_insn;
  if (ptrace(PTRACE_SETREGS, j->in->tid, 0, &r) < 0)
    return -errno;
  int sig = inject_resume(j, PTRACE_SINGLESTEP, INJECT_CALL_MS);
  if (sig != SIGTRAP)
    return sig < 0 ? sig : -EFAULT;
  if (ptrace(PTRACE_GETREGS, j->in->tid, 0, &r) < 0)
    return -errno;
  *ret = r.rax;
  return 0;
}

/* Calls fn(a0, a1) on the scratch stack; it returns to address 0, which stops the thread
 * with SIGSEGV at rip 0, never delivered. */
static int inject_call(struct inject *j, uint64_t fn, uint64_t a0, uint64_t a1, unsigned ms,
                       uint64_t *ret)
{
  struct user_regs_struct r = j->saved;
  uint64_t top = (j->scratch + INJECT_SCRATCH_BYTES - 256) & ~(uint64_t)15;
  uint64_t zero = 0;
  if (inject_write(j->in->pid, top - 8, &zero, sizeof zero) < 0)
    return -EFAULT;
  r.rsp = top - 8; /* as after a call: rsp + 8 is 16-byte aligned */
  r.rip = fn;
  r.rdi = a0;
  r.rsi = a1;
  r.rax = 0;
  r.orig_rax = (uint64_t)-1;
  if (ptrace(PTRACE_SETREGS, j->in->tid, 0, &r) < 0)
    return -errno;
  int sig = inject_resume(j, PTRACE_CONT, ms);
  if (sig < 0)
    return sig;
  if (ptrace(PTRACE_GETREGS, j->in->tid, 0, &r) < 0)
    return -errno;
  if (sig != SIGSEGV || r.rip != 0)
    return -EFAULT; /* a real fault inside the call */
  *ret = r.rax;
  return 0;
}

/* Puts the thread back as it was and lets it go; the interrupted call then returns EINTR or
 * restarts, as the kernel decided when it stopped. */
static void inject_release(struct inject *j)
{
  pid_t tid = j->in->tid;
  if (j->scratch) {
    uint64_t args[6] = {j->scratch, INJECT_SCRATCH_BYTES, 0, 0, 0, 0}, ret;
    if (inject_syscall(j, SYS_munmap, args, &ret) == 0)
      j->scratch = 0;
  }
  ptrace(PTRACE_SETFPREGS, tid, 0, &j->saved_fp);
  ptrace(PTRACE_SETREGS, tid, 0, &j->saved);
  ptrace(PTRACE_DETACH, tid, 0, (void *)(uintptr_t)j->pending_signal);
}

static int inject_fail(struct inject *j, const char *fmt, const char *detail)
{
  snprintf(j->why, j->len, fmt, detail);
  return -1;
}

/* Stops the thread: PTRACE_SEIZE (nothing else of the process stops), then an interrupt. */
static int inject_stop(struct inject *j)
{
  pid_t tid = j->in->tid;
  if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0) {
    snprintf(j->why, j->len, "cannot trace thread %d of process %d: %s", (int)tid, (int)j->in->pid,
             strerror(errno));
    return -1;
  }
  int status;
  if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 || inject_wait(tid, &status, INJECT_STOP_MS) < 0 ||
      !WIFSTOPPED(status)) {
    snprintf(j->why, j->len, "thread %d of process %d did not stop within %u ms", (int)tid,
             (int)j->in->pid, INJECT_STOP_MS);
    ptrace(PTRACE_DETACH, tid, 0, 0);
    return -1;
  }
  if (status >> 16 == PTRACE_EVENT_STOP && WSTOPSIG(status) != SIGTRAP) {
    /* A group stop (SIGSTOP or a terminal's stop came meanwhile), not our interrupt. */
    ptrace(PTRACE_DETACH, tid, 0, 0);
    snprintf(j->why, j->len, "process %d" ATTACH_STOPPED_TEXT, (int)j->in->pid, (int)j->in->pid);
    return -1;
  }
  if (status >> 16 == 0)
    j->pending_signal = WSTOPSIG(status); /* a signal arrived first: keep it for the program */
  if (ptrace(PTRACE_GETREGS, tid, 0, &j->saved) < 0 ||
      ptrace(PTRACE_GETFPREGS, tid, 0, &j->saved_fp) < 0) {
    ptrace(PTRACE_DETACH, tid, 0, (void *)(uintptr_t)j->pending_signal);
    return inject_fail(j, "cannot read the thread's registers: %s", strerror(errno));
  }
  /* It must still be in the call it was chosen in, right after a `syscall` instruction. */
  unsigned char insn[2];
  j->syscall_insn = j->saved.rip - 2;
  if ((int64_t)j->saved.orig_rax < 0 ||
      attach_target_read(j->in->pid, j->syscall_insn, insn, 2) < 0 || insn[0] != 0x0f ||
      insn[1] != 0x05) {
    ptrace(PTRACE_DETACH, tid, 0, (void *)(uintptr_t)j->pending_signal);
    return inject_fail(j, "thread left its wait before it stopped%s; try again", "");
  }
  return 0;
}

static int inject_strings(struct inject *j, uint64_t *library, uint64_t *config, uint64_t *entry)
{
  size_t lib_len = strlen(j->in->library) + 1, cfg_len = strlen(j->in->config) + 1;
  static const char name[] = "actorscope_attach";
  if (lib_len + cfg_len + sizeof name > INJECT_STRINGS_BYTES)
    return -E2BIG;
  *library = j->scratch;
  *entry = *library + lib_len;
  *config = *entry + sizeof name;
  if (inject_write(j->in->pid, *library, j->in->library, lib_len) < 0 ||
      inject_write(j->in->pid, *entry, name, sizeof name) < 0 ||
      inject_write(j->in->pid, *config, j->in->config, cfg_len) < 0)
    return -EFAULT;
  return 0;
}

static void inject_read_dlerror(struct inject *j, char *out, size_t len)
{
  uint64_t text = 0;
  snprintf(out, len, "unknown error");
  if (inject_call(j, j->in->dlerror_addr, 0, 0, INJECT_CALL_MS, &text) == 0 && text) {
    char buf[256] = "";
    for (size_t i = 0; i + 1 < sizeof buf; i++)
      if (attach_target_read(j->in->pid, text + i, &buf[i], 1) < 0 || !buf[i])
        break;
    snprintf(out, len, "%s", buf);
  }
}

/* Everything between the stop and the release. */
static int inject_calls(struct inject *j)
{
  uint64_t args[6] = {
      0, INJECT_SCRATCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1,
      0};
  uint64_t ret, library, config, entry, handle, fn;
  if (inject_syscall(j, SYS_mmap, args, &ret) < 0 || ret > (uint64_t)-4096)
    return inject_fail(j, "cannot map a scratch page in the target%s", "");
  j->scratch = ret;
  if (inject_strings(j, &library, &config, &entry) < 0)
    return inject_fail(j, "cannot write into the target's scratch page%s", "");
  int rc =
      inject_call(j, j->in->dlopen_addr, library, INJECT_RTLD_NOW_LOCAL, INJECT_DLOPEN_MS, &handle);
  if (rc == -ETIMEDOUT)
    return inject_fail(j,
                       "dlopen() in the target did not return within 30 s%s (it waits for a "
                       "lock another thread holds); the thread was put back as it was",
                       "");
  if (rc < 0)
    return inject_fail(j, "dlopen() in the target failed: %s", strerror(-rc));
  if (!handle) {
    char error[256];
    inject_read_dlerror(j, error, sizeof error);
    return inject_fail(j, "the target cannot load the tracer: %s", error);
  }
  if (inject_call(j, j->in->dlsym_addr, handle, entry, INJECT_CALL_MS, &fn) < 0 || !fn)
    return inject_fail(j, "the loaded library has no actorscope_attach%s (a different version?)",
                       "");
  if ((rc = inject_call(j, fn, config, 0, INJECT_CALL_MS, &ret)) < 0)
    return inject_fail(j, "actorscope_attach did not return: %s", strerror(-rc));
  j->in->attach_rc = (int)(int32_t)ret;
  return 0;
}

int attach_inject_run(struct attach_inject *in, char *why, size_t len)
{
  struct inject j = {.in = in, .why = why, .len = len};
  if (inject_stop(&j) < 0)
    return -1;
  uint64_t start = inject_now_ms();
  int rc = inject_calls(&j);
  if (j.running) {
    /* Stuck waiting, almost surely, for a lock another thread holds: stopped where it is and
     * put back, it drops the wait (a waiter holds nothing). */
    int status;
    ptrace(PTRACE_INTERRUPT, in->tid, 0, 0);
    inject_wait(in->tid, &status, INJECT_STOP_MS);
  }
  inject_release(&j);
  in->stopped_ms = (unsigned)(inject_now_ms() - start);
  return rc;
}
