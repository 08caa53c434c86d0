#include "tallypool.h"

#include <criterion/criterion.h>
#include <pthread.h>

Test(tallypool, a_given_block_is_taken_again_zeroed)
{
  cr_assert_eq(as_tallypool_reserve(), 0);
  struct as_tally_more *block = as_tallypool_take();
  cr_assert_not_null(block);
  block->slots[3] = 42;
  block->other = 7;
  as_tallypool_give(block);
  struct as_tally_more *again = as_tallypool_take();
  cr_assert_eq(again, block, "the free list is used before the region");
  cr_assert_eq(again->slots[3], 0);
  cr_assert_eq(again->other, 0);
  as_tallypool_give(again);
}

#define THREADS 4
#define ROUNDS 20000
#define HELD 8

/* Each thread marks the blocks it holds with its number and checks the marks before giving
 * them back: a block handed to two threads at once shows up as a foreign mark. */
static void *churn(void *arg)
{
  uint64_t mark = (uint64_t)(uintptr_t)arg;
  struct as_tally_more *held[HELD];
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < HELD; i++) {
      held[i] = as_tallypool_take();
      if (!held[i])
        return (void *)1;
      atomic_store(&held[i]->slots[0], mark);
    }
    for (int i = 0; i < HELD; i++) {
      if (atomic_load(&held[i]->slots[0]) != mark)
        return (void *)2;
      as_tallypool_give(held[i]);
    }
  }
  return NULL;
}

Test(tallypool, threads_taking_and_giving_never_share_a_block)
{
  cr_assert_eq(as_tallypool_reserve(), 0);
  uint64_t before = as_tallypool_in_use();
  pthread_t threads[THREADS];
  for (uintptr_t t = 0; t < THREADS; t++)
    pthread_create(&threads[t], NULL, churn, (void *)(t + 1));
  for (int t = 0; t < THREADS; t++) {
    void *result;
    pthread_join(threads[t], &result);
    cr_assert_null(result, "thread %d failed with %p", t, result);
  }
  cr_assert_eq(as_tallypool_in_use(), before);
}
