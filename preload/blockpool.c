#include "blockpool.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define BLOCKPOOL_ADDRESS_BITS 48
#define BLOCKPOOL_ADDRESS_MASK ((1ull << BLOCKPOOL_ADDRESS_BITS) - 1)

/* Each block is followed by the link that threads it on the free list: kept apart from the
 * bytes handed out, so a stale reader of the link never races the block's new owner. */
struct blockpool_link {
  _Atomic uint64_t next; /* the next free block's address */
};

static size_t blockpool_stride(const struct as_blockpool *pool)
{
  return pool->block_size + sizeof(struct blockpool_link);
}

static struct blockpool_link *blockpool_link_of(const struct as_blockpool *pool, void *block)
{
  return (struct blockpool_link *)((char *)block + pool->block_size);
}

/* Under LeakSanitizer (an ASan-built host) memory that only a pool block points to (a
 * record's links and monitors arrays) would be reported as leaked at exit, and the report
 * changes the host's exit status. The pool registers what it has cut as a root region, so LSan
 * scans it like a global; chunk by chunk as blocks are cut, not the whole reservation (1 GiB
 * of untouched pages to read at exit). No link-time dependency: NULL without LSan. */
typedef void (*blockpool_lsan_register_fn)(const void *begin, size_t size);
static blockpool_lsan_register_fn _Atomic blockpool_lsan_register;
#define BLOCKPOOL_LSAN_CHUNK_BYTES (1u << 20)

/* Before the first region is mapped (so every cut sees the answer); cheap enough to repeat
 * when two threads reserve at once. */
static void blockpool_lsan_find(void)
{
  void *fn = dlsym(RTLD_DEFAULT, "__lsan_register_root_region");
  if (!fn)
    dlerror(); /* the failed lookup is ours: the host's next dlerror() must not see it */
  atomic_store(&blockpool_lsan_register, (blockpool_lsan_register_fn)fn);
}

/* Called for the block cut at index `at`: the first of a chunk registers the whole chunk. */
static __attribute__((noinline)) void blockpool_lsan_cut(const struct as_blockpool *pool,
                                                         char *region, size_t at)
{
  blockpool_lsan_register_fn reg =
      atomic_load_explicit(&blockpool_lsan_register, memory_order_relaxed);
  if (!reg)
    return;
  size_t stride = blockpool_stride(pool);
  size_t chunk = (BLOCKPOOL_LSAN_CHUNK_BYTES + stride - 1) / stride;
  if (at % chunk != 0)
    return;
  size_t begin = at * stride;
  size_t end = (at + chunk) * stride;
  reg(region + begin, (end < pool->region_bytes ? end : pool->region_bytes) - begin);
}

int as_blockpool_reserve(struct as_blockpool *pool)
{
  if (atomic_load_explicit(&pool->region, memory_order_acquire))
    return 0;
  blockpool_lsan_find();
  char *region = mmap(NULL, pool->region_bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED)
    return -ENOMEM;
  char *expected = NULL;
  if (!atomic_compare_exchange_strong_explicit(&pool->region, &expected, region,
                                               memory_order_acq_rel, memory_order_acquire))
    munmap(region, pool->region_bytes); /* another thread reserved it first */
  return 0;
}

/* A page fault costs 10-40 µs on virtual machines with paravirtualised page tables (the
 * development VM, loaded: 32-41 µs a page faulted in by a write; 15-25 µs a page made present
 * by one madvise for 64 KB and then written, most of it the hypervisor's own fill at the first
 * touch). A pool cut at every spawn touches a new page every ~18 blocks: its pages are made
 * present a chunk at a time by the thread that cuts past the end of the last chunk, as many
 * bytes as are present already (a program with a few actors keeps a few pages; pages are 4 KB
 * on the machines this targets, elsewhere madvise refuses and pages fault in as before), at
 * most BLOCKPOOL_POPULATE_MAX.
 *
 * Past its first BLOCKPOOL_HUGE_FROM bytes a pool serves a spawn-heavy program: the rest of its
 * region is asked for transparent huge pages, populated 2 MB at a time. On the development VM a
 * 2 MB huge page made present by madvise costs 0.1-4 ms in all, its first touches nothing more
 * (64 MB: 3-120 ms, the more when the VM's memory was never used before; then 0.04 µs a 4 KB
 * page), where 512 small pages cost 4-6 ms at their first touches whoever made them present
 * (bench/page_touch.c). CAF spawn 100k cuts ~21 k records and as many peers
 * tables: one spawn in 80 used to pay ~10 µs at its record's first touch and one in 85 at its
 * table's, and on one CPU the run did 6% less work with huge pages. A program with fewer actors
 * keeps its few small pages. Where a huge page is slow to come (the kernel compacting memory
 * for it on the taking thread, or THP off and 2 MB of small pages populated at once), the rest
 * of the region goes back to small pages, populated as before. */
