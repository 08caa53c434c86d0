#define _GNU_SOURCE
#include "init.h"
#include "collector.h"
#include "control.h"
#include "diag.h"
#include "elfsym.h"
#include "forklock.h"
#include "mailwait.h"
#include "registry.h"
#include "signals.h"
#include "testpause.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

_Atomic int as__state;

#define INIT_FORK_RESETS_MAX 8
#define INIT_DETACH_WAIT_MS 1000 /* as exit waits for a last line at most */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static struct as_config init_config;
static uint64_t init_start_ticks, init_start_wall;
static void (*init_fork_resets[INIT_FORK_RESETS_MAX])(void);
static _Atomic int init_fork_reset_count;
/* A configuration error, said only by a process that starts an actor: a shell, `timeout` or
 * any helper under a preloaded tree stays silent. */
static struct as_error init_config_error;
static _Atomic int init_config_error_said;
/* Whether the child of the fork in progress traces on (init_fork_child). */
static int init_fork_child_traces;

const struct as_config *as_config_current(void) { return &init_config; }

void as_init_on_fork_child(void (*reset)(void))
{
  int i = atomic_fetch_add(&init_fork_reset_count, 1);
  if (i < INIT_FORK_RESETS_MAX)
    init_fork_resets[i] = reset;
}

void as_init_spawn_untraced(void)
{
  if (atomic_load(&as__state) == AS_STATE_MISCONFIGURED && !as_guard_is_set() &&
      !atomic_exchange(&init_config_error_said, 1))
    as_diag_report("config_invalid", "%s; tracing is off", init_config_error.text);
}

static _Atomic int init_collector_started;
static _Atomic int init_atfork_registered;
/* Started from the environment (preloaded), not by actorscope_attach (which opens its own
 * control socket). */
static _Atomic int init_preloaded;

/* Detached (the control socket's "detach"): the collector has ended; a new attach may start
 * it again. */
static _Atomic int init_detached;

/* At the first spawn, or at attach (whichever is first). */
static void init_start_collector(void)
{
  if (atomic_exchange(&init_collector_started, 1))
    return;
  /* The control thread is started by the collector's (~0.1-1 ms of thread creation here,
   * measured on the host's thread inside its first spawn). */
  (void)as_collector_start(&init_config, init_start_ticks, init_start_wall,
                           atomic_load(&init_preloaded) ? as_control_start_preloaded : NULL);
  as_signals_install();
}

/* Set while this thread, inside fork(), holds the registry lock and the fork's short locks
 * (from its prepare handler to its parent or child one): a deadly signal met there lets them
 * go (init_fork_let_go), or the collector would wait for them and write no last line. */
static __thread volatile sig_atomic_t init_fork_holding __attribute__((tls_model("initial-exec")));

/* The registry lock is held only for copies, never across I/O: fork waits for no write. Then
 * the short locks a child's hooks and collector take (forklock.h), none left held in it. */
static void init_fork_prepare(void)
{
  int saved = errno;
  /* Decided here, where the parent's code is in memory: in the child each page of code or data
   * touched first costs a page fault (~20 us on a VM), and a forked worker pays them all. */
  init_fork_child_traces =
      !as_collector_is_writing() || (init_config.output.kind != AS_DEST_TCP &&
                                     as_dest_path_is_per_process(init_config.output.path));
  as_registry_lock_for_fork();
  init_fork_holding = 1;
  as_forklocks_prepare();
  as_test_pause("fork_prepared");
  errno = saved;
}

static void init_fork_let_go(void)
{
  if (!init_fork_holding)
    return;
  as_forklocks_parent(); /* each unmarked before it is unlocked: never unlocked twice */
  init_fork_holding = 0; /* before the unlock, for the same reason */
  as_registry_unlock_for_fork();
}

static void init_fork_parent(void)
{
  int saved = errno;
  init_fork_let_go();
  errno = saved;
}

/* What a deadly signal's handler lets go of first (as_signals_let_go_with): the fork's locks
 * when met inside fork() (the process dies of it there, and that fork() never returns in the
 * parent), and the control socket's file, which would otherwise stay in the user's directory
 * (a later process of the same pid removes it only then). */
