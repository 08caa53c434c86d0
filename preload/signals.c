#define _GNU_SOURCE
#include "signals.h"
#include "collector.h"
#include "resolve.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

typedef int (*signals_sigaction_fn)(int, const struct sigaction *, struct sigaction *);

/* Termination from outside (Ctrl-C, kill, a closed terminal) and crashes. */
static const int signals_deadly[] = {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGABRT,
                                     SIGBUS, SIGFPE, SIGILL};

static signals_sigaction_fn signals_real_sigaction(void)
{
  static signals_sigaction_fn real;
  if (!real)
    real = (signals_sigaction_fn)as_resolve_real("sigaction");
  return real;
}

void as_signals_die_by_default(int sig, int raise_again)
{
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  signals_sigaction_fn real = signals_real_sigaction();
  if (real)
    real(sig, &dfl, NULL);
  /* Inside its handler the signal is blocked: it is then delivered, with the default action,
   * as the handler returns — for a fault, before the faulting instruction runs again, so the
   * core dump shows the host's own state. */
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

int as_signals_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
  signals_sigaction_fn real = signals_real_sigaction();
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  return real(sig, act, old);
}

/* Every thread that meets a deadly signal waits (bounded) for the one line that records it,
 * then dies of it exactly as the default action would have it. Also a signal the process sent
 * itself dressed as a fault (si_code > 0) is raised again, never swallowed. */
static void signals_handler(int sig, siginfo_t *info, void *context)
{
  (void)info;
  (void)context;
  int saved = errno;
  as_collector_on_deadly_signal(sig);
  as_signals_die_by_default(sig, 1);
  errno = saved;
}

void as_signals_install(void)
{
  signals_sigaction_fn real = signals_real_sigaction();
  if (!real)
    return;
  int saved = errno;
  for (size_t i = 0; i < sizeof signals_deadly / sizeof signals_deadly[0]; i++) {
    int sig = signals_deadly[i];
    struct sigaction old, ours;
    if (real(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
      continue;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = signals_handler;
    ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&ours.sa_mask);
    real(sig, &ours, NULL);
  }
  errno = saved;
}

int as_signals_is_ours(const struct sigaction *old)
{
  return old && (old->sa_flags & SA_SIGINFO) && old->sa_sigaction == signals_handler;
}

int as_signals_handler_is_ours(void (*handler)(int))
{
  return (void *)handler == (void *)signals_handler;
}
