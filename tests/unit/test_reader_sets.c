/* The streaming reader on rotating sets (as preload/sink_rotate.c writes them, read while
 * written), histograms, ended actors and per-socket totals. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "destination.h"
#include "reader.h"
#include "reader_fixtures.h"

/* ---- a set rotated as preload/sink_rotate.c does, while it is read --------------------------- */

struct set_writer {
  char dir[64], path[128];
  unsigned keep;       /* rotated files kept */
  long lines_per_file; /* a rotation before every this many lines */
  long first, last;    /* seqs to write (LAST < 0: until stopped) */
  long final_seq;      /* the final line's */
  useconds_t pause_us; /* between lines */
  volatile int stop;
  int fd;
  long written; /* lines in the current file */
};

static void set_name(const struct set_writer *w, unsigned k, char *out, size_t len)
{
  cr_assert_eq(
      k ? as_dest_rotated_name(w->path, k, out, len) : (snprintf(out, len, "%s", w->path), 0), 0);
}

/* Writes TEXT in two parts, as the writer may: a reader can find half a line. */
static void set_put(struct set_writer *w, const char *text)
{
  size_t len = strlen(text), half = len / 2;
  cr_assert_eq(write(w->fd, text, half), (ssize_t)half);
  cr_assert_eq(write(w->fd, text + half, len - half), (ssize_t)(len - half));
}

static void set_new_file(struct set_writer *w)
{
  char from[160], to[160];
  if (w->fd >= 0) { /* sink_rotate: close, drop the oldest, move each one up, NAME to NAME.1 */
    close(w->fd);
    set_name(w, w->keep, to, sizeof to);
    unlink(to);
    for (unsigned k = w->keep - 1; k >= 1; k--) {
      set_name(w, k, from, sizeof from);
      set_name(w, k + 1, to, sizeof to);
      rename(from, to);
    }
    set_name(w, 1, to, sizeof to);
    cr_assert_eq(rename(w->path, to), 0);
  }
  w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  cr_assert_geq(w->fd, 0, "%s: %s", w->path, strerror(errno));
  set_put(w, header_v2);
  w->written = 0;
}

/* One line: a keyframe at the start of each file and at the end, else a delta. */
static void set_line(struct set_writer *w, long seq)
{
  if (w->fd < 0 || w->written == w->lines_per_file)
    set_new_file(w);
  char *actor = v2_actor(1, 0, seq, "null");
  char *line = v2_line(w->written == 0 || seq == w->final_seq ? "snapshot" : "delta", seq, seq + 1,
                       actor, NULL);
  char *final = strstr(line, "\"final\":false");
  if (seq == w->final_seq)
    memcpy(final, "\"final\":true ", strlen("\"final\":true "));
  set_put(w, line);
  w->written++;
  free(line);
  free(actor);
}

static void *set_write(void *arg)
{
  struct set_writer *w = arg;
  for (long seq = w->first; !w->stop && (w->last < 0 || seq <= w->last); seq++) {
    set_line(w, seq);
    if (w->pause_us)
      usleep(w->pause_us);
  }
  return NULL;
}

static void set_init(struct set_writer *w, unsigned keep, long lines_per_file)
{
  memset(w, 0, sizeof *w);
  snprintf(w->dir, sizeof w->dir, "/tmp/actorscope-set-XXXXXX");
  cr_assert_not_null(mkdtemp(w->dir));
  snprintf(w->path, sizeof w->path, "%s/run.jsonl", w->dir);
  w->keep = keep;
  w->lines_per_file = lines_per_file;
  w->fd = -1;
  w->final_seq = -1;
}

static void set_remove(struct set_writer *w)
{
  if (w->fd >= 0)
    close(w->fd);
  char name[160];
  for (unsigned k = 0; k <= w->keep; k++) {
    set_name(w, k, name, sizeof name);
    unlink(name);
  }
  cr_expect_eq(rmdir(w->dir), 0, "%s: %s", w->dir, strerror(errno));
}

static int has_missed_note(const struct as_rec_snapshot *s, const char *text)
{
  for (size_t i = 0; i < s->n_diagnostics; i++)
    if (strcmp(s->diagnostics[i].code, "lines_missed") == 0 &&
        (!text || strstr(s->diagnostics[i].message, text)))
      return 1;
  return 0;
}

