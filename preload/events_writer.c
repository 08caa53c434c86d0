/* The events writer (events.h): a thread of ours drains the host threads' rings every few
 * milliseconds into NAME.events beside the snapshot file (format: events_format.h), bounded and
 * rotated with ACTORSCOPE_MAX_BYTES / ACTORSCOPE_KEEP like the snapshot file. */
#define _GNU_SOURCE
#include "events.h"
#include "forklock.h"
#include "diag.h"
#include "guard.h"
#include "sink_rotate.h"
#include "typetab.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* The rings are drained this often: a ring of 16384 records holds 8 million events a second. */
#define EVENTS_DRAIN_MS 2u
/* At exit the writer thread gets this long to stop before the exiting thread drains. */
#define EVENTS_STOP_WAIT_MS 500u
#define EVENTS_BUFFER_RECORDS 8192u

/* Serialises the writer's state between its thread, exit and the control socket's on/off.
 * Never taken by a host thread on the message path, nor by fork. */
static pthread_mutex_t events_lock AS_FORK_TOUCHED = PTHREAD_MUTEX_INITIALIZER;
static struct as_config events_config;
static int events_configured; /* as_events_start ran */
static uint64_t events_start_ticks, events_start_wall;
static long events_pid;
static char events_path[PATH_MAX]; /* "" until the snapshot file's name is known */
static int events_fd = -1;
static int events_broken;          /* a write failed: reported once, nothing more written */
static uint64_t events_file_bytes; /* in the open file, header included */
static uint32_t events_file_index;
static struct sink_rotation events_rotation;
static uint64_t events_type_written[(AS_TYPETAB_CAPACITY + 63) / 64]; /* named in this file */
static struct as_events_record events_buffer[EVENTS_BUFFER_RECORDS];
static size_t events_buffered;
/* Pauses and resumptions not yet written (PAUSE, RESUME: events_format.h), in ticks: the next
 * drain sorts them among the records. */
#define EVENTS_MARKS_MAX 16u
static struct {
  uint8_t kind;
  uint64_t ticks;
} events_marks[EVENTS_MARKS_MAX];
static size_t events_marks_n;
/* Thread names, by tid (direct-mapped): read once a thread is seen (events_on_thread), written
 * into each file before the thread's first record there (file: events_file_serial). */
#define EVENTS_THREADS 4096u
static struct {
  uint32_t tid;
  uint32_t named_in; /* events_file_serial of the file that names it, 0: none */
  char name[AS_EV_THREAD_NAME_MAX + 1];
} events_threads[EVENTS_THREADS];
static uint32_t events_file_serial;
/* Losses: how many, the first and the last time (ns since start). */
static _Atomic uint64_t events_lost_total, events_lost_first_ns, events_lost_last_ns;

static pthread_t events_thread;
static _Atomic int events_thread_running, events_thread_stopping;

/* Ticks to ns since start, piecewise: each drain converts at the rate measured up to it, from
 * where the last drain's conversion ended. The collector's rate (1 ns a tick until its first
 * calibration) would make records drained early read later than ones drained after it, out of
 * the file's time order; this mapping is continuous and never steps back. */
static uint64_t events_anchor_ticks, events_anchor_ns, events_rate_fp;

static uint64_t events_ns(uint64_t ticks)
{
  if (!events_rate_fp) /* before the first drain (a loss noted at start) */
    return ticks > events_start_ticks ? as_clock_ticks_to_ns(ticks - events_start_ticks) : 0;
  if (ticks >= events_anchor_ticks)
    return events_anchor_ns +
           (uint64_t)(((unsigned __int128)(ticks - events_anchor_ticks) * events_rate_fp) >> 32);
  uint64_t back =
      (uint64_t)(((unsigned __int128)(events_anchor_ticks - ticks) * events_rate_fp) >> 32);
  return back < events_anchor_ns ? events_anchor_ns - back : 0;
}

