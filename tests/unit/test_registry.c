#define _GNU_SOURCE
#include "peers.h"
#include "registry.h"
#include "registry_view.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static struct as_actor *spawn_named(const char *name, struct as_actor *parent)
{
  static const struct as_runtime test_runtime = {.name = "test"};
  struct as_spawn spawn = {.runtime = &test_runtime, .name = name, .parent = parent};
  struct as_actor *a = as_registry_spawn(&spawn);
  cr_assert_not_null(a);
  return a;
}

static const struct as_actor_view *find_view(const struct as_registry_collection *c, uint64_t id)
{
  for (size_t i = 0; i < c->count; i++)
    if (c->views[i].id == id)
      return &c->views[i];
  return NULL;
}

Test(registry, counters_types_and_mailbox_depth_are_recorded)
{
  struct as_actor *a = spawn_named("counter", NULL);
  uint32_t ping = as_typetab_intern("ping", 4), pong = as_typetab_intern("pong", 4);
  for (int i = 0; i < 5; i++)
    as_actor_enqueue(a);
  as_actor_enqueue(a);
  as_actor_enqueue_undo(a); /* a failed send */
  for (int i = 0; i < 3; i++)
    as_actor_receive(a, ping);
  as_actor_receive(a, pong);

  struct as_registry_collection c = {0};
  cr_assert_eq(as_registry_collect(&c, as_clock_now(), 1000000000u), 0);
  const struct as_actor_view *v = find_view(&c, a->id);
  cr_assert_not_null(v);
  cr_assert_str_eq(v->name, "counter");
  cr_assert_eq(v->enqueued, 5);
  cr_assert_eq(v->received, 4);
  /* A high-water mark: the failed send was briefly in the count. */
  cr_assert_eq(v->mailbox_max, 6);
  const uint64_t *words = as_view_type_words(&c, v);
  cr_assert_eq(v->type_count, 2);
  cr_assert_eq(as_tally_word_type(words[0]), ping);
  cr_assert_eq(as_tally_word_count(words[0]), 3);
  cr_assert_eq(as_tally_word_type(words[1]), pong);
  cr_assert_eq(as_tally_word_count(words[1]), 1);
  as_registry_collection_free(&c);
  as_actor_release(a);
}

Test(registry, types_beyond_the_record_go_to_a_pool_block_then_count_as_other)
{
  uint64_t blocks_before = as_registry_tally_blocks_in_use();
  struct as_actor *a = spawn_named("many", NULL);
  uint32_t types[AS_ACTOR_TYPE_SLOTS + 3];
  char name[16];
  for (int i = 0; i < AS_ACTOR_TYPE_SLOTS + 3; i++) {
    int n = snprintf(name, sizeof name, "t%d", i);
    types[i] = as_typetab_intern(name, (size_t)n);
    for (int k = 0; k <= i; k++) /* type i is received i + 1 times */
      as_actor_receive(a, types[i]);
  }
  cr_assert_eq(as_registry_tally_blocks_in_use(), blocks_before + 1,
               "the fifth type takes one block");
  as_actor_receive_undo(a, types[AS_ACTOR_TYPE_SLOTS - 1]); /* in the block */
  as_actor_receive_undo(a, types[AS_ACTOR_TYPE_SLOTS + 1]); /* counted as other */

  struct as_registry_collection c = {0};
  as_registry_collect(&c, as_clock_now(), 1000000000u);
  const struct as_actor_view *v = find_view(&c, a->id);
  cr_assert_not_null(v);
  const uint64_t *words = as_view_type_words(&c, v);
  cr_assert_eq(v->type_count, AS_ACTOR_TYPE_SLOTS);
  for (int i = 0; i < AS_ACTOR_TYPE_SLOTS; i++) {
    cr_assert_eq(as_tally_word_type(words[i]), types[i]);
    cr_assert_eq(as_tally_word_count(words[i]), (uint64_t)(i + 1) - (i == AS_ACTOR_TYPE_SLOTS - 1),
                 "slot %d", i);
  }
  /* Types 16, 17 and 18 were received 17, 18 and 19 times; one was taken back. */
  cr_assert_eq(v->other_types, 17 + 18 + 19 - 1);
  as_registry_collection_free(&c);
  as_actor_mark_stopped(a, "done");
  as_actor_release(a);
  /* Seen stopped once, then reaped: the block goes back. */
  as_registry_collect(&c, as_clock_now() + 1, 0);
  as_registry_collect(&c, as_clock_now() + 1, 0);
  as_registry_collection_free(&c);
  cr_assert_eq(as_registry_tally_blocks_in_use(), blocks_before);
}

