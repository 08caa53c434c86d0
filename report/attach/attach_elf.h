/* A symbol's value in an ELF file's dynamic symbol table, for finding functions in another
 * process (its load base plus this value). */
#ifndef ACTORSCOPE_ATTACH_ELF_H
#define ACTORSCOPE_ATTACH_ELF_H

#include <stdint.h>

#include <stddef.h>

/* A defined function in an ELF file's .dynsym: its st_value (0: the file has none) and
 * st_size. */
struct attach_elf_function {
  uint64_t value, size;
};

/* Looks N function names up in path's .dynsym, in one pass over one mapping: out[i] for
 * names[i]. Returns 0, -ENOEXEC when the file is no 64-bit ELF file, -errno when it cannot be
 * read. */
int attach_elf_functions(const char *path, size_t n, const char *const *names,
                         struct attach_elf_function *out);

#endif
