/* What `actorscope attach` learns of a process before stopping any of it: whether it can be
 * attached to at all (each refusal said plainly, with what to do), where its libraries are,
 * and which of its threads may safely be borrowed for a moment. Read from /proc only. */
#ifndef ACTORSCOPE_ATTACH_TARGET_H
#define ACTORSCOPE_ATTACH_TARGET_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

struct attach_object {
  char path[PATH_MAX];   /* as the target maps it; "" when not mapped */
  uint64_t base;         /* where the offset-0 mapping before its code starts */
  uint64_t pending_base; /* the last offset-0 mapping seen (while reading the maps) */
  uint64_t text_lo, text_hi;
};

/* A function's code in the target: [lo, hi). */
struct attach_range {
  uint64_t lo, hi;
};

/* The libc functions attach needs to find in the target: the three it calls to load the
 * tracer, and the sleeps and poll where a thread the kernel resumes with restart_syscall waits
 * (an earlier attach interrupted its sleep: a program's main thread in a long sleep). */
enum attach_libc_function {
  ATTACH_DLOPEN,
  ATTACH_DLSYM,
  ATTACH_DLERROR,
  ATTACH_CLOCK_NANOSLEEP, /* the first of the restartable waits */
  ATTACH_NANOSLEEP,
  ATTACH_POLL,
  ATTACH_LIBC_FUNCTIONS
};

struct attach_target {
  pid_t pid;
  char name[64];
  uid_t uid;
  gid_t gid;
  struct attach_object libc, loader, libzmq, libczmq, libcaf, libcaf_io, tracer;
  /* Where each is in the target (lo 0: its libc has none), by enum attach_libc_function. */
  struct attach_range libc_functions[ATTACH_LIBC_FUNCTIONS];
};
/* The name of each libc function, by enum attach_libc_function. */
extern const char *const attach_libc_function_names[ATTACH_LIBC_FUNCTIONS];

/* Preflight results: 0, or one of these, with a message in why. */
enum attach_refusal {
  ATTACH_REFUSED = 1, /* cannot or must not: why says what to do */
  ATTACH_ALREADY = 2, /* the tracer is in the process already (unless tracer_ok) */
};

/* A process stopped by a signal runs nothing the tracer could start in it, and a thread
 * borrowed from it ran on past the injected call: refused. After "process PID (NAME)";
 * argument: the pid. */
#define ATTACH_STOPPED_TEXT                                                                        \
  " is stopped (SIGSTOP, SIGTSTP or a terminal stopped it): continue it (`kill -CONT %d`) and "    \
  "attach again"

/* tracer_ok: the tracer being mapped is no refusal (a new attach after a detach: the
 * library is loaded already, t->tracer says from where). */
int attach_target_inspect(pid_t pid, int tracer_ok, struct attach_target *t, char *why, size_t len);

/* Whether the process, with its own user, groups and root directory, may create a file in
 * the directory of PATH (absolute), where the tracer inside it creates its output: the tool
 * said "attached" while the tracer could write nothing (another user's process attached by
 * root, from a directory only root may write). 0, or ATTACH_REFUSED with why. Says 0 when it
 * cannot take the process's identity to look (a tool with CAP_SYS_PTRACE only). */
int attach_target_can_create(const struct attach_target *t, const char *path, char *why,
                             size_t len);

/* A thread to borrow: 0 and its tid, or ATTACH_REFUSED with why. */
int attach_target_pick_thread(const struct attach_target *t, pid_t *tid, char *why, size_t len);

/* Whether process PID is gone or a zombie: it ended while the tool looked at it (what the
 * tool read of it then says nothing: its maps empty read as a static binary, its root as no
 * directory). */
int attach_target_ended(pid_t pid);

/* Reads len bytes of the target's memory. Returns 0 or -errno. */
int attach_target_read(pid_t pid, uint64_t addr, void *buf, size_t len);

#endif