Test(registry, handler_and_wait_state_are_timed_and_cleared)
{
  struct as_actor *a = spawn_named("busy", NULL);
  uint32_t job = as_typetab_intern("job", 3);
  as_actor_handler_begin(a, job, 1000);
  cr_assert_eq(a->handling_type, job);
  as_actor_handler_end(a, 6000);
  as_actor_handler_end(a, 9000); /* no handler open: nothing counted */
  cr_assert_eq(a->handling_type, AS_TYPE_NONE);
  cr_assert_eq(a->handled, 1);
  cr_assert_eq(a->handler_ticks_total, 5000);
  cr_assert_eq(a->handler_ticks_max, 5000);

  as_actor_wait_begin(a, 77, AS_WAIT_REPLY, 100);
  struct as_registry_collection c = {0};
  as_registry_collect(&c, as_clock_now(), 1000000000u);
  const struct as_actor_view *v = find_view(&c, a->id);
  cr_assert_eq(v->wait_target, 77);
  cr_assert(as_registry_wait_unchanged(v));
  as_actor_wait_end(a);
  as_actor_wait_begin(a, 77, AS_WAIT_REPLY, 200);
  cr_assert_not(as_registry_wait_unchanged(v), "a new wait must not pass for the old one");
  as_registry_collection_free(&c);
  as_actor_release(a);
}

Test(registry, children_know_their_parent_and_stopped_actors_are_reaped_after_the_grave)
{
  struct as_actor *parent = spawn_named("parent", NULL);
  struct as_actor *child = spawn_named("child", parent);
  cr_assert_eq(child->parent_id, parent->id);
  as_actor_mark_running(child);
  as_actor_receive(child, AS_TYPE_NONE);
  as_actor_mark_stopped(child, "returned");
  as_actor_mark_stopped(child, "again"); /* only the first stop counts */
  cr_assert_str_eq(child->stop_reason, "returned");

  struct as_registry_collection c = {0};
  uint64_t stopped = child->stopped_at;
  as_registry_collect(&c, stopped + 10, 1000);
  const struct as_actor_view *v = find_view(&c, child->id);
  cr_assert_not_null(v, "reaped before the grave window passed");
  cr_assert_eq(v->status, AS_STATUS_STOPPED);
  uint64_t received_before = c.totals.messages_received;
  uint64_t stopped_before = c.totals.total_stopped;

  as_registry_collect(&c, stopped + 2000, 1000);
  cr_assert_null(find_view(&c, child->id), "not reaped after the grave window");
  cr_assert_not_null(find_view(&c, parent->id));
  cr_assert_eq(c.totals.messages_received, received_before, "reaping lost counts");
  cr_assert_eq(c.totals.total_stopped, stopped_before);
  /* The hook's reference keeps the record readable after reaping. */
  cr_assert_str_eq(atomic_load(&child->name)->text, "child");
  /* Names are shared: a second actor of the same name points at the same text. */
  struct as_actor *twin = spawn_named("child", NULL);
  cr_assert_eq(twin->name, child->name);
  as_actor_release(twin);
  as_registry_collection_free(&c);
  as_actor_release(child);
  as_actor_release(parent);
}

struct churn {
  _Atomic int stop;
  /* Spawns left before the next collection: on a loaded machine four spawners outrun the
   * collecting thread, and every round would copy more actors than the last (the test ran for
   * half an hour with 2 GB); a budget a round keeps the rounds alike and the windows open. */
  _Atomic int64_t budget;
};

#define CHURN_BUDGET 512

/* Spawns actors and stops them again, as fast as its budget lets it. */
static void *churn_actors(void *arg)
{
  struct churn *c = arg;
  while (!atomic_load(&c->stop)) {
    if (atomic_fetch_sub(&c->budget, 1) <= 0) {
      sched_yield();
      continue;
    }
    static const struct as_runtime churn_runtime = {.name = "test"};
    struct as_spawn spawn = {.runtime = &churn_runtime, .name = "churn"};
    struct as_actor *a = as_registry_spawn(&spawn);
    if (!a)
      continue;
    as_actor_mark_running(a);
    as_actor_mark_stopped(a, "normal");
    as_actor_release(a);
  }
  return NULL;
}

