/* The consumer's side of the mailbox wait (mailwait.h, actor_hot.h): a message is looked up
 * only while a timed one can be queued, and a stamp lost to another message's costs at most a
 * few look-ups, never a wait counted wrong. */
#include "actor_hot.h"
#include "registry.h"

#include <criterion/criterion.h>
#include <string.h>

static struct as_actor *spawn_one(void)
{
  static const struct as_runtime test_runtime = {.name = "test"};
  struct as_spawn spawn = {.runtime = &test_runtime, .name = "mailbox"};
  struct as_actor *a = as_registry_spawn(&spawn);
  cr_assert_not_null(a);
  return a;
}

static void init(void) { as_mailwait_configure(4); }

TestSuite(mailwait, .init = init);

Test(mailwait, timed_messages_are_counted_from_the_enqueue_count)
{
  cr_assert_eq(as_mailwait_timed_of(0), 0);
  cr_assert_eq(as_mailwait_timed_of(1), 1); /* number 0 */
  cr_assert_eq(as_mailwait_timed_of(4), 4); /* the first four */
  cr_assert_eq(as_mailwait_timed_of(5), 5); /* and number 4 */
  cr_assert_eq(as_mailwait_timed_of(8), 5);
  cr_assert_eq(as_mailwait_timed_of(9), 6); /* and 8 */
  for (uint64_t n = 0, timed = 0; n < 100; timed += as_mailwait_sampled(n), n++)
    cr_assert_eq(as_mailwait_timed_of(n), timed, "of %llu", (unsigned long long)n);
  as_mailwait_configure(1);
  cr_assert_eq(as_mailwait_timed_of(7), 7);
  as_mailwait_configure(1024);
  cr_assert_eq(as_mailwait_timed_of(1025), 1025);
  cr_assert_eq(as_mailwait_timed_of(2048), 1025);
  cr_assert_eq(as_mailwait_timed_of(2049), 1026);
}

Test(mailwait, only_a_mailbox_with_a_timed_message_queued_is_looked_up)
{
  struct as_actor *a = spawn_one();
  cr_assert_not(as_actor_mailwait_pending(a));
  /* Nine sent, numbers 0 to 4 and 8 timed and stamped (as a sender does). */
  int element[9];
  for (int i = 0; i < 9; i++) {
    uint64_t seq = as_actor_enqueue(a);
    if (as_mailwait_sampled(seq))
      as_mailwait_stamp(as_mailwait_key_object(&element[i], as_actor_id(a)), 1000 + (uint64_t)i);
  }
  for (int i = 0; i < 9; i++) {
    as_actor_receive(a, AS_TYPE_NONE);
    if (i == 5 || i == 6 || i == 7) {
      /* Number 8 is still queued: looked up, found unstamped, still pending. */
      cr_assert(as_actor_mailwait_pending(a));
      cr_assert_eq(as_actor_mailwait_claim(a, as_mailwait_key_object(&element[i], as_actor_id(a))),
                   0);
      cr_assert(as_actor_mailwait_pending(a));
      continue;
    }
    cr_assert(as_actor_mailwait_pending(a), "message %d", i);
    uint64_t key = as_mailwait_key_object(&element[i], as_actor_id(a));
    uint64_t stamp = as_actor_mailwait_claim(a, key);
    cr_assert_neq(stamp, 0, "message %d", i);
    cr_assert_eq(as_mailwait_since(stamp, 1100), 100 - (uint64_t)i);
    as_mailwait_take_stamp(key, stamp);
  }
  cr_assert_not(as_actor_mailwait_pending(a));
}