/* Under events_lock: the rate for this drain, and (after it) the anchor moved to its horizon. */
static void events_clock_begin(void)
{
  if (!events_rate_fp)
    events_anchor_ticks = events_start_ticks;
  events_rate_fp = as_clock_rate_now();
}

static void events_clock_end(uint64_t horizon)
{
  if (horizon > events_anchor_ticks) {
    events_anchor_ns = events_ns(horizon);
    events_anchor_ticks = horizon;
  }
}

static void events_fail(const char *what, int err)
{
  if (!events_broken)
    as_diag_report("events_failed", "%s %s: %s; no more events are recorded", what, events_path,
                   strerror(err));
  events_broken = 1;
  atomic_store(&as__events_on, 0);
}

static int events_write_all(const void *data, size_t len)
{
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(events_fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? -errno : -EIO;
    p += n;
    len -= (size_t)n;
    events_file_bytes += (uint64_t)n;
  }
  return 0;
}

/* A new file under events_path: never follows a link, never opens what exists. */
static int events_open(void)
{
  int fd = open(events_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return -errno;
  events_fd = fd;
  events_file_bytes = 0;
  memset(events_type_written, 0, sizeof events_type_written);
  events_file_serial++; /* no thread is named in the new file yet */
  struct as_events_header h = {.version = AS_EVENTS_VERSION,
                               .record_size = sizeof(struct as_events_record),
                               .pid = (uint64_t)events_pid,
                               .started_at_ns = events_start_wall,
                               .file_index = events_file_index,
                               .ring_records = events_config.events_ring};
  memcpy(h.magic, AS_EVENTS_MAGIC, sizeof h.magic);
  return events_write_all(&h, sizeof h);
}

static int events_flush(void)
{
  if (!events_buffered)
    return 0;
  int rc = events_write_all(events_buffer, events_buffered * sizeof *events_buffer);
  events_buffered = 0;
  return rc;
}

/* The file is full: it moves aside (NAME.1.events …) and a new one begins. */
static int events_rotate(void)
{
  struct as_error err = {""};
  int rc = sink_rotate(&events_rotation, events_path, events_fd, &err);
  events_fd = -1;
  if (rc < 0) {
    if (!events_broken)
      as_diag_report("events_failed", "%s; no more events are recorded", err.text);
    events_broken = 1;
    atomic_store(&as__events_on, 0);
    return rc;
  }
  events_rotation.files++;
  events_file_index++;
  return events_open();
}

/* Makes room for `records` more: flushes the buffer, rotating first if they would take the
 * file past its size (a file always keeps its header and at least one event). */
static int events_room(size_t records)
{
  uint64_t adding = (uint64_t)(events_buffered + records) * sizeof(struct as_events_record);
  unsigned long long max = events_config.max_bytes;
  if (max && events_file_bytes + adding > max &&
      events_file_bytes + (uint64_t)events_buffered * sizeof(struct as_events_record) >
          sizeof(struct as_events_header)) {
    int rc = events_flush();
    if (rc == 0)
      rc = events_rotate();
    return rc;
  }
  if (events_buffered + records > EVENTS_BUFFER_RECORDS)
    return events_flush();
  return 0;
}

/* Whether type still needs its name in the open file. */
static int events_type_unnamed(uint32_t type)
{
  return type && type < AS_TYPETAB_CAPACITY &&
         !(events_type_written[type / 64] & (1ull << (type % 64)));
}

/* Opens the file at the first record to write: a run that records nothing leaves none. */
static int events_file_ready(void)
{
  if (events_fd >= 0)
    return 1;
  if (events_broken || !events_path[0])
    return 0;
  int rc = events_open();
  if (rc < 0) {
    if (events_fd >= 0)
      close(events_fd);
    events_fd = -1;
    events_fail("cannot create", -rc);
    return 0;
  }
  return 1;
}

/* Under events_lock: the thread TID's name as the kernel has it now ("": gone or unreadable).
 * On the writer's thread, never on a host's. */
static void events_on_thread(void *ctx, uint32_t tid, int new_owner, const char *claimed_name)
{
  (void)ctx;
  __typeof__(events_threads[0]) *t = &events_threads[tid % EVENTS_THREADS];
  if (t->tid == tid && !new_owner)
    return;
  t->tid = tid;
  t->named_in = 0;
  /* Now, as report's peers name it: the name it took after its first event, if it changed. */
  snprintf(t->name, sizeof t->name, "%.*s", (int)AS_EV_THREAD_NAME_MAX, claimed_name);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%u/comm", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  char now[AS_EV_THREAD_NAME_MAX + 2];
  ssize_t n = read(fd, now, sizeof now - 1);
  close(fd);
  if (n <= 0)
    return;
  now[n] = '\0';
  now[strcspn(now, "\n")] = '\0';
  size_t len = strnlen(now, AS_EV_THREAD_NAME_MAX);
  memcpy(t->name, now, len);
  t->name[len] = '\0';
}

/* The THREAD record naming R's thread, when the open file does not name it yet: written with
 * the room events_put made for it. Returns how many records it needs (0 or 1). */
static int events_thread_unnamed(const struct as_events_record *r)
{
  const __typeof__(events_threads[0]) *t = &events_threads[r->tid % EVENTS_THREADS];
  return r->tid && t->tid == r->tid && t->name[0] && t->named_in != events_file_serial;
}

static void events_thread_name_write(const struct as_events_record *r)
{
  __typeof__(events_threads[0]) *t = &events_threads[r->tid % EVENTS_THREADS];
  struct as_events_record *n = &events_buffer[events_buffered++];
  *n = (struct as_events_record){.time_ns = r->time_ns, .tid = r->tid, .kind = AS_EV_THREAD};
  as_events_thread_name_put(n, t->name);
  t->named_in = events_file_serial;
}

static void events_put(const struct as_events_record *r)
{
  if (!events_file_ready())
    return;
  uint32_t type = r->type;
  /* Room for the name too, whichever file it goes to (a rotation starts a file that names no
   * type yet). */
  const char *name = type && type < AS_TYPETAB_CAPACITY ? as_typetab_name(type) : NULL;
  size_t len = name ? strnlen(name, AS_EV_TYPE_NAME_MAX) : 0;
  size_t name_records = name ? 1 + (len + sizeof *r - 1) / sizeof *r : 0;
  int rc = events_room((events_type_unnamed(type) ? name_records : 0) + 2);
  if (rc == 0 && events_type_unnamed(type) && name_records)
    rc = events_room(name_records + 2); /* a new file: the name comes first */
  if (rc < 0) {
    events_fail("writing", -rc);
    return;
  }
  if (events_thread_unnamed(r)) /* the room above counted it (a new file names it again) */
    events_thread_name_write(r);
  if (name && events_type_unnamed(type)) {
    /* events_room may have begun a new file: the type is named in this one either way. */
    struct as_events_record *t = &events_buffer[events_buffered++];
    memset(t, 0, (name_records) * sizeof *t);
    t->kind = AS_EV_TYPE;
    t->type = (uint16_t)type;
    t->msg = len;
    t->time_ns = r->time_ns;
    memcpy(t + 1, name, len);
    events_buffered += name_records - 1;
    events_type_written[type / 64] |= 1ull << (type % 64);
  }
  events_buffer[events_buffered++] = *r;
}

/* One drain's records, sorted by time before they are written: the file is in time order but
 * for records a thread published late (stamped before an earlier drain's limit). */
static struct as_events_record *events_pass;
static size_t events_pass_n, events_pass_cap;
static int events_pass_short; /* the pass buffer could not grow: records were written unsorted */

/* R (its time in ns) into this drain's pass. */
static void events_pass_add(const struct as_events_record *r)
{
  if (events_pass_n == events_pass_cap) {
    size_t cap = events_pass_cap ? events_pass_cap * 2 : 65536;
    struct as_events_record *grown = realloc(events_pass, cap * sizeof *grown);
    if (!grown) {
      events_pass_short = 1;
      events_put(r);
      return;
    }
    events_pass = grown;
    events_pass_cap = cap;
  }
  events_pass[events_pass_n++] = *r;
}

static void events_on_record(void *ctx, struct as_events_record *r)
{
  (void)ctx;
  /* Stamped before this recording began: a straggler of an earlier attach's, which its file
   * already ended (events_ns would put it at 0 here). */
  if (r->time_ns < events_start_ticks)
    return;
  r->time_ns = events_ns(r->time_ns);
  events_pass_add(r);
}

static struct as_events_record *events_scratch;
static size_t events_scratch_cap;

/* The end of the ascending run of A (N records) that begins at LO. */
static size_t events_run_end(const struct as_events_record *a, size_t lo, size_t n)
{
  size_t i = lo + 1;
  while (i < n && a[i].time_ns >= a[i - 1].time_ns)
    i++;
  return i;
}

/* A stable sort by time: a thread's records of the same instant (an end and a stop) keep their
 * order. A drain passes each ring's records in their thread's order, so the pass is a few runs
 * already in order, one a ring: merging the runs as they come (a natural merge sort) takes a
 * pass a doubling of the rings, not of the records. Left as it is when the scratch space cannot
 * be had. */
static void events_sort(struct as_events_record *a, size_t n)
{
  if (n < 2 || events_run_end(a, 0, n) == n)
    return;
  if (events_scratch_cap < n) {
    struct as_events_record *s = realloc(events_scratch, n * sizeof *s);
    if (!s) {
      events_pass_short = 1;
      return;
    }
    events_scratch = s;
    events_scratch_cap = n;
  }
  struct as_events_record *from = a, *to = events_scratch;
  size_t runs;
  do {
    runs = 0;
    for (size_t lo = 0; lo < n; runs++) {
      size_t mid = events_run_end(from, lo, n);
      size_t hi = mid < n ? events_run_end(from, mid, n) : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        to[k++] = from[j].time_ns < from[i].time_ns ? from[j++] : from[i++];
      while (i < mid)
        to[k++] = from[i++];
      while (j < hi)
        to[k++] = from[j++];
      lo = hi;
    }
    struct as_events_record *t = from;
    from = to;
    to = t;
  } while (runs > 1);
  if (from != a)
    memcpy(a, from, n * sizeof *a);
}

static void events_on_lost(void *ctx, uint32_t tid, uint64_t count, uint64_t now_ticks)
{
  (void)ctx;
  uint64_t at = events_ns(now_ticks);
  if (atomic_fetch_add(&events_lost_total, count) == 0)
    atomic_store(&events_lost_first_ns, at);
  atomic_store(&events_lost_last_ns, at);
  /* Sorted among the drain's records, at its time: after the GAP that marks where the drops
   * began (events.c). */
  struct as_events_record r = {.time_ns = at, .msg = count, .tid = tid, .kind = AS_EV_LOST};
  events_pass_add(&r);
}

/* Under events_lock. Records wait in the rings until the file can be opened (its name is the
 * snapshot file's, known after the first snapshot). */
static void events_drain_locked(int final)
{
  if (events_broken || !events_path[0])
    return;
  struct as_events_drain d = {events_on_record, events_on_lost, events_on_thread, NULL};
  events_pass_n = 0;
  uint64_t horizon = as_clock_now();
  events_clock_begin();
  /* First in the pass, so a record of the same instant sorts after a RESUME (stamped before
   * recording went on). */
  for (size_t i = 0; i < events_marks_n; i++) {
    struct as_events_record m = {.time_ns = events_ns(events_marks[i].ticks),
                                 .kind = events_marks[i].kind};
    events_pass_add(&m);
  }
  events_marks_n = 0;
  as__events_drain(&d, final ? UINT64_MAX : horizon);
  events_clock_end(horizon);
  events_sort(events_pass, events_pass_n);
  for (size_t i = 0; i < events_pass_n; i++)
    events_put(&events_pass[i]);
  events_pass_n = 0;
  if (events_pass_short == 1) {
    as_diag_note("events_unsorted", "out of memory while sorting events: some are out of order");
    events_pass_short = 2;
  }
  int rc = events_fd >= 0 ? events_flush() : 0;
  if (rc < 0)
    events_fail("writing", -rc);
}

/* Under events_lock: recording goes off (PAUSE) or on (RESUME) now. Written by the next drain,
 * sorted among the records: a PAUSE after those stamped before it. */
static void events_mark(unsigned kind)
{
  if (events_marks_n == EVENTS_MARKS_MAX)
    events_drain_locked(0);
  if (events_marks_n == EVENTS_MARKS_MAX) /* no file yet: toggled 16 times; the last one holds */
    events_marks_n--;
  events_marks[events_marks_n].kind = (uint8_t)kind;
  events_marks[events_marks_n++].ticks = as_clock_now();
}

static void *events_main(void *arg)
{
  (void)arg;
  as_guard_set();
  struct timespec step = {0, EVENTS_DRAIN_MS * 1000000l};
  while (!atomic_load(&events_thread_stopping)) {
    nanosleep(&step, NULL);
    pthread_mutex_lock(&events_lock);
    events_drain_locked(0);
    pthread_mutex_unlock(&events_lock);
  }
  return NULL;
}

/* Under events_lock. */
static int events_thread_start_locked(void)
{
  if (atomic_load(&events_thread_running))
    return 0;
  atomic_store(&events_thread_stopping, 0);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&events_thread, NULL, events_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    as_diag_report("events_failed", "cannot start the events thread; no events are recorded");
    return -rc;
  }
  atomic_store(&events_thread_running, 1);
  return 0;
}