Test(registry, every_collection_has_totals_that_agree_with_each_other_and_its_actors)
{
  struct churn c = {0};
  pthread_t threads[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&threads[i], NULL, churn_actors, &c);
  struct as_registry_collection col = {0};
  /* Until both threads have been at it for a while: the windows are a few instructions. */
  for (int round = 0; round < 20000 || col.totals.total_spawned < 200000; round++) {
    atomic_store(&c.budget, CHURN_BUDGET);
    cr_assert_eq(as_registry_collect(&col, as_clock_now(), round % 2 ? 0 : 1000000), 0);
    uint64_t listed_alive = 0;
    for (size_t i = 0; i < col.count; i++)
      listed_alive += col.views[i].status != AS_STATUS_STOPPED;
    cr_assert_eq(col.totals.total_spawned, col.totals.total_stopped + col.totals.alive,
                 "round %d: spawned %lu != stopped %lu + alive %lu", round,
                 (unsigned long)col.totals.total_spawned, (unsigned long)col.totals.total_stopped,
                 (unsigned long)col.totals.alive);
    cr_assert_eq(col.totals.alive, listed_alive, "round %d", round);
  }
  atomic_store(&c.stop, 1);
  for (int i = 0; i < 4; i++)
    pthread_join(threads[i], NULL);
  as_registry_collection_free(&col);
}

static int probe_calls;
static int probe_private(const struct as_actor *actor, uint64_t *strong, uint64_t *weak)
{
  const uint64_t *object = as_actor_private_const(actor);
  probe_calls++;
  cr_assert_eq(*object, 0xfeedu, "probed before the runtime's state was in place");
  *strong = *weak = 1;
  return 0;
}

Test(registry, a_prepared_record_is_invisible_until_published)
{
  static const struct as_runtime probed = {.name = "probed", .probe_refs = probe_private};
  struct as_spawn spawn = {
      .runtime = &probed, .name = "prepared", .probe = 1, .private_bytes = sizeof(uint64_t)};
  struct as_actor *a = as_registry_prepare(&spawn);
  cr_assert_not_null(a);
  struct as_registry_collection c = {0};
  cr_assert_eq(as_registry_collect(&c, as_clock_now(), 1000000000u), 0);
  for (size_t i = 0; i < c.count; i++)
    cr_assert_neq(c.views[i].actor, a, "an unpublished record was collected");
  *(uint64_t *)as_actor_private(a) = 0xfeedu;
  cr_assert_eq(as_registry_publish(a), 0);
  cr_assert_neq(as_actor_id(a), 0);
  cr_assert_eq(as_registry_collect(&c, as_clock_now(), 1000000000u), 0);
  const struct as_actor_view *v = find_view(&c, as_actor_id(a));
  cr_assert_not_null(v);
  cr_assert(v->has_refs);
  cr_assert_gt(probe_calls, 0);
  as_actor_probe_forget(a);
  as_actor_mark_stopped(a, "test");
  as_actor_release(a);
  as_registry_collection_free(&c);
}

Test(registry, replies_exceptions_and_sent_change_through_the_api)
{
  struct as_actor *a = spawn_named("api", NULL);
  cr_assert(as_actor_is_starting(a));
  as_actor_reply_sent(a);
  as_actor_reply_sent(a);
  as_actor_reply_sent_undo(a);
  cr_assert(as_actor_replies_pending(a));
  as_actor_reply_taken(a);
  cr_assert_not(as_actor_replies_pending(a));
  as_actor_count_sent(a);
  as_actor_count_sent_shared(a);
  as_actor_count_exception(a);
  uint32_t t = as_typetab_intern("job", 3);
  as_actor_handler_begin(a, t, 5);
  struct as_handler_mark outer = as_actor_handler_mark(a);
  as_actor_handler_end(a, 9);
  cr_assert_not(as_actor_is_handling(a));
  as_actor_handler_resume(a, outer);
  cr_assert(as_actor_is_handling(a));
  struct as_registry_collection c = {0};
  cr_assert_eq(as_registry_collect(&c, as_clock_now(), 1000000000u), 0);
  const struct as_actor_view *v = find_view(&c, as_actor_id(a));
  cr_assert_eq(v->replies, 1);
  cr_assert_eq(v->replies_taken, 1);
  cr_assert_eq(v->sent, 2);
  cr_assert_eq(v->exceptions, 1);
  cr_assert_eq(v->handling_type, t);
  cr_assert_eq(v->handling_since, 5);
  as_actor_mark_stopped(a, "test");
  as_actor_release(a);
  as_registry_collection_free(&c);
}

