#define _GNU_SOURCE
#include "collector.h"
#include "testpause.h"
#include "forklock.h"
#include "clock.h"
#include "cmdline.h"
#include "diag.h"
#include "events.h"
#include "guard.h"
#include "registry.h"
#include "registry_view.h"
#include "sink.h"
#include "snapshot.h"
#include "stuck.h"
#include "waiting.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Serialises snapshot writing between the collector thread, exit, exec and a deadly signal.
 * fork() never takes it: a child forgets the collector's state instead, so the host's fork
 * never waits for a write in progress. */
static pthread_mutex_t collector_write_lock AS_FORK_TOUCHED = PTHREAD_MUTEX_INITIALIZER;
/* Wakes the collector: a semaphore, because a signal handler may post it. */
static sem_t collector_wake;
/* Posted by the thread as the last thing it does: its end, for collector_stop_thread. */
static sem_t collector_done;
static pthread_t collector_thread;
static _Atomic int collector_running;
/* The thread exists (cleared by itself as it ends): a collector stopped by detach whose join
 * timed out (a slow disk) may still be writing, and a new one must not start meanwhile. */
static _Atomic int collector_thread_live;
static _Atomic int collector_stopping;
static int collector_finished;
/* How the process ends, asked of the collector thread by another: a deadly signal's number,
 * or COLLECTOR_QUICK_EXIT (_exit and its kin: no destructor will write the last line). */
static _Atomic int collector_ending;
#define COLLECTOR_QUICK_EXIT (-1)
static _Atomic int collector_ending_written;
/* Set once a wait for the last line gave up: later callers (an at_quick_exit handler calling
 * _exit after quick_exit waited) do not wait a second again. */
static _Atomic int collector_last_wait_over;

static _Atomic long collector_pid;
/* Many actors stopped since the last line (as_registry_on_stops_backlog): one is due now. */
static _Atomic int collector_backlog_due;
/* The interval was changed (ctl): a line now, then the new pace. */
static _Atomic int collector_interval_set;

static struct as_config collector_config;
static struct as_sink *collector_sink;
static uint64_t collector_seq;
static uint64_t collector_start_ticks, collector_start_wall;
static struct as_registry_collection collector_views;
static struct as_waiting collector_waiting;
/* The actors inside a handler now, kept across lines like the waiting ones: a stuck handler's
 * actor stops changing. */
static struct as_waiting collector_handling;
/* When the last full snapshot (keyframe) was written; whether the next line must be one. */
static uint64_t collector_keyframe_at;
static int collector_keyframe_due = 1;
/* What the line before said, so a delta line can leave out what did not change. */
static struct as_registry_totals collector_said_totals;
static uint64_t collector_said_deadlocks;
static uint64_t collector_said_diagnostics;
/* A client that joined or missed a line waits for a keyframe: one comes at most this often
 * on their account, so a reader that keeps falling behind cannot make every line a keyframe. */
#define COLLECTOR_RESYNC_MS 1000u

static int collector_readers_need_keyframe(uint64_t now)
{
  if (as_sink_starts_new_file(collector_sink))
    return 1;
  return as_sink_wants_keyframe(collector_sink) &&
         now - collector_keyframe_at >= as_clock_ns_to_ticks(COLLECTOR_RESYNC_MS * 1000000ull);
}

/* One number for a set of cycles: equal sets, equal numbers (FNV-1a over the members). */
static uint64_t collector_cycles_signature(const struct as_waitgraph_cycles *cycles)
{
  uint64_t h = 1469598103934665603ull ^ cycles->cycle_count;
  for (size_t i = 0; i < cycles->member_count; i++)
    h = (h ^ cycles->members[i]) * 1099511628211ull;
  return h;
}
static struct as_snapshot_cost collector_last_cost;
static int collector_has_cost;

