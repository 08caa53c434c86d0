#define _GNU_SOURCE
#include "attach_target.h"
#include "attach_elf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Stack words looked at above a thread's stack pointer to tell where it waits. */
#define ATTACH_STACK_WORDS 96
#define ATTACH_CAP_SYS_PTRACE 19

int attach_target_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
  struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EFAULT;
}

int attach_target_ended(pid_t pid)
{
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "re");
  if (!f)
    return 1;
  char *got = fgets(line, sizeof line, f);
  fclose(f);
  /* "PID (COMM) STATE ...": COMM may hold spaces and parentheses, so after the last ')'. */
  const char *end = got ? strrchr(line, ')') : NULL;
  if (end && end[1] == ' ' && (end[2] == 'Z' || end[2] == 'X'))
    return 1;
  /* Exiting and not a zombie yet: its memory is gone already, and every process has some. A
   * map this tool may not read (another user's process) says nothing. */
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || errno == ESRCH;
  ssize_t n = read(fd, line, 1);
  close(fd);
  return n == 0;
}

static const char *attach_basename(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static int attach_is(const char *path, const char *prefix)
{
  return strncmp(attach_basename(path), prefix, strlen(prefix)) == 0;
}

static void attach_note_mapping(struct attach_object *o, const char *path, uint64_t lo, uint64_t hi,
                                uint64_t offset, const char *perms)
{
  if (!o->path[0])
    snprintf(o->path, sizeof o->path, "%s", path);
  else if (strcmp(o->path, path) != 0)
    return; /* a second copy (another namespace): the first is the one in use */
  /* The load base is the offset-0 mapping the code segment follows: the same file may also be
   * mapped whole, read-only, elsewhere (a tracer already in the process reads symbols so). */
  if (offset == 0)
    o->pending_base = lo;
  if (perms[2] == 'x') {
    o->text_lo = lo;
    o->text_hi = hi;
    if (o->pending_base)
      o->base = o->pending_base;
  }
}

static int attach_read_maps(struct attach_target *t)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)t->pid);
  FILE *f = fopen(path, "re");
  if (!f)
    return -errno;
  char line[PATH_MAX + 256];
  int rc = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long long lo, hi, offset;
    char perms[8], file[PATH_MAX];
    file[0] = '\0';
    if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &lo, &hi, perms, &offset, file) < 4)
      continue;
    char *p = file;
    while (*p == ' ')
      p++;
    if (*p != '/')
      continue;
    struct attach_object *o = attach_is(p, "libc.so.6")          ? &t->libc
                              : attach_is(p, "ld-linux")         ? &t->loader
                              : attach_is(p, "libzmq.so")        ? &t->libzmq
                              : attach_is(p, "libczmq.so")       ? &t->libczmq
                              : attach_is(p, "libcaf_core.so")   ? &t->libcaf
                              : attach_is(p, "libcaf_io.so")     ? &t->libcaf_io
                              : attach_is(p, "libactorscope.so") ? &t->tracer
                                                                 : NULL;
    if (o)
      attach_note_mapping(o, p, lo, hi, offset, perms);
  }
  if (ferror(f))
    rc = -EIO;
  fclose(f);
  return rc;
}

/* "Name:", "State:", "Uid:", "Gid:" and "TracerPid:" of /proc/PID/status. */
struct attach_status {
  char state; /* 'T': stopped by a signal (SIGSTOP, SIGTSTP ...) */
  unsigned uid[2], gid[2];
  long tracer;
  unsigned long long cap_eff;
};

static int attach_read_status(const char *path, struct attach_status *s, char *name, size_t len)
{
  FILE *f = fopen(path, "re");
  if (!f)
    return -errno;
  char line[512];
  memset(s, 0, sizeof *s);
  while (fgets(line, sizeof line, f)) {
    if (name && sscanf(line, "Name:\t%63[^\n]", name) == 1)
      continue;
    if (sscanf(line, "State:\t%c", &s->state) == 1 ||
        sscanf(line, "Uid:\t%u\t%u", &s->uid[0], &s->uid[1]) == 2 ||
        sscanf(line, "Gid:\t%u\t%u", &s->gid[0], &s->gid[1]) == 2 ||
        sscanf(line, "TracerPid:\t%ld", &s->tracer) == 1 ||
        sscanf(line, "CapEff:\t%llx", &s->cap_eff) == 1)
      continue;
  }
  fclose(f);
  (void)len;
  return 0;
}

