/* actorscope attach, detach, and attach again to the same running program (docs/attach.md,
 * "Attaching again"): each attach writes a file of its own, counting from its own start; the
 * slots are given back at each detach; the program runs as it would untraced. As root (CI). */
#define _GNU_SOURCE
#include "attach_harness.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(attach_again, .timeout = 180);

/* No tool run may take longer than this, whatever the sequence (a hang is a failure). */
#define TOOL_MAX_MS 15000

static long elapsed_ms(const struct timespec *since)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* The tool, with a bound on how long it takes. */
static int tool(char *out, size_t len, const char *a1, const char *a2, const char *a3,
                const char *a4, const char *a5, const char *a6, const char *a7)
{
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int rc = cli(out, len, 0, a1, a2, a3, a4, a5, a6, a7);
  long took = elapsed_ms(&start);
  cr_assert_lt(took, TOOL_MAX_MS, "actorscope %s took %ld ms: %s", a1, took, out);
  return rc;
}

static int count_of(const char *text, const char *what)
{
  int n = 0;
  for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
    n++;
  return n;
}

/* Waits (up to 20 s) until the target's stderr says WHAT at least N times. */
static void wait_for_stderr(const struct target *t, const char *what, int n)
{
  for (int i = 0; i < 2000; i++) {
    char *err = target_file(t, "stderr");
    int seen = count_of(err, what);
    free(err);
    if (seen >= n)
      return;
    usleep(10000);
  }
  cr_assert_fail("the target never said %s %d times", what, n);
}

