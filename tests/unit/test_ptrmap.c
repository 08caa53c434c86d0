#include "ptrmap.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>

Test(ptrmap, stores_finds_and_removes_entries)
{
  struct as_ptrmap map = AS_PTRMAP_INIT;
  cr_assert_null(as_ptrmap_get(&map, 0x1000));
  int a, b;
  cr_assert_eq(as_ptrmap_put(&map, 0x1000, &a), 0);
  cr_assert_eq(as_ptrmap_put(&map, 0x2000, &b), 0);
  cr_assert_eq(as_ptrmap_get(&map, 0x1000), &a);
  cr_assert_eq(as_ptrmap_get(&map, 0x2000), &b);
  cr_assert_eq(as_ptrmap_remove(&map, 0x1000), &a);
  cr_assert_null(as_ptrmap_get(&map, 0x1000));
  cr_assert_null(as_ptrmap_remove(&map, 0x1000));
  cr_assert_eq(as_ptrmap_count(&map), 1);
}

Test(ptrmap, grows_and_survives_churn_without_losing_entries)
{
  struct as_ptrmap map = AS_PTRMAP_INIT;
  for (uintptr_t i = 1; i <= 50000; i++)
    cr_assert_eq(as_ptrmap_put(&map, i * 16, (void *)(i * 16 + 8)), 0);
  for (uintptr_t i = 1; i <= 50000; i += 2)
    cr_assert_eq(as_ptrmap_remove(&map, i * 16), (void *)(i * 16 + 8));
  /* Churn: tombstones must be recycled, not accumulate until lookups fail. */
  for (uintptr_t round = 0; round < 200000; round++) {
    uintptr_t key = (1000000 + round) * 16;
    as_ptrmap_put(&map, key, (void *)key);
    cr_assert_eq(as_ptrmap_remove(&map, key), (void *)key);
  }
  for (uintptr_t i = 2; i <= 50000; i += 2)
    cr_assert_eq(as_ptrmap_get(&map, i * 16), (void *)(i * 16 + 8), "key %lu", (unsigned long)i);
  cr_assert_eq(as_ptrmap_count(&map), 25000);
}

static struct as_ptrmap shared_map = AS_PTRMAP_INIT;
static _Atomic int readers_failed;
static _Atomic int writers_done;

static void *reader_main(void *arg)
{
  (void)arg;
  while (!writers_done)
    for (uintptr_t i = 1; i <= 64; i++)
      if (as_ptrmap_get(&shared_map, i * 8) != (void *)(i * 8))
        readers_failed++;
  return NULL;
}

Test(ptrmap, lookups_during_rebuilds_never_miss_a_stable_entry)
{
  for (uintptr_t i = 1; i <= 64; i++)
    as_ptrmap_put(&shared_map, i * 8, (void *)(i * 8));
  pthread_t reader;
  pthread_create(&reader, NULL, reader_main, NULL);
  for (uintptr_t i = 0; i < 300000; i++) {
    uintptr_t key = (100000 + i) * 8;
    as_ptrmap_put(&shared_map, key, (void *)key);
    if (i % 3)
      as_ptrmap_remove(&shared_map, key);
  }
  writers_done = 1;
  pthread_join(reader, NULL);
  cr_assert_eq(readers_failed, 0);
}
