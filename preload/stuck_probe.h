/* Where another thread of this process is, read from outside it without sending it anything:
 * blocked in a system call, its stack and instruction pointers from /proc/self/task/TID/syscall
 * (unwound over our own memory); running, one perf_event_open sample of its user registers and
 * stack where the system allows it; else only how much CPU time it uses. Collector thread only. */
#ifndef AS_STUCK_PROBE_H
#define AS_STUCK_PROBE_H

#include "stack_remote.h"

#include <stdint.h>

enum as_stack_source {
  AS_STACK_SOURCE_NONE,    /* nothing could be read */
  AS_STACK_SOURCE_SYSCALL, /* blocked in a system call: /proc/self/task/TID/syscall */
  AS_STACK_SOURCE_PERF,    /* on a CPU: a perf_event_open sample */
  AS_STACK_SOURCE_CPU      /* on a CPU, no sample allowed: its CPU time only */
};

/* How the unwinding ended, or why its frames may mix two moments (the thread ran meanwhile). */
enum as_stuck_end {
  AS_STUCK_END_OUTERMOST = AS_STACK_END_OUTERMOST,
  AS_STUCK_END_DEPTH = AS_STACK_END_DEPTH,
  AS_STUCK_END_UNWIND = AS_STACK_END_UNWIND,
  AS_STUCK_END_MOVED /* the thread ran between the two reads of where it was */
};

struct as_stuck_probe {
  enum as_stack_source source;
  enum as_stuck_end end;
  int on_cpu;     /* the thread was running (or runnable) when looked at */
  unsigned count; /* frames: innermost first, each a return address or a code address + 1 */
};

/* Looks at thread tid; frames (max entries) receives the stack, our own frames left out. */
void as_stuck_probe_thread(uint32_t tid, void **frames, unsigned max, struct as_stuck_probe *out);

/* CPU time thread tid has used (user + system, ns), from /proc/self/task/TID/stat; 0 or -errno. */
int as_stuck_thread_cpu_ns(uint32_t tid, uint64_t *ns);

/* Names of the enums as the snapshot writes them. */
const char *as_stack_source_name(enum as_stack_source source);
const char *as_stuck_end_name(enum as_stuck_end end);

#endif
