#define _GNU_SOURCE
#include "control.h"
#include "control_path.h"
#include "attach.h"
#include "collector.h"
#include "events.h"
#include "format.h"
#include "diag.h"
#include "guard.h"
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* A client has this long to send its line. */
#define CONTROL_CLIENT_MS 500
/* Our descriptor is moved this high, out of the way of a host that counts on low numbers. */
#define CONTROL_FD_MIN 500

static int control_fd = -1;
/* The process that bound the socket, and the file it bound: a fork child, or a socket another
 * process (of the same pid in another pid namespace, sharing /tmp) put at the path, is never
 * removed. */
static pid_t control_owner;
static dev_t control_dev;
static ino_t control_ino;
/* A preloaded library serves the socket on a thread of its own (attached: the attach thread). */
static pthread_t control_thread;
static _Atomic int control_thread_stop;
/* Settings changed here since attach (0: as configured); the collector has its own copy. */
static unsigned control_interval_ms, control_stuck_ms;
static int control_stuck_set;
static char control_socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

/* The directory must be ours and closed to everyone else; made if missing. */
static int control_dir(const char *path)
{
  char dir[sizeof control_socket_path];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash)
    return -EINVAL;
  *slash = '\0';
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return -errno;
  struct stat st;
  if (lstat(dir, &st) < 0)
    return -errno;
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
    return -EPERM;
  return 0;
}

/* A socket file left by an earlier process of the same pid (pids are reused) in our own
 * private directory: removed when nothing answers at it. */
static void control_remove_stale(const struct sockaddr_un *addr)
{
  struct stat st;
  if (lstat(addr->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
    return;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0 && errno == ECONNREFUSED)
    unlink(addr->sun_path);
  close(fd);
}

int as_control_open(void)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int rc = as_control_path(addr.sun_path, sizeof addr.sun_path, geteuid(), getpid());
  if (rc < 0 || (rc = control_dir(addr.sun_path)) < 0)
    return rc;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -errno;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, CONTROL_FD_MIN);
  if (high >= 0) {
    close(fd);
    fd = high;
  }
  control_remove_stale(&addr);
  /* Never umask (the host's, process-wide): the directory keeps others out until chmod. */
  /* A live socket at the path (a process of our pid in another pid namespace) stays its. */
  rc = bind(fd, (const struct sockaddr *)&addr, sizeof addr);
  struct stat st;
  if (rc == 0 && chmod(addr.sun_path, 0600) == 0 && lstat(addr.sun_path, &st) == 0) {
    control_dev = st.st_dev;
    control_ino = st.st_ino;
  }
  if (rc < 0 || listen(fd, 4) < 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  memcpy(control_socket_path, addr.sun_path, sizeof control_socket_path);
  control_owner = getpid();
  /* A new attach after a detach: its settings are its configuration's. */
  control_interval_ms = control_stuck_ms = 0;
  control_stuck_set = 0;
  control_fd = fd;
  return 0;
}

/* Removes the socket file if it is still the one this process bound. */
static void control_unlink_own(void)
{
  struct stat st;
  if (control_owner == getpid() && lstat(control_socket_path, &st) == 0 &&
      st.st_dev == control_dev && st.st_ino == control_ino)
    unlink(control_socket_path);
}

void as_control_close(void)
{
  if (control_fd < 0)
    return;
  close(control_fd);
  control_fd = -1;
  control_unlink_own();
  control_owner = 0;
}

void as_control_forget_after_fork(void)
{
  /* The parent's socket: our copy of its descriptor closed, its file left to the parent. */
  if (control_fd >= 0)
    close(control_fd);
  control_fd = -1;
  control_owner = 0;
  control_interval_ms = control_stuck_ms = 0;
  control_stuck_set = 0;
  atomic_store(&control_thread_stop, 0);
}

static int control_peer_allowed(int fd)
{
  struct ucred cred;
  socklen_t len = sizeof cred;
  return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
         (cred.uid == geteuid() || cred.uid == 0);
}

