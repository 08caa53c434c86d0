#define _GNU_SOURCE
#include "run_detached.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int run_detached_adopt(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -errno; }

/* The parent pid in /proc/PID/stat: the field after the command, which is in parentheses and
 * may itself hold spaces and parentheses (so the last ')' ends it). *ZOMBIE: it has ended. */
static long run_detached_parent_of(const char *pid_name, int *zombie)
{
  *zombie = 0;
  char path[300], text[512];
  snprintf(path, sizeof path, "/proc/%s/stat", pid_name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0)
    return -1;
  text[n] = '\0';
  char *end = strrchr(text, ')');
  char state;
  long ppid;
  if (!end || sscanf(end + 1, " %c %ld", &state, &ppid) != 2)
    return -1;
  *zombie = state == 'Z';
  return ppid;
}

static int run_detached_order(const void *a, const void *b)
{
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

/* Reaps the children that have ended; returns 0 when some are left (running, as far as
 * waitid can tell), -1 when there are none. */
static int run_detached_reap(void)
{
  siginfo_t info;
  for (;;) {
    memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
      if (errno == EINTR)
        continue;
      return -1; /* ECHILD: nobody is left */
    }
    if (info.si_pid == 0)
      return 0;
    while (waitpid(info.si_pid, NULL, WNOHANG) < 0 && errno == EINTR)
      ;
  }
}

/* One pass over /proc for the processes whose parent is run. Returns how many run, or -1 when
 * the pass raced with a change (a child ended during it, or none was seen although some
 * exist: /proc was listed before a fork, then its parent ended). */
static long run_detached_scan(pid_t *out, size_t max)
{
  DIR *proc = opendir("/proc");
  if (!proc)
    return 0;
  long self = (long)getpid();
  size_t count = 0;
  int changed = 0;
  for (struct dirent *e; (e = readdir(proc));) {
    int zombie;
    if (!isdigit((unsigned char)e->d_name[0]) || run_detached_parent_of(e->d_name, &zombie) != self)
      continue;
    changed |= zombie;
    if (zombie)
      continue;
    if (count < max)
      out[count] = (pid_t)strtol(e->d_name, NULL, 10);
    count++;
  }
  closedir(proc);
  return changed || count == 0 ? -1 : (long)count;
}

size_t run_detached_list(pid_t *out, size_t max)
{
  long count = 0;
  /* A double fork changes the set under the scan: look again until a pass sees it settled. */
  for (int pass = 0; pass < 20; pass++) {
    if (run_detached_reap() < 0)
      return 0;
    if ((count = run_detached_scan(out, max)) >= 0)
      break;
    count = 0;
    usleep(1000);
  }
  qsort(out, (size_t)count < max ? (size_t)count : max, sizeof *out, run_detached_order);
  return (size_t)count;
}
