/* Memoised symbolisation for the collector: each code address is described once. */
#ifndef AS_SYMCACHE_H
#define AS_SYMCACHE_H

/* "function+0xOFF (object)" for a return address; never NULL. */
const char *as_symcache_frame(const void *return_addr);
/* The bare function name at a code address, or NULL when none is known. */
const char *as_symcache_function(const void *addr);

#endif
