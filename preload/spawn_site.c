/* Where an actor was spawned: the spawning code's return addresses, interned; a thread's
 * recent spawn chains found again on its stack without an unwind. */
#define _GNU_SOURCE
#include "spawn_site.h"
#include "intern.h"
#include "resolve.h"
#include "stack.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Our own frames (hook, registry) lead the stack: they are skipped, not counted. A spawn's
 * own frames are usually REGISTRY_OWN_FRAMES_USUAL (capture, unwind, origin, prepare, the hook
 * and its wrapper); a stack with more is captured again with room for REGISTRY_OWN_FRAMES_MAX. */
#define REGISTRY_OWN_FRAMES_USUAL 6
#define REGISTRY_OWN_FRAMES_MAX 8

#define REGISTRY_ORIGIN_WORDS (sizeof(struct as_origin) / sizeof(void *))
_Static_assert(sizeof(struct as_origin) % sizeof(void *) == 0, "frames follow whole words");

/* The last origin this thread interned: a loop spawning actors from one place finds its spawn
 * site here without hashing it or taking the intern table's lock. */
static __thread const struct as_origin *registry_last_origin
    __attribute__((tls_model("initial-exec")));

/* The spawning code's frames among n captured from `skip` on: up to `depth` of them copied to
 * `out`, our own left out wherever they are (a hook that wraps a runtime's constructor which
 * calls another hooked one puts the wrapper's frame between the runtime's and the spawner's);
 * how many. *end: the index past the last one kept. */
static unsigned spawn_frames_pick(void *const *frames, unsigned skip, unsigned n, unsigned depth,
                                  void **out, unsigned *end)
{
  unsigned keep = 0, i = skip;
  for (; i < n && keep < depth; i++)
    if (!as_resolve_is_own_address(frames[i]))
      out[keep++] = frames[i];
  *end = i;
  return keep;
}

/* Our frames that lead a captured stack (hook, registry): how many. */
static unsigned spawn_frames_own_lead(void *const *frames, unsigned n)
{
  unsigned skip = 0;
  while (skip < n && as_resolve_is_own_address(frames[skip]))
    skip++;
  return skip;
}

/* Return addresses of the spawning code, our own frames left out; how many. */
static unsigned registry_spawn_frames(void **frames, unsigned depth)
{
  unsigned room = depth + REGISTRY_OWN_FRAMES_USUAL;
  for (;;) {
    unsigned n = as_stack_capture(frames, room);
    unsigned end;
    unsigned keep =
        spawn_frames_pick(frames, spawn_frames_own_lead(frames, n), n, depth, frames, &end);
    /* Cut short by our own frames, with more of the stack left: look again with more room. */
    if (keep < depth && n == room && room < depth + REGISTRY_OWN_FRAMES_MAX) {
      room = depth + REGISTRY_OWN_FRAMES_MAX;
      continue;
    }
    return keep;
  }
}

/* A thread's recent spawn chains. A spawn from a place seen before finds the same return
 * addresses at the same distances up the stack from here (a function's frame has one size at a
 * given return address, alloca aside): reading those few words replaces the unwind. A chain is
 * its origin (interned) and, for every return address of the spawning code's frames kept,
 * where it lies (bytes above `anchor`) and what it is. */
#define SPAWN_CHAINS 4
#define SPAWN_CHAIN_SLOTS (AS_STACK_DEPTH_MAX + REGISTRY_OWN_FRAMES_MAX)
struct spawn_slot {
  uintptr_t offset; /* bytes above the anchor */
  const void *value;
};
struct spawn_chain {
  const struct as_origin *origin; /* NULL: unused */
  unsigned depth, slots;
  uintptr_t last_end; /* offset of the last slot's end: the chain fits the stack above it */
  struct spawn_slot slot[SPAWN_CHAIN_SLOTS]; /* side by side: one load pair a compare */
};
struct spawn_chains {
  uintptr_t stack_lo, stack_hi; /* this thread's stack: no word outside it is read */
  unsigned next;                /* the entry a new chain replaces */
  unsigned hit;                 /* the entry that matched last: tried first */
  struct spawn_chain chain[SPAWN_CHAINS];
};
static __thread struct spawn_chains *spawn_chains_mine __attribute__((tls_model("initial-exec")));
static pthread_key_t spawn_chains_key;
static pthread_once_t spawn_chains_once = PTHREAD_ONCE_INIT;
static int spawn_chains_keyed;

