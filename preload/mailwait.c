#include "mailwait.h"

#include <errno.h>
#include <sys/mman.h>

/* 64 KB of stamps, zero pages until a slot is first used. */
_Atomic uint64_t as__mailwait_stamps[1u << AS_MAILWAIT_SLOT_BITS];
_Atomic uint64_t *_Atomic as__mailwait_words[AS_RECORD_SPACES];
uint64_t as__mailwait_mask;
unsigned as__mailwait_shift;

void as_mailwait_configure(unsigned every)
{
  as__mailwait_mask = every ? every - 1 : 0;
  as__mailwait_shift = every ? (unsigned)__builtin_ctz(every) : 0;
}
unsigned as_mailwait_every(void) { return (unsigned)as__mailwait_mask + 1; }

static const size_t mailwait_blocks[AS_RECORD_SPACES] = {
    AS_RECORD_REGION_SMALL / AS_RECORD_STRIDE_SMALL,
    AS_RECORD_REGION_LARGE / AS_RECORD_STRIDE_LARGE,
};

int as_mailwait_reserve(void)
{
  int rc = 0;
  for (int space = 0; space < AS_RECORD_SPACES; space++) {
    if (atomic_load_explicit(&as__mailwait_words[space], memory_order_acquire))
      continue;
    /* Two words a record: 64 MB and 17 MB of address space, touched as records are used. */
    size_t bytes = mailwait_blocks[space] * 2 * sizeof(uint64_t);
    void *words = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (words == MAP_FAILED) {
      rc = -ENOMEM;
      continue;
    }
    _Atomic uint64_t *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&as__mailwait_words[space], &expected,
                                                 (_Atomic uint64_t *)words, memory_order_acq_rel,
                                                 memory_order_acquire))
      munmap(words, bytes); /* another thread reserved it first */
  }
  return rc;
}