static void init_let_go_at_death(void)
{
  init_fork_let_go();
  as_control_unlink_at_death();
}

/* The child has none of the parent's threads and never shares the parent's writer. A child of
 * a process that has not started writing (no actor yet: a daemon forking at start-up) traces
 * on under the same configuration, so a daemon is traced whatever the output; a child of a
 * writing process traces into a file or socket of its own when the path carries the pid, and
 * otherwise stops. */
static void init_fork_child_reset(void)
{
  init_fork_holding = 0;
  as_forklocks_child();
  as_elfsym_forget_after_fork();
  as_collector_reset_after_fork();
  as_control_forget_after_fork();
  as_registry_reset_after_fork();
  as_diag_reset_after_fork();
  if (!init_fork_child_traces) {
    atomic_store(&as__state, AS_STATE_DISABLED);
    return;
  }
  /* The child starts a collector of its own at its first spawn. */
  atomic_store(&init_collector_started, 0);
  int n = atomic_load(&init_fork_reset_count);
  for (int i = 0; i < n && i < INIT_FORK_RESETS_MAX; i++)
    init_fork_resets[i]();
  as_clock_init();
  init_start_ticks = as_clock_now();
  init_start_wall = as_clock_wall_ns();
}

/* fork's handlers keep the host's errno: what they call may set it (a close, an madvise), and
 * they run inside the host's fork(). */
static void init_fork_child(void)
{
  int saved = errno;
  init_fork_child_reset();
  errno = saved;
}

/* quick_exit's final line, after the host's own at_quick_exit handlers: registered at start
 * (the first registered runs last), so they run as untraced, signals unblocked. Registered at
 * attach, it runs before the handlers registered earlier. */
static void init_at_quick_exit(void) { as_init_before_quick_exit(); }

static const char *init_getenv(const char *name) { return getenv(name); }

static void init_run(void)
{
  /* Secure execution (setuid, file capabilities): the environment belongs to a user who may
   * not write where it points. Do nothing at all. */
  if (getauxval(AT_SECURE)) {
    atomic_store(&as__state, AS_STATE_DISABLED);
    return;
  }
  as_diag_remember_stderr();
  char cwd[PATH_MAX];
  if (as_config_parse(&init_config, init_getenv, getcwd(cwd, sizeof cwd), &init_config_error) < 0) {
    atomic_store(&as__state, AS_STATE_MISCONFIGURED);
    return;
  }
  as_clock_init();
  as_mailwait_configure(init_config.mailbox_wait_every);
  init_start_ticks = as_clock_now();
  init_start_wall = as_clock_wall_ns();
  as_registry_on_first_spawn(init_start_collector);
  if (!atomic_exchange(&init_atfork_registered, 1)) {
    as_signals_let_go_with(init_let_go_at_death);
    pthread_atfork(init_fork_prepare, init_fork_parent, init_fork_child);
    at_quick_exit(init_at_quick_exit);
  }
  atomic_store(&init_preloaded, 1);
  atomic_store(&as__state, AS_STATE_ENABLED);
}

int as_init_attach(as_config_lookup_fn lookup, struct as_error *err)
{
  as__init_lazy();
  if (getauxval(AT_SECURE)) {
    as_error_set(err, "the process runs with secure execution (setuid or file capabilities)");
    return -EPERM;
  }
  if (atomic_load(&init_collector_started) && !atomic_load(&init_detached)) {
    as_error_set(err, "this process is traced already");
    return -EALREADY;
  }
  struct as_config cfg;
  char cwd[PATH_MAX];
  if (as_config_parse(&cfg, lookup, getcwd(cwd, sizeof cwd), err) < 0)
    return -EINVAL;
  /* No hook is bound to the library yet (attach rewrites the slots afterwards): nothing reads
   * the configuration meanwhile. */
  init_config = cfg;
  as_clock_init();
  init_start_ticks = as_clock_now();
  init_start_wall = as_clock_wall_ns();
  as_registry_on_first_spawn(init_start_collector);
  if (!atomic_exchange(&init_atfork_registered, 1)) {
    as_signals_let_go_with(init_let_go_at_death);
    pthread_atfork(init_fork_prepare, init_fork_parent, init_fork_child);
    at_quick_exit(init_at_quick_exit);
  }
  atomic_store(&init_preloaded, 0); /* attach serves the control socket */
  atomic_store(&init_collector_started, 1);
  if (as_collector_start(&init_config, init_start_ticks, init_start_wall, NULL) < 0) {
    as_error_set(err, "the last snapshot of the previous attach is still being written; "
                      "try again in a moment");
    return -EBUSY;
  }
  atomic_store(&init_detached, 0);
  atomic_store(&as__state, AS_STATE_ATTACHING);
  as_signals_install();
  return 0;
}

