/* Memoised symbolisation for the collector: each code address is described once. */
#ifndef AS_SYMCACHE_H
#define AS_SYMCACHE_H

/* "function+0xOFF (object)" for a return address; never NULL. */
const char *as_symcache_frame(const void *return_addr);
/* The bare function name at a code address, or NULL when none is known. */
const char *as_symcache_function(const void *addr);
/* "<task in CALLER>" for the return address of a spawn call whose task has no symbol (e.g. a
 * static function of a stripped library), or NULL when the caller is unknown too. */
const char *as_symcache_task_in(const void *return_addr);

#endif