static void spawn_chains_key_make(void)
{
  spawn_chains_keyed = pthread_key_create(&spawn_chains_key, free) == 0;
}

/* This thread's stack, from its descriptor (for the main thread glibc reads /proc/self/maps,
 * clipping the stack limit at the mapping below: the limit alone is no bound, a program may
 * raise it after its threads' stacks were placed under the old one). */
static int spawn_chains_stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
  pthread_attr_t attr;
  void *base = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0)
    return -1;
  int got = pthread_attr_getstack(&attr, &base, &size);
  pthread_attr_destroy(&attr);
  if (got != 0 || size == 0)
    return -1;
  *lo = (uintptr_t)base;
  *hi = (uintptr_t)base + size;
  return 0;
}

/* This thread's chains, made at its first spawn (NULL without memory or stack bounds: then
 * every spawn unwinds). Out of line: its attribute buffer would otherwise make every spawn
 * set up a large frame and save every register. */
static __attribute__((noinline)) struct spawn_chains *spawn_chains_make(void)
{
  pthread_once(&spawn_chains_once, spawn_chains_key_make);
  uintptr_t lo, hi;
  if (!spawn_chains_keyed || spawn_chains_stack_bounds(&lo, &hi) != 0)
    return NULL;
  struct spawn_chains *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->stack_lo = lo;
  c->stack_hi = hi;
  if (pthread_setspecific(spawn_chains_key, c) != 0) {
    free(c);
    return NULL;
  }
  spawn_chains_mine = c;
  return c;
}

static inline struct spawn_chains *spawn_chains_get(void)
{
  struct spawn_chains *c = spawn_chains_mine;
  return __builtin_expect(c != NULL, 1) ? c : spawn_chains_make();
}

static inline const void *spawn_slot_word(const char *anchor, const struct spawn_slot *s)
{
  return *(const void *const *)(anchor + s->offset);
}

/* Whether this stack holds the chain's return addresses at their places. */
static int spawn_chain_matches(const struct spawn_chains *c, const struct spawn_chain *e,
                               const char *anchor, const void *name_addr, unsigned depth)
{
  if (!e->origin || e->depth != depth || e->origin->name_addr != name_addr ||
      e->last_end > c->stack_hi - (uintptr_t)anchor)
    return 0;
  /* Two slots a step, their differences or-ed: one branch for both (a chain is ~10 slots). */
  const struct spawn_slot *s = e->slot, *end = e->slot + e->slots;
  for (; s + 1 < end; s += 2) {
    uintptr_t differ = ((uintptr_t)spawn_slot_word(anchor, &s[0]) ^ (uintptr_t)s[0].value) |
                       ((uintptr_t)spawn_slot_word(anchor, &s[1]) ^ (uintptr_t)s[1].value);
    if (differ)
      return 0;
  }
  return s == end || spawn_slot_word(anchor, s) == s->value;
}

/* The chain whose return addresses this stack holds at their places, or NULL. The last one
 * found is tried first: a loop spawning from one place compares one chain, not four. */
static const struct as_origin *spawn_chains_find(struct spawn_chains *c, const char *anchor,
                                                 const void *name_addr, unsigned depth)
{
  for (unsigned n = 0, i = c->hit; n < SPAWN_CHAINS; n++, i = (i + 1) % SPAWN_CHAINS) {
    if (spawn_chain_matches(c, &c->chain[i], anchor, name_addr, depth)) {
      c->hit = i;
      return c->chain[i].origin;
    }
  }
  return NULL;
}

/* Remembers where the return addresses of a spawn just unwound lie: the spawning code's, from
 * the first after our own leading frames (`skip` of them) to the last kept (ours among them
 * too: a wrapper's return address is the same at every spawn through it). Our own frames are not
 * compared: their sizes place the spawner's frames, so a spawn through another path of ours
 * finds them elsewhere and does not match, and one through a path of the same sizes has the
 * same spawn site (its frames leave ours out). */
