/* A test program may define actorscope_test_pause (and export it) to hold a thread of ours at a
 * named point, e.g. "caf_spawn" between a record's creation and its publication, or
 * "elfsym_locked" while the collector holds the symbol reader's lock, to force a race window.
 * Undefined in every other process: a weak reference, one load at the few points it sits. */
#ifndef AS_TESTPAUSE_H
#define AS_TESTPAUSE_H

void actorscope_test_pause(const char *where) __attribute__((weak, visibility("default")));

static inline void as_test_pause(const char *where)
{
  if (actorscope_test_pause)
    actorscope_test_pause(where);
}

#endif
