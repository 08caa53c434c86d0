/* The streaming reader on hostile input: huge strings, lying peers, FIFOs, files changed under
 * a follower. */
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

/* ---- hostile input: huge strings, lying peers, FIFOs, files changed under a follower ------- */

/* A snapshot with one actor whose name is NAME (JSON text, quotes included). */
static char *snapshot_named(const char *name)
{
  char *a = actor_json(1, "0"), *out = NULL;
  const char *at = strstr(a, "\"name\":\"w 1\"");
  cr_assert_not_null(at);
  cr_assert(asprintf(&out,
                     "{\"type\":\"snapshot\",\"seq\":0,\"captured_at_ns\":1,\"uptime_ns\":1,"
                     "\"final\":false,\"totals\":{\"alive\":1,\"total_spawned\":1,"
                     "\"total_stopped\":0,\"messages_received\":0},\"spawn_sites\":[],"
                     "\"actors\":[%.*s\"name\":%s%s]}\n",
                     (int)(at - a), a, name, at + strlen("\"name\":\"w 1\"")) > 0);
  free(a);
  return out;
}

Test(reader, a_string_over_the_cap_is_refused_naming_its_line_and_member, .timeout = 30)
{
  size_t len = AS_READER_MAX_TOKEN * 3;
  char *name = malloc(len + 3);
  name[0] = '"';
  memset(name + 1, 'n', len);
  strcpy(name + 1 + len, "\"");
  char *snap = snapshot_named(name), *text = NULL;
  cr_assert(asprintf(&text, "%s%s", header, snap) > 0);
  char *path = write_temp(text);
  struct as_reader_error err;
  cr_assert_eq(read_all(path, NULL, &err, NULL), -EMSGSIZE, "%s", err.text);
  cr_expect(strstr(err.text, ":2: actor #1: member 'name': a string longer than 1048576 bytes"),
            "%s", err.text);
  unlink(path);
  free(path);
  free(text);
  free(snap);
  free(name);
}

Test(reader, a_member_name_over_the_cap_is_refused, .timeout = 30)
{
  size_t len = AS_READER_MAX_TOKEN + 10;
  char *key = malloc(len + 16);
  key[0] = '"';
  memset(key + 1, 'k', len);
  strcpy(key + 1 + len, "\":1,");
  char *text = NULL;
  cr_assert(asprintf(&text, "%s{\"type\":\"snapshot\",%s\"seq\":0}\n", header, key) > 0);
  char *path = write_temp(text);
  struct as_reader_error err;
  cr_assert_eq(read_all(path, NULL, &err, NULL), -EMSGSIZE, "%s", err.text);
  cr_expect(strstr(err.text, ":2: a member name longer than 1048576 bytes"), "%s", err.text);
  unlink(path);
  free(path);
  free(text);
  free(key);
}

/* Strings cut by the reader's chunks, escapes on the cut included, arrive whole. */
Test(reader, long_strings_with_escapes_across_chunks_arrive_whole, .timeout = 30)
{
  size_t len = 900 << 10;
  char *name = malloc(2 * len + 3), *want = malloc(len + 1);
  size_t k = 0;
  name[k++] = '"';
  for (size_t i = 0; i < len; i++) {
    /* An escape every 4093 bytes: some straddle the 256 KiB chunk boundaries. */
    char c = i % 4093 == 0 ? '"' : i % 4093 == 1 ? '\\' : (char)('a' + i % 26);
    want[i] = c;
    if (c == '"' || c == '\\')
      name[k++] = '\\';
    name[k++] = c;
  }
  want[len] = '\0';
  name[k++] = '"';
  name[k] = '\0';
  char *snap = snapshot_named(name), *text = NULL;
  cr_assert(asprintf(&text, "%s%s%s", header, snap, snap) > 0);
  char *path = write_temp(text);
  struct as_reader *r;
  struct as_reader_error err;
  cr_assert_eq(as_reader_open(&r, path, NULL, &err), 0, "%s", err.text);
  const struct as_rec_snapshot *s;
  for (int line = 0; line < 2; line++) {
    cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
    cr_assert_eq(strlen(s->actors[0].name), len);
    cr_assert(strcmp(s->actors[0].name, want) == 0);
    cr_assert_str_eq(s->actors[0].runtime, "caf");
  }
  cr_assert_eq(as_reader_next(r, &s, &err), 0);
  as_reader_close(r);
  unlink(path);
  free(path);
  free(text);
  free(snap);
  free(name);
  free(want);
}