void as_events_start(const struct as_config *cfg, uint64_t start_ticks, uint64_t start_wall_ns,
                     long pid)
{
  pthread_mutex_lock(&events_lock);
  if (events_configured && events_fd < 0 && !atomic_load(&events_thread_running)) {
    /* Again, after a detach: the events go beside the new snapshot file, named anew. */
    events_path[0] = '\0';
    events_broken = 0;
    events_file_index = 0;
    events_marks_n = 0; /* the last attach's, had its final drain not run */
    atomic_store(&events_lost_total, 0);
    atomic_store(&events_lost_first_ns, 0);
    atomic_store(&events_lost_last_ns, 0);
  }
  events_config = *cfg;
  events_start_ticks = start_ticks;
  /* The time mapping starts again (events_ns), from 0: the anchor a detached attach left would
   * have put every event of the next attach's file that much later than its snapshots. */
  events_rate_fp = 0;
  events_anchor_ticks = start_ticks;
  events_anchor_ns = 0;
  events_start_wall = start_wall_ns;
  events_pid = pid;
  events_configured = 1;
  events_rotation = (struct sink_rotation){.keep = cfg->keep};
  as__events_ring_capacity_set(cfg->events_ring);
  pthread_mutex_unlock(&events_lock);
  if (cfg->events)
    as_events_set(1);
}