/* The record is 232 bytes (a 248-byte block with CAF's 8 bytes and the pool's link): what few
 * actors use lives in a side block taken at the first use, and every fact in it reaches the
 * view as before. */
Test(registry, rarely_used_facts_live_in_a_side_block_taken_at_first_use)
{
  cr_log_info("sizeof(struct as_actor) = %zu, sizeof(struct as_actor_side) = %zu",
              sizeof(struct as_actor), sizeof(struct as_actor_side));
  uint64_t before = as_registry_side_blocks_in_use();
  struct as_actor *plain = spawn_named("plain", NULL);
  struct as_actor *waiter = spawn_named("waiter", NULL);
  struct as_actor *peer = spawn_named("peer", NULL);
  as_actor_count_sent(plain);
  as_actor_wait_end(plain); /* not waiting: no block for that */
  cr_assert_not(as_actor_replies_pending(plain));
  cr_assert_eq(as_actor_waiting_on(plain), 0);
  cr_assert_eq(as_registry_side_blocks_in_use(), before, "an actor that never needs one has none");

  as_actor_wait_begin(waiter, as_actor_id(peer), AS_WAIT_REPLY, 7);
  cr_assert_eq(as_actor_waiting_on(waiter), as_actor_id(peer));
  as_registry_link(waiter, peer);
  as_registry_monitor(peer, waiter);
  cr_assert_eq(as_registry_side_blocks_in_use(), before + 2, "one block each, whatever it holds");

  struct as_registry_collection c = {0};
  cr_assert_eq(as_registry_collect(&c, as_clock_now(), 1000000000u), 0);
  const struct as_actor_view *v = find_view(&c, as_actor_id(waiter));
  cr_assert_eq(v->wait_target, as_actor_id(peer));
  cr_assert_eq(v->wait_since, 7);
  cr_assert_eq(v->wait_kind, AS_WAIT_REPLY);
  cr_assert_eq(v->link_count, 1);
  cr_assert_eq(c.ids[v->links_at], as_actor_id(peer));
  cr_assert(as_registry_wait_unchanged(v));
  const struct as_actor_view *p = find_view(&c, as_actor_id(peer));
  cr_assert_eq(p->monitor_count, 1);
  cr_assert_eq(c.ids[p->monitors_at], as_actor_id(waiter));
  const struct as_actor_view *q = find_view(&c, as_actor_id(plain));
  cr_assert_eq(q->wait_target, 0);
  cr_assert_eq(q->replies, 0);
  cr_assert_eq(q->link_count + q->monitor_count, 0);

  as_actor_wait_end(waiter);
  cr_assert_eq(as_actor_waiting_on(waiter), 0);
  struct as_actor *all[] = {plain, waiter, peer};
  for (int i = 0; i < 3; i++) {
    as_actor_mark_stopped(all[i], "test");
    as_actor_release(all[i]);
  }
  cr_assert_eq(as_registry_collect(&c, as_clock_now(), 0), 0); /* reaped: the blocks go back */
  cr_assert_eq(as_registry_collect(&c, as_clock_now(), 0), 0);
  cr_assert_eq(as_registry_side_blocks_in_use(), before, "given back with their records");
  as_registry_collection_free(&c);
}

/* The peers table stays with its record block: emptied as the record is freed, claimed by the
 * block's next actor at its first message, never showing the former actor's counts. The first
 * thread that runs no actor to send to an actor is counted in its record, not its table. */
