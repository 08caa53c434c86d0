#define _GNU_SOURCE
#include "stuck.h"
#include "diag.h"
#include "signals.h"
#include "stack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How long the collector waits for the thread to unwind (it may be descheduled). */
#define STUCK_WAIT_MS 500
/* Handler runs stuck at once whose stacks are kept. */
#define STUCK_STACKS_MAX 64
/* Stacks asked for in one pass (each may wait STUCK_WAIT_MS): the rest at the next. */
#define STUCK_ASKS_PER_PASS 4

enum stuck_state { STUCK_IDLE, STUCK_REQUESTED, STUCK_RUNNING, STUCK_DONE };
enum stuck_use { STUCK_UNTRIED, STUCK_OURS, STUCK_REFUSED, STUCK_HOST_TOOK };

/* The one request in flight: the collector fills it, the target thread's handler answers. */
static struct {
  _Atomic int state;
  uint32_t tid;
  const struct as_actor *actor;
  uint64_t since;
  unsigned count;
  void *frames[AS_STUCK_FRAMES_MAX];
} stuck_request;
static _Atomic int stuck_use; /* enum stuck_use */
static void *stuck_cookie;
static struct as_stuck_stack stuck_stacks[STUCK_STACKS_MAX];
static size_t stuck_stack_count;

/* What the default action would do with a signal that is not our request: we are not there. */
static void stuck_default_action(int sig)
{
  atomic_store(&stuck_use, STUCK_REFUSED);
  as_signals_die_by_default(sig, 1);
}

static void stuck_handler(int sig, siginfo_t *info, void *ucontext)
{
  int saved = errno;
  if (!info || info->si_code != SI_QUEUE || info->si_pid != getpid() ||
      info->si_value.sival_ptr != stuck_cookie) {
    stuck_default_action(sig);
    errno = saved;
    return;
  }
  int expected = STUCK_REQUESTED;
  if (stuck_request.tid == as_registry_thread_tid() &&
      atomic_compare_exchange_strong(&stuck_request.state, &expected, STUCK_RUNNING)) {
    const struct as_actor *a = stuck_request.actor;
    /* Still the same handler run: the thread may have moved on since it was asked. */
    int same = atomic_load_explicit(&a->handling_since, memory_order_relaxed) == stuck_request.since &&
               atomic_load_explicit(&a->handling_type, memory_order_relaxed) != AS_TYPE_NONE;
    stuck_request.count =
        same ? as_stack_capture_interrupted(ucontext, stuck_request.frames, AS_STUCK_FRAMES_MAX) : 0;
    atomic_store(&stuck_request.state, STUCK_DONE);
  }
  errno = saved;
}

int as_stuck_handler_is_ours(void (*handler)(int, siginfo_t *, void *))
{
  return handler == stuck_handler;
}

void as_stuck_host_takes(int sig)
{
  if (sig == AS_STUCK_SIGNAL)
    atomic_store(&stuck_use, STUCK_HOST_TOOK); /* the collector says so (no I/O here) */
}

/* Takes the signal if it still has its default disposition; says once why not. */
static int stuck_install(void)
{
  int use = atomic_load(&stuck_use);
  if (use != STUCK_UNTRIED)
    return use == STUCK_OURS ? 0 : -EPERM;
  struct sigaction old;
  if (as_stack_prepare_interrupted() < 0 ||
      getrandom(&stuck_cookie, sizeof stuck_cookie, GRND_NONBLOCK) != sizeof stuck_cookie ||
      as_signals_real_sigaction(AS_STUCK_SIGNAL, NULL, &old) != 0) {
    atomic_store(&stuck_use, STUCK_REFUSED);
    as_diag_report("stuck_stack_unavailable",
                   "stuck handlers' stacks cannot be captured (no libunwind or no signal)");
    return -ENOSYS;
  }
  if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) {
    atomic_store(&stuck_use, STUCK_REFUSED);
    as_diag_note("stuck_signal_taken",
                   "signal %d is the program's (handled or ignored): stuck handlers' stacks are not captured",
                   AS_STUCK_SIGNAL);
    return -EPERM;
  }
  struct sigaction ours;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = stuck_handler;
  ours.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&ours.sa_mask);
  int expected = STUCK_UNTRIED;
  struct sigaction before;
  if (!atomic_compare_exchange_strong(&stuck_use, &expected, STUCK_OURS))
    return -EPERM; /* the host took the signal first */
  if (as_signals_real_sigaction(AS_STUCK_SIGNAL, &ours, &before) != 0) {
    atomic_store(&stuck_use, STUCK_REFUSED);
    return -EPERM;
  }
  /* The host's sigaction slipped in between our look and ours: its handler goes back. */
  if ((before.sa_flags & SA_SIGINFO) || before.sa_handler != SIG_DFL) {
    as_signals_real_sigaction(AS_STUCK_SIGNAL, &before, NULL);
    atomic_store(&stuck_use, STUCK_HOST_TOOK);
    return -EPERM;
  }
  return 0;
}

/* Whether the thread blocks the signal now (/proc/self/task/TID/status, SigBlk). */
static int stuck_thread_blocks(uint32_t tid)
{
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/self/task/%u/status", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  const char *at = strstr(buf, "\nSigBlk:");
  if (!at)
    return -1;
  unsigned long long mask = strtoull(at + 8, NULL, 16);
  return (mask >> (AS_STUCK_SIGNAL - 1)) & 1;
}

/* Whether the thread waits for signals (sigwaitinfo, sigtimedwait: it unblocks the ones it
 * waits for meanwhile, so SigBlk does not show them): ours would be taken as its own. */
