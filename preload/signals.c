#define _GNU_SOURCE
#include "signals.h"
#include "collector.h"
#include "resolve.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

typedef int (*signals_sigaction_fn)(int, const struct sigaction *, struct sigaction *);

/* Every signal whose default action ends the process, but those a debugger (SIGTRAP), a
 * sandbox (SIGSYS, seccomp's) or libc itself (the real-time ones) may be using: termination
 * from outside (Ctrl-C, kill, a closed terminal, a timer, a limit), a write to a pipe nobody
 * reads any more (`prog | head`), and crashes. */
static const int signals_deadly[] = {
    SIGINT,    SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,   SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ,
    SIGVTALRM, SIGPROF, SIGIO,  SIGPWR,  SIGSTKFLT, SIGSEGV, SIGABRT, SIGBUS,  SIGFPE,  SIGILL};

static signals_sigaction_fn signals_real_sigaction(void)
{
  static signals_sigaction_fn real;
  if (!real)
    real = (signals_sigaction_fn)as_resolve_real("sigaction");
  return real;
}

/* From a handler of ours for sig: sets sig's default action back and, if raise_again, raises
 * sig, so that it is delivered with that action when the handler returns. */
static void as_signals_die_by_default(int sig, int raise_again)
{
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  signals_sigaction_fn real = signals_real_sigaction();
  if (real)
    real(sig, &dfl, NULL);
  /* Inside its handler the signal is blocked: it is then delivered, with the default action,
   * as the handler returns. */
  if (raise_again)
    raise(sig);
}

void as_signals_die_of(int sig)
{
  as_signals_die_by_default(sig, 1);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  pthread_sigmask(SIG_UNBLOCK, &only, NULL);
}

/* Whether returning from the handler runs the faulting instruction again, so that the fault
 * recurs with its own siginfo (SEGV_MAPERR and the address, as a crash reporter, a debugger or
 * the core dump should see it), as crash reporters do it. Only a fault the kernel raised
 * (si_code > 0) recurs; a process may send itself one dressed as a fault, which would then be
 * swallowed. On x86-64 the context tells them apart: a real SIGSEGV/SIGBUS has the trap number
 * of the exception (a thread that never faulted has 0), a real SIGILL/SIGFPE the faulting
 * instruction's address both in si_addr and in the instruction pointer. */
