#include "clock.h"

#include <time.h>

static uint64_t clock_read(clockid_t id)
{
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t as_clock_now_ns(void) { return clock_read(CLOCK_MONOTONIC); }
uint64_t as_clock_wall_ns(void) { return clock_read(CLOCK_REALTIME); }