Test(reader, a_follower_reads_every_line_of_every_file_of_a_quickly_rotating_set, .timeout = 30)
{
  struct set_writer w;
  set_init(&w, AS_DEST_KEEP_MAX, 4); /* 400 lines: 100 files, none removed */
  w.first = 0;
  w.last = 0;
  set_write(&w); /* the first file is there when the follower starts */
  w.first = 1;
  w.last = w.final_seq = 399;
  w.pause_us = 300;
  struct as_reader *r;
  struct as_reader_error err;
  struct as_reader_options opt = {.follow = 1};
  cr_assert_eq(as_reader_open(&r, w.path, &opt, &err), 0, "%s", err.text);
  pthread_t t;
  pthread_create(&t, NULL, set_write, &w);
  const struct as_rec_snapshot *s;
  long expected = 0;
  int rc, final = 0;
  while ((rc = as_reader_next(r, &s, &err)) > 0) {
    cr_assert_eq(s->seq, expected, "seq %lld where %ld was next", (long long)s->seq, expected);
    cr_expect_not(has_missed_note(s, NULL), "seq %ld", expected);
    expected++;
    final = s->final;
  }
  pthread_join(t, NULL);
  cr_expect_eq(rc, 0, "%s", err.text);
  cr_expect_eq(expected, 400, "%ld lines read", expected);
  cr_expect(final);
  as_reader_close(r);
  set_remove(&w);
}

Test(reader, a_follower_behind_says_which_lines_were_removed_and_goes_on_at_a_keyframe,
     .timeout = 20)
{
  struct set_writer w;
  set_init(&w, 2, 4);
  w.first = 0;
  w.last = 3;
  set_write(&w); /* seq 0 (keyframe) to 3 */
  struct as_reader *r;
  struct as_reader_error err;
  struct as_reader_options opt = {.follow = 1};
  cr_assert_eq(as_reader_open(&r, w.path, &opt, &err), 0, "%s", err.text);
  const struct as_rec_snapshot *s;
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  cr_assert_eq(s->seq, 0);
  /* The writer goes on to seq 39 while the follower waits: of its 10 files, the first (held
   * open by the follower) and the last three (28 to 39) remain. */
  w.first = 4;
  w.last = w.final_seq = 39;
  set_write(&w);
  long want[] = {1, 2, 3, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39};
  size_t n = 0;
  int rc;
  while ((rc = as_reader_next(r, &s, &err)) > 0) {
    cr_assert_lt(n, sizeof want / sizeof *want, "seq %lld after the last", (long long)s->seq);
    cr_assert_eq(s->seq, want[n], "seq %lld where %ld was next", (long long)s->seq, want[n]);
    if (s->seq == 28)
      cr_expect_not(s->delta, "the follower goes on at the next file's keyframe");
    if (s->seq >= 28)
      cr_expect(has_missed_note(s, "seq 4 to 27"), "seq %lld says nothing of the lines missed",
                (long long)s->seq);
    else
      cr_expect_not(has_missed_note(s, NULL));
    n++;
  }
  cr_expect_eq(rc, 0, "%s", err.text);
  cr_expect_eq(n, sizeof want / sizeof *want, "%zu lines read", n);
  as_reader_close(r);
  set_remove(&w);
}

Test(reader, a_set_rotated_while_it_is_read_is_read_as_one_consistent_run, .timeout = 30)
{
  struct set_writer w;
  set_init(&w, 3, 3);
  w.first = 0;
  w.last = 0;
  set_write(&w);
  w.first = 1;
  w.last = -1; /* until stopped */
  w.pause_us = 50;
  pthread_t t;
  pthread_create(&t, NULL, set_write, &w);
  struct as_reader_error err;
  int failures = 0, gaps = 0;
  char first_failure[sizeof err.text] = "";
  for (int i = 0; i < 300; i++) {
    struct as_reader *r;
    int rc = as_reader_open(&r, w.path, NULL, &err);
    long prev = -1, n = 0;
    const struct as_rec_snapshot *s;
    while (rc == 0 && (rc = as_reader_next(r, &s, &err)) > 0) {
      cr_assert_gt(s->seq, prev, "try %d: seq %lld after %ld", i, (long long)s->seq, prev);
      if (prev < 0 || s->seq != prev + 1) { /* the start, or a gap: only at a keyframe, said */
        cr_assert_not(s->delta, "try %d: seq %lld, a delta, starts the run", i, (long long)s->seq);
        cr_assert(prev < 0 || has_missed_note(s, NULL), "try %d: seq %ld to %lld unsaid", i, prev,
                  (long long)s->seq);
        gaps += prev >= 0;
      }
      prev = s->seq;
      n++;
    }
    if (rc == 0)
      as_reader_close(r);
    if (rc < 0 && failures++ == 0)
      snprintf(first_failure, sizeof first_failure, "%s", err.text);
    cr_expect(rc < 0 || n > 0, "try %d: no line", i);
  }
  w.stop = 1;
  pthread_join(t, NULL);
  cr_expect_eq(failures, 0, "%d of 300 reads failed, the first: %s", failures, first_failure);
  cr_log_info("%d gaps said", gaps);
  set_remove(&w);
}

