/* Attach mode: the library dlopen()ed into a process that is already running (by `actorscope
 * attach`, or by a test program), entered through actorscope_attach(). It retargets the
 * hooked symbols' relocation slots (got.h), finds the actors that were already running
 * through each runtime's adopt callback, and runs a thread that keeps the slots retargeted
 * (objects loaded later, a lazy binding undoing a write). docs/attach.md says what it sees. */
#ifndef AS_ATTACH_H
#define AS_ATTACH_H

#include "threadlist.h"

#include <stdatomic.h>
#include <stddef.h>

/* Set before the first slot is rewritten, never cleared: hooks then meet actors they did not
 * see spawn (a runtime object's slot for our record may hold anything). */
extern _Atomic int as__attached __attribute__((visibility("hidden")));
static inline int as_attached(void)
{
  return __builtin_expect(atomic_load_explicit(&as__attached, memory_order_relaxed), 0);
}

/* A runtime's way to find its actors already running: called once, on the attach thread,
 * with the process's threads (start routine and argument each). */
typedef void (*as_attach_adopt_fn)(const struct as_thread_info *threads, size_t count);
/* From a hook file's constructor; at most a few. */
void as_attach_on_adopt(as_attach_adopt_fn fn);

/* A runtime's way to forget its handles (maps from runtime objects to records) before a new
 * attach after a detach: what it mapped may have gone while nothing was hooked. Called on the
 * attaching thread while hooks may run; from a hook file's constructor, at most a few. */
void as_attach_on_forget(void (*fn)(void));

/* The entry (exported): config is "NAME=VALUE" lines with the ACTORSCOPE_* names of the
 * environment (docs/configuration.md). Returns 0; 1 when this process is traced already (preloaded or
 * attached, and not detached since); a negative errno otherwise, with the reason on stderr and
 * in the snapshot. After a detach it attaches again: a new output, every actor found anew. */
int actorscope_attach(const char *config) __attribute__((visibility("default")));

/* Detach: every slot written back, a final snapshot, the collector and the attach thread
 * stopped; the library stays mapped (a thread may be inside a hook). Returns the slots
 * restored, or -ENOENT when not attached. Called by the control socket's "detach". */
int as_attach_detach(void);
/* A preloaded library's own detach (the control socket's, before any attach): the next attach
 * is a new one. */
void as_attach_preloaded_detached(void);

/* A runtime's adopt callback says how many running actors it found. */
void as_attach_note_adopted(size_t n);

/* Settings changed at run time (the control socket). */
struct as_attach_status {
  int attached;
  size_t slots, objects, rebound, foreign;
  unsigned interval_ms;
  size_t adopted; /* actors that were running before attach */
};
void as_attach_status(struct as_attach_status *out);

#endif
