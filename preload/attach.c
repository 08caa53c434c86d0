#define _GNU_SOURCE
#include "attach.h"
#include "collector.h"
#include "control.h"
#include "diag.h"
#include "got.h"
#include "guard.h"
#include "init.h"
#include "registry.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Atomic int as__attached;

#define ATTACH_ADOPTERS_MAX 4
#define ATTACH_FORGETTERS_MAX 4
/* How long a new attach waits for the previous attach thread to end (it ends right after
 * answering "detach"). */
#define ATTACH_JOIN_MS 2000
#define ATTACH_CONFIG_MAX 4096
#define ATTACH_THREADS_MAX 4096
/* Slots are checked at least this often, whatever the snapshot interval. */
#define ATTACH_SYNC_MS_MAX 100u
/* How long actorscope_attach waits for the attach thread's first pass. */
#define ATTACH_READY_MS 2000

static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;
static as_attach_adopt_fn attach_adopters[ATTACH_ADOPTERS_MAX];
static _Atomic int attach_adopter_count;
static void (*attach_forgetters[ATTACH_FORGETTERS_MAX])(void);
static _Atomic int attach_forgetter_count;
/* Whether this process was traced (attached or preloaded) and then detached: the next attach
 * forgets every record and runtime handle first (attach_forget). */
static int attach_detached;
/* Tracing reaches the hooks by symbol lookup (preloaded): no slot is rewritten. */
static int attach_preloaded;
static pthread_t attach_thread;
static sem_t attach_ready;
static _Atomic int attach_stop;
static _Atomic int attach_running;
static _Atomic size_t attach_adopted;
static struct as_got_stats attach_stats;
static pthread_mutex_t attach_stats_lock = PTHREAD_MUTEX_INITIALIZER;
/* The configuration text, kept for the lookup below (attach is serialised by attach_lock). */
static char attach_config[ATTACH_CONFIG_MAX];

void as_attach_on_adopt(as_attach_adopt_fn fn)
{
  int i = atomic_fetch_add(&attach_adopter_count, 1);
  if (i < ATTACH_ADOPTERS_MAX)
    attach_adopters[i] = fn;
}

void as_attach_on_forget(void (*fn)(void))
{
  int i = atomic_fetch_add(&attach_forgetter_count, 1);
  if (i < ATTACH_FORGETTERS_MAX)
    attach_forgetters[i] = fn;
}

/* "NAME=VALUE" lines: the value of the last line naming it, or NULL. */
static const char *attach_lookup(const char *name)
{
  static char value[1024];
  const char *found = NULL;
  size_t name_len = strlen(name), found_len = 0;
  for (const char *line = attach_config; *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    if (len > name_len && strncmp(line, name, name_len) == 0 && line[name_len] == '=') {
      found = line + name_len + 1;
      found_len = len - name_len - 1;
    }
    line += len + (end ? 1 : 0);
  }
  if (!found || found_len >= sizeof value)
    return NULL;
  memcpy(value, found, found_len);
  value[found_len] = '\0';
  return value;
}

static void attach_sync(void)
{
  if (attach_preloaded)
    return; /* the hooks are bound by symbol lookup already */
  struct as_got_stats stats;
  as_got_sync(&stats);
  pthread_mutex_lock(&attach_stats_lock);
  size_t rebound = attach_stats.rebound + stats.rebound;
  attach_stats = stats;
  attach_stats.rebound = rebound;
  pthread_mutex_unlock(&attach_stats_lock);
}

static void *attach_main(void *arg);

static void attach_adopt_running(void)
{
  struct as_thread_info *threads = calloc(ATTACH_THREADS_MAX, sizeof *threads);
  if (!threads)
    return;
  int n = as_threadlist_read(threads, ATTACH_THREADS_MAX, (uintptr_t)attach_main,
                             (uintptr_t)&attach_ready);
  if (n < 0)
    as_diag_report("attach_threads",
                   "cannot read glibc's thread list (%s): actors already "
                   "running are found only as they next send or receive",
                   strerror(-n));
  int adopters = atomic_load(&attach_adopter_count);
  for (int i = 0; n >= 0 && i < adopters && i < ATTACH_ADOPTERS_MAX; i++)
    attach_adopters[i](threads, (size_t)n);
  free(threads);
}

static unsigned attach_sync_ms(void)
{
  unsigned interval = as_config_current()->interval_ms;
  return interval && interval < ATTACH_SYNC_MS_MAX ? interval : ATTACH_SYNC_MS_MAX;
}

/* The actors already running are registered before the first slot is rewritten: from then
 * on, every message they receive finds them known. */
static void *attach_main(void *arg)
{
  as_guard_set();
  /* Not the borrowed thread's name it inherits (libzmq's ZMQbg/IO/0): ours, in top -H; set by
   * the thread itself (control.c says why). */
  pthread_setname_np(pthread_self(), "actorscope");
  attach_adopt_running();
  attach_sync();
  as_init_attach_complete();
  sem_post(&attach_ready);
  while (!atomic_load(&attach_stop)) {
    /* The control socket's wait is the pause between passes. */
    as_control_serve(attach_sync_ms());
    if (!atomic_load(&attach_stop))
      attach_sync();
  }
  return arg;
}

/* Whether this process reaches the hooks by symbol lookup already (the library preloaded): its
 * exported sigaction comes before libc's in the global scope. */
static int attach_is_preloaded(void)
{
  Dl_info info, own;
  void *found = dlsym(RTLD_DEFAULT, "sigaction");
  dlerror();
  return found && dladdr(found, &info) && dladdr((void *)attach_is_preloaded, &own) &&
         info.dli_fbase == own.dli_fbase;
}