/* Yama's ptrace scope, -1 without Yama. ACTORSCOPE_TEST_YAMA_FILE names a file to read instead
 * (tests on machines without Yama, or where the sysctl may not be changed): it can only change
 * what the tool says, never what the kernel allows. */
static int attach_yama_scope(void)
{
  const char *test_file = getenv("ACTORSCOPE_TEST_YAMA_FILE");
  FILE *f = fopen(test_file && *test_file ? test_file : "/proc/sys/kernel/yama/ptrace_scope", "re");
  if (!f)
    return -1; /* no Yama */
  int scope = -1;
  if (fscanf(f, "%d", &scope) != 1)
    scope = -1;
  fclose(f);
  return scope;
}

/* Whether this tool may ptrace the target, and if not, what would let it. */
static int attach_permission(const struct attach_target *t, const struct attach_status *target,
                             char *why, size_t len)
{
  struct attach_status self;
  attach_read_status("/proc/self/status", &self, NULL, 0);
  int cap = (self.cap_eff >> ATTACH_CAP_SYS_PTRACE) & 1;
  if (!cap && target->uid[0] != geteuid()) {
    if (geteuid() == 0)
      snprintf(why, len,
               "process %d (%s) belongs to uid %u, and this root has no CAP_SYS_PTRACE (a "
               "container or sandbox took it): run actorscope attach as uid %u, or where root "
               "keeps CAP_SYS_PTRACE",
               (int)t->pid, t->name, target->uid[0], target->uid[0]);
    else
      snprintf(why, len,
               "process %d (%s) belongs to uid %u, not to you (uid %u): run actorscope "
               "attach as that user, or as root",
               (int)t->pid, t->name, target->uid[0], (unsigned)geteuid());
    return ATTACH_REFUSED;
  }
  int scope = attach_yama_scope();
  if (scope == 3) {
    snprintf(why, len,
             "ptrace is disabled on this system (kernel.yama.ptrace_scope=3) until the "
             "next reboot: attach is impossible; start the program under `actorscope run`");
    return ATTACH_REFUSED;
  }
  if ((scope == 1 || scope == 2) && !cap) {
    snprintf(why, len,
             "kernel.yama.ptrace_scope=%d lets only %s trace process %d: run "
             "`sudo actorscope attach %d`, or give the tool the capability (`sudo setcap "
             "cap_sys_ptrace+ep $(command -v actorscope)`)%s",
             scope,
             scope == 1 ? "its parent or a process with CAP_SYS_PTRACE"
                        : "processes with CAP_SYS_PTRACE",
             (int)t->pid, (int)t->pid,
             scope == 1 ? ", or allow it for everyone until reboot (`sudo sysctl "
                          "kernel.yama.ptrace_scope=0`)"
                        : "");
    return ATTACH_REFUSED;
  }
  return 0;
}

