/* Where an actor was spawned: the spawning code's return addresses, interned. */
#include "spawn_site.h"
#include "intern.h"
#include "resolve.h"
#include "stack.h"

#include <string.h>

/* Our own frames (hook, registry) lead the stack: they are skipped, not counted. A spawn's
 * own frames are usually REGISTRY_OWN_FRAMES_USUAL (capture, origin, prepare, the hook and its
 * wrapper); a stack with more is captured again with room for REGISTRY_OWN_FRAMES_MAX. */
#define REGISTRY_OWN_FRAMES_USUAL 5
#define REGISTRY_OWN_FRAMES_MAX 8

#define REGISTRY_ORIGIN_WORDS (sizeof(struct as_origin) / sizeof(void *))
_Static_assert(sizeof(struct as_origin) % sizeof(void *) == 0, "frames follow whole words");

/* The last origin this thread interned: a loop spawning actors from one place finds its spawn
 * site here without hashing it or taking the intern table's lock. */
static __thread const struct as_origin *registry_last_origin __attribute__((tls_model("initial-exec")));

/* Return addresses of the spawning code, our own frames left out; how many. */
static unsigned registry_spawn_frames(void **frames, unsigned depth)
{
  unsigned room = depth + REGISTRY_OWN_FRAMES_USUAL;
  for (;;) {
    unsigned n = as_stack_capture(frames, room);
    unsigned skip = 0;
    while (skip < n && as_resolve_is_own_address(frames[skip]))
      skip++;
    unsigned keep = n - skip < depth ? n - skip : depth;
    /* Cut short by our own frames, with more of the stack left: look again with more room. */
    if (keep < depth && n == room && room < depth + REGISTRY_OWN_FRAMES_MAX) {
      room = depth + REGISTRY_OWN_FRAMES_MAX;
      continue;
    }
    memmove(frames, frames + skip, keep * sizeof(void *));
    return keep;
  }
}

const struct as_origin *as_spawn_site_origin(const void *name_addr, unsigned depth)
{
  union {
    struct as_origin origin;
    void *words[REGISTRY_ORIGIN_WORDS + AS_STACK_DEPTH_MAX + REGISTRY_OWN_FRAMES_MAX];
  } buf;
  memset(&buf, 0, sizeof(struct as_origin));
  void **frames = buf.words + REGISTRY_ORIGIN_WORDS;
  unsigned keep = depth > 0 ? registry_spawn_frames(frames, depth) : 0;
  if (!name_addr && keep == 0)
    return NULL;
  const struct as_origin *last = registry_last_origin;
  if (last && last->name_addr == name_addr && last->count == keep &&
      memcmp(last->frames, frames, keep * sizeof(void *)) == 0)
    return last;
  buf.origin.name_addr = name_addr;
  buf.origin.count = keep;
  const struct as_origin *origin =
      as_intern_bytes(&buf, sizeof(void *) * (REGISTRY_ORIGIN_WORDS + keep));
  if (origin)
    registry_last_origin = origin;
  return origin;
}

