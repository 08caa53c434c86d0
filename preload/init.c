#define _GNU_SOURCE
#include "init.h"
#include "collector.h"
#include "diag.h"
#include "registry.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

_Atomic int as__state;

#define INIT_FORK_RESETS_MAX 8

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static struct as_config init_config;
static uint64_t init_start_ticks, init_start_wall;
static void (*init_fork_resets[INIT_FORK_RESETS_MAX])(void);
static _Atomic int init_fork_reset_count;

const struct as_config *as_config_current(void) { return &init_config; }

void as_init_on_fork_child(void (*reset)(void))
{
  int i = atomic_fetch_add(&init_fork_reset_count, 1);
  if (i < INIT_FORK_RESETS_MAX)
    init_fork_resets[i] = reset;
}

static void init_start_collector(void)
{
  as_collector_start(&init_config, init_start_ticks, init_start_wall);
}

static void init_fork_prepare(void)
{
  as_collector_lock_for_fork();
  as_registry_lock_for_fork();
}

static void init_fork_parent(void)
{
  as_registry_unlock_for_fork();
  as_collector_unlock_for_fork();
}

/* The child has none of the parent's threads. It traces on into a file of its own only when
 * the file name carries the pid; otherwise it stops, so two processes never share one file. */
static void init_fork_child(void)
{
  as_collector_reset_after_fork();
  as_registry_reset_after_fork();
  int keep = init_config.output_kind == AS_OUTPUT_FILE &&
             as_config_path_is_per_process(init_config.output_path);
  if (!keep) {
    atomic_store(&as__state, AS_STATE_DISABLED);
    return;
  }
  int n = atomic_load(&init_fork_reset_count);
  for (int i = 0; i < n && i < INIT_FORK_RESETS_MAX; i++)
    init_fork_resets[i]();
  as_clock_init();
  init_start_ticks = as_clock_now();
  init_start_wall = as_clock_wall_ns();
}

static const char *init_getenv(const char *name) { return getenv(name); }

static void init_run(void)
{
  as_diag_remember_stderr();
  char cwd[PATH_MAX];
  struct as_error err = {""};
  if (as_config_parse(&init_config, init_getenv, getcwd(cwd, sizeof cwd), &err) < 0) {
    as_diag_report("config_invalid", "%s; tracing is off", err.text);
    atomic_store(&as__state, AS_STATE_DISABLED);
    return;
  }
  as_clock_init();
  init_start_ticks = as_clock_now();
  init_start_wall = as_clock_wall_ns();
  as_registry_on_first_spawn(init_start_collector);
  pthread_atfork(init_fork_prepare, init_fork_parent, init_fork_child);
  atomic_store(&as__state, AS_STATE_ENABLED);
}

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

/* Runs at exit: every record the hooks made so far goes into the final snapshot. */
__attribute__((destructor)) static void init_destructor(void)
{
  if (atomic_load(&as__state) != AS_STATE_ENABLED)
    return;
  as_guard_set();
  as_collector_finish();
}
