/* Per-thread recursion guard: while set, every hook passes straight through to the real
 * function. The tracer's own threads run with it set for their whole life. */
#ifndef AS_GUARD_H
#define AS_GUARD_H

extern __thread int as__guard __attribute__((tls_model("initial-exec")));

static inline int as_guard_is_set(void) { return as__guard != 0; }
static inline void as_guard_set(void) { as__guard = 1; }
static inline void as_guard_clear(void) { as__guard = 0; }

#endif