/* The thread of the attach before a detach: it ends right after answering "detach". Returns
 * 0 once it has (or there was none), -EBUSY when it has not within ATTACH_JOIN_MS. */
static int attach_join_previous(void)
{
  if (!atomic_load(&attach_running))
    return 0;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += ATTACH_JOIN_MS / 1000;
  if (pthread_timedjoin_np(attach_thread, NULL, &deadline) != 0)
    return -EBUSY;
  atomic_store(&attach_running, 0);
  return 0;
}

static int attach_start_thread(void)
{
  atomic_store(&attach_stop, 0);
  sem_init(&attach_ready, 0, 0);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* the host's signals never land on our thread */
  /* Its start routine and argument are what glibc's thread list must read back for this
   * thread (threadlist.h): a distinctive argument. */
  int rc = pthread_create(&attach_thread, NULL, attach_main, &attach_ready);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0)
    return -rc;
  atomic_store(&attach_running, 1);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += ATTACH_READY_MS / 1000;
  while (sem_timedwait(&attach_ready, &deadline) != 0 && errno == EINTR)
    ;
  return 0;
}

/* A new attach after a detach: what the last one knew may be stale (actors ended, objects
 * freed and their addresses reused while nothing was hooked). Every record is unlisted and
 * every runtime forgets its handles; the actors still running are found again as at a first
 * attach. Hooks still holding an old record write to it harmlessly: it is never freed. */
static void attach_forget(void)
{
  as_registry_forget_all();
  as_diag_forget();
  int n = atomic_load(&attach_forgetter_count);
  for (int i = 0; i < n && i < ATTACH_FORGETTERS_MAX; i++)
    attach_forgetters[i]();
  atomic_store(&attach_adopted, 0);
  pthread_mutex_lock(&attach_stats_lock);
  memset(&attach_stats, 0, sizeof attach_stats);
  pthread_mutex_unlock(&attach_stats_lock);
}

static int attach_locked(const char *config)
{
  int preloaded = attach_is_preloaded();
  /* Traced now: attached and not detached, or preloaded and never detached. */
  if ((atomic_load(&as__attached) || preloaded) && !attach_detached)
    return 1;
  size_t len = config ? strlen(config) : 0;
  if (len >= sizeof attach_config) {
    as_diag_report("attach_config", "the attach configuration is longer than %d bytes",
                   ATTACH_CONFIG_MAX - 1);
    return -E2BIG;
  }
  int rc;
  if (!preloaded && (rc = as_got_prepare()) <= 0) {
    as_diag_report("attach_failed", "cannot read the library's own symbols; not attached");
    return rc < 0 ? rc : -ENOENT;
  }
  if ((rc = attach_join_previous()) < 0) {
    as_diag_report("attach_failed", "the previous attach is still ending; not attached");
    return rc;
  }
  memcpy(attach_config, config ? config : "", len + 1);
  if (attach_detached)
    attach_forget();
  attach_preloaded = preloaded;
  struct as_error err = {{0}};
  if ((rc = as_init_attach(attach_lookup, &err)) < 0) {
    if (rc == -EALREADY)
      return 1;
    as_diag_report("attach_failed", "%s; not attached", err.text);
    return rc;
  }
  attach_detached = 0;
  if ((rc = as_control_open()) < 0)
    as_diag_report("control_failed", "no control socket (%s): detach and ctl are unavailable",
                   strerror(-rc));
  /* Hooks meet actors they did not see spawn from the first rewritten slot on. */
  atomic_store(&as__attached, 1);
  if ((rc = attach_start_thread()) < 0) {
    as_diag_report("attach_thread",
                   "cannot start the attach thread (%s): actors already "
                   "running and objects loaded later are not traced",
                   strerror(-rc));
    attach_sync();
    as_init_attach_complete();
  }
  return 0;
}

int actorscope_attach(const char *config)
{
  int was_guarded = as_guard_is_set();
  as_guard_set();
  int saved = errno;
  pthread_mutex_lock(&attach_lock);
  int rc = attach_locked(config);
  pthread_mutex_unlock(&attach_lock);
  errno = saved;
  if (!was_guarded)
    as_guard_clear();
  return rc;
}

int as_attach_detach(void)
{
  pthread_mutex_lock(&attach_lock);
  if (!atomic_load(&as__attached) || attach_detached) {
    pthread_mutex_unlock(&attach_lock);
    return -ENOENT;
  }
  /* Called on the attach thread (control socket): it leaves its loop when this returns. */
  atomic_store(&attach_stop, 1);
  /* Hooks stop counting before the slots go back one by one (an enqueue still hooked while its
   * mailbox's taking is not would count messages nobody takes). */
  as_init_detach();
  size_t restored = attach_preloaded ? 0 : as_got_restore();
  as_collector_finish(AS_ENDED_BY_DETACH);
  as_init_detach_written();
  attach_detached = 1;
  pthread_mutex_unlock(&attach_lock);
  return (int)restored;
}

void as_attach_preloaded_detached(void)
{
  pthread_mutex_lock(&attach_lock);
  attach_detached = 1;
  pthread_mutex_unlock(&attach_lock);
}

void as_attach_note_adopted(size_t n) { atomic_fetch_add(&attach_adopted, n); }

void as_attach_status(struct as_attach_status *out)
{
  memset(out, 0, sizeof *out);
  out->attached = atomic_load(&as__attached) && !atomic_load(&attach_stop);
  pthread_mutex_lock(&attach_stats_lock);
  out->slots = attach_stats.slots;
  out->objects = attach_stats.objects;
  out->rebound = attach_stats.rebound;
  out->foreign = attach_stats.foreign;
  pthread_mutex_unlock(&attach_stats_lock);
  out->interval_ms = as_config_current()->interval_ms;
  out->adopted = atomic_load(&attach_adopted);
}
