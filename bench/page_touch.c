/* What this machine charges for a page at its first touch, the way the tracer's pools make
 * pages present (preload/blockpool.c): 64 MB touched one 4 KB page at a time, after nothing,
 * after MADV_POPULATE_WRITE, and as transparent huge pages made present by the same madvise.
 * On VMs with paravirtualised page tables the first touch of a small page costs ~10 µs however
 * the page was made present; docs/performance.md, "Pages at their first touch". */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define REGION (64u << 20)
#define HUGE (2u << 20)
#define PAGE 4096u

static double seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Prints one row; an advice this kernel refuses is printed as such. */
static void measure(const char *label, int huge, int populate)
{
  char *mapped = mmap(NULL, REGION + HUGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapped == MAP_FAILED) {
    printf("  %-44s no 66 MB of address space\n", label);
    return;
  }
  char *region = (char *)(((uintptr_t)mapped + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
  double start = seconds();
  if ((huge && madvise(region, REGION, MADV_HUGEPAGE) != 0) ||
      (populate && madvise(region, REGION, MADV_POPULATE_WRITE) != 0)) {
    printf("  %-44s refused by this kernel\n", label);
    munmap(mapped, REGION + HUGE);
    return;
  }
  double made = seconds();
  for (size_t at = 0; at < REGION; at += PAGE)
    __atomic_fetch_add((uint64_t *)(region + at), 1, __ATOMIC_RELAXED);
  double touched = seconds();
  printf("  %-44s madvise %6.1f ms, first touches %6.1f ms (%.2f us a 4 KB page)\n", label,
         (made - start) * 1e3, (touched - made) * 1e3, (touched - made) * 1e6 / (REGION / PAGE));
  munmap(mapped, REGION + HUGE);
}

int main(void)
{
  measure("small pages, faulted in by the touch", 0, 0);
  measure("small pages, MADV_POPULATE_WRITE first", 0, 1);
  measure("huge pages (MADV_HUGEPAGE), populated first", 1, 1);
  return 0;
}
