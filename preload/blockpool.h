/* Fixed-size blocks that hooks take where malloc must not be called (the hot path) or would
 * contend with the host's own allocations (spawn): from a free list first, else cut from an
 * address range reserved once and touched only as it is used. Lock-free. Blocks are recycled,
 * never unmapped, so a stale pointer read by a thread that lost a race stays readable. */
#ifndef AS_BLOCKPOOL_H
#define AS_BLOCKPOOL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct as_blockpool {
  size_t block_size;   /* bytes a block offers: a multiple of 8 */
  size_t region_bytes; /* address space reserved (not memory used) */
  char *_Atomic region;
  _Atomic size_t cut; /* blocks ever cut from the region */
  /* The free list: a block address in the low 48 bits, a change count in the high 16 against
   * ABA (a pop that read the head, then lost the race to 65536 other changes). */
  _Atomic uint64_t free_head;
  /* Whether the region's pages are made present ahead of the cut, a chunk at a time, rather
   * than faulted in one by one as blocks are first written (pools cut at every spawn); and
   * how many bytes from the region's start are present so far. */
  int populate;
  _Atomic size_t populated;
  /* Set once making a huge page present took too long (compaction, or no THP): the rest of the
   * region keeps small pages. */
  _Atomic int small_pages_only;
};

#define AS_BLOCKPOOL_INIT(block_size, region_bytes)                                                \
  {                                                                                                \
    (block_size), (region_bytes), NULL, 0, 0, 0, 0, 0                                              \
  }
/* The same for a pool cut at a high rate (a block a spawn). */
#define AS_BLOCKPOOL_INIT_POPULATED(block_size, region_bytes)                                      \
  {                                                                                                \
    (block_size), (region_bytes), NULL, 0, 0, 1, 0, 0                                              \
  }

/* Reserves the region (idempotent; not on the hot path). Returns 0 or -ENOMEM. */
int as_blockpool_reserve(struct as_blockpool *pool);
/* A block of pool->block_size bytes, or NULL when none is left or the region was never
 * reserved. One never taken before is zero; one given back holds what its giver left (a pool
 * whose users zero blocks as they give them back hands out zeroed blocks only). */
void *as_blockpool_take(struct as_blockpool *pool);
/* Asks for the block the next take would return, for writing: a block freed on another thread
 * (the collector zeroes records as it frees them) is then this core's by the next take, rather
 * than fetched line by line as it is written. Only a hint. */
void as_blockpool_prefetch_next(struct as_blockpool *pool);
void as_blockpool_give(struct as_blockpool *pool, void *block);
/* Whether block came from this pool (rather than from a fallback allocator). */
int as_blockpool_owns(const struct as_blockpool *pool, const void *block);
/* Blocks taken and not given back: those cut less those on the free list, counted by walking it
 * (for tests and the bench, while no thread takes or gives; a take or give counts nothing, so
 * as not to pay a locked add on the spawn path and another on the collector's). */
uint64_t as_blockpool_in_use(const struct as_blockpool *pool);

#endif