int attach_target_inspect(pid_t pid, int tracer_ok, struct attach_target *t, char *why, size_t len)
{
  memset(t, 0, sizeof *t);
  t->pid = pid;
  char path[64];
  struct attach_status st;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  if (attach_read_status(path, &st, t->name, sizeof t->name) < 0) {
    snprintf(why, len, "there is no process %d", (int)pid);
    return ATTACH_REFUSED;
  }
  t->uid = st.uid[0];
  t->gid = st.gid[0];
  if (pid == getpid()) {
    snprintf(why, len, "actorscope cannot attach to itself");
    return ATTACH_REFUSED;
  }
  int rc = attach_read_maps(t);
  if (rc < 0) {
    snprintf(why, len, "cannot read /proc/%d/maps (%s): %s", (int)pid, strerror(-rc),
             rc == -EACCES ? "run actorscope attach as the process's user, or as root" : "");
    return ATTACH_REFUSED;
  }
  if (!t->loader.path[0] || !t->libc.path[0]) {
    snprintf(why, len,
             "process %d (%s) is statically linked: there is no dynamic loader in it "
             "to load the tracer with",
             (int)pid, t->name);
    return ATTACH_REFUSED;
  }
  if (t->tracer.path[0] && !tracer_ok) {
    snprintf(why, len, "process %d (%s) has the tracer loaded already (%s)", (int)pid, t->name,
             t->tracer.path);
    return ATTACH_ALREADY;
  }
  if (t->tracer.path[0] && strstr(t->tracer.path, " (deleted)")) {
    snprintf(why, len,
             "process %d (%s) has the tracer loaded from a file that was replaced or "
             "removed since (%s): it cannot be attached again; restart the program",
             (int)pid, t->name, t->tracer.path);
    return ATTACH_REFUSED;
  }
  if (!t->libczmq.path[0] && !t->libcaf.path[0]) {
    snprintf(why, len,
             "process %d (%s) has neither libczmq nor libcaf_core loaded: no actors "
             "to trace (a runtime linked statically cannot be traced)",
             (int)pid, t->name);
    return ATTACH_REFUSED;
  }
  if (st.uid[0] != st.uid[1] || st.gid[0] != st.gid[1]) {
    snprintf(why, len,
             "process %d (%s) runs set-user-ID or set-group-ID (real uid %u, effective "
             "%u): the tracer does not go into privileged processes",
             (int)pid, t->name, st.uid[0], st.uid[1]);
    return ATTACH_REFUSED;
  }
  struct stat env;
  snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
  if (stat(path, &env) == 0 && env.st_uid != st.uid[0]) {
    snprintf(why, len,
             "process %d (%s) is not dumpable (it changed credentials or called "
             "prctl(PR_SET_DUMPABLE, 0)): the tracer does not go into it",
             (int)pid, t->name);
    return ATTACH_REFUSED;
  }
  if (st.tracer) {
    char tracer[64] = "?";
    snprintf(path, sizeof path, "/proc/%ld/comm", st.tracer);
    FILE *f = fopen(path, "re");
    if (f) {
      if (fscanf(f, "%63s", tracer) != 1)
        snprintf(tracer, sizeof tracer, "?");
      fclose(f);
    }
    snprintf(why, len,
             "process %d (%s) is being traced already by process %ld (%s): detach "
             "that debugger first",
             (int)pid, t->name, st.tracer, tracer);
    return ATTACH_REFUSED;
  }
  if (st.state == 'T') {
    snprintf(why, len, "process %d (%s)" ATTACH_STOPPED_TEXT, (int)pid, t->name, (int)pid);
    return ATTACH_REFUSED;
  }
  /* Before its libc is read through /proc/PID/root, which a tool not allowed to trace it
   * cannot open: that read failing said "a glibc older than 2.34". */
  rc = attach_permission(t, &st, why, len);
  if (rc)
    return rc;
  char libc[PATH_MAX + 64];
  snprintf(libc, sizeof libc, "/proc/%d/root%s", (int)pid, t->libc.path);
  struct attach_elf_function found[ATTACH_LIBC_FUNCTIONS];
  int looked = attach_elf_functions(libc, ATTACH_LIBC_FUNCTIONS, attach_libc_function_names, found);
  for (int i = 0; i < ATTACH_LIBC_FUNCTIONS; i++)
    t->libc_functions[i] =
        looked == 0 && found[i].value
            ? (struct attach_range){t->libc.base + found[i].value,
                                    t->libc.base + found[i].value + found[i].size}
            : (struct attach_range){0, 0};
  if (!t->libc_functions[ATTACH_DLOPEN].lo) {
    snprintf(why, len,
             "process %d (%s) uses a glibc older than 2.34 (its libc has no dlopen; "
             "found %s): start the program under `actorscope run` instead",
             (int)pid, t->name, t->libc.path);
    return ATTACH_REFUSED;
  }
  return 0;
}