static int signals_fault_recurs(int sig, const siginfo_t *info, const void *context)
{
  if (!info || info->si_code <= 0 ||
      (sig != SIGSEGV && sig != SIGBUS && sig != SIGFPE && sig != SIGILL))
    return 0;
#if defined(__x86_64__)
  if (!context)
    return 0;
  const ucontext_t *uc = context;
  if (sig == SIGSEGV || sig == SIGBUS)
    return uc->uc_mcontext.gregs[REG_TRAPNO] != 0;
  return (uintptr_t)info->si_addr == (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#else
  (void)context;
  return 1;
#endif
}

/* How this process ends, the first to claim it: a deadly signal reaching a handler of ours
 * (its number), or _exit or its kin while tracing (SIGNALS_EXITING), with the process's id (a
 * fork child inherits the word, not the ending): 0 while none. */
static _Atomic uint64_t signals_dying;
#define SIGNALS_EXITING 0xff /* no signal's number */
/* Whether this thread's _exit claimed it (its at_quick_exit handlers may call _exit again). */
static __thread int signals_exit_mine __attribute__((tls_model("initial-exec")));
/* How long a thread that met another ending than the first waits for the process to end of
 * that one: past the collector's last write (about a second). */
#define SIGNALS_SECOND_WAIT_MS 3000

static int signals_first_of(int how)
{
  uint64_t mine = (uint64_t)getpid() << 8 | (uint64_t)how, seen = 0;
  if (atomic_compare_exchange_strong(&signals_dying, &seen, mine) || seen >> 8 != mine >> 8)
    return how;
  return (int)(seen & 0xff);
}

/* Sleeps until the process ends of what another thread claimed (bounded). */
static void signals_wait_for_death(void)
{
  for (int ms = 0; ms < SIGNALS_SECOND_WAIT_MS; ms += 10)
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
}

void as_signals_before_exit(void)
{
  uint64_t dying = atomic_load(&signals_dying);
  if (dying && dying >> 8 == (uint64_t)getpid() && !signals_exit_mine)
    signals_wait_for_death();
}

int as_signals_claim_exit(void)
{
  /* No handler runs on this thread from here: a signal sent after this _exit would come too
   * late untraced (a host's helper thread sending SIGTERM as main calls _exit(3) must see 3). */
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  if (signals_first_of(SIGNALS_EXITING) != SIGNALS_EXITING)
    return 0;
  signals_exit_mine = 1;
  return 1;
}

static void (*_Atomic signals_let_go)(void);

void as_signals_let_go_with(void (*let_go)(void)) { atomic_store(&signals_let_go, let_go); }

/* Every thread that meets a deadly signal waits (bounded) for the one line that records it,
 * then dies of it exactly as the default action would have it: a real fault by running the
 * instruction again, anything else raised again (never swallowed). A thread meeting another
 * signal than the first to reach a handler (two sent back to back, delivered to two threads)
 * lets the process die of that first one, which its line names, and dies of its own only if
 * that death has not come by then. Untraced, the first one sent kills at once: when two come
 * within a handler's start of each other, the one that reaches a handler first may be the
 * second sent. */
static void signals_handler(int sig, siginfo_t *info, void *context)
{
  int saved = errno;
  /* The waits sleep: a host's pthread_cancel must not end this thread instead of the process. */
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  void (*let_go)(void) = atomic_load(&signals_let_go);
  if (let_go)
    let_go(); /* e.g. met inside fork(): the collector needs what fork's handlers hold */
  int first = signals_first_of(sig);
  if (first == SIGNALS_EXITING)
    signals_wait_for_death(); /* another thread's _exit ends the process, as it would untraced */
  else
    as_collector_on_deadly_signal(first); /* the line names the signal the process dies of */
  if (first != sig && first != SIGNALS_EXITING)
    signals_wait_for_death();
  if (let_go)
    let_go(); /* again: what was taken meanwhile (a control socket bound during the line) */
  as_signals_die_by_default(sig, !signals_fault_recurs(sig, info, context));
  errno = saved;
}

static _Atomic int signals_installed;
/* What the kernel held for each deadly signal as ours took its place (the default, with the
 * flags and mask its setter gave it): what the host is shown while ours is there. */
static struct sigaction signals_replaced[NSIG];

static int signals_is_deadly(int sig)
{
  for (size_t i = 0; i < sizeof signals_deadly / sizeof signals_deadly[0]; i++)
    if (signals_deadly[i] == sig)
      return 1;
  return 0;
}

/* SIG_DFL as the kernel keeps it (an SA_SIGINFO action is a handler's, as the first spawn has
 * always judged it). */
static int signals_is_default(const struct sigaction *a)
{
  return !(a->sa_flags & SA_SIGINFO) && a->sa_handler == SIG_DFL;
}

/* Ours in place of SIG's disposition if that is the default. A handler another thread of the
 * host installed between the look and ours is put back: the host's last word stands. errno is
 * the caller's to keep. */
static void signals_take(signals_sigaction_fn real, int sig)
{
  struct sigaction was, ours, meanwhile;
  if (real(sig, NULL, &was) != 0 || !signals_is_default(&was))
    return;
  signals_replaced[sig] = was;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = signals_handler;
  ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  /* Another deadly signal meanwhile waits: the process dies of the first, as it would untraced
   * (nested, the second's handler raised its own last, and it died of that). */
  sigemptyset(&ours.sa_mask);
  for (size_t i = 0; i < sizeof signals_deadly / sizeof signals_deadly[0]; i++)
    sigaddset(&ours.sa_mask, signals_deadly[i]);
  if (real(sig, &ours, &meanwhile) == 0 && !signals_is_default(&meanwhile) &&
      !as_signals_is_ours(&meanwhile))
    real(sig, &meanwhile, NULL);
}

void as_signals_install(void)
{
  signals_sigaction_fn real = signals_real_sigaction();
  if (!real)
    return;
  int saved = errno;
  for (size_t i = 0; i < sizeof signals_deadly / sizeof signals_deadly[0]; i++)
    signals_take(real, signals_deadly[i]);
  atomic_store(&signals_installed, 1);
  errno = saved;
}

void as_signals_uninstall(void)
{
  signals_sigaction_fn real = signals_real_sigaction();
  if (!real)
    return;
  int saved = errno;
  atomic_store(&signals_installed, 0);
  for (size_t i = 0; i < sizeof signals_deadly / sizeof signals_deadly[0]; i++) {
    int sig = signals_deadly[i];
    struct sigaction now, meanwhile;
    if (real(sig, NULL, &now) != 0 || !as_signals_is_ours(&now))
      continue;
    /* What ours replaced, unless the host set a handler between the look and this. */
    if (real(sig, &signals_replaced[sig], &meanwhile) == 0 && !as_signals_is_ours(&meanwhile))
      real(sig, &meanwhile, NULL);
  }
  errno = saved;
}

void as_signals_defaulted(int sig)
{
  signals_sigaction_fn real = signals_real_sigaction();
  if (!real || !atomic_load(&signals_installed) || !signals_is_deadly(sig))
    return;
  int saved = errno;
  signals_take(real, sig);
  errno = saved;
}

int as_signals_set(int sig, const struct sigaction *act, struct sigaction *old)
{
  signals_sigaction_fn real = signals_real_sigaction();
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  int rc = real(sig, act, old);
  if (rc != 0)
    return rc;
  if (as_signals_is_ours(old))
    *old = signals_replaced[sig]; /* deadly, so within the array */
  if (act && signals_is_default(act))
    as_signals_defaulted(sig);
  return rc;
}

int as_signals_is_ours(const struct sigaction *old)
{
  return old && (old->sa_flags & SA_SIGINFO) && old->sa_sigaction == signals_handler;
}

int as_signals_handler_is_ours(void (*handler)(int))
{
  return (void *)handler == (void *)signals_handler;
}