#define BLOCKPOOL_POPULATE_MIN (4u << 10) /* a program with one actor: one page, as a fault */
#define BLOCKPOOL_POPULATE_MAX (256u << 10)
#define BLOCKPOOL_HUGE_FROM (2u << 20)
#define BLOCKPOOL_HUGE_BYTES (2u << 20)
#define BLOCKPOOL_HUGE_SLOW_NS 20000000 /* 0.1-4 ms on this VM, as many small pages 4-6 ms */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

static void blockpool_advise_huge(const struct as_blockpool *pool, char *region)
{
  uintptr_t from = ((uintptr_t)region + BLOCKPOOL_HUGE_FROM + BLOCKPOOL_HUGE_BYTES - 1) &
                   ~(uintptr_t)(BLOCKPOOL_HUGE_BYTES - 1);
  uintptr_t end = (uintptr_t)region + pool->region_bytes;
  if (from < end)
    madvise((void *)from, end - from, MADV_HUGEPAGE);
}

static int64_t blockpool_ns_since(const struct timespec *start)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)(now.tv_sec - start->tv_sec) * 1000000000 + (now.tv_nsec - start->tv_nsec);
}

/* Makes the region's pages up to at least `end` present (bytes from its start). */
static __attribute__((noinline)) void blockpool_populate(struct as_blockpool *pool, char *region,
                                                         size_t end)
{
  size_t done = atomic_load_explicit(&pool->populated, memory_order_relaxed);
  while (done < end) {
    int huge = done >= BLOCKPOOL_HUGE_FROM &&
               !atomic_load_explicit(&pool->small_pages_only, memory_order_relaxed);
    size_t chunk = huge                            ? BLOCKPOOL_HUGE_BYTES
                   : done < BLOCKPOOL_POPULATE_MIN ? BLOCKPOOL_POPULATE_MIN
                   : done > BLOCKPOOL_POPULATE_MAX ? BLOCKPOOL_POPULATE_MAX
                                                   : done;
    size_t to = (end + chunk - 1) / chunk * chunk;
    if (to > pool->region_bytes)
      to = pool->region_bytes;
    /* Whoever moves the mark populates the bytes it covers: two threads never do the same. */
    if (!atomic_compare_exchange_weak_explicit(&pool->populated, &done, to, memory_order_relaxed,
                                               memory_order_relaxed))
      continue;
    int saved = errno;
    if (done < BLOCKPOOL_HUGE_FROM && to >= BLOCKPOOL_HUGE_FROM)
      blockpool_advise_huge(pool, region);
    struct timespec start;
    if (huge)
      clock_gettime(CLOCK_MONOTONIC, &start);
    /* Failure (an older kernel, no memory at the moment) leaves the pages to fault in as used;
     * a kernel without the advice is not asked again. */
    if (madvise(region + done, to - done, MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
      atomic_store_explicit(&pool->populated, pool->region_bytes, memory_order_relaxed);
    else if (huge && blockpool_ns_since(&start) > BLOCKPOOL_HUGE_SLOW_NS &&
             !atomic_exchange_explicit(&pool->small_pages_only, 1, memory_order_relaxed) &&
             to < pool->region_bytes)
      madvise(region + to, pool->region_bytes - to, MADV_NOHUGEPAGE);
    errno = saved;
    return;
  }
}

static uint64_t blockpool_head(uint64_t address, uint64_t previous)
{
  return address | ((previous >> BLOCKPOOL_ADDRESS_BITS) + 1) << BLOCKPOOL_ADDRESS_BITS;
}

/* The next block: from the free list, else cut from the region (never used, so all zero, the
 * region being an anonymous mapping). */
void *as_blockpool_take(struct as_blockpool *pool)
{
  uint64_t head = atomic_load_explicit(&pool->free_head, memory_order_acquire);
  void *block;
  while ((block = (void *)(uintptr_t)(head & BLOCKPOOL_ADDRESS_MASK))) {
    uint64_t next =
        atomic_load_explicit(&blockpool_link_of(pool, block)->next, memory_order_relaxed);
    if (atomic_compare_exchange_weak_explicit(&pool->free_head, &head, blockpool_head(next, head),
                                              memory_order_acquire, memory_order_acquire))
      return block;
  }
  char *region = atomic_load_explicit(&pool->region, memory_order_acquire);
  if (!region)
    return NULL;
  size_t at = atomic_fetch_add_explicit(&pool->cut, 1, memory_order_relaxed);
  size_t stride = blockpool_stride(pool);
  /* The block's end within the region (a multiplication: a division costs dozens of cycles at
   * every cut); the count overshoots harmlessly, nothing is cut past the end. */
  if (at >= pool->region_bytes / sizeof(struct blockpool_link) ||
      (at + 1) * stride > pool->region_bytes)
    return NULL;
  block = region + at * stride;
  if (pool->populate &&
      (at + 1) * stride > atomic_load_explicit(&pool->populated, memory_order_relaxed))
    blockpool_populate(pool, region, (at + 1) * stride);
  if (atomic_load_explicit(&blockpool_lsan_register, memory_order_relaxed))
    blockpool_lsan_cut(pool, region, at);
  return block;
}

/* prefetchw: a hint (a processor without it runs it as a no-op), which never faults. */
__attribute__((target("prfchw"))) void as_blockpool_prefetch_next(struct as_blockpool *pool)
{
  uint64_t head = atomic_load_explicit(&pool->free_head, memory_order_relaxed);
  char *block = (char *)(uintptr_t)(head & BLOCKPOOL_ADDRESS_MASK);
  if (!block) {
    char *region = atomic_load_explicit(&pool->region, memory_order_relaxed);
    size_t at = atomic_load_explicit(&pool->cut, memory_order_relaxed);
    size_t stride = blockpool_stride(pool);
    if (!region || (at + 1) * stride > atomic_load_explicit(&pool->populated, memory_order_relaxed))
      return;
    block = region + at * stride;
  }
  /* Every cache line the block and its link touch. */
  char *end = block + blockpool_stride(pool);
  for (char *line = (char *)((uintptr_t)block & ~(uintptr_t)63); line < end; line += 64)
    __builtin_prefetch(line, 1, 3);
}

void as_blockpool_give(struct as_blockpool *pool, void *block)
{
  if (!block)
    return;
  struct blockpool_link *link = blockpool_link_of(pool, block);
  uint64_t head = atomic_load_explicit(&pool->free_head, memory_order_relaxed);
  do
    atomic_store_explicit(&link->next, head & BLOCKPOOL_ADDRESS_MASK, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&pool->free_head, &head,
                                                blockpool_head((uint64_t)(uintptr_t)block, head),
                                                memory_order_release, memory_order_relaxed));
}

int as_blockpool_owns(const struct as_blockpool *pool, const void *block)
{
  const char *region =
      atomic_load_explicit(&((struct as_blockpool *)pool)->region, memory_order_acquire);
  return region && (const char *)block >= region &&
         (const char *)block < region + pool->region_bytes;
}

uint64_t as_blockpool_in_use(const struct as_blockpool *pool)
{
  struct as_blockpool *p = (struct as_blockpool *)pool;
  /* Blocks cut (the count overshoots by the cuts refused at the region's end), less those on
   * the free list (bounded by the cut: a list changed under the walk cannot loop it). */
  size_t cut = atomic_load_explicit(&p->cut, memory_order_relaxed);
  size_t most = pool->region_bytes / blockpool_stride(pool);
  uint64_t used = cut < most ? cut : most, free = 0;
  uint64_t head = atomic_load_explicit(&p->free_head, memory_order_acquire);
  for (void *block = (void *)(uintptr_t)(head & BLOCKPOOL_ADDRESS_MASK); block && free < used;
       free++)
    block = (void *)(uintptr_t)atomic_load_explicit(&blockpool_link_of(pool, block)->next,
                                                    memory_order_relaxed);
  return used - free;
}
