/* The kit every runtime's hook file is written with: one way to find the real function, export
 * a hook, keep the host's errno, and tell whether to record at all. A hook is
 *
 *   AS_HOOK_REAL_SLOT(zmq_close);
 *   AS_HOOK_EXPORT int zmq_close(void *s)
 *   {
 *     int (*real)(void *) = AS_HOOK_REAL(zmq_close);
 *     if (!real) { errno = ENOSYS; return -1; }      // never call a missing function
 *     if (as_tracing_active()) { AS_HOOK_KEEP_ERRNO(); ...registry calls... }
 *     return real(s);
 *   }
 *
 * and its name goes into preload/exports.map (a test checks the two agree). Records change
 * only through registry.h; a runtime's per-actor state lives in the record's private bytes
 * (as_spawn.private_bytes, as_actor_private). docs/hooks.md says why each hook point is where
 * it is. */
#ifndef AS_HOOK_H
#define AS_HOOK_H

#include "guard.h"
#include "init.h"
#include "resolve.h"
#include "testpause.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

/* Thread-local state of a hook: initial-exec, so reading it never calls into ld.so. */
#define AS_HOOK_TLS __thread __attribute__((tls_model("initial-exec")))
/* Hooks are the library's only exports (the rest is hidden, and preload/exports.map agrees). */
#define AS_HOOK_EXPORT __attribute__((visibility("default")))
/* Per-message helpers, folded into each hook: a call each would cost as much as they do. */
#define AS_HOOK_HOT inline __attribute__((always_inline))

/* ---- the real function ------------------------------------------------------------------- */

/* One slot per hooked symbol, filled at its first call (hooks may run before our constructor,
 * and a runtime loaded later with dlopen is found then). */
#define AS_HOOK_REAL_SLOT(name) static __attribute__((unused)) void *_Atomic as_real_##name

static inline void *as_hook_real(void *_Atomic *slot, const char *name)
{
  void *fn = atomic_load_explicit(slot, memory_order_relaxed);
  return __builtin_expect(fn != NULL, 1) ? fn : as_resolve_real_into(slot, name);
}

/* The real function as void *: NULL when nothing defines it (the hook must not call it). */
#define AS_HOOK_REAL(name) as_hook_real(&as_real_##name, #name)
/* The same, typed after the declaration in the runtime's header (C runtimes). */
#define AS_HOOK_REAL_TYPED(name) ((__typeof__(&name))AS_HOOK_REAL(name))

/* ---- errno ------------------------------------------------------------------------------- */

/* Where this thread's errno lives, found once (hooks/hook.c): a shared library reaches errno
 * through a call to __errno_location at every read and every write, and the spawn and stop
 * hooks keep it at every actor's birth and death. */
extern AS_HOOK_TLS int *as__hook_errno_at __attribute__((visibility("hidden")));
int *as__hook_errno_find(void);

struct as_hook_errno {
  int *at;
  int value;
};

static inline struct as_hook_errno as_hook_errno_save(void)
{
  int *at = as__hook_errno_at;
  if (__builtin_expect(at == NULL, 0))
    at = as__hook_errno_find();
  return (struct as_hook_errno){at, *at};
}

static inline void as_hook_errno_restore(const struct as_hook_errno *saved)
{
  *saved->at = saved->value;
}

/* Keeps the host's errno across the rest of the enclosing block (also when an exception
 * unwinds through it): for the slow paths that may allocate, intern or print. */
#define AS_HOOK_KEEP_ERRNO()                                                                       \
  __attribute__((cleanup(as_hook_errno_restore)))                                                  \
  const struct as_hook_errno as__hook_saved_errno = as_hook_errno_save()

/* ---- tests ------------------------------------------------------------------------------- */

/* A hook's thread held at a named point by a test program (testpause.h). */
static inline void as_hook_test_pause(const char *where) { as_test_pause(where); }

#endif