/* ---- where the tracer writes ------------------------------------------------------------------ */

#define ATTACH_GROUPS_MAX 256

/* The process's supplementary groups ("Groups:" of /proc/PID/status). */
static int attach_groups(pid_t pid, gid_t *groups, int max)
{
  char path[64], line[4096];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "re");
  if (!f)
    return -1;
  int n = -1;
  while (n < 0 && fgets(line, sizeof line, f)) {
    if (strncmp(line, "Groups:", 7) != 0)
      continue;
    n = 0;
    for (char *p = line + 7, *end; n < max; p = end) {
      unsigned long g = strtoul(p, &end, 10);
      if (end == p)
        break;
      groups[n++] = (gid_t)g;
    }
  }
  fclose(f);
  return n;
}

/* In a child: becomes the process's user and looks at DIR as it would. Exit status 0 (may
 * create, or cannot tell), else the errno that forbids it. */
static int attach_probe_as(const struct attach_target *t, const char *dir)
{
  if (geteuid() != t->uid || getegid() != t->gid) {
    gid_t groups[ATTACH_GROUPS_MAX];
    int n = attach_groups(t->pid, groups, ATTACH_GROUPS_MAX);
    if (n < 0 || setgroups((size_t)n, groups) < 0 || setgid(t->gid) < 0 || setuid(t->uid) < 0)
      return 0;
  }
  return access(dir, W_OK | X_OK) == 0 ? 0 : errno;
}

int attach_target_can_create(const struct attach_target *t, const char *path, char *why, size_t len)
{
  const char *slash = strrchr(path, '/');
  if (!slash)
    return 0;
  /* The directory as the process sees it: its root may be another (a container). */
  char dir[PATH_MAX + 64];
  snprintf(dir, sizeof dir, "/proc/%d/root%.*s", (int)t->pid,
           (int)(slash == path ? 1 : slash - path), path);
  fflush(NULL);
  pid_t child = fork();
  if (child < 0)
    return 0;
  if (child == 0)
    _exit(attach_probe_as(t, dir) & 0xff);
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR)
      return 0;
  int error = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  if (!error)
    return 0;
  snprintf(why, len,
           "process %d (%s) runs as uid %u, which cannot create files in %.*s (%s): the tracer "
           "inside it could write nothing there; give -o a place that user may write (e.g. "
           "-o /tmp/actorscope.%%p.jsonl)",
           (int)t->pid, t->name, (unsigned)t->uid, (int)(slash == path ? 1 : slash - path), path,
           strerror(error));
  return ATTACH_REFUSED;
}

const char *const attach_libc_function_names[ATTACH_LIBC_FUNCTIONS] = {
    [ATTACH_DLOPEN] = "dlopen",       [ATTACH_DLSYM] = "dlsym",
    [ATTACH_DLERROR] = "dlerror",     [ATTACH_CLOCK_NANOSLEEP] = "clock_nanosleep",
    [ATTACH_NANOSLEEP] = "nanosleep", [ATTACH_POLL] = "poll"};

/* ---- choosing a thread ----------------------------------------------------------------------- */

/* Calls a thread may be borrowed from: waits that return EINTR or restart when interrupted,
 * and that loops retry (x86-64 numbers). */
static int attach_idle_syscall(long nr)
{
  switch (nr) {
  case 7:   /* poll */
  case 23:  /* select */
  case 35:  /* nanosleep */
  case 230: /* clock_nanosleep */
  case 232: /* epoll_wait */
  case 270: /* pselect6 */
  case 271: /* ppoll */
  case 281: /* epoll_pwait */
  case 441: /* epoll_pwait2 */ return 1;
  }
  return 0;
}

static int attach_is_epoll(long nr) { return nr == 232 || nr == 281 || nr == 441; }