void as_events_output_is(const char *snapshot_path)
{
  char path[PATH_MAX];
  if (as_events_path_of(snapshot_path, path, sizeof path) < 0)
    path[0] = '\0';
  pthread_mutex_lock(&events_lock);
  /* The events file's name follows the snapshot file's, known for sure once the sink has
   * created it (NAME-2.jsonl when NAME.jsonl was taken). When the snapshots move to another
   * set (a rotation refused: NAME-2.jsonl from then on) the events follow from the next record:
   * what the open file holds goes with the snapshots written beside it. */
  if (strcmp(path, events_path) != 0) {
    if (events_fd >= 0) {
      events_drain_locked(0);
      int rc = events_flush();
      close(events_fd);
      events_fd = -1;
      if (rc < 0)
        events_fail("writing", -rc);
    }
    events_rotation = (struct sink_rotation){.keep = events_rotation.keep};
    events_file_index = 0;
    snprintf(events_path, sizeof events_path, "%s", path);
  }
  pthread_mutex_unlock(&events_lock);
}

int as_events_set(int on)
{
  int guarded = as_guard_is_set();
  as_guard_set();
  int rc = 0;
  pthread_mutex_lock(&events_lock);
  if (on && (!events_configured || events_config.output.kind == AS_DEST_TCP)) {
    rc = -ENOTSUP;
    if (events_configured)
      as_diag_report("events_unavailable", "events are written beside the snapshot file or "
                                           "unix socket; with a tcp output none are recorded");
  } else if (on && events_broken) {
    rc = -EIO;
  } else if (on) {
    rc = events_thread_start_locked();
  }
  if (rc == 0 && (on != 0) != atomic_load(&as__events_on)) {
    /* A RESUME stamped before the first record it lets in; a PAUSE after the last one. */
    if (on)
      events_mark(AS_EV_RESUME);
    atomic_store(&as__events_on, on != 0);
    if (!on)
      events_mark(AS_EV_PAUSE);
  }
  pthread_mutex_unlock(&events_lock);
  if (!guarded)
    as_guard_clear();
  return rc;
}