static char *collector_header_line(void)
{
  char program[PATH_MAX] = "";
  ssize_t n = readlink("/proc/self/exe", program, sizeof program - 1);
  program[n > 0 ? n : 0] = '\0';
  static char cmdline[16384];
  const char *argv[256];
  size_t argc = as_cmdline_read(cmdline, sizeof cmdline, argv, 256);
  struct as_header_info header = {.pid = (long)getpid(),
                                  .program = program,
                                  .argv = argv,
                                  .argc = argc,
                                  .started_wall_ns = collector_start_wall,
                                  .interval_ms = collector_config.interval_ms,
                                  .grave_ms = collector_config.grave_ms,
                                  .stack_depth = collector_config.stack_depth};
  return as_snapshot_encode_header(&header);
}

/* What went wrong so far, and how many actors are left untraced for lack of memory (said once
 * on stderr, counted in every line). */
static size_t collector_diagnostics(struct as_diag_entry diags[AS_DIAG_MAX + 2])
{
  uint64_t untraced = as_registry_untraced_count();
  if (untraced)
    as_diag_report("untraced_actors", "out of memory: some actors are not traced");
  size_t n = as_diag_copy(diags, AS_DIAG_MAX);
  if (untraced) {
    snprintf(diags[n].code, sizeof diags[n].code, "untraced_actors_count");
    snprintf(diags[n].text, sizeof diags[n].text,
             "%llu actors were left untraced for lack of memory", (unsigned long long)untraced);
    n++;
  }
  uint64_t lost, first_ns, last_ns;
  as_events_lost(&lost, &first_ns, &last_ns);
  if (lost) {
    snprintf(diags[n].code, sizeof diags[n].code, "events_dropped");
    snprintf(diags[n].text, sizeof diags[n].text,
             "%llu events were dropped because a thread's event ring was full, from %.3f s to "
             "%.3f s after start (ACTORSCOPE_EVENTS_RING)",
             (unsigned long long)lost, (double)first_ns / 1e9, (double)last_ns / 1e9);
    n++;
  }
  return n;
}

/* One number for the diagnostics' codes and texts: a count that grows changes it. */
static uint64_t collector_diagnostics_signature(const struct as_diag_entry *diags, size_t n)
{
  uint64_t h = 1469598103934665603ull ^ n;
  for (size_t i = 0; i < n; i++) {
    for (const char *p = diags[i].code; *p; p++)
      h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (const char *p = diags[i].text; *p; p++)
      h = (h ^ (unsigned char)*p) * 1099511628211ull;
  }
  return h;
}

/* How long exit, exec or a deadly signal waits for the collector: a write in progress may
 * finish, but the host never hangs on it. */
#define COLLECTOR_LAST_WAIT_MS 1000u

/* A snapshot line is encoded into a buffer of this size and written whenever it fills. */
#define COLLECTOR_CHUNK_BYTES (1u << 20)
/* The writer's buffer, kept from line to line: malloc'd and freed at every line, glibc handed
 * back its pages and each line faulted them in again (~10 µs a page on VMs with paravirtualised
 * page tables: 370 faults in a 100k-actor storm). Pages are touched only as far as lines reach. */
static char *collector_chunk;
static size_t collector_chunk_bytes = COLLECTOR_CHUNK_BYTES;

/* Where an encoder's chunks go, and what writing them cost. */
struct collector_output {
  struct as_sink *sink;
  struct as_error err;
  int failed;
  uint64_t write_ticks;
};

static int collector_output_part(void *context, const char *text, size_t len)
{
  struct collector_output *out = context;
  uint64_t start = as_clock_now();
  int rc = as_sink_write_part(out->sink, text, len, &out->err);
  out->write_ticks += as_clock_now() - start;
  out->failed |= rc < 0;
  return rc < 0 ? -1 : 0;
}

static int collector_output_end(struct collector_output *out)
{
  uint64_t start = as_clock_now();
  int rc = as_sink_end_line(out->sink, &out->err);
  out->write_ticks += as_clock_now() - start;
  out->failed |= rc < 0;
  return rc;
}

