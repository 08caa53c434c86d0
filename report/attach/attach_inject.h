/* The injection: one thread of the target stopped for a few milliseconds, made to call
 * dlopen() and the library's attach entry on a scratch stack, then put back exactly as it was
 * (the interrupted call returns EINTR or restarts, as the thread's loop expects). x86-64. */
#ifndef ACTORSCOPE_ATTACH_INJECT_H
#define ACTORSCOPE_ATTACH_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct attach_inject {
  pid_t pid, tid;
  uint64_t dlopen_addr, dlsym_addr, dlerror_addr; /* in the target */
  const char *library;                            /* path as the target sees it */
  const char *config;                             /* actorscope_attach's argument */
  int attach_rc;                                  /* what actorscope_attach returned */
  unsigned stopped_ms;                            /* how long the thread was held */
};

/* Returns 0 (attach_rc says the entry's answer), or -1 with why filled; the thread is
 * always restored and released before returning, but for a remote call that never returned
 * (why says so). */
int attach_inject_run(struct attach_inject *in, char *why, size_t len);

#endif
