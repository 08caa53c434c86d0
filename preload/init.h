/* Initialisation: the constructor and the first hook to run (whichever comes first) read the
 * configuration; a bad configuration leaves every hook passing straight through. */
#ifndef AS_INIT_H
#define AS_INIT_H

#include "config.h"
#include "guard.h"

#include <stdatomic.h>

enum as_state {
  AS_STATE_UNINIT,
  AS_STATE_ENABLED,
  AS_STATE_DISABLED,
  AS_STATE_MISCONFIGURED, /* disabled; the error is said at the first spawn */
  /* Attached, its slots not all rewritten yet: hooks pass straight through until they all
   * count, so that a message is not counted into a mailbox whose taking is not (a busy actor
   * would show the messages of those milliseconds queued for ever). */
  AS_STATE_ATTACHING,
};

extern _Atomic int as__state __attribute__((visibility("hidden")));
int as__init_lazy(void);

/* Whether a hook should record: initialised, enabled, and not inside our own code. */
static inline int as_tracing_active(void)
{
  int state = atomic_load_explicit(&as__state, memory_order_acquire);
  /* Enabled first: the one case a message hook meets after the first. */
  if (__builtin_expect(state != AS_STATE_ENABLED, 0) &&
      (state != AS_STATE_UNINIT || as__init_lazy() != AS_STATE_ENABLED))
    return 0;
  return !as_guard_is_set();
}

const struct as_config *as_config_current(void);

/* For a spawn hook that found tracing inactive: reports a configuration error, once, in the
 * process that starts an actor. */
void as_init_spawn_untraced(void);

/* The host ends the process without exit's destructors (_exit, _Exit, quick_exit): the final
 * line asked of the collector (bounded), the control socket's file removed. Async-signal-safe;
 * nothing in a vfork child or a process that never traced. */
void as_init_before_quick_exit(void);

/* Runtime hooks register how to forget their handle maps in a fork child that keeps tracing. */
void as_init_on_fork_child(void (*reset)(void));

/* Attach mode (preload/attach.c): the library was dlopen()ed into a running process. Takes the
 * configuration from lookup instead of the environment and starts the collector at once;
 * hooks count from as_init_attach_complete on. Returns 0, -EPERM (secure execution), -EALREADY
 * (tracing already), -EINVAL (bad configuration, said in err), -EBUSY (see as_init_detach). */
int as_init_attach(as_config_lookup_fn lookup, struct as_error *err);
/* Every hooked slot leads to the library now: hooks count from here on. */
void as_init_attach_complete(void);
/* After detach: every hook passes straight through, and exit writes nothing more; a later
 * as_init_attach starts tracing again (-EBUSY while the last run's collector still writes). */
/* The detach's last line is written: an exit may go on (it waits for it meanwhile). */
void as_init_detach_written(void);
void as_init_detach(void);
/* Whether the control socket's "detach" ran and no attach since. */
int as_init_is_detached(void);

#endif
