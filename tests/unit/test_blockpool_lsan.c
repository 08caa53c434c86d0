/* Under LeakSanitizer the pool registers what it cuts as root regions, so memory that only a
 * block points to is not reported as leaked. This executable plays LSan: it exports its own
 * __lsan_register_root_region, which the pool finds with dlsym(RTLD_DEFAULT). */
#include "blockpool.h"

#include <criterion/criterion.h>
#include <stddef.h>

#define MAX_REGIONS 64

static const char *region_begin[MAX_REGIONS];
static size_t region_size[MAX_REGIONS];
static int region_count;

void __lsan_register_root_region(const void *begin, size_t size);
void __lsan_register_root_region(const void *begin, size_t size)
{
  cr_assert_lt(region_count, MAX_REGIONS);
  region_begin[region_count] = begin;
  region_size[region_count++] = size;
}

static int registered(const char *begin, size_t size)
{
  for (int i = 0; i < region_count; i++)
    if (begin >= region_begin[i] && begin + size <= region_begin[i] + region_size[i])
      return 1;
  return 0;
}

Test(blockpool_lsan, every_block_cut_lies_in_a_registered_root_region_and_none_past_the_end)
{
  /* 1000-byte blocks (1008 with the link) in 3.5 MiB: chunks of 1041 blocks, the last short. */
  static struct as_blockpool pool = AS_BLOCKPOOL_INIT(1000, 7u << 19);
  cr_assert_eq(as_blockpool_reserve(&pool), 0);
  size_t blocks = 0;
  const char *first = NULL;
  for (char *block; (block = as_blockpool_take(&pool)); blocks++) {
    first = first ? first : block;
    cr_assert(registered(block, 1008), "block %zu is in no root region", blocks);
  }
  cr_assert_eq(blocks, (7u << 19) / 1008);
  cr_assert_eq(region_count, 4, "one region per chunk of about 1 MiB, %d", region_count);
  for (int i = 0; i < region_count; i++)
    cr_assert(region_begin[i] >= first && region_begin[i] + region_size[i] <= first + (7u << 19),
              "region %d reaches outside the pool", i);
}
