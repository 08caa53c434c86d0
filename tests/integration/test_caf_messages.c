/* Exact counts, types and exit reasons from a real CAF ping-pong. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(caf_messages, .timeout = 60);

Test(caf_messages, ping_pong_counts_each_message_once_with_atoms_decoded)
{
  const char *argv[] = {"caf_pingpong", "5000", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 6);
  cr_assert_str_eq(run.out, "rounds=5000\n");
  cr_assert_str_eq(run.err, "");

  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  json_t *ping = as_test_actor_named(last, "ping"), *pong = as_test_actor_named(last, "pong");
  cr_assert_not_null(ping);
  cr_assert_not_null(pong);
  cr_assert_str_eq(as_test_str(pong, "runtime"), "caf");
  cr_assert_gt(as_test_int(pong, "runtime_id"), 0);
  cr_assert_eq(as_test_type_count(pong, "ping"), 5000);
  cr_assert_eq(as_test_type_count(pong, "exit"), 1);
  cr_assert_eq(as_test_int(pong, "counters.messages_received"), 5001);
  cr_assert_eq(as_test_int(pong, "mailbox.enqueued"), 5001);
  cr_assert_eq(as_test_int(pong, "counters.messages_sent"), 5000);
  cr_assert_eq(as_test_type_count(ping, "pong"), 5000);
  cr_assert_eq(as_test_int(ping, "counters.messages_received"), 5000);
  cr_assert_eq(as_test_int(ping, "counters.messages_sent"), 5001);
  cr_assert_eq(as_test_int(ping, "counters.handled"), 5000);
  cr_assert_str_eq(as_test_str(pong, "stopped.reason"), "user_shutdown");
  cr_assert_str_eq(as_test_str(ping, "stopped.reason"), "normal");
  cr_assert_eq(as_test_int(ping, "counters.exceptions"), 0);
  cr_assert_eq(as_test_int(pong, "mailbox.len"), 0);
  json_decref(lines);
  as_test_run_free(&run);
}

#define SELF_LOOP_NAME "acme::ingest::pipeline::retry_scheduler"

/* Runs caf_selfloop traced (ARGV, ENV): it must end as untraced would; *LINES are its lines
 * (the caller frees them and the run); returns the loop actor of the final line. */
static json_t *self_loop_run(const char *const *argv, const char *const *env,
                             struct as_test_run *run, json_t **lines)
{
  as_test_run(argv, env, 1, run);
  cr_assert_eq(run->status, 0, "%s", run->err);
  cr_assert_str_eq(run->out, "selfloop done\n");
  *lines = as_test_run_lines(run);
  json_t *loop = as_test_actor_named(as_test_last_snapshot(*lines), SELF_LOOP_NAME);
  cr_assert_not_null(loop);
  return loop;
}

/* An actor that sends itself 20 000 messages from its own handler (counted without a locked
 * add) while four feeders on the other thread send it 2 000 (counted with one): its mailbox
 * counts both exactly, never shows a message that is not there, and times one message in
 * ACTORSCOPE_MAILBOX_WAIT_EVERY of either kind (a few may go untimed when two queued messages'
 * stamps share a slot, never more than were sent). */
static void check_self_loop(const char *every, const char *hold_ms, json_int_t timed_low,
                            json_int_t timed_high)
{
  const char *argv[] = {"caf_selfloop", "20000", "4", "500", hold_ms, NULL};
  const char *env[] = {every, NULL};
  struct as_test_run run;
  json_t *lines;
  json_t *loop = self_loop_run(argv, env, &run, &lines);
  cr_assert_eq(as_test_type_count(loop, "tick"), 20000);
  cr_assert_eq(as_test_type_count(loop, "sample"), 2000);
  cr_assert_eq(as_test_int(loop, "counters.messages_received"), 22000);
  cr_assert_eq(as_test_int(loop, "mailbox.enqueued"), 22000);
  cr_assert_eq(as_test_int(loop, "mailbox.len"), 0);
  cr_assert_geq(as_test_int(loop, "mailbox.max"), 1);
  cr_assert_leq(as_test_int(loop, "mailbox.max"), 2001);
  json_int_t timed = as_test_histogram_count(json_object_get(loop, "mailbox_wait_histogram"));
  cr_assert(timed >= timed_low && timed <= timed_high, "%lld messages timed", (long long)timed);
  /* Every line's view of it: what was put in is never less than what was taken out, nor is
   * what waits more than the mailbox ever held. */
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    json_t *seen = as_test_actor_named(line, SELF_LOOP_NAME);
    if (seen) {
      cr_assert_geq(as_test_int(seen, "mailbox.enqueued"),
                    as_test_int(seen, "counters.messages_received"));
      cr_assert_leq(as_test_int(seen, "mailbox.len"), as_test_int(seen, "mailbox.max"));
    }
  }
  json_decref(lines);
  as_test_run_free(&run);
}

Test(caf_messages, a_self_driving_actor_counts_its_own_and_its_feeders_messages_exactly)
{
  check_self_loop("ACTORSCOPE_MAILBOX_WAIT_EVERY=1", "0", 21000, 22000);
  /* The first four of each kind and one in four after: 5 003 of its own 19 999 (its first is
   * sent at launch, with the feeders' 2 000) and 504 of those 2 001. */
  check_self_loop("ACTORSCOPE_MAILBOX_WAIT_EVERY=4", "0", 5250, 5507);
}

/* Every message timed, while FEEDERS senders queue COUNT each behind a 300 ms hold: the share
 * of timed messages whose stamp survives (two queued messages' stamps can meet in a slot). */