/* The copies of a keyframe take some 300 bytes an actor and are needed only while its line is
 * written. What the live actors' next keyframe needs again is kept: given back and taken anew,
 * 100k actors' copies (30 MB) would be faulted in afresh at every keyframe, some 7,300 page
 * faults (18-20 µs each on a VM: more than the keyframe's own work). So is what a storm of
 * short-lived actors takes at every line (a line comes once AS_REGISTRY_STOPS_BACKLOG stopped:
 * twice that, as the array doubles, 3 MB): grown, copied and faulted in again line after line, it
 * cost the collector more per ended actor than writing it. What more a line took (a burst of
 * actors that ended between two lines of a slow interval) is given back. */
#define COLLECTOR_VIEWS_KEPT (2 * AS_REGISTRY_STOPS_BACKLOG + 1024u)

static void collector_release_views(void)
{
  size_t keep = COLLECTOR_VIEWS_KEPT + 2 * (size_t)collector_views.totals.alive;
  if (collector_views.capacity > keep)
    as_registry_collection_free(&collector_views);
  as_snapshot_trim(keep);
}

/* A line lists every actor (a keyframe) at start, every ACTORSCOPE_KEYFRAME_S seconds, at the
 * end, and after a time nobody read; in between, only the actors that changed. */
static int collector_wants_keyframe(int final, uint64_t now)
{
  unsigned every = collector_config.keyframe_s;
  return final || collector_keyframe_due || every == 0 ||
         now - collector_keyframe_at >= as_clock_ns_to_ticks((uint64_t)every * 1000000000u);
}

static int collector_in_handler(const struct as_actor_view *view)
{
  return view->handling_type != AS_TYPE_NONE;
}

/* Stacks of handlers running past ACTORSCOPE_STUCK_MS; none looked for in a process that is
 * ending, but the runs already stuck are settled (the last line says how long they ran). */
static void collector_stuck_scan(int final, uint64_t now)
{
  if (collector_config.stuck_ms == 0)
    return;
  uint64_t threshold = as_clock_ns_to_ticks((uint64_t)collector_config.stuck_ms * 1000000u);
  as_stuck_scan(&collector_handling, &collector_views, now, threshold ? threshold : 1, !final);
}

/* Whether this process image has opened its output (or failed to): the collector thread opens
 * it as it starts, off the host thread that spawned the first actor; whoever writes first
 * (exit, exec, a deadly signal) opens it if the thread has not yet. Under the write lock. */
static int collector_sink_tried;
static int collector_open_sink(void);

static void collector_ensure_sink_locked(void)
{
  /* Nothing to open in a process that never started the collector (no actor yet). */
  if (collector_sink_tried || atomic_load(&collector_pid) != (long)getpid())
    return;
  collector_sink_tried = 1;
  collector_open_sink();
}

