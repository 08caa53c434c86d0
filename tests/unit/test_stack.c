/* Spawn-site capture (preload/stack.c): every return address is found at the stack address the
 * capture says it lies at. Spawn chains (preload/spawn_site.c) read those words instead of
 * unwinding again: a slot one frame off makes every spawn unwind, and nothing else shows it. */
#include "stack.h"

#include <criterion/criterion.h>
#include <stdint.h>

#define STACK_TEST_MAX 16

static unsigned stack_test_frames(void **frames, uintptr_t *slots);

static __attribute__((noinline)) unsigned stack_test_inner(void **frames, uintptr_t *slots)
{
  unsigned n = as_stack_capture_slots(frames, slots, STACK_TEST_MAX);
  __asm__ volatile("" ::: "memory"); /* a frame of its own, not a tail call */
  return n;
}

static __attribute__((noinline)) unsigned stack_test_middle(void **frames, uintptr_t *slots)
{
  unsigned n = stack_test_inner(frames, slots);
  __asm__ volatile("" ::: "memory");
  return n;
}

static __attribute__((noinline)) unsigned stack_test_frames(void **frames, uintptr_t *slots)
{
  unsigned n = stack_test_middle(frames, slots);
  __asm__ volatile("" ::: "memory");
  return n;
}

Test(stack, each_return_address_lies_at_its_slot)
{
  void *frames[STACK_TEST_MAX];
  uintptr_t slots[STACK_TEST_MAX];
  unsigned n = stack_test_frames(frames, slots);
  cr_assert_geq(n, 4, "the three test frames and the test's caller: %u", n);
  /* Slots of frames still running (this one's callers) can be read now; those of the three
   * returned helpers held their return addresses while they ran, below this frame. */
  uintptr_t here = (uintptr_t)__builtin_frame_address(0);
  unsigned checked = 0;
  for (unsigned i = 0; i < n; i++) {
    if (slots[i] <= here)
      continue;
    cr_expect_eq(*(void *const *)slots[i], frames[i], "frame %u: slot %#lx holds %p, not %p", i,
                 (unsigned long)slots[i], *(void *const *)slots[i], frames[i]);
    checked++;
  }
  cr_assert_geq(checked, 1, "no slot above this frame");
  for (unsigned i = 1; i < n; i++)
    cr_expect_gt(slots[i], slots[i - 1], "slots grow up the stack");
}

Test(stack, the_same_place_gives_the_same_frames)
{
  void *frames[2][STACK_TEST_MAX];
  uintptr_t slots[2][STACK_TEST_MAX];
  unsigned n[2];
  volatile int rounds = 2; /* not unrolled: one call site */
  for (int i = 0; i < rounds; i++)
    n[i] = stack_test_frames(frames[i], slots[i]);
  cr_assert_eq(n[0], n[1]);
  for (unsigned i = 0; i < n[0]; i++) {
    cr_expect_eq(frames[0][i], frames[1][i], "frame %u", i);
    cr_expect_eq(slots[0][i], slots[1][i], "slot %u", i);
  }
}
