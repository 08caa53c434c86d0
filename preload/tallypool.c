#include "tallypool.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

/* 1.1M blocks of 112 bytes: address space only, pages are touched as blocks are first used. */
#define TALLYPOOL_REGION_BYTES (128u << 20)
/* The free list's head: a block address in the low 48 bits, a change count in the high 16
 * against ABA (a pop that read a head, then lost the race to 65536 other changes). */
#define TALLYPOOL_ADDRESS_BITS 48
#define TALLYPOOL_ADDRESS_MASK ((1ull << TALLYPOOL_ADDRESS_BITS) - 1)

static pthread_once_t tallypool_once = PTHREAD_ONCE_INIT;
static struct as_tally_more *tallypool_region;
static size_t tallypool_capacity;
static _Atomic size_t tallypool_used; /* blocks ever cut from the region */
static _Atomic uint64_t tallypool_free_head;
static _Atomic uint64_t tallypool_taken, tallypool_given;

static void tallypool_map(void)
{
  void *region = mmap(NULL, TALLYPOOL_REGION_BYTES, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED)
    return;
  tallypool_region = region;
  tallypool_capacity = TALLYPOOL_REGION_BYTES / sizeof(struct as_tally_more);
}

int as_tallypool_reserve(void)
{
  pthread_once(&tallypool_once, tallypool_map);
  return tallypool_region ? 0 : -ENOMEM;
}

static struct as_tally_more *tallypool_address(uint64_t head)
{
  return (struct as_tally_more *)(uintptr_t)(head & TALLYPOOL_ADDRESS_MASK);
}

static uint64_t tallypool_head(struct as_tally_more *block, uint64_t previous)
{
  return (uint64_t)(uintptr_t)block | ((previous >> TALLYPOOL_ADDRESS_BITS) + 1)
                                          << TALLYPOOL_ADDRESS_BITS;
}

static struct as_tally_more *tallypool_pop(void)
{
  uint64_t head = atomic_load_explicit(&tallypool_free_head, memory_order_acquire);
  struct as_tally_more *block;
  while ((block = tallypool_address(head))) {
    struct as_tally_more *next = atomic_load_explicit(&block->next_free, memory_order_relaxed);
    if (atomic_compare_exchange_weak_explicit(&tallypool_free_head, &head,
                                              tallypool_head(next, head), memory_order_acquire,
                                              memory_order_acquire))
      return block;
  }
  return NULL;
}

struct as_tally_more *as_tallypool_take(void)
{
  struct as_tally_more *block = tallypool_pop();
  if (!block) {
    if (!tallypool_region)
      return NULL;
    size_t at = atomic_fetch_add_explicit(&tallypool_used, 1, memory_order_relaxed);
    if (at >= tallypool_capacity)
      return NULL; /* the count overshoots harmlessly: nothing is cut past the end */
    block = &tallypool_region[at];
  }
  for (int i = 0; i < AS_TALLY_MORE_SLOTS; i++)
    atomic_store_explicit(&block->slots[i], 0, memory_order_relaxed);
  atomic_store_explicit(&block->other, 0, memory_order_relaxed);
  atomic_fetch_add_explicit(&tallypool_taken, 1, memory_order_relaxed);
  return block;
}

void as_tallypool_give(struct as_tally_more *block)
{
  if (!block)
    return;
  atomic_fetch_add_explicit(&tallypool_given, 1, memory_order_relaxed);
  uint64_t head = atomic_load_explicit(&tallypool_free_head, memory_order_relaxed);
  do
    atomic_store_explicit(&block->next_free, tallypool_address(head), memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&tallypool_free_head, &head,
                                                tallypool_head(block, head), memory_order_release,
                                                memory_order_relaxed));
}

uint64_t as_tallypool_in_use(void)
{
  return atomic_load_explicit(&tallypool_taken, memory_order_relaxed) -
         atomic_load_explicit(&tallypool_given, memory_order_relaxed);
}
