/* Readable names for CAF 0.17.6 actors (rules: docs/hooks.md and the table in docs/runtimes.md). */
#ifndef AS_CAF_NAMES_H
#define AS_CAF_NAMES_H

#include "caf_layout.h"
#include "registry.h"

#include <stddef.h>

/* This thread's last class whose name is fixed, and that name: an actor is named twice (when
 * built and at launch) and a program spawns many of one class in a row, so most lookups are
 * this one, inline. Entries of the class map never change or leave, so it cannot go stale. */
extern __thread const void *caf__names_last_class
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
extern __thread const struct as_actor_name *caf__names_last
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
/* The slow path: the class's name from the shared map, or made (keeps errno). */
const struct as_actor_name *caf__names_of_class(const void *actor, const void *type_info);

/* The name of a launched actor (its dynamic type final), interned; NULL if unknown. Calls the
 * actor's own name() when its class overrides CAF's generic one. Leaves errno alone. */
static inline const struct as_actor_name *caf_names_of_actor(const void *actor)
{
  const void *type_info = caf_layout_type_info_of(actor);
  if (!type_info)
    return NULL;
  if (type_info == caf__names_last_class)
    return caf__names_last;
  return caf__names_of_class(actor, type_info);
}

/* A demangled class name made readable: atoms decoded ('ping'), template arguments without
 * their namespaces, and, when still long, nested arguments elided. */
void caf_names_shorten(const char *full, char *out, size_t len);

/* Copies full with every "(caf::atom_value)N" written as the atom it encodes: 'ping' (actor
 * names, and the function names of stacks: as_stack_on_names). */
void caf_names_decode_atoms(const char *full, char *out, size_t len);

#endif
