/* Names code addresses from the loaded objects' dynamic symbol tables, as dladdr() does, but
 * with each object's table sorted once by address (a radix sort, the first time an address in
 * it is asked for) and searched in O(log n): glibc's dladdr() scans every dynamic symbol of the
 * object at each call, some 150,000 instructions an address in libcaf_core, which made naming a
 * CAF program's spawn sites the largest part of a short traced run. Collector thread and the
 * spawn path's first naming only (allocates, takes a lock). */
#ifndef AS_STACK_SYMS_H
#define AS_STACK_SYMS_H

#include <stddef.h>
#include <stdint.h>

struct as_stack_sym {
  const char *object;  /* the object's path; "" for the main program */
  uintptr_t load_bias; /* the object's l_addr */
  const char *name;    /* the symbol containing the address, or NULL */
  uintptr_t start;     /* its address (runtime), when name is set */
};

/* Fills sym for addr. Returns 0, or -ENOENT when no loaded object holds addr (or its tables
 * could not be read: the caller may then ask dladdr()). */
int as_stack_syms_lookup(const void *addr, struct as_stack_sym *sym);

#endif
