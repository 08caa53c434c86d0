/* Symbolising many code addresses at once (collector thread only): each object's dynamic symbol
 * table read once for all of its addresses rather than once an address (stack.c), and the frame
 * texts the symbol cache keeps (symcache.c) made so, a line's new spawn sites together. */
#ifndef AS_SYMBATCH_H
#define AS_SYMBATCH_H

#include <stddef.h>

#define AS_STACK_DESCRIBE_MANY 64

/* as_stack_describe for each of n (at most AS_STACK_DESCRIBE_MANY) code addresses, into
 * out + i * out_len: the same text. */
void as_stack_describe_many(const void *const *addrs, size_t n, char *out, size_t out_len);
/* Makes as_symcache_frame's text of every one of n return addresses not described yet, together
 * (its later calls find them); without memory, leaves them to it. */
void as_symcache_frames(void *const *frames, size_t n);

#endif
