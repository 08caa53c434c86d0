/* Where an attached library's control socket is: shared by the library (preload/control.c)
 * and the tool (actorscope detach, ctl). */
#ifndef AS_CONTROL_PATH_H
#define AS_CONTROL_PATH_H

#include <errno.h>
#include <stdio.h>
#include <sys/types.h>

/* /tmp/actorscope-UID/PID.ctl, in a directory only UID may enter. 0 or -ENAMETOOLONG. */
static inline int as_control_path(char *out, size_t len, uid_t uid, pid_t pid)
{
  int n = snprintf(out, len, "/tmp/actorscope-%u/%d.ctl", (unsigned)uid, (int)pid);
  return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

#endif