/* "ok detached restored=N output=PATH": N must equal the slots the attach rewrote. */
static void detach_expecting(const struct target *t, int slots, const char *output)
{
  char out[8192], expected[512];
  cr_assert_eq(tool(out, sizeof out, "detach", t->pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  snprintf(expected, sizeof expected, "ok detached restored=%d output=%s\n", slots, output);
  cr_assert_str_eq(out, expected);
}

/* What a detached library answers: nothing (its socket is gone), at once. */
static void assert_detached_is_quiet(const struct target *t)
{
  char out[8192];
  cr_assert_eq(tool(out, sizeof out, "detach", t->pid_text, NULL, NULL, NULL, NULL, NULL), 1);
  cr_assert(strstr(out, "has no tracer listening"), "%s", out);
  cr_assert_eq(tool(out, sizeof out, "ctl", t->pid_text, "status", NULL, NULL, NULL, NULL), 1);
  cr_assert_eq(tool(out, sizeof out, "ctl", t->pid_text, "interval", "100", NULL, NULL, NULL), 1);
  cr_assert(strstr(out, "has no tracer listening"), "%s", out);
}

/* The output an attach's status line names. */
static void output_of(const char *out, char *path, size_t len)
{
  const char *p = strstr(out, "output=");
  cr_assert_not_null(p, "%s", out);
  p += 7;
  size_t n = strcspn(p, "\n");
  cr_assert_lt(n, len);
  memcpy(path, p, n);
  path[n] = '\0';
}

static off_t size_of(const char *path)
{
  struct stat st;
  cr_assert_eq(stat(path, &st), 0, "%s", path);
  return st.st_size;
}

static json_t *final_line(const char *path, json_t **lines)
{
  *lines = as_test_load_lines(path);
  json_t *last = as_test_last_snapshot(*lines);
  cr_assert(json_is_true(json_object_get(last, "final")), "%s has no final line", path);
  return last;
}

/* Calls fn on every actor a file lists (actors and ended ones, every line). */
static void each_actor(const char *path, void (*fn)(json_t *actor, void *context), void *context)
{
  json_t *lines = as_test_load_lines(path), *line;
  size_t i;
  json_array_foreach(lines, i, line)
  {
    static const char *const lists[] = {"actors", "ended"};
    for (size_t l = 0; l < 2; l++) {
      json_t *actor;
      size_t j;
      json_array_foreach(json_object_get(line, lists[l]), j, actor) fn(actor, context);
    }
  }
  json_decref(lines);
}

struct id_range {
  json_int_t lo, hi;
};

static void id_range_add(json_t *actor, void *context)
{
  struct id_range *r = context;
  json_int_t id = json_integer_value(json_object_get(actor, "id"));
  r->lo = id < r->lo ? id : r->lo;
  r->hi = id > r->hi ? id : r->hi;
}

/* The lowest and highest actor id a file lists. */
static struct id_range id_range(const char *path)
{
  struct id_range r = {INT64_MAX, 0};
  each_actor(path, id_range_add, &r);
  cr_assert_gt(r.hi, 0, "%s lists no actor", path);
  return r;
}

/* Nothing the first file's attach knew is listed by the second's: every actor there is a
 * record made since (ids go on from where they were). */
static void assert_nothing_carried_over(const char *first, const char *second)
{
  struct id_range r1 = id_range(first), r2 = id_range(second);
  cr_assert_gt(r2.lo, r1.hi, "%s lists id %lld, %s had ids up to %lld", second, (long long)r2.lo,
               first, (long long)r1.hi);
}

/* A file's echo actor counted the pings of its own span. The span is what the program sent
 * while its own GOT slot led to the tracer; libczmq's slot, which counts, is rewritten before
 * it and restored after it (the restore walks the objects in load order), some milliseconds
 * apart on a loaded machine: a tenth either way, enough to tell one span from two. */
static json_int_t assert_echo_counted(const char *path, int span)
{
  json_t *lines;
  json_t *last = final_line(path, &lines);
  json_t *echo = as_test_actor_named(last, "echo_actor");
  cr_assert_not_null(echo, "%s", path);
  cr_assert(json_is_true(json_object_get(echo, "attached_late")), "%s", path);
  json_int_t pings = as_test_type_count(echo, "PING");
  int slack = 2 + span / 10;
  cr_assert(pings >= span - slack && pings <= span + slack, "%s: PING x%lld, the span sent %d",
            path, (long long)pings, span);
  json_int_t id = as_test_int(echo, "id");
  json_decref(lines);
  return id;
}

/* The NTH span of czmq_attach_target: attached into PATH (the tool says SAYS), the program's
 * own GOT slot seen leading to the tracer, detached with every slot given back (the program
 * reads its own: libzmq's function again). */
static void czmq_span(const struct target *t, const char *path, int nth, const char *says)
{
  char out[8192];
  cr_assert_eq(tool(out, sizeof out, "attach", "-o", path, "-i", "50", t->pid_text, NULL), 0, "%s",
               out);
  cr_assert(strstr(out, says), "%s", out);
  cr_assert(strstr(out, "adopted=1"), "%s", out);
  int slots = parse_after(out, "slots=");
  cr_assert_gt(slots, 10);
  wait_for_stderr(t, "slot=tracer", nth);
  usleep(400000);
  detach_expecting(t, slots, path);
  wait_for_stderr(t, "slot=libzmq", nth);
}

Test(attach_again, a_czmq_program_is_attached_detached_and_attached_again)
{
  const char *argv[] = {"czmq_attach_target", "4000", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192], a[160], b[160], c[200];
  snprintf(a, sizeof a, "%s/a.jsonl", t.dir);
  snprintf(b, sizeof b, "%s/b.jsonl", t.dir);

  czmq_span(&t, a, 1, "attached to process");
  assert_detached_is_quiet(&t);
  usleep(200000); /* pings nobody counts */
  czmq_span(&t, b, 2, "attached again");
  off_t a_size = size_of(a), b_size = size_of(b);

  /* A third time into the first file's name: a new file beside it, the old one untouched. */
  cr_assert_eq(tool(out, sizeof out, "attach", "-o", a, "-i", "50", t.pid_text, NULL), 0, "%s",
               out);
  output_of(out, c, sizeof c);
  cr_assert_str_neq(c, a);
  cr_assert(strncmp(c, t.dir, strlen(t.dir)) == 0, "%s", c);

  cr_assert_eq(target_wait(&t), 0);
  char *stdout_text = target_file(&t, "stdout"), *err = target_file(&t, "stderr");
  cr_assert_str_eq(stdout_text, "pongs=4000\n");
  int span1 = parse_after(err, "span1="), span2 = parse_after(err, "span2="),
      span3 = parse_after(err, "span3=");
  cr_assert_gt(span1, 10, "%s", err);
  cr_assert_gt(span2, 10, "%s", err);
  /* Each file counts its own span only: never the spans before it. */
  json_int_t id1 = assert_echo_counted(a, span1);
  json_int_t id2 = assert_echo_counted(b, span2);
  json_int_t id3 = assert_echo_counted(c, span3);
  /* Found anew each time: a new record, ids going on. */
  cr_assert(id1 < id2 && id2 < id3, "ids %lld %lld %lld", (long long)id1, (long long)id2,
            (long long)id3);
  assert_nothing_carried_over(a, b);
  assert_nothing_carried_over(b, c);
  cr_assert_eq(size_of(a), a_size, "the first file was written after its detach");
  cr_assert_eq(size_of(b), b_size, "the second file was written after its detach");
  json_t *lines;
  json_t *last = final_line(c, &lines);
  cr_assert_str_eq(as_test_str(as_test_actor_named(last, "echo_actor"), "stopped.reason"),
                   "terminated");
  json_decref(lines);
  free(stdout_text);
  free(err);
}

/* The signals the process catches, as the kernel has them (/proc/PID/status's SigCgt). */
static unsigned long long caught_signals(const struct target *t)
{
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)t->pid);
  FILE *status = fopen(path, "r");
  cr_assert_not_null(status, "%s", path);
  unsigned long long mask = 0;
  int found = 0;
  while (!found && fgets(line, sizeof line, status))
    found = sscanf(line, "SigCgt: %llx", &mask) == 1;
  fclose(status);
  cr_assert(found, "no SigCgt in %s", path);
  return mask;
}

