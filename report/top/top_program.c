/* actorscope top: starting and ending the watched program. */
#define _GNU_SOURCE
#include "top_program.h"
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
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

/* A private directory; $TMPDIR unless a socket path in it would be too long. */
static int program_make_dir(struct top_program *p)
{
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp || strlen(tmp) > 60)
    tmp = "/tmp";
  snprintf(p->dir, sizeof p->dir, "%s/actorscope-top.XXXXXX", tmp);
  return mkdtemp(p->dir) ? 0 : -errno;
}

/* The program runs under `actorscope run` (this very tool): one place finds the library and
 * sets the environment that is the contract with it. */
static void program_child(char *const *argv, int out_fd, const char *interval_ms, int events,
                          const char *source)
{
  /* Keystrokes for the screen (Ctrl-C) are not the program's; it ends when top does. */
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null >= 0)
    dup2(null, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  size_t n = 0;
  while (argv[n])
    n++;
  const char **run = calloc(n + 8, sizeof *run);
  if (!run)
    _exit(127);
  size_t k = 0;
  run[k++] = "actorscope";
  run[k++] = "run";
  run[k++] = "-o";
  run[k++] = source;
  if (interval_ms) {
    run[k++] = "-i";
    run[k++] = interval_ms;
  }
  if (events)
    run[k++] = "--events";
  run[k++] = "--";
  for (size_t i = 0; i < n; i++)
    run[k++] = argv[i];
  execv("/proc/self/exe", (char *const *)run);
  dprintf(2, "actorscope top: cannot run actorscope run: %s\n", strerror(errno));
  _exit(127);
}

int top_program_start(struct top_program *p, char *const *argv, const char *interval_ms, int events,
                      char *err, size_t cap)
{
  memset(p, 0, sizeof *p);
  p->pid = -1;
  int rc = program_make_dir(p);
  if (rc < 0) {
    snprintf(err, cap, "cannot make a private directory %s: %s", p->dir, strerror(-rc));
    return -1;
  }
  snprintf(p->socket, sizeof p->socket, "%s/trace.sock", p->dir);
  snprintf(p->source, sizeof p->source, "unix:%s", p->socket);
  snprintf(p->output, sizeof p->output, "%s/output.log", p->dir);
  if (events)
    snprintf(p->events, sizeof p->events, "%s/trace.events", p->dir);
  int out_fd = open(p->output, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out_fd < 0) {
    snprintf(err, cap, "cannot create %s: %s", p->output, strerror(errno));
    rmdir(p->dir);
    return -1;
  }
  p->pid = fork();
  if (p->pid == 0)
    program_child(argv, out_fd, interval_ms, events, p->source);
  int saved = errno;
  if (p->pid > 0)
    setpgid(p->pid, p->pid); /* as the child does: whichever runs first, the group exists */
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
  else
    launch_status_text(p->status, out, cap);
}

static void program_wait(struct top_program *p, int ms)
{
  for (int waited = 0; waited < ms && !top_program_poll(p); waited += 20) {
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
  }
}

/* Whether the output file holds more than the line `actorscope run` writes itself. */
static int program_output_said_something(const struct top_program *p)
{
  char own[400], text[400];
  int len = snprintf(own, sizeof own, "actorscope: snapshots in %s\n", p->source);
  int fd = open(p->output, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, text, sizeof text);
  close(fd);
  return n > 0 && !(n == len && memcmp(text, own, (size_t)len) == 0);
}

int top_program_finish(struct top_program *p, int wait_ms)
{
  program_wait(p, wait_ms);
  if (p->pid > 0 && !top_program_poll(p)) {
    p->stopped = 1;
    kill(-p->pid, SIGTERM); /* its group: `actorscope run` and the program */
    program_wait(p, PROGRAM_GRACE_MS);
    if (!top_program_poll(p)) {
      kill(-p->pid, SIGKILL);
      int status;
      if (waitpid(p->pid, &status, 0) == p->pid) {
        p->exited = 1;
        p->status = status;
      }
    }
  }
  unlink(p->socket); /* ours: in our private directory */
  struct stat st;
  if (p->events[0] && (lstat(p->events, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0))
    p->events[0] = '\0';
  if (program_output_said_something(p))
    return 1;
  unlink(p->output);
  if (!p->events[0])
    rmdir(p->dir);
  return 0;
}

int top_program_exit_status(const struct top_program *p)
{
  if (!p->exited || p->stopped)
    return 0;
  return WIFSIGNALED(p->status) ? 128 + WTERMSIG(p->status) : WEXITSTATUS(p->status);
}

void top_program_relay_run_lines(const struct top_program *p, FILE *to)
{
  int fd = open(p->output, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
  if (!f) {
    if (fd >= 0)
      close(fd);
    return;
  }
  char line[1024];
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "actorscope", 10) == 0 && strncmp(line, "actorscope: snapshots in ", 25) != 0)
      fputs(line, to);
  fclose(f);
}