/* What yajl lets through ill-formed (a lone surrogate escape, raw surrogate and overlong bytes,
 * a code point past U+10FFFF) reaches every view as U+FFFD: Prometheus refuses a scrape, and
 * browsers a page's text, with one bad byte. Well-formed text arrives untouched. */
Test(reader, ill_formed_utf8_in_a_string_arrives_mended)
{
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"\"lone \\udc80 escape\"", "lone \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd escape"},
      {"\"raw \xed\xa0\x80 surrogate\"", "raw \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd surrogate"},
      {"\"over\xc0\xaflong\"", "over\xef\xbf\xbd\xef\xbf\xbdlong"},
      {"\"past \xf4\x90\x80\x80 end\"",
       "past \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end"},
      {"\"caf\xc3\xa9 \xe2\x86\x90 \xf0\x9f\x99\x82 ok\"",
       "caf\xc3\xa9 \xe2\x86\x90 \xf0\x9f\x99\x82 ok"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *snap = snapshot_named(cases[i].json), *text = NULL;
    cr_assert(asprintf(&text, "%s%s", header, snap) > 0);
    char *path = write_temp(text);
    struct as_reader *r;
    struct as_reader_error err;
    const struct as_rec_snapshot *s;
    cr_assert_eq(as_reader_open(&r, path, NULL, &err), 0, "%s", err.text);
    int got = as_reader_next(r, &s, &err);
    if (got != 1) /* yajl may refuse some bytes outright: then nothing ill-formed is given */
      cr_assert_lt(got, 0, "case %zu: %d %s", i, got, err.text);
    else
      cr_assert_str_eq(s->actors[0].name, cases[i].want, "case %zu: %s", i, s->actors[0].name);
    as_reader_close(r);
    unlink(path);
    free(path);
    free(text);
    free(snap);
  }
}

/* A version 2 keyframe whose actors have no arrays: the state copies nothing (UBSan build). */
Test(reader, a_keyframe_of_actors_without_arrays_is_read)
{
  char *a = actor_json(1, "0"), *text = NULL;
  /* Its two arrays emptied: nothing for the state to copy. */
  char *types = strstr(a, "\"message_types\":["), *sockets = strstr(a, "\"sockets\":[");
  cr_assert(types && sockets);
  cr_assert(
      asprintf(&text,
               "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":2,\"pid\":7,"
               "\"started_at_ns\":1}\n{\"type\":\"snapshot\",\"seq\":0,\"captured_at_ns\":1,"
               "\"uptime_ns\":1,\"final\":false,\"totals\":{\"alive\":1,\"total_spawned\":1,"
               "\"total_stopped\":0,\"messages_received\":0},\"actors\":[%.*s\"message_types\":[]"
               "%.*s\"sockets\":[]}]}\n",
               (int)(types - a), a, (int)(sockets - strchr(types, ']') - 1),
               strchr(types, ']') + 1) > 0);
  char *path = write_temp(text);
  struct as_reader_error err;
  cr_assert_eq(read_all(path, NULL, &err, NULL), 1, "%s", err.text);
  unlink(path);
  free(path);
  free(text);
  free(a);
}

/* A listening unix socket in a fresh directory. */
struct unix_place {
  char dir[40], sock[128], source[160];
};

static int unix_listen(struct unix_place *u)
{
  snprintf(u->dir, sizeof u->dir, "/tmp/actorscope-reader-sock-XXXXXX");
  cr_assert_not_null(mkdtemp(u->dir));
  snprintf(u->sock, sizeof u->sock, "%s/s", u->dir);
  snprintf(u->source, sizeof u->source, "unix:%s", u->sock);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, u->sock);
  cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  cr_assert_eq(listen(fd, 1), 0);
  return fd;
}

static void unix_unlisten(struct unix_place *u, int fd)
{
  close(fd);
  unlink(u->sock);
  rmdir(u->dir);
}