static void collector_write_locked(int final, const char *ended_by, const char *signal_name)
{
  collector_ensure_sink_locked();
  as_clock_calibrate();
  uint64_t now = as_clock_now();
  uint64_t grave = as_clock_ns_to_ticks((uint64_t)collector_config.grave_ms * 1000000u);
  int readers = collector_sink && as_sink_has_readers(collector_sink);
  int keyframe =
      readers && (collector_readers_need_keyframe(now) || collector_wants_keyframe(final, now));
  /* Still collected when nobody reads: reaping keeps memory bounded. */
  collector_views.final = final;
  if (keyframe)
    as_registry_collect(&collector_views, now, grave);
  else
    as_registry_collect_changes(&collector_views, now, grave);
  /* Outside the registry's lock: the runtime's count is read from its own objects. */
  as_registry_runtime_running(&collector_views.totals);
  if (as_waiting_update(&collector_waiting, &collector_views, keyframe) < 0)
    collector_keyframe_due = 1;
  if (as_waiting_update_where(&collector_handling, &collector_views, keyframe,
                              collector_in_handler) < 0)
    collector_keyframe_due = 1;
  if (!readers) {
    collector_keyframe_due = 1;
    collector_release_views();
    return;
  }

  collector_stuck_scan(final, now);
  struct as_waitgraph_cycles cycles;
  as_waiting_find_deadlocks(&collector_waiting, &cycles);
  uint64_t collected = as_clock_now();
  struct as_diag_entry diags[AS_DIAG_MAX + 2];
  size_t diag_count = collector_diagnostics(diags);
  uint64_t wall = as_clock_wall_ns();
  uint64_t deadlocks = collector_cycles_signature(&cycles);
  struct as_snapshot_info info = {
      .seq = collector_seq++,
      .wall_ns = wall,
      .uptime_ns =
          now > collector_start_ticks ? as_clock_ticks_to_ns(now - collector_start_ticks) : 0,
      .start_ticks = collector_start_ticks,
      .now_ticks = now,
      .final = final,
      .ended_by = ended_by,
      .signal_name = signal_name,
      .delta = !keyframe,
      .totals_changed = memcmp(&collector_said_totals, &collector_views.totals,
                               sizeof collector_said_totals) != 0,
      .deadlocks_changed = deadlocks != collector_said_deadlocks,
      .diagnostics_changed =
          collector_diagnostics_signature(diags, diag_count) != collector_said_diagnostics,
      .waiting = collector_waiting.views,
      .waiting_count = collector_waiting.count,
      .diagnostics = diags,
      .diagnostic_count = diag_count,
      .last_cost = collector_has_cost ? &collector_last_cost : NULL};
  as_sink_next_line_is_keyframe(collector_sink, keyframe);
  struct collector_output out = {collector_sink, {""}, 0, 0};
  struct as_jsonw w;
  as_jsonw_init_streaming_into(&w, collector_chunk, collector_chunk_bytes, collector_output_part,
                               &out);
  int rc = as_snapshot_write(&w, &collector_views, &cycles, &info);
  collector_chunk = w.buf;
  collector_chunk_bytes = w.cap;
  if (collector_chunk_bytes > COLLECTOR_CHUNK_BYTES) {
    /* Grown for one piece larger than the buffer (a 40 MB CZMQ endpoint): not kept, or the
     * process would hold that much more for the rest of its life. */
    free(collector_chunk);
    collector_chunk = NULL;
    collector_chunk_bytes = COLLECTOR_CHUNK_BYTES;
  }
  as_waitgraph_cycles_free(&cycles);
  if (rc == 0)
    rc = collector_output_end(&out);
  else if (!out.failed)
    as_error_set(&out.err, "out of memory while encoding a snapshot");
  if (rc == 0) {
    collector_said_totals = collector_views.totals;
    collector_said_deadlocks = deadlocks;
    collector_said_diagnostics = collector_diagnostics_signature(diags, diag_count);
    if (collector_config.output.kind != AS_DEST_TCP)
      as_events_output_is(as_sink_describe(collector_sink)); /* NAME.events goes beside it */
  }
  if (rc == 0 && keyframe) {
    collector_keyframe_at = now;
    collector_keyframe_due = 0;
  }
  if (rc < 0) {
    as_diag_report("output_failed", "%s; no more snapshots are written", out.err.text);
    as_sink_close(collector_sink);
    collector_sink = NULL;
  }
  uint64_t done = as_clock_now();
  uint64_t encode_and_write = done - collected;
  uint64_t write = out.write_ticks < encode_and_write ? out.write_ticks : encode_and_write;
  collector_last_cost = (struct as_snapshot_cost){as_clock_ticks_to_ns(collected - now),
                                                  as_clock_ticks_to_ns(encode_and_write - write),
                                                  as_clock_ticks_to_ns(write), w.flushed};
  collector_has_cost = 1;
  collector_release_views();
  if (rc == AS_SINK_LINE_WITHHELD) {
    /* The delta line would have taken the file past its size: the file is moved aside and
     * the new one begins with a keyframe of this moment, under the same seq. */
    collector_seq--;
    collector_keyframe_due = 1;
    collector_write_locked(final, ended_by, signal_name);
  }
}

static void collector_write_now(int final)
{
  pthread_mutex_lock(&collector_write_lock);
  collector_write_locked(final, NULL, NULL);
  pthread_mutex_unlock(&collector_write_lock);
}

