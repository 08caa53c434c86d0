#include "blockpool.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Stands in for libc's madvise in this binary: a test may make populating a huge page slow, as
 * the kernel's compaction (or 2 MB of small pages with THP off) would. */
static int slow_huge_populate;
int madvise(void *addr, size_t length, int advice)
{
  if (slow_huge_populate && advice == MADV_POPULATE_WRITE && length == (2u << 20))
    /* Longer than blockpool.c's BLOCKPOOL_HUGE_SLOW_NS. */
    usleep(25000);
  return (int)syscall(SYS_madvise, addr, length, advice);
}

Test(blockpool, a_given_block_is_taken_again_before_the_region_is_cut_further)
{
  static struct as_blockpool pool = AS_BLOCKPOOL_INIT(40, 1u << 20);
  cr_assert_null(as_blockpool_take(&pool), "nothing before the region is reserved");
  cr_assert_eq(as_blockpool_reserve(&pool), 0);
  char *a = as_blockpool_take(&pool), *b = as_blockpool_take(&pool);
  cr_assert(a && b && a != b);
  cr_assert_geq((size_t)(b > a ? b - a : a - b), 40, "blocks overlap");
  cr_assert(as_blockpool_owns(&pool, a));
  int outside;
  cr_assert_not(as_blockpool_owns(&pool, &outside));
  memset(a, 0xab, 40); /* every byte is the taker's */
  as_blockpool_give(&pool, a);
  cr_assert_eq(as_blockpool_take(&pool), a);
  cr_assert_eq(as_blockpool_in_use(&pool), 2);
  as_blockpool_give(&pool, a);
  as_blockpool_give(&pool, b);
  cr_assert_eq(as_blockpool_in_use(&pool), 0);
}

Test(blockpool, a_used_up_region_gives_null)
{
  static struct as_blockpool pool = AS_BLOCKPOOL_INIT(4096 - 8, 3 * 4096);
  cr_assert_eq(as_blockpool_reserve(&pool), 0);
  for (int i = 0; i < 3; i++)
    cr_assert_not_null(as_blockpool_take(&pool));
  cr_assert_null(as_blockpool_take(&pool));
}

#define THREADS 4
#define ROUNDS 20000
#define HELD 8

static struct as_blockpool shared_pool = AS_BLOCKPOOL_INIT(64, 1u << 20);

/* Each thread fills the blocks it holds with its number and checks them before giving them
 * back: a block handed to two threads at once shows up as a foreign byte. */
static void *churn(void *arg)
{
  unsigned char mark = (unsigned char)(uintptr_t)arg;
  unsigned char *held[HELD];
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < HELD; i++) {
      held[i] = as_blockpool_take(&shared_pool);
      if (!held[i])
        return (void *)1;
      memset(held[i], mark, 64);
    }
    for (int i = 0; i < HELD; i++) {
      for (int k = 0; k < 64; k++)
        if (held[i][k] != mark)
          return (void *)2;
      as_blockpool_give(&shared_pool, held[i]);
    }
  }
  return NULL;
}

Test(blockpool, threads_taking_and_giving_never_share_a_block)
{
  cr_assert_eq(as_blockpool_reserve(&shared_pool), 0);
  pthread_t threads[THREADS];
  for (uintptr_t t = 0; t < THREADS; t++)
    pthread_create(&threads[t], NULL, churn, (void *)(t + 1));
  for (int t = 0; t < THREADS; t++) {
    void *result;
    pthread_join(threads[t], &result);
    cr_assert_null(result, "thread %d failed with %p", t, result);
  }
  cr_assert_eq(as_blockpool_in_use(&shared_pool), 0);
  cr_assert_leq(atomic_load(&shared_pool.cut), THREADS * HELD, "blocks were not reused");
}

/* Whether the mapping holding ADDR has FLAG (two letters) among its VmFlags in smaps. */
static int mapping_has_flag(const void *addr, const char *flag)
{
  FILE *smaps = fopen("/proc/self/smaps", "r");
  cr_assert_not_null(smaps);
  char line[512];
  int inside = 0, found = 0;
  while (fgets(line, sizeof line, smaps)) {
    unsigned long from, to;
    if (sscanf(line, "%lx-%lx ", &from, &to) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      inside = (uintptr_t)addr >= from && (uintptr_t)addr < to;
      continue;
    }
    if (inside && strncmp(line, "VmFlags:", 8) == 0) {
      for (char *word = strtok(line + 8, " \n"); word; word = strtok(NULL, " \n"))
        found |= strcmp(word, flag) == 0;
      break;
    }
  }
  fclose(smaps);
  return found;
}

/* A 64 MB populated pool of 4 KB blocks, reserved, its first block taken (returned); skips the
 * test on a kernel without MADV_POPULATE_WRITE. */
static char *populated_pool_first_block(struct as_blockpool *pool)
{
  cr_assert_eq(as_blockpool_reserve(pool), 0);
  char *first = as_blockpool_take(pool);
  if (atomic_load(&pool->populated) == pool->region_bytes)
    cr_skip_test("this kernel has no MADV_POPULATE_WRITE: the pool faults pages in as used");
  return first;
}

/* Takes blocks until BYTES of the pool are cut. */
static void cut_to(struct as_blockpool *pool, size_t bytes)
{
  while (atomic_load(&pool->cut) * 4096 < bytes)
    cr_assert_not_null(as_blockpool_take(pool));
}

Test(blockpool, a_populated_pool_past_its_first_2_mb_asks_huge_pages_for_the_rest_only)
{
  static struct as_blockpool pool = AS_BLOCKPOOL_INIT_POPULATED(4096 - 8, 64u << 20);
  char *first = populated_pool_first_block(&pool);
  cut_to(&pool, 1u << 20);
  cr_assert_not(mapping_has_flag(first + (8u << 20), "hg"), "a 1 MB pool kept small pages");
  cut_to(&pool, 5u << 19);
  if (atomic_load(&pool.small_pages_only))
    cr_skip_test("a huge page took over 20 ms to come on this machine: the pool went back to "
                 "small pages (the next test checks that)");
  cr_assert(mapping_has_flag(first + (8u << 20), "hg"), "past 2 MB: huge pages asked for");
  cr_assert(mapping_has_flag(first + (63u << 20), "hg"), "to the region's end");
  cr_assert_not(mapping_has_flag(first, "hg"), "the first 2 MB keep small pages");
}

Test(blockpool, a_huge_page_slow_to_come_sends_the_rest_of_the_region_back_to_small_pages)
{
  static struct as_blockpool pool = AS_BLOCKPOOL_INIT_POPULATED(4096 - 8, 64u << 20);
  char *first = populated_pool_first_block(&pool);
  slow_huge_populate = 1;
  cut_to(&pool, 5u << 20);
  cr_assert(atomic_load(&pool.small_pages_only));
  cr_assert(mapping_has_flag(first + (8u << 20), "nh"), "the rest: no huge pages");
  cr_assert_not(mapping_has_flag(first + (8u << 20), "hg"));
  cr_assert_leq(atomic_load(&pool.populated), (4u << 20) + (256u << 10) * 5,
                "small pages are populated 256 KB at a time again");
}
