/* actorscope top: starting and ending the watched program. */
#define _GNU_SOURCE
#include "top_program.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM_GRACE_MS 2000

/* The preload library next to this tool (build tree), else where it is installed. */
static int program_find_library(char *out, size_t len)
{
  char self[PATH_MAX - 64];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = '\0';
      snprintf(out, len, "%s/libactorscope.so", self);
      if (access(out, R_OK) == 0)
        return 0;
      snprintf(out, len, "%s/../lib/actorscope/libactorscope.so", self);
      if (access(out, R_OK) == 0)
        return 0;
    }
  }
  snprintf(out, len, "%s", ACTORSCOPE_INSTALLED_LIBRARY);
  return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

/* A private directory; $TMPDIR unless a socket path in it would be too long. */
static int program_make_dir(struct top_program *p)
{
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp || strlen(tmp) > 60)
    tmp = "/tmp";
  snprintf(p->dir, sizeof p->dir, "%s/actorscope-top.XXXXXX", tmp);
  return mkdtemp(p->dir) ? 0 : -errno;
}

static void program_child(char *const *argv, int out_fd, const char *library,
                          const char *interval_ms, const char *socket)
{
  /* Keystrokes for the screen (Ctrl-C) are not the program's; it ends when top does. */
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null >= 0)
    dup2(null, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  const char *old = getenv("LD_PRELOAD");
  char *preload = NULL;
  if (old && *old && asprintf(&preload, "%s:%s", library, old) > 0)
    setenv("LD_PRELOAD", preload, 1);
  else
    setenv("LD_PRELOAD", library, 1);
  char output[400];
  snprintf(output, sizeof output, "unix:%s", socket);
  setenv("ACTORSCOPE_OUTPUT", output, 1);
  if (interval_ms)
    setenv("ACTORSCOPE_INTERVAL_MS", interval_ms, 1);
  execvp(argv[0], argv);
  dprintf(2, "actorscope top: cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

int top_program_start(struct top_program *p, char *const *argv, const char *interval_ms,
                      char *err, size_t cap)
{
  memset(p, 0, sizeof *p);
  p->pid = -1;
  char library[PATH_MAX];
  if (program_find_library(library, sizeof library) < 0) {
    snprintf(err, cap, "libactorscope.so not found next to the tool or in %s",
             ACTORSCOPE_INSTALLED_LIBRARY);
    return -1;
  }
  int rc = program_make_dir(p);
  if (rc < 0) {
    snprintf(err, cap, "cannot make a private directory %s: %s", p->dir, strerror(-rc));
    return -1;
  }
  snprintf(p->socket, sizeof p->socket, "%s/trace.sock", p->dir);
  snprintf(p->source, sizeof p->source, "unix:%s", p->socket);
  snprintf(p->output, sizeof p->output, "%s/output.log", p->dir);
  int out_fd = open(p->output, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out_fd < 0) {
    snprintf(err, cap, "cannot create %s: %s", p->output, strerror(errno));
    rmdir(p->dir);
    return -1;
  }
  p->pid = fork();
  if (p->pid == 0)
    program_child(argv, out_fd, library, interval_ms, p->socket);
  int saved = errno;
  close(out_fd);
  if (p->pid < 0) {
    snprintf(err, cap, "fork: %s", strerror(saved));
    unlink(p->output);
    rmdir(p->dir);
    return -1;
  }
  return 0;
}

int top_program_poll(struct top_program *p)
{
  if (p->exited || p->pid <= 0)
    return 1;
  int status;
  pid_t r = waitpid(p->pid, &status, WNOHANG);
  if (r == p->pid) {
    p->exited = 1;
    p->status = status;
  }
  return p->exited;
}

void top_program_describe(const struct top_program *p, char *out, size_t cap)
{
  if (!p->exited)
    snprintf(out, cap, "running");
  else if (WIFSIGNALED(p->status))
    snprintf(out, cap, "killed by SIG%s",
             sigabbrev_np(WTERMSIG(p->status)) ? sigabbrev_np(WTERMSIG(p->status)) : "?");
  else
    snprintf(out, cap, "exited with status %d", WEXITSTATUS(p->status));
}

static void program_wait(struct top_program *p, int ms)
{
  for (int waited = 0; waited < ms && !top_program_poll(p); waited += 20) {
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
  }
}

int top_program_finish(struct top_program *p, int wait_ms)
{
  program_wait(p, wait_ms);
  if (p->pid > 0 && !top_program_poll(p)) {
    kill(p->pid, SIGTERM);
    program_wait(p, PROGRAM_GRACE_MS);
    if (!top_program_poll(p)) {
      kill(p->pid, SIGKILL);
      int status;
      if (waitpid(p->pid, &status, 0) == p->pid) {
        p->exited = 1;
        p->status = status;
      }
    }
  }
  unlink(p->socket); /* ours: in our private directory */
  struct stat st;
  if (lstat(p->output, &st) == 0 && st.st_size > 0)
    return 1;
  unlink(p->output);
  rmdir(p->dir);
  return 0;
}