/* The last line of this process image; later calls write nothing. Under the write lock. */
static void collector_write_last_locked(const char *ended_by, const char *signal_name)
{
  collector_ensure_sink_locked();
  if (collector_finished || !collector_sink)
    return;
  collector_finished = 1;
  collector_write_locked(1, ended_by, signal_name);
}

/* as_collector_start's ON_THREAD, for the thread it starts. */
static void (*collector_on_thread)(void);

/* The first snapshot comes soon after the first spawn, so a program that crashes early (or a
 * run that is stopped at once) still leaves the state it reached. */
#define COLLECTOR_FIRST_SNAPSHOT_MS 10u

static const char *collector_signal_name(int sig, char out[16])
{
  const char *abbrev = sigabbrev_np(sig);
  if (abbrev)
    snprintf(out, 16, "SIG%s", abbrev);
  else
    snprintf(out, 16, "signal %d", sig);
  return out;
}

static void *collector_main(void *arg)
{
  (void)arg;
  as_guard_set();
  as_test_pause("collector_started");
  if (collector_on_thread)
    collector_on_thread();
  pthread_mutex_lock(&collector_write_lock);
  collector_ensure_sink_locked();
  pthread_mutex_unlock(&collector_write_lock);
  unsigned wait_ms = collector_config.interval_ms < COLLECTOR_FIRST_SNAPSHOT_MS
                         ? collector_config.interval_ms
                         : COLLECTOR_FIRST_SNAPSHOT_MS;
  while (!atomic_load(&collector_stopping)) {
    struct timespec deadline;
    as_clock_deadline_after_ms(&deadline, wait_ms);
    int woken;
    while ((woken = sem_clockwait(&collector_wake, CLOCK_MONOTONIC, &deadline)) < 0 &&
           errno == EINTR)
      ;
    /* Read after the wait: a new interval (ctl) paces the next one, not the one after. */
    wait_ms = __atomic_load_n(&collector_config.interval_ms, __ATOMIC_RELAXED);
    int ending = atomic_load(&collector_ending);
    if (ending) {
      char name[16];
      as_events_flush(); /* what the rings hold, before the process dies */
      pthread_mutex_lock(&collector_write_lock);
      if (ending == COLLECTOR_QUICK_EXIT)
        collector_write_last_locked(AS_ENDED_BY_EXIT, NULL);
      else
        collector_write_last_locked(AS_ENDED_BY_SIGNAL, collector_signal_name(ending, name));
      if (collector_sink)
        as_sink_flush(collector_sink, COLLECTOR_LAST_WAIT_MS);
      pthread_mutex_unlock(&collector_write_lock);
      atomic_store(&collector_ending_written, 1);
      break;
    }
    if (atomic_load(&collector_stopping))
      break;
    /* The interval passed, it was changed, or many actors stopped since the last line. */
    int interval_set = atomic_exchange(&collector_interval_set, 0);
    if (woken < 0 || atomic_exchange(&collector_backlog_due, 0) || interval_set)
      collector_write_now(0);
  }
  atomic_store(&collector_thread_live, 0);
  sem_post(&collector_done);
  return NULL;
}

static int collector_open_sink(void)
{
  struct as_error err = {""};
  if (as_sink_open(&collector_sink, &collector_config, (long)getpid(), &err) < 0) {
    as_diag_report("output_failed", "%s; snapshots are not written", err.text);
    collector_sink = NULL;
    return -1;
  }
  if (collector_config.output.kind == AS_DEST_TCP && collector_config.output.port == 0)
    as_diag_report("output_port", "streaming snapshots on %s", as_sink_describe(collector_sink));
  char *header = collector_header_line();
  if (!header || as_sink_set_header(collector_sink, header) < 0) {
    as_diag_report("output_failed", "out of memory; snapshots are not written");
    as_sink_close(collector_sink);
    collector_sink = NULL;
  }
  free(header);
  /* NAME.events beside the snapshots from the start: a run shorter than one snapshot interval
   * ends (as_events_finish) before its first line would have said where. Recording events,
   * the file is created now, so that its name (NAME-2.jsonl when NAME.jsonl or NAME.events is
   * taken) is the one the events file takes. */
  if (collector_sink && collector_config.output.kind != AS_DEST_TCP) {
    if (collector_config.events)
      as_sink_create_file(collector_sink);
    as_events_output_is(as_sink_describe(collector_sink));
  }
  return collector_sink ? 0 : -1;
}