/* v2_actor with handler_histogram HISTOGRAM (JSON text) added at its end. */
static char *v2_actor_histogram(long id, const char *handling, const char *histogram)
{
  char *a = v2_actor(id, 0, 1, handling), *s = NULL;
  a[strlen(a) - 1] = '\0'; /* its closing brace */
  cr_assert(asprintf(&s, "%s,\"handler_histogram\":%s}", a, histogram) > 0);
  free(a);
  return s;
}

/* A keyframe with tick_fs and one actor, then a delta in which nothing happened. */
static char *histogram_run(const char *histogram, const char *tick_fs)
{
  char *a = v2_actor_histogram(1,
                               "{\"type\":\"T1\",\"elapsed_ns\":50,\"since_ns\":50,\"stack\":"
                               "[\"f+0x1 (x)\",\"g+0x2 (y)\"]}",
                               histogram);
  char *k0 = v2_line("snapshot", 0, 100, a, NULL), *text = NULL;
  char *brace = strrchr(k0, '}');
  *brace = '\0';
  cr_assert(asprintf(&text,
                     "%s%s,\"tick_fs\":%s}\n"
                     "{\"type\":\"delta\",\"seq\":1,\"captured_at_ns\":9,\"uptime_ns\":400}\n",
                     header_v2, k0, tick_fs) > 0);
  free(a);
  free(k0);
  return text;
}

Test(reader, histograms_stacks_and_the_tick_arrive_typed_and_last_through_deltas)
{
  char *text = histogram_run("[[0,1],[3,2],[313,5]]", "385190");
  char *path = write_temp(text);
  struct as_reader *r;
  struct as_reader_error err;
  const struct as_rec_snapshot *s;
  cr_assert_eq(as_reader_open(&r, path, NULL, &err), 0, "%s", err.text);
  for (int line = 0; line < 2; line++) {
    cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
    cr_expect_eq(s->tick_fs, 385190, "line %d", line);
    const struct as_rec_actor *a = &s->actors[0];
    cr_assert_eq(a->n_histogram, 3, "line %d", line);
    const int64_t want[] = {0, 1, 3, 2, 313, 5};
    for (int i = 0; i < 6; i++)
      cr_expect_eq(a->histogram[i], want[i]);
    cr_assert_eq(a->n_handling_stack, 2);
    cr_expect_str_eq(a->handling_stack[0], "f+0x1 (x)");
    cr_expect_str_eq(a->handling_stack[1], "g+0x2 (y)");
  }
  as_reader_close(r);
  unlink(path);
  free(path);
  free(text);
}