/* restart_syscall (219) goes on with a sleep or poll that a signal or an earlier attach
 * interrupted. Which call it goes on with is not shown, but the thread still stands where that
 * call was made: in libc's clock_nanosleep, nanosleep or poll it is one of those. */
static int attach_restarts_a_sleep(const struct attach_target *t, long nr, uint64_t pc)
{
  if (nr != 219)
    return 0;
  for (int i = ATTACH_CLOCK_NANOSLEEP; i < ATTACH_LIBC_FUNCTIONS; i++)
    if (pc >= t->libc_functions[i].lo && pc < t->libc_functions[i].hi)
      return 1;
  return 0;
}

static int attach_in(const struct attach_object *o, uint64_t addr)
{
  return o->text_hi && addr >= o->text_lo && addr < o->text_hi;
}

/* Whether any word near the top of the stack is a return address into o's code. */
static int attach_stack_mentions(const struct attach_target *t, uint64_t sp,
                                 const struct attach_object *o)
{
  uint64_t words[ATTACH_STACK_WORDS];
  if (attach_target_read(t->pid, sp, words, sizeof words) < 0)
    return -1;
  for (size_t i = 0; i < ATTACH_STACK_WORDS; i++)
    if (attach_in(o, words[i]))
      return 1;
  return 0;
}

struct attach_candidate {
  pid_t tid;
  int rank; /* 0: none; higher is safer */
};

static int attach_rank_thread(const struct attach_target *t, pid_t tid)
{
  char path[96], comm[32] = "", line[512];
  snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)t->pid, (int)tid);
  FILE *f = fopen(path, "re");
  if (f) {
    if (!fgets(comm, sizeof comm, f))
      comm[0] = '\0';
    fclose(f);
  }
  snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)t->pid, (int)tid);
  f = fopen(path, "re");
  if (!f)
    return 0;
  char *got = fgets(line, sizeof line, f);
  fclose(f);
  long nr;
  unsigned long long arg[6], sp, pc;
  if (!got ||
      sscanf(line, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &arg[0], &arg[1], &arg[2],
             &arg[3], &arg[4], &arg[5], &sp, &pc) != 9 ||
      !(attach_idle_syscall(nr) || attach_restarts_a_sleep(t, nr, pc)))
    return 0;
  /* libzmq's I/O thread: an epoll loop that retries on EINTR, holding no lock. */
  if (strncmp(comm, "ZMQbg/IO", 8) == 0 && attach_is_epoll(nr) &&
      attach_stack_mentions(t, sp, &t->libzmq) == 1)
    return 3;
  /* Any other thread waiting outside the actors' code (an actor polls its pipe inside libzmq,
   * a CAF worker inside libcaf_core). */
  if (attach_stack_mentions(t, sp, &t->libzmq) != 0 ||
      attach_stack_mentions(t, sp, &t->libczmq) != 0 ||
      attach_stack_mentions(t, sp, &t->libcaf) != 0)
    return 0;
  return attach_is_epoll(nr) ? 2 : 1;
}

int attach_target_pick_thread(const struct attach_target *t, pid_t *tid, char *why, size_t len)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)t->pid);
  DIR *d = opendir(path);
  if (!d) {
    snprintf(why, len, "cannot list the threads of process %d (%s)", (int)t->pid, strerror(errno));
    return ATTACH_REFUSED;
  }
  struct attach_candidate best = {0, 0};
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!isdigit((unsigned char)e->d_name[0]))
      continue;
    pid_t candidate = (pid_t)atoi(e->d_name);
    int rank = attach_rank_thread(t, candidate);
    if (rank > best.rank)
      best = (struct attach_candidate){candidate, rank};
  }
  closedir(d);
  if (!best.rank) {
    snprintf(why, len,
             "no thread of process %d (%s) is idle in a call that may safely be "
             "interrupted (libzmq's I/O thread in epoll_wait, or a thread in poll, select, "
             "epoll or sleep outside the actors' code): try again in a moment",
             (int)t->pid, t->name);
    return ATTACH_REFUSED;
  }
  *tid = best.tid;
  return 0;
}
