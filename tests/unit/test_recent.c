#include "recent.h"

#include <criterion/criterion.h>
#include <pthread.h>

Test(recent, a_fact_is_recalled_under_its_exact_key_only)
{
  static int a, b;
  as_recent_put(&a, 7, 1001);
  cr_assert_eq(as_recent_get(&a, 7), 1001);
  cr_assert_eq(as_recent_get(&b, 7), 0, "another owner's request 7");
  cr_assert_eq(as_recent_get(&a, 8), 0, "a request never made");
  as_recent_put(&a, 7, 1002);
  cr_assert_eq(as_recent_get(&a, 7), 1002, "a later fact replaces the earlier one");
}

Test(recent, recent_facts_of_many_owners_are_kept)
{
  static char owners[64];
  for (int i = 0; i < 64; i++)
    for (uint64_t id = 1; id <= 4; id++)
      as_recent_put(&owners[i], id, (uint64_t)i * 10 + id);
  int kept = 0;
  for (int i = 0; i < 64; i++)
    for (uint64_t id = 1; id <= 4; id++) {
      uint64_t v = as_recent_get(&owners[i], id);
      cr_assert(v == 0 || v == (uint64_t)i * 10 + id);
      kept += v != 0;
    }
  cr_assert_geq(kept, 240, "256 facts in 4096 slots: about 8 collide (%d kept)", kept);
}

#define THREADS 4
#define ROUNDS 200000

static uint64_t expected_value(uintptr_t owner, uint64_t id) { return owner * 1000003u + id; }

/* Writers race on few slots; each also reads back: a value must belong to the key read. */
static void *race(void *arg)
{
  static char owners[8];
  uintptr_t t = (uintptr_t)arg;
  for (uint64_t round = 1; round <= ROUNDS; round++) {
    const void *owner = &owners[(t + round) % 8];
    uint64_t id = round % 16 + 1;
    as_recent_put(owner, id, expected_value((uintptr_t)owner, id));
    const void *other = &owners[(t + round + 3) % 8];
    uint64_t seen = as_recent_get(other, id);
    if (seen != 0 && seen != expected_value((uintptr_t)other, id))
      return (void *)1;
  }
  return NULL;
}

Test(recent, racing_writers_never_make_a_reader_see_another_keys_value)
{
  pthread_t threads[THREADS];
  for (uintptr_t t = 0; t < THREADS; t++)
    pthread_create(&threads[t], NULL, race, (void *)t);
  for (int t = 0; t < THREADS; t++) {
    void *result;
    pthread_join(threads[t], &result);
    cr_assert_null(result);
  }
}
