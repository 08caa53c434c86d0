/* Reads an ELF file's full symbol table (.symtab), which names static functions that
 * dladdr() cannot. Collector thread and initialisation only. */
#ifndef AS_ELFSYM_H
#define AS_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

/* Finds the function symbol containing the address `offset` (the file's own virtual address:
 * the runtime address minus the object's load bias). Returns 0 and fills name and start, or
 * -ENOENT / -errno. */
int as_elfsym_lookup(const char *path, uintptr_t file_addr, char *name, size_t name_len,
                     uintptr_t *start);

/* For a fork child: the reader's lock made new and its cache emptied (the lock is held across
 * I/O, so fork does not take it; a thread the child does not have may have held it). */
void as_elfsym_forget_after_fork(void);

/* 1 when the file's .symtab defines a function named `symbol`, 0 when not, -errno on error. */
int as_elfsym_defines(const char *path, const char *symbol);

#endif
