/* A symbol's value in an ELF file's dynamic symbol table, for finding functions in another
 * process (its load base plus this value). */
#ifndef ACTORSCOPE_ATTACH_ELF_H
#define ACTORSCOPE_ATTACH_ELF_H

#include <stdint.h>

/* The st_value of the defined function `name` in path's .dynsym, and its st_size if size is
 * not NULL. Returns 0, -ENOENT when it has none, -ENOEXEC when the file is no 64-bit ELF file,
 * -errno when it cannot be read. */
int attach_elf_dynsym(const char *path, const char *name, uint64_t *value, uint64_t *size);

#endif
