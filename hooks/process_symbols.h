/* Every process-level function actorscope interposes, as X(name): the sigaction/signal family
 * (a host installing or asking for a handler never meets ours), the exit family (a thread
 * ending the process waits while another dies of a deadly signal) and the exec family (the image
 * exec replaces writes its final snapshot first; glibc's exec functions call execve
 * internally, not through the PLT, so each one is interposed). Why: docs/hooks.md. */
#define PROCESS_HOOKS(X)                                                                           \
  X(sigaction)                                                                                     \
  X(__sigaction)                                                                                   \
  X(signal)                                                                                        \
  X(sysv_signal)                                                                                   \
  X(__sysv_signal)                                                                                 \
  X(bsd_signal)                                                                                    \
  X(ssignal)                                                                                       \
  X(sigset)                                                                                        \
  X(exit)                                                                                          \
  X(_exit)                                                                                         \
  X(_Exit)                                                                                         \
  X(quick_exit)                                                                                    \
  X(execve)                                                                                        \
  X(fexecve)                                                                                       \
  X(execv)                                                                                         \
  X(execvp)                                                                                        \
  X(execvpe)                                                                                       \
  X(execl)                                                                                         \
  X(execlp)                                                                                        \
  X(execle)