Test(reader, a_histogram_outside_the_scheme_is_refused_naming_it)
{
  const struct {
    const char *histogram, *tick_fs, *says;
  } bad[] = {
      {"[[314,1]]", "1",
       "member 'handler_histogram' must be [bucket, count] pairs with buckets below 314, not 314"},
      {"[[5,1],[4,1]]", "1", "must be sorted by bucket, each once (bucket 4 follows 5)"},
      {"[[5,1],[5,1]]", "1", "must be sorted by bucket, each once (bucket 5 follows 5)"},
      {"[[5,0]]", "1", "pairs with counts of 1 or more"},
      {"[[5,1,2]]", "1", "member 'handler_histogram[0]' must be a pair of two numbers"},
      {"[[5]]", "1", "member 'handler_histogram[0]' must be a pair of two numbers"},
      {"[5,1]", "1", "member 'handler_histogram' must be a [bucket, count] pair, not a number"},
      {"[[\"5\",1]]", "1", "must be a whole number >= 0, not a string"},
      {"{}", "1",
       "member 'handler_histogram' must be an array of [bucket, count] pairs, not an object"},
      {"[[5,1]]", "\"1\"", "member 'tick_fs' must be a whole number >= 0, not a string"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *text = histogram_run(bad[i].histogram, bad[i].tick_fs);
    char *path = write_temp(text);
    struct as_reader_error err;
    cr_expect_eq(read_all(path, NULL, &err, NULL), -EPROTO, "%s", bad[i].histogram);
    cr_expect(strstr(err.text, bad[i].says), "%s: %s", bad[i].histogram, err.text);
    unlink(path);
    free(path);
    free(text);
  }
}

/* Version 3: actors that stopped before any line listed them come once, compactly, in
 * `ended`; the reader gives them among the line's actors as stopped actors (sorted by id, the
 * implied members filled in) and reaps them at the next line. */
Test(reader, ended_actors_are_listed_once_then_reaped)
{
  const char *header_v3 = "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":3,\"pid\":7,"
                          "\"program\":\"/bin/p\","
                          "\"argv\":[\"p\"],\"started_at\":\"x\",\"started_at_ns\":1}\n";
  char *a1 = v2_actor(1, 0, 1, "null"), *a3 = v2_actor(3, 1, 2, "null");
  char *both = NULL, *k0 = NULL, *text = NULL;
  cr_assert(asprintf(&both, "%s,%s", a1, a3) > 0);
  char *plain = v2_line("snapshot", 0, 100, both, NULL);
  /* the keyframe with two ended children of #1 (ids 2 and 4: around #3) */
  const char *ended =
      ",\"ended\":[{\"id\":2,\"name\":\"job\",\"runtime\":\"caf\",\"spawned_at_ns\":10,"
      "\"spawn_site\":0,\"parent\":1,\"stopped_at_ns\":30,\"reason\":\"normal\",\"enqueued\":3,"
      "\"mailbox_max\":2,\"messages_received\":1,\"messages_sent\":4,\"handled\":1,"
      "\"exceptions\":2,\"handler_total_ns\":7,\"handler_max_ns\":7,\"handler_histogram\":"
      "[[5,1]],\"message_types\":[{\"name\":\"work\",\"count\":1}],\"runtime_id\":9,"
      "\"runtime_scope\":1,\"attached_late\":true,\"mailbox_wait_histogram\":[[3,2]],"
      "\"stuck\":{\"type\":\"work\",\"since_ns\":12,\"handler_ns\":1500000000,"
      "\"running\":false,\"stack\":[\"f+0x1 "
      "(p)\"]}},{\"id\":4,\"name\":\"job\",\"runtime\":\"caf\",\"spawned_at_ns\":11,"
      "\"stopped_at_ns\":31,\"reason\":\"kill\",\"enqueued\":0,\"mailbox_max\":0,"
      "\"messages_received\":0,\"messages_sent\":0,\"handled\":0,\"handler_total_ns\":0,"
      "\"handler_max_ns\":0,\"message_types\":[]}]}\n";
  size_t cut = strlen(plain) - 2; /* before the line's closing brace */
  cr_assert(asprintf(&k0, "%.*s%s", (int)cut, plain, ended) > 0);
  /* a delta that lists nothing: the ended ones leave */
  const char *d1 = "{\"type\":\"delta\",\"seq\":1,\"captured_at_ns\":9,\"uptime_ns\":400}\n";
  cr_assert(asprintf(&text, "%s%s%s", header_v3, k0, d1) > 0);
  char *path = write_temp(text);
  struct as_reader *r;
  struct as_reader_error err;
  const struct as_rec_snapshot *s;
  cr_assert_eq(as_reader_open(&r, path, NULL, &err), 0, "%s", err.text);
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  cr_assert_eq(s->n_actors, 4);
  for (size_t i = 0; i < 4; i++)
    cr_expect_eq(s->actors[i].id, (int64_t)i + 1, "sorted by id");
  const struct as_rec_actor *e = &s->actors[1];
  cr_expect(e->ended);
  cr_expect(!s->actors[0].ended);
  cr_expect_eq(e->status, AS_STATUS_STOPPED);
  cr_expect(e->has_stopped);
  cr_expect_str_eq(e->stop_reason, "normal");
  cr_expect_eq(e->stopped_at_ns, 30);
  cr_expect_str_eq(e->mailbox_kind, "unbounded");
  cr_expect_eq(e->mailbox_len, 2, "enqueued minus received");
  cr_expect_eq(e->mailbox_max, 2);
  cr_expect_eq(e->messages_sent, 4);
  cr_expect_eq(e->exceptions, 2);
  cr_expect_eq(e->n_histogram, 1);
  cr_expect_eq(e->n_message_types, 1);
  cr_expect(e->has_parent && e->parent == 1);
  cr_expect(e->has_spawn_site && e->has_origin);
  cr_expect(!e->has_handling && !e->has_waiting);
  cr_expect(e->attached_late);
  cr_expect_eq(e->n_wait_histogram, 1, "its mailbox waits");
  cr_expect(e->has_stuck, "its longest stuck run");
  cr_expect_eq(e->stuck_handler_ns, 1500000000);
  cr_expect_eq(e->n_stuck_stack, 1);
  cr_expect_eq(e->received_all, 1, "its traffic is its mailbox's");
  cr_expect_eq(e->sent_all, 4);
  cr_expect_eq(e->queued_all_max, 2);
  cr_expect(!s->actors[3].has_parent && !s->actors[3].has_spawn_site);
  cr_expect_str_eq(s->actors[3].stop_reason, "kill");
  cr_expect_eq(s->actors[0].n_children, 2, "#1's children as written (#3), read: %zu",
               s->actors[0].n_children);
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  cr_expect(s->delta);
  cr_assert_eq(s->n_actors, 2, "the ended actors are reaped by the next line");
  cr_expect_eq(s->actors[0].id, 1);
  cr_expect_eq(s->actors[1].id, 3);
  cr_assert_eq(s->n_reaped, 2, "and that line says so");
  cr_expect_eq(s->reaped[0], 2);
  cr_expect_eq(s->reaped[1], 4);
  cr_expect_eq(as_reader_next(r, &s, &err), 0);
  as_reader_close(r);
  unlink(path);
  free(path);
  free(text);
  /* An actor both in actors and in ended is an error naming it. */
  char *dup = NULL;
  cr_assert(asprintf(&dup, "%s", ended) > 0);
  char *two = strstr(dup, "\"id\":4");
  cr_assert_not_null(two);
  two[5] = '3';
  cr_assert(asprintf(&text, "%s%.*s%s", header_v3, (int)cut, plain, dup) > 0);
  path = write_temp(text);
  cr_expect_eq(read_all(path, NULL, &err, NULL), -EPROTO);
  cr_expect(strstr(err.text, "actor #3 is listed twice"), "%s", err.text);
  unlink(path);
  free(path);
  free(text);
  free(dup);
  free(k0);
  free(plain);
  free(both);
  free(a1);
  free(a3);
}

/* Issue 18: an actor's traffic and mailbox over all of its sockets, derived once here for every
 * view; a file written before totals.received_all gets the closest total it allows. */
Test(reader, an_actors_totals_are_all_of_its_sockets)
{
  char *snap = snapshot_json(0, 1, 2, "0"), *text = NULL;
  cr_assert(asprintf(&text, "%s%s", header, snap) > 0);
  char *path = write_temp(text);
  struct as_reader *r;
  struct as_reader_error err;
  struct as_reader_options opt = AS_READER_OPTIONS_DEFAULT;
  cr_assert_eq(as_reader_open(&r, path, &opt, &err), 0, "%s", err.text);
  const struct as_rec_snapshot *s;
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  const struct as_rec_actor *a = &s->actors[0];
  cr_assert_eq(a->received_all, 4 + 3 + 1, "the pipe's 4, the ROUTER's 3, the side pipe's 1");
  cr_assert_eq(a->sent_all, 1 + 0 + 2 + 0);
  cr_assert_eq(a->queued_all, 0 + 4, "the side pipe's depth waits for it too");
  cr_assert_eq(a->queued_all_max, 4, "the deepest: the side pipe's 4 over the pipe's 3");
  /* No totals.received_all in the file: the pipes' total (0) and the listed actors' sockets. */
  cr_assert_eq(s->received_all, 0 + 2 * (3 + 1));
  as_reader_close(r);
  unlink(path);
  free(path);
  free(text);
  free(snap);
}

Test(reader, a_socket_type_without_its_endpoint_for_totals_per_name)
{
  char buf[AS_TYPE_NAME_MAX + 8];
  cr_assert_str_eq(as_type_without_endpoint("REQ (ROUTER tcp://127.0.0.1:5555)", buf, sizeof buf),
                   "REQ (ROUTER)");
  cr_assert_str_eq(as_type_without_endpoint("<binary> (ROUTER inproc://node-11)", buf, sizeof buf),
                   "<binary> (ROUTER)");
  /* Cut at the type's length limit, its ")" with it. */
  cr_assert_str_eq(
      as_type_without_endpoint("HELLO (DEALER tcp://a-very-long-host-name.exa", buf, sizeof buf),
      "HELLO (DEALER)");
  /* A frame's own text with " (" in it: the last socket suffix counts. */
  cr_assert_str_eq(as_type_without_endpoint("f (x) (PULL ipc:///tmp/s)", buf, sizeof buf),
                   "f (x) (PULL)");
  const char *same[] = {"DATA (side pipe)", "ping",         "<other>", "A (SUB)",
                        "X (ROUTER)",       "a (PULLER b)", "(PUB x)"};
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
    cr_assert_eq(as_type_without_endpoint(same[i], buf, sizeof buf), same[i], "%s", same[i]);
  cr_assert_str_eq(as_socket_kind_name(6), "ROUTER");
  cr_assert_null(as_socket_kind_name(19));
  cr_assert_null(as_socket_kind_name(-1));
}