/* What one run of the collector (a process image, or one attach) said and saw, forgotten: the
 * next run starts a file of its own from seq 0 with a keyframe. The caller holds the write
 * lock, or is a fork child. */
static void collector_forget_run(void)
{
  collector_sink = NULL;
  collector_sink_tried = 0;
  atomic_store(&collector_running, 0);
  atomic_store(&collector_stopping, 0);
  atomic_store(&collector_ending, 0);
  atomic_store(&collector_ending_written, 0);
  atomic_store(&collector_last_wait_over, 0);
  atomic_store(&collector_pid, 0);
  collector_finished = 0;
  collector_seq = 0;
  collector_has_cost = 0;
  collector_keyframe_due = 1;
  collector_keyframe_at = 0;
  memset(&collector_said_totals, 0, sizeof collector_said_totals);
  collector_said_deadlocks = collector_said_diagnostics = 0;
}

/* On a host thread, from its hook: no lock, no allocation; sem_post is async-signal-safe. */
static void collector_on_stops_backlog(void)
{
  if (atomic_load_explicit(&collector_running, memory_order_relaxed) &&
      !atomic_exchange(&collector_backlog_due, 1))
    sem_post(&collector_wake);
}

int as_collector_start(const struct as_config *cfg, uint64_t start_ticks, uint64_t start_wall_ns,
                       void (*on_thread)(void))
{
  if (atomic_load(&collector_thread_live))
    return -EBUSY;
  int was_guarded = as_guard_is_set();
  as_guard_set();
  pthread_mutex_lock(&collector_write_lock);
  /* After a run ended by detach: its sink is closed (unless its last write was given up on),
   * and the views it kept name records the registry no longer lists. */
  if (collector_sink)
    as_sink_close(collector_sink);
  collector_forget_run();
  as_sink_clear_exit_deadline(); /* the last run's end set one */
  as_registry_collection_free(&collector_views);
  collector_waiting.count = 0;
  collector_handling.count = 0;
  collector_config = *cfg;
  collector_on_thread = on_thread;
  collector_start_ticks = start_ticks;
  collector_start_wall = start_wall_ns;
  /* The output file (its creation, the header's reads of /proc) waits for the thread. */
  as_registry_compact_ended(cfg->output.kind == AS_DEST_FILE);
  as_events_start(cfg, start_ticks, start_wall_ns, (long)getpid());

  sem_init(&collector_wake, 0, 0);
  sem_init(&collector_done, 0, 0);
  atomic_store(&collector_pid, (long)getpid());
  atomic_store(&collector_backlog_due, 0);
  as_registry_on_stops_backlog(collector_on_stops_backlog);

  /* Blocked signals are inherited: the host's signals never land on our thread. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  atomic_store(&collector_thread_live, 1);
  atomic_store(&collector_running,
               pthread_create(&collector_thread, NULL, collector_main, NULL) == 0);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!atomic_load(&collector_running)) {
    atomic_store(&collector_thread_live, 0);
    as_diag_report("collector_failed", "cannot start the collector thread; only the final "
                                       "snapshot is written");
    collector_ensure_sink_locked();
  }
  pthread_mutex_unlock(&collector_write_lock);
  if (!was_guarded)
    as_guard_clear();
  return 0;
}

/* Stops the thread, waiting at most COLLECTOR_LAST_WAIT_MS; returns whether it stopped (or
 * never ran). */
static int collector_stop_thread(void)
{
  atomic_store(&collector_stopping, 1);
  if (!atomic_exchange(&collector_running, 0))
    return 1;
  sem_post(&collector_wake);
  /* Its end is its own word, not its join: a thread's exit gives its stack back and leaves the
   * memory map, each waiting for the kernel's lock on the map, which a program whose threads
   * allocate may hold for long (helper-58 saw exits fail to join within the second). */
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += COLLECTOR_LAST_WAIT_MS / 1000u;
  int done;
  while ((done = sem_clockwait(&collector_done, CLOCK_MONOTONIC, &deadline)) < 0 && errno == EINTR)
    ;
  pthread_detach(collector_thread);
  return done == 0;
}

void as_collector_finish(const char *ended_by)
{
  /* Half of the second exit may take for the line being written, if one is, and half for
   * the final line: a slow client cannot leave the fast ones without the end of the run. */
  as_sink_set_exit_deadline(COLLECTOR_LAST_WAIT_MS / 2);
  /* A thread not ended after a second: writing (a slow disk), it holds the lock, and the line in
   * progress is the last. Held up elsewhere, it holds none (the kernel keeps it waiting: a
   * thread's creation, a page, while the program's threads hold the memory map's lock), and
   * the final line is written here as if it had ended: when it goes on, it finds the
   * collector stopping and the sink closed. */
  if (collector_stop_thread())
    pthread_mutex_lock(&collector_write_lock);
  else if (pthread_mutex_trylock(&collector_write_lock) != 0) {
    as_events_finish();
    as_diag_report("output_slow", "the last snapshot took too long; the final one is not written");
    return;
  }
  /* The events file is named after the output, which a run shorter than the collector's start
   * may not have opened yet; then the events, before the final line that says how many were
   * dropped. */
  collector_ensure_sink_locked();
  as_events_finish();
  as_sink_renew_exit_deadline(COLLECTOR_LAST_WAIT_MS / 2);
  collector_write_last_locked(ended_by, NULL);
  if (collector_sink) {
    as_sink_flush(collector_sink, COLLECTOR_LAST_WAIT_MS / 2);
    as_sink_close(collector_sink);
    collector_sink = NULL;
  }
  pthread_mutex_unlock(&collector_write_lock);
}

void as_collector_set_interval(unsigned interval_ms)
{
  pthread_mutex_lock(&collector_write_lock);
  __atomic_store_n(&collector_config.interval_ms, interval_ms, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&collector_write_lock);
  atomic_store(&collector_interval_set, 1);
  sem_post(&collector_wake); /* a snapshot now, then the new pace */
}

void as_collector_set_stuck_ms(unsigned stuck_ms)
{
  pthread_mutex_lock(&collector_write_lock);
  collector_config.stuck_ms = stuck_ms;
  pthread_mutex_unlock(&collector_write_lock);
}

int as_collector_output(char *out, size_t len, unsigned wait_ms)
{
  struct timespec deadline, now;
  clock_gettime(CLOCK_REALTIME, &deadline);
  uint64_t ns = (uint64_t)deadline.tv_nsec + (uint64_t)wait_ms * 1000000u;
  deadline.tv_sec += (time_t)(ns / 1000000000u);
  deadline.tv_nsec = (long)(ns % 1000000000u);
  for (;;) {
    if (pthread_mutex_timedlock(&collector_write_lock, &deadline) != 0)
      return -ETIMEDOUT;
    clock_gettime(CLOCK_REALTIME, &now);
    int late = now.tv_sec > deadline.tv_sec ||
               (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
    /* A file is named at its first line (the next free name when the first is taken). */
    int named = collector_config.output.kind != AS_DEST_FILE || collector_seq > 0;
    int rc = -EAGAIN;
    if (collector_sink && (named || late)) {
      snprintf(out, len, "%s", as_sink_describe(collector_sink));
      rc = 0;
    } else if (!collector_sink && (collector_sink_tried || late)) {
      rc = -ENOENT;
    }
    pthread_mutex_unlock(&collector_write_lock);
    if (rc != -EAGAIN)
      return rc;
    struct timespec step = {0, 5 * 1000000L};
    nanosleep(&step, NULL);
  }
}

int as_collector_is_writing(void) { return atomic_load(&collector_pid) == (long)getpid(); }

void as_collector_before_exec(void)
{
  if (!as_collector_is_writing())
    return; /* not started, or a vfork child sharing the parent's memory */
  /* exec may fail and the program go on: the thread keeps running, only the line is final. */
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += COLLECTOR_LAST_WAIT_MS / 1000u;
  as_events_flush(); /* the new image will not drain this one's rings */
  if (pthread_mutex_timedlock(&collector_write_lock, &deadline) != 0)
    return;
  collector_write_last_locked(AS_ENDED_BY_EXEC, NULL);
  if (collector_sink)
    as_sink_flush(collector_sink, COLLECTOR_LAST_WAIT_MS);
  pthread_mutex_unlock(&collector_write_lock);
}

/* Only async-signal-safe calls: polls the flag, sleeping a millisecond at a time. */
static void collector_wait_ending_written(void)
{
  struct timespec step = {0, 1000000};
  unsigned waited = 0;
  for (; waited < COLLECTOR_LAST_WAIT_MS && !atomic_load(&collector_ending_written) &&
         !atomic_load(&collector_last_wait_over);
       waited++)
    nanosleep(&step, NULL);
  /* Said once, by the first thread to give up: a final line cut short or missing is never
   * silent (a disk stalled over a second while the collector created the file: it_czmq_fork). */
  if (waited == COLLECTOR_LAST_WAIT_MS && !atomic_exchange(&collector_last_wait_over, 1) &&
      !atomic_load(&collector_ending_written))
    as_diag_say_at_end("the last snapshot was not written within a second; the process ends "
                       "without it (output_slow)");
}

/* Has the collector thread write the last line for HOW (a deadly signal, or
 * COLLECTOR_QUICK_EXIT), waiting at most about a second; async-signal-safe. */
static void collector_ask_last_line(int how)
{
  if (!as_collector_is_writing() || !atomic_load(&collector_running) ||
      pthread_equal(pthread_self(), collector_thread))
    return;
  int expected = 0;
  /* The first end is the one recorded; a thread meeting another (two threads crashing at
   * once) waits for that line too rather than end the process before it is written. */
  if (atomic_compare_exchange_strong(&collector_ending, &expected, how)) {
    as_sink_set_exit_deadline(COLLECTOR_LAST_WAIT_MS); /* an atomic store */
    sem_post(&collector_wake);
  }
  collector_wait_ending_written();
}

void as_collector_on_deadly_signal(int sig) { collector_ask_last_line(sig); }

void as_collector_on_quick_exit(void) { collector_ask_last_line(COLLECTOR_QUICK_EXIT); }

int as_collector_dying_of(void)
{
  int ending = atomic_load(&collector_ending);
  if (ending && as_collector_is_writing())
    collector_wait_ending_written();
  return ending > 0 ? ending : 0;
}

void as_collector_after_failed_exec(void)
{
  if (!as_collector_is_writing())
    return;
  pthread_mutex_lock(&collector_write_lock);
  collector_finished = 0; /* the program goes on: its end is still to be written */
  pthread_mutex_unlock(&collector_write_lock);
}

void as_collector_reset_after_fork(void)
{
  pthread_mutex_init(&collector_write_lock, NULL);
  /* The parent's sink: its descriptors closed, nothing on disk touched, nothing sent. */
  as_sink_abandon(collector_sink);
  collector_forget_run();
  atomic_store(&collector_thread_live, 0);
  memset(&collector_views, 0, sizeof collector_views);
  memset(&collector_waiting, 0, sizeof collector_waiting);
  memset(&collector_handling, 0, sizeof collector_handling);
  /* The parent's collector may have been writing with it (or grown it, and this copy would be
   * stale): the child's first line takes a buffer of its own. */
  collector_chunk = NULL;
  collector_chunk_bytes = COLLECTOR_CHUNK_BYTES;
  as_stuck_reset_after_fork();
  as_events_reset_after_fork();
}