#define SIGNAL_BIT(sig) (1ull << ((sig)-1))

/* An attach takes the deadly signals the program left at their default (so that a death by
 * one leaves the state then); its detach gives every one back: the kernel's dispositions are
 * the program's own again (they stayed the tracer's, which `sigaction` then showed the host). */
Test(attach_again, a_detach_gives_the_program_its_signals_back)
{
  const char *argv[] = {"czmq_attach_target", "4000", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  unsigned long long own = caught_signals(&t);
  cr_assert_eq(own & (SIGNAL_BIT(SIGPIPE) | SIGNAL_BIT(SIGUSR1) | SIGNAL_BIT(SIGHUP)), 0);
  char out[8192], a[160];
  snprintf(a, sizeof a, "%s/a.jsonl", t.dir);
  cr_assert_eq(tool(out, sizeof out, "attach", "-o", a, "-i", "50", t.pid_text, NULL), 0, "%s",
               out);
  int slots = parse_after(out, "slots=");
  unsigned long long attached = caught_signals(&t);
  cr_assert_eq(attached & (SIGNAL_BIT(SIGPIPE) | SIGNAL_BIT(SIGUSR1) | SIGNAL_BIT(SIGHUP)),
               SIGNAL_BIT(SIGPIPE) | SIGNAL_BIT(SIGUSR1) | SIGNAL_BIT(SIGHUP), "%llx", attached);
  detach_expecting(&t, slots, a);
  cr_assert_eq(caught_signals(&t), own, "caught %llx after the detach, %llx before the attach",
               caught_signals(&t), own);
  cr_assert_eq(target_wait(&t), 0);
}

/* A file's CAF actor NAME: its count of TYPE, and its id. */
static json_int_t caf_count(const char *path, const char *name, const char *type, json_int_t *id)
{
  json_t *lines;
  json_t *last = final_line(path, &lines);
  json_t *actor = as_test_actor_named(last, name);
  cr_assert_not_null(actor, "%s: no %s", path, name);
  cr_assert(json_is_true(json_object_get(actor, "attached_late")), "%s", path);
  json_int_t n = as_test_type_count(actor, type);
  *id = as_test_int(actor, "id");
  json_decref(lines);
  return n;
}

/* Attach, detach, attach, detach; the program runs on untraced to its end. */
static void attach_twice(struct target *t, const char *a, const char *b, unsigned span_us)
{
  char out[8192];
  cr_assert_eq(tool(out, sizeof out, "attach", "-o", a, "-i", "50", t->pid_text, NULL), 0, "%s",
               out);
  int slots1 = parse_after(out, "slots=");
  usleep(span_us);
  detach_expecting(t, slots1, a);
  assert_detached_is_quiet(t);
  usleep(span_us / 2);
  cr_assert_eq(tool(out, sizeof out, "attach", "-o", b, "-i", "50", t->pid_text, NULL), 0, "%s",
               out);
  cr_assert(strstr(out, "attached again"), "%s", out);
  int slots2 = parse_after(out, "slots=");
  usleep(span_us);
  detach_expecting(t, slots2, b);
  assert_nothing_carried_over(a, b);
}

/* A started target attached twice into a.jsonl and b.jsonl of its directory (a, b: 160 bytes),
 * then run to its end: status 0 and the output of an untraced run. */
static void attach_twice_to_the_end(struct target *t, char *a, char *b, unsigned span_us,
                                    const char *expected_stdout)
{
  snprintf(a, 160, "%s/a.jsonl", t->dir);
  snprintf(b, 160, "%s/b.jsonl", t->dir);
  attach_twice(t, a, b, span_us);
  cr_assert_eq(target_wait(t), 0);
  char *stdout_text = target_file(t, "stdout");
  cr_assert_str_eq(stdout_text, expected_stdout);
  free(stdout_text);
}

/* caf_attach_target ROUNDS [MODE] started, attached twice into A and B (160 bytes each) and
 * run to its end, every pong back (attach_twice_to_the_end). */
static void caf_target_attached_twice(const char *rounds, const char *mode, char *a, char *b,
                                      unsigned span_us)
{
  const char *argv[] = {"caf_attach_target", rounds, mode, NULL};
  struct target t;
  target_start(&t, argv, 1);
  char expected[32];
  snprintf(expected, sizeof expected, "pongs=%s\n", rounds);
  attach_twice_to_the_end(&t, a, b, span_us, expected);
}

/* CAF actors are found at their next message after each attach: a new record each time (the
 * one before may name an object freed while detached), counting from that attach on. */
Test(attach_again, a_caf_program_is_attached_detached_and_attached_again)
{
  char a[160], b[160];
  caf_target_attached_twice("3000", NULL, a, b, 600000);
  json_int_t id1, id2, pinger1, pinger2;
  json_int_t pings1 = caf_count(a, "ponger", "ping", &id1);
  json_int_t pings2 = caf_count(b, "ponger", "ping", &id2);
  json_int_t answers2 = caf_count(b, "pinger", "i32", &pinger2);
  caf_count(a, "pinger", "i32", &pinger1);
  cr_assert_gt(pings1, 10);
  cr_assert_gt(pings2, 10);
  cr_assert_neq(id1, id2, "the ponger's record of the first attach was taken up again");
  cr_assert_neq(pinger1, pinger2);
  /* The second file does not carry the first one's counts on. */
  cr_assert_leq(pings1 + pings2, 3000 + 2, "pings %lld then %lld", (long long)pings1,
                (long long)pings2);
  cr_assert(answers2 >= pings2 - 1 && answers2 <= pings2 + 1, "ping %lld, answers %lld",
            (long long)pings2, (long long)answers2);
}

/* A program whose only thread outside CAF waits in one long sleep (a daemon's main thread):
 * the first attach interrupts it and the kernel resumes it with restart_syscall, still in
 * libc's clock_nanosleep. The second attach borrows it there at once (it said "try again in a
 * moment" until the sleep ended). */
Test(attach_again, a_caf_program_whose_main_thread_sleeps_long_is_attached_again_at_once)
{
  char a[160], b[160];
  caf_target_attached_twice("3000", "asleep", a, b, 600000);
  json_int_t id;
  cr_assert_gt(caf_count(b, "ponger", "ping", &id), 10);
}

/* A detach's final line says so ("ended_by": "detach", the process runs on): report does not
 * call the actors alive then possible leaks, and check's alive-at-exit rule cannot pass, the
 * state at exit being unknown (the line said "exit": 3 actors alive at the end, leaks). */
Test(attach_again, a_detached_file_says_so_and_calls_no_actor_a_leak)
{
  char a[160], b[160];
  caf_target_attached_twice("1000", NULL, a, b, 500000);
  json_t *lines;
  json_t *last = final_line(a, &lines);
  cr_assert_str_eq(as_test_str(last, "ended_by"), "detach");
  json_decref(lines);
  char out[16384];
  cr_assert_eq(tool(out, sizeof out, "report", a, NULL, NULL, NULL, NULL, NULL), 0, "%s", out);
  cr_assert(strstr(out, "Alive when the tracer was detached"), "%s", out);
  cr_assert_null(strstr(out, "possible leaks"), "%s", out);
  cr_assert_eq(tool(out, sizeof out, "check", "--max-alive-at-exit", "0", a, NULL, NULL, NULL), 1,
               "%s", out);
  cr_assert(strstr(out, "the tracer was detached at"), "%s", out);
}

struct spinner_seen {
  const char *path;
  int lines;
};

/* The spinner's mailbox never holds more than one message: each line says so, give or take the
 * one in flight as counting began (taken, not seen put in). */
static void spinner_mailbox_true(json_t *actor, void *context)
{
  struct spinner_seen *seen = context;
  const char *name = json_string_value(json_object_get(actor, "name"));
  if (!name || strcmp(name, "spinner") != 0)
    return;
  seen->lines++;
  json_int_t in = as_test_int(actor, "mailbox.enqueued");
  json_int_t out = as_test_int(actor, "counters.messages_received");
  cr_assert(in - out <= 2 && out - in <= 2, "%s: spinner put in %lld, taken %lld", seen->path,
            (long long)in, (long long)out);
}

/* Hooks count from the moment every slot leads to the tracer, and stop before any is given
 * back: an actor sending itself messages as fast as it can reads a mailbox of one in both
 * files (it read thousands queued for ever: its sends counted while its taking was not hooked
 * yet, or no longer). */
Test(attach_again, a_busy_caf_actor_s_mailbox_reads_true_in_every_attach)
{
  char a[160], b[160];
  caf_target_attached_twice("1500", "busy", a, b, 600000);
  struct spinner_seen first = {a, 0}, second = {b, 0};
  each_actor(a, spinner_mailbox_true, &first);
  each_actor(b, spinner_mailbox_true, &second);
  cr_assert_gt(first.lines, 5);
  cr_assert_gt(second.lines, 5);
}

static void worker_counted_once(json_t *actor, void *context)
{
  const char *name = json_string_value(json_object_get(actor, "name"));
  if (!name || strcmp(name, "worker") != 0)
    return;
  ++*(size_t *)context;
  json_int_t work = as_test_type_count(actor, "work");
  cr_assert_leq(work, 1, "a worker counted %lld messages", (long long)work);
}

/* Workers made and destroyed all along, also while detached: the records of the first attach
 * name freed objects whose addresses the next workers reuse. None is listed, read or taken up
 * again (attach_twice: the second file lists only records made since); every worker of the
 * second file counted its one message, no more. */
Test(attach_again, caf_actors_made_and_freed_while_detached_are_never_mistaken)
{
  char a[160], b[160];
  caf_target_attached_twice("2500", "churn", a, b, 600000);
  size_t workers = 0;
  each_actor(b, worker_counted_once, &workers);
  cr_assert_gt(workers, 10);
}

/* Zeek's Broker inside Python: CAF in a library loaded RTLD_LOCAL, attached twice. */
Test(attach_again, zeek_broker_in_python_is_attached_detached_and_attached_again)
{
  struct target t;
  target_start_broker(&t, "700");
  char a[160], b[160];
  attach_twice_to_the_end(&t, a, b, 900000, "published=700\n");
  json_int_t id1, id2;
  json_int_t published1 = caf_count(a, "core", "publish", &id1);
  json_int_t published2 = caf_count(b, "core", "publish", &id2);
  cr_assert_gt(published1, 0);
  cr_assert_gt(published2, 0);
  cr_assert_neq(id1, id2);
  cr_assert_leq(published1 + published2, 700, "publish %lld then %lld", (long long)published1,
                (long long)published2);
}

/* Preloaded, detached through its socket, then attached: the hooks are bound already (no slot
 * is rewritten), the actor our zactor_new spawned at start is found again on the thread list. */
Test(attach_again, a_preloaded_program_detached_is_attached_again)
{
  const char *argv[] = {"czmq_attach_target", "3000", "2000", NULL};
  struct target t;
  target_start_with(&t, argv, 1, 0, 1);
  char out[8192], b[160];
  snprintf(b, sizeof b, "%s/b.jsonl", t.dir);
  usleep(300000);
  detach_expecting(&t, 0, t.dest);
  off_t preloaded_size = size_of(t.dest);
  assert_detached_is_quiet(&t);
  cr_assert_eq(tool(out, sizeof out, "attach", "-o", b, "-i", "50", t.pid_text, NULL), 0, "%s",
               out);
  cr_assert(strstr(out, "attached again"), "%s", out);
  cr_assert(strstr(out, "slots=0 "), "%s", out);
  cr_assert(strstr(out, "adopted=1"), "%s", out);
  usleep(500000);
  detach_expecting(&t, 0, b);
  cr_assert_eq(target_wait(&t), 0);
  char *stdout_text = target_file(&t, "stdout");
  cr_assert_str_eq(stdout_text, "pongs=3000\n");
  free(stdout_text);
  cr_assert_eq(size_of(t.dest), preloaded_size);
  json_t *lines;
  json_t *last = final_line(b, &lines);
  json_t *echo = as_test_actor_named(last, "echo_actor");
  cr_assert_not_null(echo);
  cr_assert(json_is_true(json_object_get(echo, "attached_late")));
  json_int_t pings = as_test_type_count(echo, "PING");
  cr_assert(pings > 10 && pings < 3000, "PING x%lld", (long long)pings);
  json_decref(lines);
}

/* Two attaches at once, detach twice, ctl on a detached library, attach and detach in quick
 * succession: every tool run ends promptly, the program ends as it would untraced. */
Test(attach_again, a_hostile_sequence_never_hangs_nor_harms_the_program)
{
  const char *argv[] = {"czmq_attach_target", "3000", "2000", NULL};
  struct target t;
  target_start(&t, argv, 1);
  char out[8192], a[160];
  snprintf(a, sizeof a, "%s/a.jsonl", t.dir);
  pid_t racer = fork();
  if (racer == 0) {
    char racer_out[8192];
    _exit(cli(racer_out, sizeof racer_out, 0, "attach", "-o", a, t.pid_text, NULL, NULL, NULL));
  }
  int rc = tool(out, sizeof out, "attach", "-o", a, t.pid_text, NULL, NULL, NULL);
  int status;
  cr_assert_eq(waitpid(racer, &status, 0), racer);
  cr_assert(rc == 0 || rc == 1, "%d: %s", rc, out);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
  /* Whichever got in, the process is traced once: one detach succeeds, the next finds none. */
  cr_assert_eq(tool(out, sizeof out, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
               out);
  assert_detached_is_quiet(&t);
  for (int i = 0; i < 3; i++) {
    char path[200];
    snprintf(path, sizeof path, "%s/quick%d.jsonl", t.dir, i);
    cr_assert_eq(tool(out, sizeof out, "attach", "-o", path, t.pid_text, NULL, NULL, NULL), 0, "%s",
                 out);
    cr_assert_eq(tool(out, sizeof out, "detach", t.pid_text, NULL, NULL, NULL, NULL, NULL), 0, "%s",
                 out);
    cr_assert(strstr(out, path), "%s", out);
  }
  cr_assert_eq(target_wait(&t), 0);
  char *stdout_text = target_file(&t, "stdout"), *err = target_file(&t, "stderr");
  cr_assert_str_eq(stdout_text, "pongs=3000\n");
  cr_assert(strstr(err, "slot_restored=1"), "%s", err);
  free(stdout_text);
  free(err);
}