Test(mailwait, a_lost_stamp_is_given_up_once_its_mailbox_is_empty)
{
  struct as_actor *a = spawn_one();
  int element[2];
  /* Numbers 0 and 1, timed (the first four are), their stamps overwritten by other messages'. */
  as_actor_enqueue(a);
  as_actor_enqueue(a);
  as_actor_receive(a, AS_TYPE_NONE);
  /* One message still queued: the lost stamp may be its, still pending. */
  cr_assert_eq(as_actor_mailwait_claim(a, as_mailwait_key_object(&element[0], as_actor_id(a))), 0);
  cr_assert(as_actor_mailwait_pending(a));
  as_actor_receive(a, AS_TYPE_NONE);
  /* None queued: given up, the next messages are not looked up. */
  cr_assert_eq(as_actor_mailwait_claim(a, as_mailwait_key_object(&element[1], as_actor_id(a))), 0);
  cr_assert_not(as_actor_mailwait_pending(a));
  as_actor_enqueue(a);
  as_actor_enqueue(a);
  as_actor_enqueue(a); /* numbers 2, 3, 4: timed */
  cr_assert(as_actor_mailwait_pending(a));
}

Test(mailwait, a_skipped_message_keeps_its_stamp_for_its_handler)
{
  struct as_actor *a = spawn_one();
  int element;
  uint64_t key = as_mailwait_key_object(&element, as_actor_id(a));
  as_mailwait_stamp(key, as_actor_enqueue(a) + 500);
  as_actor_receive(a, AS_TYPE_NONE);
  uint64_t stamp = as_actor_mailwait_claim(a, key);
  cr_assert_neq(stamp, 0);
  cr_assert_not(as_actor_mailwait_pending(a));
  /* The handler skipped it (CAF awaits a response): back in the mailbox, still timed. */
  as_actor_receive_undo(a, AS_TYPE_NONE);
  as_actor_mailwait_unclaim(a);
  cr_assert(as_actor_mailwait_pending(a));
  as_actor_receive(a, AS_TYPE_NONE);
  cr_assert_eq(as_actor_mailwait_claim(a, key), stamp);
  as_mailwait_take_stamp(key, stamp);
  cr_assert_not(as_actor_mailwait_pending(a));
}

/* A timed message to an actor that quit is freed untaken, and the next message at its address
 * names another receiver: its stamp is not found for it (untimed messages clear no slot). */
Test(mailwait, a_stamp_left_for_a_quit_actor_times_no_other_actor_s_message)
{
  struct as_actor *quit = spawn_one();
  struct as_actor *a = spawn_one();
  int element;
  as_mailwait_stamp(as_mailwait_key_object(&element, as_actor_id(quit)), 100);
  as_mailwait_stamp(as_mailwait_key_object(&element + 1, as_actor_id(a)), 200);
  as_actor_enqueue(a); /* number 0, timed: at element + 1 */
  as_actor_enqueue(a); /* number 1, at element, where the quit actor's stamp is */
  as_actor_receive(a, AS_TYPE_NONE);
  cr_assert_eq(as_actor_mailwait_claim(a, as_mailwait_key_object(&element, as_actor_id(a))), 0);
  cr_assert(as_actor_mailwait_pending(a));
  as_actor_receive(a, AS_TYPE_NONE);
  uint64_t stamp = as_actor_mailwait_claim(a, as_mailwait_key_object(&element + 1, as_actor_id(a)));
  cr_assert_eq(as_mailwait_since(stamp, 250), 50);
  cr_assert_not(as_actor_mailwait_pending(a));
}

/* A first-in, first-out mailbox's queued messages never share a slot: 8,192 consecutive
 * numbers from anywhere take 8,192 slots, for mailboxes anywhere (a burst of 10 once lost its
 * first stamp to its tenth). */
Test(mailwait, a_mailbox_s_queued_messages_never_share_a_slot)
{
  static unsigned char used[1u << AS_MAILWAIT_SLOT_BITS];
  const uint64_t starts[] = {0, 1, 8191, 1000000007, UINT64_MAX - 100};
  for (uintptr_t m = 0; m < 64; m++) {
    const void *mailbox = (const void *)(0x7f0000001000 + m * 232);
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
      memset(used, 0, sizeof used);
      for (uint64_t n = starts[s]; n != starts[s] + (1u << AS_MAILWAIT_SLOT_BITS); n++) {
        uint64_t slot = as_mailwait_key(mailbox, n) >> AS_MAILWAIT_SLOT_SHIFT;
        cr_assert_eq(used[slot], 0, "mailbox %p: messages meet in slot %llu at %llu", mailbox,
                     (unsigned long long)slot, (unsigned long long)n);
        used[slot] = 1;
      }
    }
  }
}