/* Reads one line within CONTROL_CLIENT_MS. Returns its length, or -1. */
static int control_read_line(int fd, char *line, size_t len)
{
  size_t have = 0;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (spent >= CONTROL_CLIENT_MS)
      return -1;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, (int)(CONTROL_CLIENT_MS - spent)) <= 0)
      continue;
    ssize_t n = read(fd, line + have, len - 1 - have);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0)
      return -1;
    have += (size_t)n;
    line[have] = '\0';
    char *nl = strchr(line, '\n');
    if (nl) {
      *nl = '\0';
      return (int)(nl - line);
    }
    if (have == len - 1)
      return -1;
  }
}

static int control_parse_ms(const char *text, unsigned min, unsigned max, unsigned *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(text, &end, 10);
  if (!*text || *end || errno || v < min || v > max)
    return -1;
  *out = (unsigned)v;
  return 0;
}

/* How long "status" and "detach" wait for the output file's name (its first line). */
#define CONTROL_OUTPUT_WAIT_MS 1000u

/* Where the snapshots go: the file actually written, else the configured destination. */
static const char *control_output(char *buf, size_t len)
{
  if (as_collector_output(buf, len, CONTROL_OUTPUT_WAIT_MS) < 0)
    snprintf(buf, len, "%s", as_config_current()->output.path);
  return buf;
}

static void control_answer(const char *line, char *reply, size_t len)
{
  unsigned ms;
  char output[PATH_MAX + 16];
  if (strcmp(line, "status") == 0 && !as_attached()) {
    snprintf(reply, len, "ok %s interval_ms=%u stuck_ms=%u events=%s output=%s\n",
             atomic_load(&as__state) == AS_STATE_ENABLED ? "preloaded" : "detached",
             control_interval_ms ? control_interval_ms : as_config_current()->interval_ms,
             control_stuck_set ? control_stuck_ms : as_config_current()->stuck_ms,
             as_events_is_on() ? "on" : "off", control_output(output, sizeof output));
  } else if (strcmp(line, "detach") == 0 && !as_attached()) {
    /* Preloaded: the hooks are bound by symbol lookup and stay; they pass straight through. */
    control_output(output, sizeof output);
    as_init_detach();
    as_collector_finish(AS_ENDED_BY_DETACH);
    as_init_detach_written();
    as_attach_preloaded_detached(); /* `actorscope attach` may trace it again */
    snprintf(reply, len, "ok detached restored=0 output=%s\n", output);
    atomic_store(&control_thread_stop, 1);
    as_control_close();
  } else if (strcmp(line, "status") == 0) {
    struct as_attach_status st;
    as_attach_status(&st);
    snprintf(reply, len,
             "ok %s slots=%zu objects=%zu rebound=%zu foreign=%zu adopted=%zu "
             "interval_ms=%u stuck_ms=%u events=%s output=%s\n",
             st.attached ? "attached" : "detached", st.slots, st.objects, st.rebound, st.foreign,
             st.adopted, control_interval_ms ? control_interval_ms : st.interval_ms,
             control_stuck_set ? control_stuck_ms : as_config_current()->stuck_ms,
             as_events_is_on() ? "on" : "off", control_output(output, sizeof output));
  } else if (strcmp(line, "detach") == 0) {
    control_output(output, sizeof output);
    int restored = as_attach_detach();
    if (restored < 0)
      snprintf(reply, len, "error not attached\n");
    else
      snprintf(reply, len, "ok detached restored=%d output=%s\n", restored, output);
    if (restored >= 0)
      as_control_close(); /* the client accepted already gets its answer */
  } else if (strncmp(line, "interval ", 9) == 0) {
    if (control_parse_ms(line + 9, AS_INTERVAL_MS_MIN, AS_INTERVAL_MS_MAX, &ms) < 0) {
      snprintf(reply, len, "error interval: a whole number of milliseconds from %u to %u\n",
               AS_INTERVAL_MS_MIN, AS_INTERVAL_MS_MAX);
      return;
    }
    as_collector_set_interval(ms);
    control_interval_ms = ms;
    snprintf(reply, len, "ok interval_ms=%u\n", ms);
  } else if (strncmp(line, "stuck ", 6) == 0 || strncmp(line, "stuck-ms ", 9) == 0) {
    if (control_parse_ms(strchr(line, ' ') + 1, 0, AS_STUCK_MS_MAX, &ms) < 0) {
      snprintf(reply, len, "error stuck: 0 (off) or a whole number of milliseconds up to %u\n",
               AS_STUCK_MS_MAX);
      return;
    }
    as_collector_set_stuck_ms(ms);
    control_stuck_ms = ms;
    control_stuck_set = 1;
    snprintf(reply, len, "ok stuck_ms=%u\n", ms);
  } else if (strcmp(line, "events on") == 0 || strcmp(line, "events off") == 0) {
    int rc = as_events_set(line[8] == 'n');
    if (rc < 0)
      snprintf(reply, len, "error events: %s\n",
               rc == -ENOTSUP
                   ? "events are written beside a snapshot file or unix socket; the output is tcp"
                   : "recording failed earlier (see the diagnostics)");
    else
      snprintf(reply, len, "ok events=%s\n", as_events_is_on() ? "on" : "off");
  } else {
    snprintf(reply, len,
             "error unknown command (detach, status, interval MS, stuck-ms MS, events on|off)\n");
  }
}

