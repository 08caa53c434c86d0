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

int run_detached_adopt(void)
{
  return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -errno;
}

/* The parent pid in /proc/PID/stat: the field after the command, which is in parentheses and
 * may itself hold spaces and parentheses (so the last ')' ends it). */
static long run_detached_parent_of(const char *pid_name)
{
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
  if (!end || sscanf(end + 1, " %c %ld", &state, &ppid) != 2 || state == 'Z')
    return -1;
  return ppid;
}

static int run_detached_order(const void *a, const void *b)
{
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

size_t run_detached_list(pid_t *out, size_t max)
{
  siginfo_t info;
  /* Ended ones first (they are zombies of ours now), until only running ones are left. */
  for (;;) {
    memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
      if (errno == EINTR)
        continue;
      return 0; /* ECHILD: nobody is left */
    }
    if (info.si_pid == 0)
      break; /* children, all running */
    while (waitpid(info.si_pid, NULL, WNOHANG) < 0 && errno == EINTR)
      ;
  }
  DIR *proc = opendir("/proc");
  if (!proc)
    return 0;
  long self = (long)getpid();
  size_t count = 0;
  for (struct dirent *e; (e = readdir(proc));) {
    if (!isdigit((unsigned char)e->d_name[0]) || run_detached_parent_of(e->d_name) != self)
      continue;
    if (count < max)
      out[count] = (pid_t)strtol(e->d_name, NULL, 10);
    count++;
  }
  closedir(proc);
  qsort(out, count < max ? count : max, sizeof *out, run_detached_order);
  return count;
}
