#include "attach_elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int attach_elf_in(size_t size, uint64_t off, uint64_t len)
{
  return off <= size && len <= size - off;
}

static int attach_elf_search(const unsigned char *map, size_t size, size_t n,
                             const char *const *names, struct attach_elf_function *out)
{
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)map;
  if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
      !attach_elf_in(size, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
    return -ENOEXEC;
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(map + eh->e_shoff);
  for (unsigned i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
      continue;
    const Elf64_Shdr *strs = &sh[sh[i].sh_link];
    if (!attach_elf_in(size, sh[i].sh_offset, sh[i].sh_size) ||
        !attach_elf_in(size, strs->sh_offset, strs->sh_size))
      return -ENOEXEC;
    const Elf64_Sym *syms = (const Elf64_Sym *)(map + sh[i].sh_offset);
    const char *strtab = (const char *)map + strs->sh_offset;
    for (size_t k = 0; k < sh[i].sh_size / sizeof *syms; k++) {
      if (syms[k].st_name >= strs->sh_size || syms[k].st_shndx == SHN_UNDEF ||
          ELF64_ST_TYPE(syms[k].st_info) != STT_FUNC)
        continue;
      const char *s = strtab + syms[k].st_name;
      if (strnlen(s, strs->sh_size - syms[k].st_name) == strs->sh_size - syms[k].st_name)
        continue; /* no terminating NUL within the table */
      for (size_t j = 0; j < n; j++)
        if (!out[j].value && strcmp(s, names[j]) == 0)
          out[j] = (struct attach_elf_function){syms[k].st_value, syms[k].st_size};
    }
  }
  return 0;
}

int attach_elf_functions(const char *path, size_t n, const char *const *names,
                         struct attach_elf_function *out)
{
  memset(out, 0, n * sizeof *out);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
    close(fd);
    return -ENOEXEC;
  }
  void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED)
    return -errno;
  int rc = attach_elf_search(map, (size_t)st.st_size, n, names, out);
  munmap(map, (size_t)st.st_size);
  return rc;
}