static void control_client(int fd)
{
  char line[AS_CONTROL_LINE_MAX], reply[AS_CONTROL_LINE_MAX + PATH_MAX];
  if (!control_peer_allowed(fd)) {
    snprintf(reply, sizeof reply, "error permission denied\n");
  } else if (control_read_line(fd, line, sizeof line) < 0) {
    return;
  } else {
    control_answer(line, reply, sizeof reply);
  }
  /* The client waits for its answer; MSG_NOSIGNAL: a vanished one raises no SIGPIPE. */
  ssize_t unused = send(fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)unused;
}

void as_control_serve(unsigned timeout_ms)
{
  if (control_fd < 0) {
    struct timespec pause = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000};
    nanosleep(&pause, NULL);
    return;
  }
  struct pollfd p = {control_fd, POLLIN, 0};
  if (poll(&p, 1, (int)timeout_ms) <= 0)
    return;
  int client = accept4(control_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (client < 0)
    return;
  control_client(client);
  close(client);
}

/* The socket is made here, not on the host's thread that spawned the first actor; so is the
 * thread's name (one prctl for itself, where naming it from the creator opens and writes
 * /proc/self/task/TID/comm on the host's thread: ~0.1 ms there at the first spawn). */
static void *control_main(void *arg)
{
  as_guard_set();
  pthread_setname_np(pthread_self(), "actorscope-ctl");
  int rc = as_control_open();
  if (rc < 0) {
    as_diag_report("control_failed",
                   "no control socket (%s): actorscope detach and ctl are "
                   "unavailable",
                   strerror(-rc));
    return arg;
  }
  while (!atomic_load(&control_thread_stop) && control_fd >= 0)
    as_control_serve(250);
  return arg;
}

void as_control_start_preloaded(void)
{
  int rc;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* the host's signals never land on our thread */
  rc = pthread_create(&control_thread, NULL, control_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    as_diag_report("control_failed", "cannot start the control thread: actorscope detach and "
                                     "ctl are unavailable");
    return;
  }
  pthread_detach(control_thread);
}

/* At exit the socket file goes with the process (the directory is the user's, shared). */
__attribute__((destructor)) static void control_at_exit(void)
{
  if (control_fd >= 0)
    control_unlink_own();
}

void as_control_unlink_at_death(void) { control_at_exit(); }