static int stuck_thread_waits_for_signals(uint32_t tid)
{
  char path[64], buf[64];
  snprintf(path, sizeof path, "/proc/self/task/%u/syscall", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return 1;
  buf[n] = '\0';
  return strtol(buf, NULL, 10) == SYS_rt_sigtimedwait;
}

/* Whether our handler is still the one installed (a program may have set its own through a
 * call we do not interpose, e.g. sigset or a raw rt_sigaction). */
static int stuck_still_ours(void)
{
  struct sigaction now;
  return as_signals_real_sigaction(AS_STUCK_SIGNAL, NULL, &now) == 0 &&
         (now.sa_flags & SA_SIGINFO) && now.sa_sigaction == stuck_handler;
}

static void stuck_sleep_ms(unsigned ms)
{
  struct timespec ts = {0, (long)ms * 1000000L};
  nanosleep(&ts, NULL);
}

/* Asks thread tid for its stack while it still runs actor's handler begun at since. */
static unsigned stuck_capture(const struct as_actor *actor, uint32_t tid, uint64_t since,
                              void **frames)
{
  if (stuck_install() < 0)
    return 0;
  if (!stuck_still_ours()) {
    atomic_store(&stuck_use, STUCK_HOST_TOOK);
    return 0;
  }
  int blocks = stuck_thread_blocks(tid);
  if (blocks == 0 && stuck_thread_waits_for_signals(tid))
    blocks = 1;
  if (blocks != 0) {
    if (blocks > 0)
      as_diag_note("stuck_signal_blocked",
                     "a thread blocks signal %d: its stuck handlers' stacks are not captured",
                     AS_STUCK_SIGNAL);
    return 0;
  }
  stuck_request.tid = tid;
  stuck_request.actor = actor;
  stuck_request.since = since;
  stuck_request.count = 0;
  atomic_store(&stuck_request.state, STUCK_REQUESTED);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = AS_STUCK_SIGNAL;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_uid = getuid();
  info.si_value.sival_ptr = stuck_cookie;
  int saved = errno;
  if (atomic_load(&stuck_use) != STUCK_OURS ||
      syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)tid, AS_STUCK_SIGNAL, &info) != 0) {
    atomic_store(&stuck_request.state, STUCK_IDLE);
    errno = saved;
    return 0;
  }
  errno = saved;
  for (unsigned waited = 0; waited < STUCK_WAIT_MS; waited++) {
    if (atomic_load(&stuck_request.state) == STUCK_DONE)
      break;
    stuck_sleep_ms(1);
  }
  int expected = STUCK_REQUESTED;
  if (atomic_compare_exchange_strong(&stuck_request.state, &expected, STUCK_IDLE))
    return 0; /* not delivered in time: a late delivery finds nothing asked */
  while (atomic_load(&stuck_request.state) == STUCK_RUNNING)
    stuck_sleep_ms(1); /* the unwinding has begun: it ends without waiting on anything */
  unsigned n = stuck_request.count;
  memcpy(frames, stuck_request.frames, n * sizeof *frames);
  atomic_store(&stuck_request.state, STUCK_IDLE);
  return n;
}

const struct as_stuck_stack *as_stuck_find(uint64_t id, uint64_t since)
{
  for (size_t i = 0; i < stuck_stack_count; i++)
    if (stuck_stacks[i].id == id && stuck_stacks[i].since == since)
      return &stuck_stacks[i];
  return NULL;
}

static const struct as_actor_view *stuck_view_of(const struct as_waiting *handling, uint64_t id)
{
  for (size_t i = 0; i < handling->count; i++)
    if (handling->views[i].id == id)
      return &handling->views[i];
  return NULL;
}

void as_stuck_scan(const struct as_waiting *handling, uint64_t now, uint64_t threshold)
{
  size_t kept = 0;
  for (size_t i = 0; i < stuck_stack_count; i++) {
    const struct as_actor_view *v = stuck_view_of(handling, stuck_stacks[i].id);
    if (v && v->handling_since == stuck_stacks[i].since)
      stuck_stacks[kept++] = stuck_stacks[i];
  }
  stuck_stack_count = kept;
  int use = atomic_load(&stuck_use);
  if (use == STUCK_HOST_TOOK)
    as_diag_note("stuck_signal_taken",
                 "the program set a handler for signal %d: stuck handlers' stacks are not captured",
                 AS_STUCK_SIGNAL);
  if (threshold == 0 || use == STUCK_REFUSED || use == STUCK_HOST_TOOK)
    return;
  unsigned asked = 0;
  for (size_t i = 0; i < handling->count && stuck_stack_count < STUCK_STACKS_MAX &&
                     asked < STUCK_ASKS_PER_PASS;
       i++) {
    const struct as_actor_view *v = &handling->views[i];
    if (v->handling_type == AS_TYPE_NONE || now < v->handling_since ||
        now - v->handling_since < threshold || !v->handler_tid ||
        as_stuck_find(v->id, v->handling_since))
      continue;
    asked++;
    struct as_stuck_stack *s = &stuck_stacks[stuck_stack_count++];
    s->id = v->id;
    s->since = v->handling_since;
    s->count = stuck_capture(v->actor, v->handler_tid, v->handling_since, s->frames);
    as_registry_relist(v->actor); /* the next line lists the actor with its stack */
  }
}

void as_stuck_reset_after_fork(void)
{
  atomic_store(&stuck_request.state, STUCK_IDLE);
  stuck_stack_count = 0;
}
