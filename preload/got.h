/* Attach mode's interposition: the library came in by dlopen() into a running process, after
 * every object bound its calls, so nothing reaches the hooks by symbol lookup. The relocation
 * slots that hold a hooked symbol's address (GOT/PLT slots, and data slots such as CAF's
 * vtable entries for enqueue/consume, which are relocations against the symbol) are rewritten
 * to point at the hook, object by object; detach writes back what each slot held. */
#ifndef AS_GOT_H
#define AS_GOT_H

#include <stddef.h>
#include <stdint.h>

struct as_got_stats {
  size_t slots;      /* slots pointing at a hook now */
  size_t objects;    /* loaded objects walked */
  size_t rebound;    /* slots found undone (a lazy binding raced the write) and written again */
  size_t foreign;    /* slots holding neither the real function nor a lazy stub: left alone */
  size_t unwritable; /* slots whose page could not be made writable */
};

/* Finds the hooks (the library's own exported functions, i.e. preload/exports.map) and their
 * real definitions. Returns how many, or -ENOENT when the library cannot read itself. */
int as_got_prepare(void);
/* Rewrites the slots of every loaded object not rewritten yet, and writes again the slots that
 * were undone. Objects unloaded since are forgotten. Never called concurrently with itself
 * (one caller: attach, then the attach thread). Returns 0 or -ENOMEM. */
int as_got_sync(struct as_got_stats *stats);
/* Writes back what every rewritten slot held before (the hooks stay mapped: a thread may be
 * inside one). Returns how many slots were restored. */
size_t as_got_restore(void);
/* Whether a slot address is one we rewrote and hold now (tests, ctl). */
size_t as_got_slot_count(void);

#endif
