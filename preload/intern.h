/* Immortal shared copies of strings and small byte blocks (actor names, stop reasons, spawn
 * sites): 100k actors of one class share one name. Takes a lock: not for the message path. */
#ifndef AS_INTERN_H
#define AS_INTERN_H

#include <stddef.h>

/* A NUL-terminated copy of the first len bytes, the same pointer for the same bytes; NULL on
 * ENOMEM. */
const void *as_intern_bytes(const void *data, size_t len);
static inline const char *as_intern_string(const char *text);

#include <string.h>
static inline const char *as_intern_string(const char *text)
{
  return text ? (const char *)as_intern_bytes(text, strlen(text)) : NULL;
}

#endif
