#define _GNU_SOURCE
#include "launch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static int run_is_executable_file(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int launch_program_find(const char *name, char *out, size_t len)
{
  if (strchr(name, '/')) {
    snprintf(out, len, "%s", name);
    return 0;
  }
  const char *path = getenv("PATH");
  if (!path)
    path = "/bin:/usr/bin"; /* execvp's default */
  for (const char *dir = path;; dir++) {
    size_t dir_len = strcspn(dir, ":");
    int n = dir_len ? snprintf(out, len, "%.*s/%s", (int)dir_len, dir, name)
                    : snprintf(out, len, "%s", name); /* an empty entry is the current directory */
    if (n > 0 && (size_t)n < len && run_is_executable_file(out))
      return 0;
    dir += dir_len;
    if (!*dir)
      break;
  }
  return -ENOENT;
}

int launch_program_is_secure(const char *path)
{
  struct stat st;
  if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
    return 0;
  if ((st.st_mode & S_ISUID) && st.st_uid != geteuid())
    return 1;
  if ((st.st_mode & S_ISGID) && st.st_gid != getegid() && group_member(st.st_gid) == 0)
    return 1;
  return getxattr(path, "security.capability", NULL, 0) > 0;
}

/* The file's dynamic section and its string table, bounds-checked. */
static int run_elf_dynamic(const unsigned char *map, size_t size, const Elf64_Dyn **dyn,
                           size_t *dyn_count, const char **strtab, size_t *strtab_size)
{
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)map;
  if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
      eh->e_shoff == 0 || eh->e_shoff > size ||
      (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
    return -ENOEXEC;
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(map + eh->e_shoff);
  for (size_t i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_DYNAMIC || sh[i].sh_link >= eh->e_shnum)
      continue;
    const Elf64_Shdr *str = &sh[sh[i].sh_link];
    if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset || str->sh_offset > size ||
        str->sh_size > size - str->sh_offset)
      return -ENOEXEC;
    *dyn = (const Elf64_Dyn *)(map + sh[i].sh_offset);
    *dyn_count = sh[i].sh_size / sizeof(Elf64_Dyn);
    *strtab = (const char *)(map + str->sh_offset);
    *strtab_size = str->sh_size;
    return 0;
  }
  return -ENOENT; /* static */
}

int launch_asan_runtime(const char *path, char *out, size_t len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
    close(fd);
    return 0;
  }
  size_t size = (size_t)st.st_size;
  unsigned char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED)
    return -errno;
  const Elf64_Dyn *dyn;
  const char *strtab;
  size_t dyn_count, strtab_size;
  int found = 0;
  if (run_elf_dynamic(map, size, &dyn, &dyn_count, &strtab, &strtab_size) == 0) {
    for (size_t i = 0; i < dyn_count && dyn[i].d_tag != DT_NULL && !found; i++) {
      if (dyn[i].d_tag != DT_NEEDED || dyn[i].d_un.d_val >= strtab_size)
        continue;
      const char *name = strtab + dyn[i].d_un.d_val;
      size_t name_len = strnlen(name, strtab_size - dyn[i].d_un.d_val);
      if (name_len < strtab_size - dyn[i].d_un.d_val && strncmp(name, "libasan.so", 10) == 0 &&
          name_len < len) {
        memcpy(out, name, name_len + 1);
        found = 1;
      }
    }
  }
  munmap(map, size);
  return found;
}

/* Whether one LD_PRELOAD entry (len bytes) names an ASan runtime: its file name does. */
static int run_entry_is_asan(const char *entry, size_t len)
{
  const char *base = entry;
  for (size_t i = 0; i < len; i++)
    if (entry[i] == '/')
      base = entry + i + 1;
  return len - (size_t)(base - entry) >= 10 && strncmp(base, "libasan.so", 10) == 0;
}

int launch_preload_set(const char *library, const char *asan_runtime)
{
  const char *old = getenv("LD_PRELOAD");
  if (!old)
    old = "";
  /* ld.so splits LD_PRELOAD at spaces and colons. */
  static const char separators[] = ": ";
  size_t cap = strlen(old) + strlen(library) + (asan_runtime ? strlen(asan_runtime) : 0) + 4;
  char *value = malloc(cap), *rest = malloc(cap);
  if (!value || !rest) {
    free(value);
    free(rest);
    return -ENOMEM;
  }
  const char *asan_entry = asan_runtime;
  size_t asan_len = asan_runtime ? strlen(asan_runtime) : 0;
  size_t rest_len = 0;
  for (const char *p = old; *p;) {
    size_t n = strcspn(p, separators);
    if (n && asan_runtime && asan_entry == asan_runtime && run_entry_is_asan(p, n)) {
      asan_entry = p, asan_len = n; /* the user's own choice of runtime, moved first */
    } else if (n) {
      rest_len += (size_t)sprintf(rest + rest_len, "%s%.*s", rest_len ? ":" : "", (int)n, p);
    }
    p += n;
    p += strspn(p, separators);
  }
  rest[rest_len] = '\0';
  size_t used = 0;
  if (asan_entry)
    used += (size_t)sprintf(value, "%.*s:", (int)asan_len, asan_entry);
  sprintf(value + used, "%s%s%s", library, rest_len ? ":" : "", rest);
  int rc = setenv("LD_PRELOAD", value, 1) < 0 ? -errno : 0;
  free(value);
  free(rest);
  return rc;
}

/* The library next to this tool (build tree), else where it is installed. */
int launch_library_find(char *out, size_t len)
{
  char self[PATH_MAX - 64];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = '\0';
      snprintf(out, len, "%s/libactorscope.so", self);
      if (access(out, R_OK) == 0)
        return 0;
      snprintf(out, len, "%s/" ACTORSCOPE_LIBRARY_FROM_BINDIR, self);
      if (access(out, R_OK) == 0)
        return 0;
    }
  }
  snprintf(out, len, "%s", ACTORSCOPE_INSTALLED_LIBRARY);
  return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

const char *launch_status_text(int wait_status, char *out, size_t cap)
{
  if (WIFSIGNALED(wait_status))
    snprintf(out, cap, "killed by SIG%s",
             sigabbrev_np(WTERMSIG(wait_status)) ? sigabbrev_np(WTERMSIG(wait_status)) : "?");
  else
    snprintf(out, cap, "exited with status %d", WEXITSTATUS(wait_status));
  return out;
}