static double queued_stamps_kept(const char *feeders, const char *count)
{
  const char *argv[] = {"caf_selfloop", "20", feeders, count, "300", NULL};
  const char *env[] = {"ACTORSCOPE_MAILBOX_WAIT_EVERY=1", NULL};
  struct as_test_run run;
  json_t *lines;
  json_t *loop = self_loop_run(argv, env, &run, &lines);
  double received = (double)as_test_int(loop, "counters.messages_received");
  double timed = (double)as_test_histogram_count(json_object_get(loop, "mailbox_wait_histogram"));
  json_decref(lines);
  as_test_run_free(&run);
  return timed / received;
}

/* A CAF message's stamp is placed by a hash of its element's address: as random keys would,
 * 1 000 queued messages keep some 94 % of their stamps and 2 000 some 88 %. Hashed by one
 * multiplication, one sender's 1 000 kept 55 % (its allocator's stride fell on few slots); with
 * the receiver's id mixed in before the multiplication, eight senders' 2 000 kept 76 %. */
Test(caf_messages, queued_messages_from_one_or_many_senders_keep_most_of_their_stamps)
{
  double one = queued_stamps_kept("1", "1000");
  cr_expect_geq(one, 0.88, "one sender's 1 000 queued: %.1f %% kept", one * 100);
  double eight = queued_stamps_kept("8", "250");
  cr_expect_geq(eight, 0.82, "eight senders' 2 000 queued: %.1f %% kept", eight * 100);
}

/* Its last tick holds it for 1.5 s while the feeders send their 2 000: they all wait in its
 * mailbox, after 20 000 messages it sent itself and took. The high-water mark a sender's
 * message makes counts those too (it read 1, the depth the feeders' count alone made). */
Test(caf_messages, messages_from_others_after_an_actor_drove_itself_make_its_deepest_mailbox)
{
  const char *argv[] = {"caf_selfloop", "20000", "4", "500", "1500", NULL};
  struct as_test_run run;
  json_t *lines;
  json_t *loop = self_loop_run(argv, NULL, &run, &lines);
  cr_assert_eq(as_test_int(loop, "mailbox.enqueued"), 22000);
  cr_assert_eq(as_test_int(loop, "mailbox.max"), 2000);
  json_decref(lines);
  as_test_run_free(&run);
}

/* Three messages, its first from launch and two it sends itself: by default all are timed, its
 * own too (an actor whose mailbox only ever holds what it sent itself, a broker's ticks, had
 * none timed when its own were numbered from 1). */
Test(caf_messages, an_actor_s_first_messages_of_either_kind_are_all_timed)
{
  const char *argv[] = {"caf_selfloop", "3", "0", "0", NULL};
  struct as_test_run run;
  json_t *lines;
  json_t *loop = self_loop_run(argv, NULL, &run, &lines);
  cr_assert_eq(as_test_int(loop, "counters.messages_received"), 3);
  cr_assert_eq(as_test_histogram_count(json_object_get(loop, "mailbox_wait_histogram")), 3);
  json_decref(lines);
  as_test_run_free(&run);
}

/* How many times the file at PATH holds NEEDLE. */
static size_t count_in_file(const char *path, const char *needle)
{
  char *text = as_test_read_file(path);
  size_t n = 0;
  for (const char *at = text; (at = strstr(at, needle)); at += strlen(needle))
    n++;
  free(text);
  return n;
}

/* CAF's own count of running actors (totals.runtime_running) is read through the kernel
 * (process_vm_readv) until the system's registry has read back once, then in place: that call
 * waits for the lock on the process's memory map, which a program whose threads allocate holds
 * again and again (a read took up to 280 ms, and a snapshot in progress at exit then left the
 * final one unwritten). Counted with strace: the first read's two calls, however many lines. */
Test(caf_messages, the_runtimes_running_count_is_read_in_place_once_it_read_back)
{
  char trace[] = "/tmp/actorscope-strace-XXXXXX";
  int fd = mkstemp(trace);
  cr_assert_geq(fd, 0);
  close(fd);
  const char *probe[] = {"/usr/bin/strace", "-qq", "-o", trace, "/bin/true", NULL};
  struct as_test_run run;
  as_test_run(probe, NULL, 0, &run);
  int can_trace = run.status == 0;
  as_test_run_free(&run);
  if (!can_trace) {
    unlink(trace);
    cr_skip_test("strace is not installed or may not trace here");
  }
  char preload[1024];
  snprintf(preload, sizeof preload, "LD_PRELOAD=%s", AS_TEST_PRELOAD);
  const char *argv[] = {"/usr/bin/strace",
                        "-f",
                        "-qq",
                        "--seccomp-bpf",
                        "-e",
                        "trace=process_vm_readv",
                        "-o",
                        trace,
                        "-E",
                        preload,
                        AS_TEST_PROGRAMS "/caf_pingpong",
                        "300000",
                        NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=10", NULL};
  as_test_run(argv, env, 0, &run);
  cr_assert_eq(run.status, 6, "%s", run.err);
  json_t *lines = as_test_run_lines(&run);
  size_t i, counted = 0;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    if (json_is_integer(json_object_get(json_object_get(line, "totals"), "runtime_running")))
      counted++;
  }
  size_t calls = count_in_file(trace, "process_vm_readv(");
  unlink(trace);
  cr_assert_geq(counted, 4, "only %zu lines say CAF's running count", counted);
  cr_assert_leq(calls, 2, "%zu reads through the kernel for %zu lines", calls, counted);
  json_decref(lines);
  as_test_run_free(&run);
}
