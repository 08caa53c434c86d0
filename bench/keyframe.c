/* The collector's cost for one keyframe of N live actors, without a host around it: N records
 * made through the registry as CAF's hooks make them (a name, a runtime id, a spawn site, 8
 * bytes of runtime state, reference counts the collector samples), then ROUNDS keyframes, each
 * collected (as_registry_collect, the collector's copy) and encoded (as_snapshot_write into a
 * 1 MiB streaming buffer whose text is dropped: the write is the sink's cost, not this one).
 * Times are the collector thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other processes on a
 * shared machine inflate them far less than wall time; it prints the minimum and median.
 *
 *   bench_keyframe [N [ROUNDS]]   (defaults 100000 and 15)
 *   -> "N actors: collect MIN ms (median MED), encode MIN ms (median MED), total MIN ms; B bytes" */
#include "registry.h"
#include "registry_view.h"
#include "snapshot.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int keyframe_probe(const struct as_actor *actor, uint64_t *strong, uint64_t *weak)
{
  *strong = *weak = 1;
  return 0;
}

static const struct as_runtime keyframe_runtime = {.name = "caf", .probe_refs = keyframe_probe};

static uint64_t keyframe_cpu_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int keyframe_drop(void *context, const char *text, size_t len)
{
  *(uint64_t *)context += len;
  (void)text;
  return 0;
}

/* Every actor is spawned from here: one spawn site, as a loop spawning a crowd has. */
static __attribute__((noinline)) struct as_actor *keyframe_spawn(void)
{
  struct as_spawn spawn = {.runtime = &keyframe_runtime,
                           .name = "idle",
                           .stack_depth = 8,
                           .probe = 1,
                           .runtime_scope = 1,
                           .private_bytes = 8};
  struct as_actor *a = as_registry_prepare(&spawn);
  if (!a || as_registry_publish(a) < 0)
    return NULL;
  as_actor_mark_running(a);
  return a;
}

static int keyframe_cmp(const void *x, const void *y)
{
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
  long n = argc > 1 ? atol(argv[1]) : 100000;
  long rounds = argc > 2 ? atol(argv[2]) : 15;
  if (n <= 0 || rounds <= 0) {
    fprintf(stderr, "usage: bench_keyframe [N [ROUNDS]]\n");
    return 2;
  }
  as_clock_calibrate();
  for (long i = 0; i < n; i++)
    if (!keyframe_spawn()) {
      fprintf(stderr, "bench_keyframe: no record for actor %ld\n", i);
      return 1;
    }
  uint64_t *collect = calloc((size_t)rounds, sizeof *collect);
  uint64_t *encode = calloc((size_t)rounds, sizeof *encode);
  uint64_t *total = calloc((size_t)rounds, sizeof *total);
  if (!collect || !encode || !total)
    return 1;
  struct as_registry_collection c = {0};
  uint64_t bytes = 0;
  for (long r = 0; r < rounds; r++) {
    uint64_t t0 = keyframe_cpu_ns();
    uint64_t now = as_clock_now();
    if (as_registry_collect(&c, now, 5000000000u) < 0)
      return 1;
    uint64_t t1 = keyframe_cpu_ns();
    struct as_snapshot_info info = {.seq = (uint64_t)r, .wall_ns = 1, .now_ticks = now};
    struct as_jsonw w;
    bytes = 0;
    as_jsonw_init_streaming(&w, 1u << 20, keyframe_drop, &bytes);
    int rc = as_snapshot_write(&w, &c, NULL, &info);
    as_jsonw_release(&w);
    uint64_t t2 = keyframe_cpu_ns();
    if (rc < 0)
      return 1;
    collect[r] = t1 - t0;
    encode[r] = t2 - t1;
    total[r] = t2 - t0;
  }
  uint64_t min_total = total[0];
  for (long r = 1; r < rounds; r++)
    min_total = total[r] < min_total ? total[r] : min_total;
  qsort(collect, (size_t)rounds, sizeof *collect, keyframe_cmp);
  qsort(encode, (size_t)rounds, sizeof *encode, keyframe_cmp);
  qsort(total, (size_t)rounds, sizeof *total, keyframe_cmp);
  printf("%ld actors: collect %.1f ms (median %.1f), encode %.1f ms (median %.1f), "
         "total %.1f ms (median %.1f); %llu bytes\n",
         n, collect[0] / 1e6, collect[rounds / 2] / 1e6, encode[0] / 1e6, encode[rounds / 2] / 1e6,
         min_total / 1e6, total[rounds / 2] / 1e6, (unsigned long long)bytes);
  as_registry_collection_free(&c);
  return 0;
}
