/* The program's descendants that outlive it (a daemon's detached process). actorscope run is
 * the child subreaper of the program's process tree (prctl PR_SET_CHILD_SUBREAPER): a process
 * whose parent exits is re-parented to run rather than to init, so that when the program has
 * exited, run's remaining children are exactly the descendants still running on their own. */
#ifndef ACTORSCOPE_RUN_DETACHED_H
#define ACTORSCOPE_RUN_DETACHED_H

#include <stddef.h>
#include <sys/types.h>

/* Makes run the subreaper of what it starts. Returns 0 or -errno (then nothing is known of
 * detached descendants: the summary says only what they wrote). */
int run_detached_adopt(void);

/* Reaps the adopted descendants that have ended and writes the pids of those still running
 * into out (at most max, lowest first). Returns how many are running (may exceed max). Cheap
 * when there are none: one waitid(). */
size_t run_detached_list(pid_t *out, size_t max);

#endif