static void spawn_chains_add(struct spawn_chains *c, const char *anchor,
                             const struct as_origin *origin, unsigned depth, void *const *frames,
                             const uintptr_t *slots, unsigned skip, unsigned n)
{
  struct spawn_chain *e = &c->chain[c->next];
  e->origin = NULL; /* half rewritten below, it must match nothing */
  unsigned used = 0;
  for (unsigned i = skip; i < n; i++) {
    if (slots[i] <= (uintptr_t)anchor)
      continue; /* below this function's frame: not there at the next spawn */
    if (slots[i] + sizeof(void *) > c->stack_hi || slots[i] - (uintptr_t)anchor > UINT32_MAX)
      return; /* another stack (a signal's), or too far: not cached */
    e->slot[used].offset = slots[i] - (uintptr_t)anchor;
    e->slot[used].value = frames[i];
    used++;
  }
  if (used == 0)
    return;
  e->last_end = e->slot[used - 1].offset + sizeof(void *);
  e->origin = origin;
  e->depth = depth;
  e->slots = used;
  c->next = (c->next + 1) % SPAWN_CHAINS;
}

static const struct as_origin *spawn_site_intern(const void *name_addr, void **frames,
                                                 unsigned keep)
{
  union {
    struct as_origin origin;
    void *words[REGISTRY_ORIGIN_WORDS + SPAWN_CHAIN_SLOTS];
  } buf;
  const struct as_origin *last = registry_last_origin;
  if (last && last->name_addr == name_addr && last->count == keep &&
      memcmp(last->frames, frames, keep * sizeof(void *)) == 0)
    return last;
  memset(&buf, 0, sizeof(struct as_origin));
  buf.origin.name_addr = name_addr;
  buf.origin.count = keep;
  memcpy(buf.words + REGISTRY_ORIGIN_WORDS, frames, keep * sizeof(void *));
  const struct as_origin *origin =
      as_intern_bytes(&buf, sizeof(void *) * (REGISTRY_ORIGIN_WORDS + keep));
  if (origin)
    registry_last_origin = origin;
  return origin;
}

/* The unwind, when no chain of this thread matches: out of line, so that a spawn from a place
 * seen before does not set up its arrays (their frame is below `anchor`, not in any chain). */
static __attribute__((noinline)) const struct as_origin *
spawn_site_unwind(struct spawn_chains *chains, const char *anchor, const void *name_addr,
                  unsigned depth)
{
  void *frames[SPAWN_CHAIN_SLOTS];
  uintptr_t slots[SPAWN_CHAIN_SLOTS];
  unsigned room = depth + REGISTRY_OWN_FRAMES_MAX;
  unsigned n = chains ? as_stack_capture_slots(frames, slots, room) : 0;
  if (n == 0) /* no slots to remember: the plain unwind */
    return spawn_site_intern(name_addr, frames, registry_spawn_frames(frames, depth));
  unsigned skip = spawn_frames_own_lead(frames, n), end;
  void *spawner[SPAWN_CHAIN_SLOTS];
  unsigned keep = spawn_frames_pick(frames, skip, n, depth, spawner, &end);
  const struct as_origin *origin = spawn_site_intern(name_addr, spawner, keep);
  if (origin && keep)
    spawn_chains_add(chains, anchor, origin, depth, frames, slots, skip, end);
  return origin;
}

const struct as_origin *as_spawn_site_origin(const void *name_addr, unsigned depth)
{
  if (depth == 0)
    return name_addr ? spawn_site_intern(name_addr, NULL, 0) : NULL;
  /* Where this frame is: return addresses of earlier spawns are looked for relative to it
   * (on this thread's own stack only, not a signal's). */
  const char *anchor = __builtin_frame_address(0);
  struct spawn_chains *chains = spawn_chains_get();
  if (chains && ((uintptr_t)anchor < chains->stack_lo || (uintptr_t)anchor >= chains->stack_hi))
    chains = NULL;
  const struct as_origin *known =
      chains ? spawn_chains_find(chains, anchor, name_addr, depth) : NULL;
  return known ? known : spawn_site_unwind(chains, anchor, name_addr, depth);
}
