/* The collector thread: one snapshot every interval, a final one at exit. */
#ifndef AS_COLLECTOR_H
#define AS_COLLECTOR_H

#include "config.h"

#include <stdint.h>

/* Opens the sink and starts the thread (signals blocked, recursion guard set). Called at the
 * first spawn, or at attach; again after as_collector_finish (a new attach after a detach):
 * then everything the last run said is forgotten and a new output is made (a file is never
 * reused: the next free name). A sink that cannot open is reported and the process runs
 * untraced. Returns 0, or -EBUSY while the last run's thread is still writing (it was given
 * up on after a second at finish). ON_THREAD (or NULL) runs first on the collector's thread:
 * work the host's thread that spawned the first actor need not wait for. */
int as_collector_start(const struct as_config *cfg, uint64_t start_ticks, uint64_t start_wall_ns,
                       void (*on_thread)(void));
/* Stops the thread and writes the final snapshot, saying how tracing ended (AS_ENDED_BY_EXIT,
 * or AS_ENDED_BY_DETACH: the process runs on); waits at most about a second for a write in
 * progress. */
void as_collector_finish(const char *ended_by);
/* Settings changed at run time (attach mode's control socket): the snapshot interval (a
 * snapshot is written at once, then at the new pace) and the stuck-handler threshold. */
void as_collector_set_interval(unsigned interval_ms);
void as_collector_set_stuck_ms(unsigned stuck_ms);
/* Where this run's snapshots go, as written (a file's actual name, the next free one when its
 * name was taken): waits up to wait_ms for a file's first line. 0, -ENOENT (no output),
 * -ETIMEDOUT (a write in progress held it). */
int as_collector_output(char *out, size_t len, unsigned wait_ms);
/* Whether this process writes snapshots (its collector started here, not in a parent). */
int as_collector_is_writing(void);
/* Before exec replaces the image: a final line (ended_by "exec"); tracing goes on if exec
 * fails. */
void as_collector_before_exec(void);
/* exec returned: it failed, and the program goes on. */
void as_collector_after_failed_exec(void);
/* From a deadly signal's handler (async-signal-safe): has the collector thread write a final
 * line naming the signal, waiting at most about a second. */
void as_collector_on_deadly_signal(int sig);
/* From _exit, _Exit or quick_exit (async-signal-safe: a host's signal handler may call them):
 * has the collector thread write the final line (ended by exit), waiting at most about a
 * second, since no destructor will. */
void as_collector_on_quick_exit(void);
/* The deadly signal another thread is dying of (after its line is written, or a second), or 0:
 * a thread reaching exit meanwhile must not end the process in its place. */
int as_collector_dying_of(void);

/* In a fork child: the thread does not exist here; forget it and the parent's sink without
 * touching the parent's file or socket. */
void as_collector_reset_after_fork(void);

#endif
