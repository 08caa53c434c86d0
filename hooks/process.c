/* The process's own life, whatever its runtime: the sigaction/signal family, so that a host
 * installing or querying a handler never meets ours (preload/signals.c), and the exec family,
 * so that the image exec replaces writes its final snapshot first (glibc's exec functions
 * call execve internally, not through the PLT, so each is interposed). */
#define _GNU_SOURCE
#include "collector.h"
#include "init.h"
#include "resolve.h"
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define PROCESS_EXPORT __attribute__((visibility("default")))
#define PROCESS_REAL(name) ((__typeof__(&name))process_real(#name))

static void *process_real(const char *symbol)
{
  int saved = errno;
  void *fn = as_resolve_real(symbol);
  errno = saved;
  return fn;
}

PROCESS_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
  __typeof__(&sigaction) real = PROCESS_REAL(sigaction);
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  if (act)
    as_signals_host_takes(sig);
  int rc = real(sig, act, old);
  if (rc == 0 && as_signals_is_ours(old)) {
    int saved = errno;
    memset(old, 0, sizeof *old);
    old->sa_handler = SIG_DFL;
    sigemptyset(&old->sa_mask);
    errno = saved;
  }
  return rc;
}

typedef void (*process_handler)(int);

/* signal() and its variants each set a new disposition and return the old one. */
#define PROCESS_SIGNAL_VARIANT(name)                                                             \
  PROCESS_EXPORT process_handler name(int sig, process_handler handler)                         \
  {                                                                                              \
    __typeof__(&name) real = PROCESS_REAL(name);                                                 \
    if (!real) {                                                                                 \
      errno = ENOSYS;                                                                            \
      return SIG_ERR;                                                                            \
    }                                                                                            \
    as_signals_host_takes(sig);                                                                  \
    process_handler old = real(sig, handler);                                                    \
    return as_signals_handler_is_ours(old) ? SIG_DFL : old;                                      \
  }

PROCESS_SIGNAL_VARIANT(signal)
PROCESS_SIGNAL_VARIANT(sysv_signal)
PROCESS_SIGNAL_VARIANT(bsd_signal)

static void process_before_exec(void)
{
  if (as_tracing_active()) {
    int saved = errno;
    as_collector_before_exec();
    errno = saved;
  }
}

PROCESS_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
  __typeof__(&execve) real = PROCESS_REAL(execve);
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  process_before_exec();
  return real(path, argv, envp);
}

PROCESS_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
  __typeof__(&fexecve) real = PROCESS_REAL(fexecve);
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  process_before_exec();
  return real(fd, argv, envp);
}

PROCESS_EXPORT int execv(const char *path, char *const argv[])
{
  return execve(path, argv, environ);
}

PROCESS_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
  __typeof__(&execvpe) real = PROCESS_REAL(execvpe);
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  process_before_exec();
  return real(file, argv, envp);
}

PROCESS_EXPORT int execvp(const char *file, char *const argv[])
{
  return execvpe(file, argv, environ);
}

/* The list forms: their arguments gathered on the stack, as glibc does. */
#define PROCESS_GATHER_ARGS(first, argv, ap)                                                     \
  size_t argc = 1;                                                                               \
  va_start(ap, first);                                                                           \
  while (va_arg(ap, const char *))                                                               \
    argc++;                                                                                      \
  va_end(ap);                                                                                    \
  char *argv[argc + 1];                                                                          \
  argv[0] = (char *)(first);                                                                     \
  va_start(ap, first);                                                                           \
  for (size_t i = 1; i <= argc; i++)                                                             \
    argv[i] = va_arg(ap, char *);

PROCESS_EXPORT int execl(const char *path, const char *arg, ...)
{
  va_list ap;
  PROCESS_GATHER_ARGS(arg, argv, ap)
  va_end(ap);
  return execve(path, argv, environ);
}

PROCESS_EXPORT int execlp(const char *file, const char *arg, ...)
{
  va_list ap;
  PROCESS_GATHER_ARGS(arg, argv, ap)
  va_end(ap);
  return execvpe(file, argv, environ);
}

PROCESS_EXPORT int execle(const char *path, const char *arg, ...)
{
  va_list ap;
  PROCESS_GATHER_ARGS(arg, argv, ap)
  char *const *envp = va_arg(ap, char *const *);
  va_end(ap);
  return execve(path, argv, envp);
}