void as_init_attach_complete(void)
{
  int attaching = AS_STATE_ATTACHING;
  atomic_compare_exchange_strong(&as__state, &attaching, AS_STATE_ENABLED);
}

/* Set from a detach's start until its last line is written (on the control thread): an exit
 * meanwhile waits for it, about a second at most, rather than cut the line or leave none. */
static _Atomic int init_detaching;

static void init_wait_for_detach(void)
{
  for (int waited = 0; waited < INIT_DETACH_WAIT_MS && atomic_load(&init_detaching); waited++) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL); /* exit() may run with any lock held: a flag and a sleep only */
  }
}

void as_init_detach_written(void) { atomic_store(&init_detaching, 0); }

void as_init_detach(void)
{
  atomic_store(&init_detaching, 1);
  atomic_store(&as__state, AS_STATE_DISABLED);
  atomic_store(&init_detached, 1);
  as_signals_uninstall(); /* the host sees its own dispositions again, ours gone */
  as_test_pause("detaching");
}

int as_init_is_detached(void) { return atomic_load(&init_detached); }

int as__init_lazy(void)
{
  /* The first hook to run may be here: getcwd, getenv and friends must not leak into the
   * host's errno. */
  int saved = errno;
  pthread_once(&init_once, init_run);
  errno = saved;
  return atomic_load(&as__state);
}

__attribute__((constructor)) static void init_constructor(void) { as__init_lazy(); }

/* The process's ending claimed for an exit (signals.h); 0 when a deadly signal came first
 * and the process did not die of it within the wait (it then ends as the caller goes on). No
 * cancellation from here: the waits sleep, and a host's pthread_cancel of a thread calling
 * _exit must not stop the exit (untraced it has no cancellation point). */
static int init_claim_exit(void)
{
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  if (!as_signals_claim_exit()) {
    as_signals_before_exit();
    return 0;
  }
  as_test_pause("exit_claimed");
  return 1;
}

void as_init_before_quick_exit(void)
{
  int state = atomic_load(&as__state);
  /* Not the writing process: a vfork child shares this memory (its thread's too) and must
   * leave every word of it alone; a fork child that traces nothing has nothing to write. */
  if ((state != AS_STATE_ENABLED && state != AS_STATE_ATTACHING) ||
      !atomic_load(&init_collector_started) || !as_collector_is_writing())
    return;
  if (!init_claim_exit())
    return;
  init_let_go_at_death(); /* an _exit from a handler that met fork(), too */
  as_collector_on_quick_exit();
  as_control_unlink_at_death(); /* again: a control thread that bound meanwhile */
}

/* Runs at exit: every record the hooks made so far goes into the final snapshot. */
__attribute__((destructor)) static void init_destructor(void)
{
  init_wait_for_detach();
  /* A process that never started an actor has nothing to write: it touches none of the
   * collector's code or data on its way out (each page a fault). */
  int state = atomic_load(&as__state);
  if ((state != AS_STATE_ENABLED && state != AS_STATE_ATTACHING) ||
      !atomic_load(&init_collector_started))
    return;
  as_guard_set();
  /* Another thread is dying of a deadly signal: the process ends of that signal, as it would
   * untraced, not with this exit's status. */
  int sig = as_collector_dying_of();
  if (sig)
    as_signals_die_of(sig);
  /* From here the ending is this exit's: a deadly signal meeting another thread while the last
   * line is written waits for it (untraced it would have come too late), and the line says so. */
  if (as_collector_is_writing())
    (void)init_claim_exit();
  as_collector_finish(AS_ENDED_BY_EXIT);
}
