/* The process's own life, whatever its runtime (hooks/process_symbols.h lists them): the
 * sigaction/signal family, so that a host installing or asking for a handler never meets ours
 * (preload/signals.c), the exit family, so that a thread ending the process never outruns a
 * deadly signal's death, and the exec family, so that the image exec replaces writes its final
 * snapshot first. */
#define _GNU_SOURCE
#include "collector.h"
#include "hook.h"
#include "init.h"
#include "signals.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

AS_HOOK_REAL_SLOT(signal);
AS_HOOK_REAL_SLOT(sysv_signal);
AS_HOOK_REAL_SLOT(__sysv_signal);
AS_HOOK_REAL_SLOT(bsd_signal);
AS_HOOK_REAL_SLOT(ssignal);
AS_HOOK_REAL_SLOT(sigset);
AS_HOOK_REAL_SLOT(execve);
AS_HOOK_REAL_SLOT(fexecve);
AS_HOOK_REAL_SLOT(execvpe);

AS_HOOK_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
  return as_signals_set(sig, act, old);
}

/* glibc's own name for it, exported too (and called by some programs). */
int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);
AS_HOOK_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
  return as_signals_set(sig, act, old);
}

typedef void (*process_handler)(int);

/* signal() and its variants each set a new disposition and return the old one: signal,
 * sysv_signal and __sysv_signal (what a strict ISO C program's signal() is compiled to), BSD's
 * bsd_signal, SVID's ssignal, and System V's sigset (whose SIG_HOLD only blocks the signal). */
__sighandler_t __sysv_signal(int sig, __sighandler_t handler);
#define PROCESS_SIGNAL_VARIANT(name)                                                               \
  AS_HOOK_EXPORT process_handler name(int sig, process_handler handler)                            \
  {                                                                                                \
    __typeof__(&name) real = AS_HOOK_REAL_TYPED(name);                                             \
    if (!real) {                                                                                   \
      errno = ENOSYS;                                                                              \
      return SIG_ERR;                                                                              \
    }                                                                                              \
    process_handler old = real(sig, handler);                                                      \
    if (handler == SIG_DFL && old != SIG_ERR)                                                      \
      as_signals_defaulted(sig);                                                                   \
    return as_signals_handler_is_ours(old) ? SIG_DFL : old;                                        \
  }

PROCESS_SIGNAL_VARIANT(signal)
PROCESS_SIGNAL_VARIANT(sysv_signal)
PROCESS_SIGNAL_VARIANT(__sysv_signal)
PROCESS_SIGNAL_VARIANT(bsd_signal)
PROCESS_SIGNAL_VARIANT(ssignal)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* a host may still call it */
PROCESS_SIGNAL_VARIANT(sigset)
#pragma GCC diagnostic pop

/* The exit family: a thread ending the process while another thread of it dies of a deadly
 * signal (its line still being written) waits for that death, as the signal would have ended
 * the process first untraced (a `prog | head` writer thread meeting SIGPIPE while main
 * returns). Then those that run no destructor have the final line written (init.c).
 * Otherwise one load and the real call. */
AS_HOOK_REAL_SLOT(exit);
AS_HOOK_REAL_SLOT(_exit);
AS_HOOK_REAL_SLOT(_Exit);
AS_HOOK_REAL_SLOT(quick_exit);

#define PROCESS_EXIT_VARIANT(name, writes)                                                         \
  AS_HOOK_EXPORT void name(int status)                                                             \
  {                                                                                                \
    as_signals_before_exit();                                                                      \
    if (writes) /* the last line: no destructor will */                                            \
      as_init_before_quick_exit();                                                                 \
    __typeof__(&name) real = AS_HOOK_REAL_TYPED(name);                                             \
    if (real)                                                                                      \
      real(status);                                                                                \
    syscall(SYS_exit_group, status); /* never without the real one */                              \
    __builtin_unreachable();                                                                       \
  }

PROCESS_EXIT_VARIANT(exit, 0) /* its destructors write the last line (init.c) */
PROCESS_EXIT_VARIANT(_exit, 1)
PROCESS_EXIT_VARIANT(_Exit, 1)
PROCESS_EXIT_VARIANT(quick_exit, 0) /* an at_quick_exit handler of init.c writes it */

/* Found at load, not at the first call: a forked worker's first call is often its exit, and a
 * look-up in every child faults in the dynamic linker's pages anew (~5 page faults a fork). */
__attribute__((constructor)) static void process_exits_resolve(void)
{
  (void)AS_HOOK_REAL(exit);
  (void)AS_HOOK_REAL(_exit);
  (void)AS_HOOK_REAL(_Exit);
  (void)AS_HOOK_REAL(quick_exit);
}

static void process_before_exec(void)
{
  if (as_tracing_active()) {
    AS_HOOK_KEEP_ERRNO();
    as_collector_before_exec();
  }
}

/* An exec that returns has failed: the image goes on and its end is still to be recorded. */
static int process_exec_failed(int rc)
{
  if (as_tracing_active()) {
    AS_HOOK_KEEP_ERRNO();
    as_collector_after_failed_exec();
  }
  return rc;
}

AS_HOOK_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
  __typeof__(&execve) real = AS_HOOK_REAL_TYPED(execve);
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  process_before_exec();
  return process_exec_failed(real(path, argv, envp));
}

AS_HOOK_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
  __typeof__(&fexecve) real = AS_HOOK_REAL_TYPED(fexecve);
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  process_before_exec();
  return process_exec_failed(real(fd, argv, envp));
}

AS_HOOK_EXPORT int execv(const char *path, char *const argv[])
{
  return execve(path, argv, environ);
}

AS_HOOK_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
  __typeof__(&execvpe) real = AS_HOOK_REAL_TYPED(execvpe);
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  process_before_exec();
  return process_exec_failed(real(file, argv, envp));
}

AS_HOOK_EXPORT int execvp(const char *file, char *const argv[])
{
  return execvpe(file, argv, environ);
}

/* The list forms: their arguments gathered on the stack, as glibc does. */
#define PROCESS_GATHER_ARGS(first, argv, ap)                                                       \
  size_t argc = 1;                                                                                 \
  va_start(ap, first);                                                                             \
  while (va_arg(ap, const char *))                                                                 \
    argc++;                                                                                        \
  va_end(ap);                                                                                      \
  char *argv[argc + 1];                                                                            \
  argv[0] = (char *)(first);                                                                       \
  va_start(ap, first);                                                                             \
  for (size_t i = 1; i <= argc; i++)                                                               \
    argv[i] = va_arg(ap, char *);

AS_HOOK_EXPORT int execl(const char *path, const char *arg, ...)
{
  va_list ap;
  PROCESS_GATHER_ARGS(arg, argv, ap)
  va_end(ap);
  return execve(path, argv, environ);
}

AS_HOOK_EXPORT int execlp(const char *file, const char *arg, ...)
{
  va_list ap;
  PROCESS_GATHER_ARGS(arg, argv, ap)
  va_end(ap);
  return execvpe(file, argv, environ);
}

AS_HOOK_EXPORT int execle(const char *path, const char *arg, ...)
{
  va_list ap;
  PROCESS_GATHER_ARGS(arg, argv, ap)
  char *const *envp = va_arg(ap, char *const *);
  va_end(ap);
  return execve(path, argv, envp);
}