/* A server that sends a header claiming pid 7 (the test's own pid is not 7). */
Test(reader, a_unix_socket_whose_header_claims_another_pid_is_refused, .timeout = 10)
{
  struct unix_place u;
  int fd = unix_listen(&u);
  char *snap = snapshot_json(0, 0, 1, "0"), *script = NULL;
  cr_assert(asprintf(&script, "%s%s", header, snap) > 0);
  struct server srv = {fd, script, "", 1};
  pthread_t t;
  pthread_create(&t, NULL, server_main, &srv);
  struct as_reader_error err;
  int n = read_all(u.source, NULL, &err, NULL);
  pthread_join(t, NULL);
  cr_expect_eq(n, -EPROTO, "%d: %s", n, err.text);
  char expected[128];
  snprintf(expected, sizeof expected, "the header claims pid 7, but the socket is served by pid %d",
           (int)getpid());
  cr_expect(strstr(err.text, expected), "%s", err.text);
  unix_unlisten(&u, fd);
  free(script);
  free(snap);
}

/* A server that never sends its header is dropped at the deadline. */
Test(reader, a_socket_without_its_header_is_dropped_at_the_deadline, .timeout = 10)
{
  struct unix_place u;
  int fd = unix_listen(&u); /* accepted by the kernel, never answered */
  struct as_reader_options opt = AS_READER_OPTIONS_DEFAULT;
  opt.header_timeout_ms = 300;
  struct as_reader_error err;
  cr_expect_eq(read_all(u.source, &opt, &err, NULL), -ETIMEDOUT, "%s", err.text);
  cr_expect(strstr(err.text, "no whole header line within 300 ms"), "%s", err.text);
  unix_unlisten(&u, fd);
}

Test(reader, following_a_fifo_without_a_writer_does_not_block_in_open, .timeout = 10)
{
  char dir[] = "/tmp/actorscope-reader-fifo-XXXXXX", fifo[96];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(fifo, sizeof fifo, "%s/f", dir);
  cr_assert_eq(mkfifo(fifo, 0600), 0);
  struct as_reader_options opt = {.follow = 1, .follow_poll_ms = 20};
  struct as_reader *r;
  struct as_reader_error err;
  cr_expect_eq(as_reader_open(&r, fifo, &opt, &err), -EAGAIN, "%s", err.text);
  cr_expect(strstr(err.text, "a FIFO that no process writes to"), "%s", err.text);
  unlink(fifo);
  rmdir(dir);
}

/* Follows PATH (its header and one snapshot written), applies CHANGE, expects -ESTALE saying
 * WHAT. */
static void follow_then(const char *path, void (*change)(const char *), const char *what)
{
  struct as_reader_options opt = {.follow = 1, .follow_poll_ms = 20};
  struct as_reader *r;
  struct as_reader_error err;
  cr_assert_eq(as_reader_open(&r, path, &opt, &err), 0, "%s", err.text);
  const struct as_rec_snapshot *s;
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  change(path);
  cr_expect_eq(as_reader_next(r, &s, &err), -ESTALE, "%s", err.text);
  cr_expect(strstr(err.text, what), "%s", err.text);
  as_reader_close(r);
}

static void truncate_it(const char *path) { cr_assert_eq(truncate(path, 10), 0); }

static void replace_it(const char *path)
{
  char *snap = snapshot_json(0, 0, 1, "0"), *text = NULL, other[256];
  cr_assert(asprintf(&text, "%s%s", header_other, snap) > 0);
  snprintf(other, sizeof other, "%s.new", path);
  write_file(other, text);
  cr_assert_eq(rename(other, path), 0);
  free(text);
  free(snap);
}

Test(reader, a_followed_file_that_is_truncated_or_replaced_is_said, .timeout = 20)
{
  char *snap = snapshot_json(0, 0, 1, "0"), *text = NULL;
  cr_assert(asprintf(&text, "%s%s", header, snap) > 0);
  char *path = write_temp(text);
  follow_then(path, truncate_it, "the file was truncated while being followed");
  write_file(path, text);
  follow_then(path, replace_it, "the file was replaced by that of another process (pid 8)");
  unlink(path);
  free(path);
  free(text);
  free(snap);
}
