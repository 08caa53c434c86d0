#define _GNU_SOURCE
#include "got_maps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int got_maps_add(struct as_got_maps *m, uintptr_t lo, uintptr_t hi, int prot)
{
  if (m->count == m->capacity) {
    size_t capacity = m->capacity ? m->capacity * 2 : 256;
    struct as_got_map *grown = realloc(m->maps, capacity * sizeof *grown);
    if (!grown)
      return -ENOMEM;
    m->maps = grown;
    m->capacity = capacity;
  }
  m->maps[m->count++] = (struct as_got_map){lo, hi, prot};
  return 0;
}

/* "lo-hi rwxp ...": the rest of the line does not matter here. */
static int got_maps_parse_line(struct as_got_maps *m, const char *line)
{
  char *end;
  uintptr_t lo = strtoull(line, &end, 16);
  if (*end != '-')
    return 0;
  uintptr_t hi = strtoull(end + 1, &end, 16);
  if (*end != ' ' || strlen(end) < 4)
    return 0;
  int prot = (end[1] == 'r' ? PROT_READ : 0) | (end[2] == 'w' ? PROT_WRITE : 0) |
             (end[3] == 'x' ? PROT_EXEC : 0);
  return got_maps_add(m, lo, hi, prot);
}

int as_got_maps_read(struct as_got_maps *m)
{
  m->count = 0;
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  /* Lines are under 4 KiB (a path is at most PATH_MAX); a longer one is cut, never merged. */
  char buf[8192];
  size_t have = 0;
  int rc = 0;
  for (;;) {
    ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    have += (size_t)n;
    buf[have] = '\0';
    char *line = buf, *nl;
    while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
      *nl = '\0';
      if ((rc = got_maps_parse_line(m, line)) < 0)
        break;
      line = nl + 1;
    }
    if (rc < 0)
      break;
    have -= (size_t)(line - buf);
    memmove(buf, line, have);
    if (have == sizeof buf - 1)
      have = 0;
  }
  close(fd);
  if (rc < 0)
    m->count = 0;
  return rc;
}

int as_got_maps_prot(const struct as_got_maps *m, uintptr_t addr)
{
  size_t lo = 0, hi = m->count; /* the kernel lists mappings by address */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (addr < m->maps[mid].lo)
      hi = mid;
    else if (addr >= m->maps[mid].hi)
      lo = mid + 1;
    else
      return m->maps[mid].prot;
  }
  return -1;
}

void as_got_maps_free(struct as_got_maps *m)
{
  free(m->maps);
  memset(m, 0, sizeof *m);
}
