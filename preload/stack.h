/* Spawn-site capture (libgcc_s's unwinder, at spawn) and symbolisation (collector thread only); another
 * thread's stack: stack_remote.h. */
#ifndef AS_STACK_H
#define AS_STACK_H

#include <stddef.h>
#include <stdint.h>

/* Fills frames with return addresses; returns how many (0 when no unwinder is available). */
unsigned as_stack_capture(void **frames, unsigned max);
/* The same, starting at the caller's return address, with the stack address each return
 * address was read from (slots[i] holds frames[i] until that frame returns); 0 where the
 * platform's unwinder cannot say (then use as_stack_capture). */
unsigned as_stack_capture_slots(void **frames, uintptr_t *slots, unsigned max);

/* Writes "function+0xOFF (object)" for a code address. Returns 0 or -ENOENT when the address
 * lies in no loaded object. */
int as_stack_describe(const void *addr, char *out, size_t out_len);

/* Writes the name of the function containing addr (exported or, from .symtab, static).
 * Returns 0 or -ENOENT. */
int as_stack_function_name(const void *addr, char *out, size_t out_len);

/* A runtime's way of writing the function names it puts in stacks (CAF 0.17: a lambda's
 * "(caf::atom_value)264718896" as the atom it encodes, 'lock', as its actor names read):
 * copies name into out, at most len bytes with the terminator. Set by the runtime's hooks once
 * they know the runtime is there; NULL: names as demangled. */
typedef void (*as_stack_name_rewrite_fn)(const char *name, char *out, size_t len);
void as_stack_on_names(as_stack_name_rewrite_fn rewrite);

#endif