Test(registry, a_peers_table_is_kept_with_its_record_block_and_emptied_for_the_next_actor)
{
  struct as_actor *first = spawn_named("first", NULL);
  struct as_actor *other = spawn_named("other", NULL);
  uint64_t tables = as_peers_in_use();
  as_peers_count(NULL, first); /* this thread's messages to it: in its record */
  as_peers_count(NULL, first);
  cr_assert_eq(as_peers_in_use(), tables, "a thread's messages take no table");
  as_actor_count_sent(first);
  as_peers_count_sent(first, other, 1); /* its own: a table taken fresh */
  uint64_t words[2 * AS_PEERS_LISTED], more;
  cr_assert_eq(as_peers_copy(first, words, &more), 2);
  cr_assert(as_peers_key_thread(words[0]) != NULL, "the first pair is this thread's");
  cr_assert_eq(words[1], 2);
  cr_assert_eq(words[2], as_actor_id(other));
  cr_assert_eq(words[3], 1, "the message that took the table is counted once");
  tables = as_peers_in_use();

  struct as_actor *block = first;
  as_actor_mark_stopped(first, "test");
  as_actor_release(first);
  struct as_registry_collection c = {0};
  cr_assert_eq(as_registry_collect(&c, as_clock_now(), 0), 0);
  cr_assert_eq(as_registry_collect(&c, as_clock_now(), 0), 0); /* reaped, record freed */
  cr_assert_eq(as_peers_in_use(), tables, "the table stays with the record block");

  struct as_actor *next = spawn_named("next", NULL);
  cr_assert_eq(next, block, "the freed block is taken again (the pool's free list)");
  cr_assert_eq(as_peers_copy(next, words, &more), 0, "a new actor starts with no peers");
  cr_assert_eq(more, 0);
  as_peers_count(NULL, next);
  cr_assert_eq(as_peers_copy(next, words, &more), 1, "the former actor's pairs are gone");
  cr_assert(as_peers_key_thread(words[0]) != NULL);
  cr_assert_eq(words[1], 1);
  cr_assert_eq(more, 0);
  /* Every slot of the table is free again for this one's own peers: 8 take all 8, claimed
   * from the block's table, not the pool; the thread's pair is listed beside them. */
  struct as_actor *peers[AS_PEERS_SLOTS];
  for (int i = 0; i < AS_PEERS_SLOTS; i++) {
    peers[i] = spawn_named("peer", NULL);
    as_actor_count_sent(next);
    as_peers_count_sent(next, peers[i], 1);
  }
  cr_assert_eq(as_peers_in_use(), tables, "claimed, not taken from the pool");
  cr_assert_eq(as_peers_copy(next, words, &more), AS_PEERS_LISTED);
  cr_assert_eq(more, 0, "a former actor's peers took slots of this one's");
  for (int i = 0; i < AS_PEERS_SLOTS; i++) {
    cr_assert_eq(words[2 * (i + 1)], as_actor_id(peers[i]));
    cr_assert_eq(words[2 * (i + 1) + 1], 1);
    as_actor_release(peers[i]);
  }
  as_registry_collection_free(&c);
  as_actor_release(next);
  as_actor_release(other);
}

/* Threads that run no actor, sending to one actor at once: the first name to send is counted
 * in the record, every other in the table, each exactly. */
struct thread_sender {
  struct as_actor *to;
  const char *name;
  int messages;
};

static void *send_from_thread(void *arg)
{
  struct thread_sender *s = arg;
  pthread_setname_np(pthread_self(), s->name);
  for (int i = 0; i < s->messages; i++)
    as_peers_count(NULL, s->to);
  return NULL;
}

Test(registry, threads_sending_to_an_actor_at_once_are_each_counted_exactly)
{
  struct as_actor *to = spawn_named("to", NULL);
  as_peers_count(NULL, to); /* this thread ("main") is the first: in the record */
  struct thread_sender senders[6];
  pthread_t threads[6];
  static const char *names[] = {"feeder", "feeder", "feeder", "other", "other", "third"};
  for (int i = 0; i < 6; i++) {
    senders[i] = (struct thread_sender){to, names[i], 20000};
    pthread_create(&threads[i], NULL, send_from_thread, &senders[i]);
  }
  for (int i = 0; i < 6; i++)
    pthread_join(threads[i], NULL);
  uint64_t words[2 * AS_PEERS_LISTED], more;
  cr_assert_eq(as_peers_copy(to, words, &more), 4);
  cr_assert_str_eq(as_peers_key_thread(words[0]), "main", "the first sender is the record's");
  cr_assert_eq(words[1], 1);
  uint64_t feeder = 0, other = 0, third = 0;
  for (int i = 1; i < 4; i++) {
    const char *name = as_peers_key_thread(words[2 * i]);
    cr_assert_not_null(name);
    cr_assert_eq(words[2 * i] & AS_PEERS_TAG_MASK, AS_PEERS_FROM_THREAD);
    uint64_t *count = !strcmp(name, "feeder") ? &feeder : !strcmp(name, "other") ? &other : &third;
    *count += words[2 * i + 1];
  }
  cr_assert_eq(feeder, 60000);
  cr_assert_eq(other, 40000);
  cr_assert_eq(third, 20000);
  cr_assert_eq(more, 0);
  as_actor_release(to);
}

/* What a reader of change lines knows of one actor. */
struct known_actor {
  uint64_t id, received, enqueued, handled;
  int status, present;
};

