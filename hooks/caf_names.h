/* Readable names for CAF 0.17.6 actors (rules: docs/hooks.md and the table in docs/runtimes.md). */
#ifndef AS_CAF_NAMES_H
#define AS_CAF_NAMES_H

#include "registry.h"

#include <stddef.h>

/* The name of a launched actor (its dynamic type final), interned; NULL if unknown. Calls the
 * actor's own name() when its class overrides CAF's generic one. */
const struct as_actor_name *caf_names_of_actor(const void *actor);

/* A demangled class name made readable: atoms decoded ('ping'), template arguments without
 * their namespaces, and, when still long, nested arguments elided. */
void caf_names_shorten(const char *full, char *out, size_t len);

#endif