int as_events_is_on(void) { return atomic_load(&as__events_on); }

void as_events_lost(uint64_t *count, uint64_t *first_ns, uint64_t *last_ns)
{
  *count = atomic_load(&events_lost_total);
  *first_ns = atomic_load(&events_lost_first_ns);
  *last_ns = atomic_load(&events_lost_last_ns);
}

void as_events_finish(void)
{
  /* The end of the recording (exit, detach) is a PAUSE as `events off` is: a handler still
   * running is cut there. */
  if (atomic_exchange(&as__events_on, 0)) {
    pthread_mutex_lock(&events_lock);
    events_mark(AS_EV_PAUSE);
    pthread_mutex_unlock(&events_lock);
  }
  if (atomic_exchange(&events_thread_running, 0)) {
    atomic_store(&events_thread_stopping, 1);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += (long)EVENTS_STOP_WAIT_MS * 1000000l;
    deadline.tv_sec += deadline.tv_nsec / 1000000000l;
    deadline.tv_nsec %= 1000000000l;
    if (pthread_timedjoin_np(events_thread, NULL, &deadline) != 0) {
      pthread_detach(events_thread);
      return; /* still writing (a slow disk): it keeps the file */
    }
  }
  pthread_mutex_lock(&events_lock);
  events_drain_locked(1);
  if (events_fd >= 0)
    close(events_fd);
  events_fd = -1;
  pthread_mutex_unlock(&events_lock);
}

void as_events_flush(void)
{
  if (pthread_mutex_trylock(&events_lock) != 0)
    return;
  events_drain_locked(1);
  pthread_mutex_unlock(&events_lock);
}

void as_events_reset_after_fork(void)
{
  /* The parent's writer and file: forgotten, its descriptor closed, nothing on disk touched. */
  pthread_mutex_init(&events_lock, NULL);
  if (events_fd >= 0)
    close(events_fd);
  events_fd = -1;
  events_path[0] = '\0';
  events_broken = 0;
  events_buffered = 0;
  events_file_index = 0;
  events_configured = 0;
  events_marks_n = 0;
  memset(events_threads, 0, sizeof events_threads); /* the parent's threads, not ours */
  atomic_store(&events_thread_running, 0);
  atomic_store(&events_thread_stopping, 0);
  atomic_store(&events_lost_total, 0);
  atomic_store(&as__events_on, 0); /* until this process's own collector starts */
  as__events_rings_forget_after_fork();
}