static void known_apply(struct known_actor *known, size_t n, const struct as_registry_collection *c)
{
  for (size_t i = 0; i < c->count; i++) {
    const struct as_actor_view *v = &c->views[i];
    cr_assert_lt(v->id, n);
    known[v->id] = (struct known_actor){v->id, v->received, v->enqueued, v->handled, v->status, 1};
  }
  for (size_t i = 0; i < c->reaped_count; i++) {
    cr_assert_lt(c->reaped[i], n);
    cr_assert(known[c->reaped[i]].present, "reaped %lu, never listed", (unsigned long)c->reaped[i]);
    known[c->reaped[i]].present = 0;
  }
}

Test(registry, collecting_only_the_changes_keeps_a_reader_exactly_up_to_date)
{
  enum { ACTORS = 300, ROUNDS = 200 };
  static struct known_actor known[4096];
  struct as_actor *actors[ACTORS];
  uint64_t ids[ACTORS];
  struct as_registry_collection c = {0};
  as_registry_collect(&c, as_clock_now(), 0); /* start from a full look */
  known_apply(known, 4096, &c);
  for (int i = 0; i < ACTORS; i++) {
    actors[i] = spawn_named("changing", NULL);
    ids[i] = actors[i]->id;
  }
  unsigned seed = 7;
  uint64_t grave = 1000, now = as_clock_now();
  for (int round = 0; round < ROUNDS; round++) {
    /* A few actors do something; most stay idle. */
    for (int k = 0; k < 5; k++) {
      struct as_actor *a = actors[rand_r(&seed) % ACTORS];
      switch (rand_r(&seed) % 5) {
      case 0: as_actor_enqueue(a); break;
      case 1: as_actor_receive(a, AS_TYPE_NONE); break;
      case 2:
        as_actor_handler_begin(a, 1, now);
        as_actor_handler_end(a, now + 5);
        break;
      case 3: as_actor_mark_running(a); break;
      case 4: as_actor_mark_stopped(a, "done"); break;
      }
    }
    now += 100;
    cr_assert_eq(as_registry_collect_changes(&c, now, grave), 0);
    /* The spawns themselves are changes, read in the first two looks. */
    if (round >= 2)
      cr_assert_leq(c.count, 2 * 5, "round %d copied %zu actors: the idle ones too", round,
                    c.count);
    known_apply(known, 4096, &c);
    for (int i = 0; i < ACTORS; i++) {
      const struct known_actor *k = &known[ids[i]];
      if (!k->present) {
        cr_assert_eq(atomic_load(&actors[i]->status), AS_STATUS_STOPPED, "#%lu gone early",
                     (unsigned long)ids[i]);
        continue;
      }
      cr_assert_eq(k->received, atomic_load(&actors[i]->received), "round %d #%lu", round,
                   (unsigned long)ids[i]);
      cr_assert_eq(k->enqueued, atomic_load(&actors[i]->enqueued), "round %d #%lu", round,
                   (unsigned long)ids[i]);
      cr_assert_eq(k->handled, atomic_load(&actors[i]->handled), "round %d #%lu", round,
                   (unsigned long)ids[i]);
      cr_assert_eq(k->status, atomic_load(&actors[i]->status), "round %d #%lu", round,
                   (unsigned long)ids[i]);
    }
    cr_assert_eq(c.totals.total_spawned, c.totals.total_stopped + c.totals.alive);
  }
  /* Nothing happens: nothing is copied (after the look that reads the last changes again). */
  as_registry_collect_changes(&c, now + 1, grave);
  as_registry_collect_changes(&c, now + 2, grave);
  cr_assert_eq(c.count, 0);
  for (int i = 0; i < ACTORS; i++) {
    as_actor_mark_stopped(actors[i], "end");
    as_actor_release(actors[i]);
  }
  as_registry_collect(&c, now + 10, 0);
  as_registry_collect(&c, now + 20, 0);
  as_registry_collection_free(&c);
}

Test(registry, actors_that_cannot_get_a_record_are_counted_untraced)
{
  static const struct as_runtime greedy = {.name = "greedy"};
  uint64_t before = as_registry_untraced_count();
  /* More runtime state than any record block holds: no record. */
  struct as_spawn spawn = {.runtime = &greedy, .name = "too_big", .private_bytes = 1u << 20};
  cr_assert_null(as_registry_spawn(&spawn));
  cr_assert_null(as_registry_prepare(&spawn));
  cr_assert_eq(as_registry_untraced_count(), before + 2);
}
