#include "elfsym.h"
#include "forklock.h"
#include "testpause.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ELFSYM_CACHE 16

struct elfsym_file {
  char path[512];
  const unsigned char *map;
  size_t size;
  const Elf64_Sym *syms;
  size_t sym_count;
  const char *strtab;
  size_t strtab_size;
};

static struct elfsym_file elfsym_cache[ELFSYM_CACHE];
static size_t elfsym_cache_next;
static pthread_mutex_t elfsym_lock AS_FORK_TOUCHED = PTHREAD_MUTEX_INITIALIZER;

static int elfsym_parse(struct elfsym_file *f)
{
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->map;
  if (f->size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
      eh->e_shoff == 0 || eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > f->size)
    return -ENOEXEC;
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(f->map + eh->e_shoff);
  for (size_t i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
      continue;
    const Elf64_Shdr *str = &sh[sh[i].sh_link];
    if (sh[i].sh_offset + sh[i].sh_size > f->size || str->sh_offset + str->sh_size > f->size)
      return -ENOEXEC;
    f->syms = (const Elf64_Sym *)(f->map + sh[i].sh_offset);
    f->sym_count = sh[i].sh_size / sizeof(Elf64_Sym);
    f->strtab = (const char *)(f->map + str->sh_offset);
    f->strtab_size = str->sh_size;
    return 0;
  }
  return -ENOENT; /* stripped */
}

static struct elfsym_file *elfsym_open_locked(const char *path)
{
  for (size_t i = 0; i < ELFSYM_CACHE; i++)
    if (elfsym_cache[i].map && strcmp(elfsym_cache[i].path, path) == 0)
      return &elfsym_cache[i];

  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct stat st;
  void *map = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size > 0)
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED)
    return NULL;

  struct elfsym_file *f = &elfsym_cache[elfsym_cache_next++ % ELFSYM_CACHE];
  if (f->map)
    munmap((void *)f->map, f->size);
  memset(f, 0, sizeof *f);
  snprintf(f->path, sizeof f->path, "%s", path);
  f->map = map;
  f->size = (size_t)st.st_size;
  elfsym_parse(f);
  return f;
}

static const char *elfsym_name(const struct elfsym_file *f, const Elf64_Sym *s)
{
  return s->st_name < f->strtab_size ? f->strtab + s->st_name : "";
}

/* Held across open, mmap and a scan of the symbol table: fork() does not wait for it, the child
 * forgets it instead (a thread of the parent may hold it, mid-update of a cache slot). The
 * parent's mappings stay mapped in the child, unused. */
void as_elfsym_forget_after_fork(void)
{
  pthread_mutex_init(&elfsym_lock, NULL);
  /* An entry without a mapping is free (elfsym_open_locked): only those in use are written, as each
   * page a child writes is copied first. */
  for (size_t i = 0; i < ELFSYM_CACHE; i++)
    if (elfsym_cache[i].map)
      elfsym_cache[i].map = NULL;
  elfsym_cache_next = 0;
}

int as_elfsym_lookup(const char *path, uintptr_t file_addr, char *name, size_t name_len,
                     uintptr_t *start)
{
  int rc = -ENOENT;
  pthread_mutex_lock(&elfsym_lock);
  as_test_pause("elfsym_locked");
  struct elfsym_file *f = elfsym_open_locked(path);
  for (size_t i = 0; f && f->syms && i < f->sym_count; i++) {
    const Elf64_Sym *s = &f->syms[i];
    if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF)
      continue;
    if (file_addr >= s->st_value && file_addr < s->st_value + (s->st_size ? s->st_size : 1)) {
      snprintf(name, name_len, "%s", elfsym_name(f, s));
      if (start)
        *start = s->st_value;
      rc = 0;
      break;
    }
  }
  pthread_mutex_unlock(&elfsym_lock);
  return rc;
}

int as_elfsym_defines(const char *path, const char *symbol)
{
  int rc = 0;
  pthread_mutex_lock(&elfsym_lock);
  struct elfsym_file *f = elfsym_open_locked(path);
  if (!f)
    rc = -errno;
  for (size_t i = 0; f && f->syms && i < f->sym_count; i++) {
    const Elf64_Sym *s = &f->syms[i];
    if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_shndx != SHN_UNDEF &&
        strcmp(elfsym_name(f, s), symbol) == 0) {
      rc = 1;
      break;
    }
  }
  pthread_mutex_unlock(&elfsym_lock);
  return rc;
}
