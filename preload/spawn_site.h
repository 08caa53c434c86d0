/* Where an actor was spawned (preload/spawn_site.c). */
#ifndef AS_SPAWN_SITE_H
#define AS_SPAWN_SITE_H

#include "registry.h"

/* The interned origin of a spawn: name_addr (code naming the actor, or NULL) and up to depth
 * return addresses of the spawning code, the tracer's own frames left out; NULL when there is
 * neither, or no memory. The same pointer for the same origin. */
const struct as_origin *as_spawn_site_origin(const void *name_addr, unsigned depth);

#endif
