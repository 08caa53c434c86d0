/* The streaming reader (format/reader.c) on real files, sockets and pipes: typed errors that
 * name the line, actor and member, the line cap, ENOMEM, tcp:[::1], the token, a stream's error
 * line, following a growing file, chunk boundaries, a cut last line. */
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

const char header[] =
    "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":1,\"pid\":7,\"program\":\"/bin/p\","
    "\"argv\":[\"p\",\"-x\"],\"started_at\":\"2026-11-24T06:00:00.000Z\",\"started_at_ns\":1,"
    "\"config\":{\"interval_ms\":100,\"grave_ms\":5000,\"stack_depth\":2}}\n";

/* One actor's JSON with the given counters.exceptions text (a number or anything else). */
char *actor_json(long id, const char *exceptions)
{
  char *s = NULL;
  cr_assert(
      asprintf(&s,
               "{\"id\":%ld,\"name\":\"w %ld\",\"runtime\":\"caf\",\"status\":\"running\","
               "\"spawned_at_ns\":5,\"spawn_site\":null,\"parent\":null,\"children\":[],"
               "\"stopped\":null,\"mailbox\":{\"kind\":\"unbounded\",\"len\":0,\"max\":3,"
               "\"enqueued\":4},\"counters\":{\"messages_received\":4,\"messages_sent\":1,"
               "\"replies\":0,\"handled\":4,\"exceptions\":%s},\"handler_ns\":{\"total\":9,"
               "\"max\":8},\"handling\":{\"type\":\"ping\",\"elapsed_ns\":6},"
               "\"waiting_on\":null,\"message_types\":[{\"name\":\"ping\",\"count\":4}],"
               "\"runtime_id\":%ld,\"runtime_scope\":2,\"internal\":true,\"future\":{\"a\":[1,"
               "{\"b\":null}]},\"sockets\":[{\"kind\":\"ROUTER\",\"endpoint\":"
               "\"tcp://127.0.0.1:5555\",\"received\":3,\"sent\":2},{\"kind\":\"side pipe\","
               "\"endpoint\":null,\"received\":1,\"sent\":0,\"depth\":%s}]}",
               id, id, exceptions, id,
               id == 3 && strcmp(exceptions, "9") == 0 ? "\"4\"" : "4") > 0);
  return s;
}

char *snapshot_json(long seq, int final, long actors, const char *exceptions)
{
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  fprintf(f,
          "{\"type\":\"snapshot\",\"seq\":%ld,\"captured_at_ns\":1,\"uptime_ns\":%ld,\"final\":%s,"
          "\"totals\":{\"alive\":%ld,\"total_spawned\":%ld,\"total_stopped\":0,"
          "\"messages_received\":0},\"deadlocks\":[{\"actors\":[1,2],\"names\":[\"a\",\"b\"]}],"
          "\"diagnostics\":[],\"last_cost\":null,\"spawn_sites\":[[\"f+0x1 (x)\"]],\"actors\":[",
          seq, 100 * (seq + 1), final ? "true" : "false", actors, actors);
  for (long i = 1; i <= actors; i++) {
    char *a = actor_json(i, exceptions);
    fprintf(f, "%s%s", i > 1 ? "," : "", a);
    free(a);
  }
  fprintf(f, "]}\n");
  fclose(f);
  return out;
}

char *write_temp(const char *text)
{
  char *path = strdup("/tmp/actorscope-reader-XXXXXX");
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

int read_all(const char *source, const struct as_reader_options *opt, struct as_reader_error *err,
             int *truncated)
{
  struct as_reader *r;
  int rc = as_reader_open(&r, source, opt, err);
  if (rc < 0)
    return rc;
  const struct as_rec_snapshot *s;
  int n = 0;
  while ((rc = as_reader_next(r, &s, err)) > 0)
    n++;
  if (truncated)
    *truncated = as_reader_truncated(r);
  as_reader_close(r);
  return rc < 0 ? rc : n;
}

Test(reader, every_member_arrives_typed)
{
  char *snap = snapshot_json(3, 1, 2, "0"), *text = NULL;
  cr_assert(asprintf(&text, "%s%s", header, snap) > 0);
  char *path = write_temp(text);
  struct as_reader *r;
  struct as_reader_error err;
  cr_assert_eq(as_reader_open(&r, path, NULL, &err), 0, "%s", err.text);
  const struct as_rec_header *h = as_reader_header(r);
  cr_expect_eq(h->pid, 7);
  cr_expect_str_eq(h->program, "/bin/p");
  cr_expect_eq(h->argc, 2);
  cr_expect_str_eq(h->argv[1], "-x");
  cr_expect_eq(h->interval_ms, 100);
  const struct as_rec_snapshot *s;
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  cr_expect_eq(s->seq, 3);
  cr_expect(s->final);
  cr_expect_eq(s->line, 2);
  cr_expect_eq(s->n_deadlocks, 1);
  cr_expect_eq(s->deadlocks[0].actors[1], 2);
  cr_expect_str_eq(s->deadlocks[0].names[1], "b");
  cr_expect_eq(s->n_spawn_sites, 1);
  cr_expect_str_eq(s->spawn_sites[0].frames[0], "f+0x1 (x)");
  cr_assert_eq(s->n_actors, 2);
  const struct as_rec_actor *a = &s->actors[1];
  cr_expect_eq(a->id, 2);
  cr_expect_str_eq(a->name, "w 2");
  cr_expect_eq(a->runtime_kind, AS_RUNTIME_CAF);
  cr_expect(a->internal);
  cr_expect(a->has_runtime_id);
  cr_expect_eq(a->runtime_scope, 2);
  cr_expect_eq(a->status, AS_STATUS_RUNNING);
  cr_expect(!a->has_parent);
  cr_expect_eq(a->mailbox_max, 3);
  cr_expect_eq(a->handler_max_ns, 8);
  cr_expect(a->has_handling);
  cr_expect_str_eq(a->handling_type, "ping");
  cr_expect_eq(a->n_message_types, 1);
  cr_expect_eq(a->message_types[0].count, 4);
  cr_assert_eq(a->n_sockets, 2);
  cr_expect_str_eq(a->sockets[0].kind, "ROUTER");
  cr_expect_str_eq(a->sockets[0].endpoint, "tcp://127.0.0.1:5555");
  cr_expect_eq(a->sockets[0].received, 3);
  cr_expect(!a->sockets[0].has_depth);
  cr_expect_null(a->sockets[1].endpoint);
  cr_expect(a->sockets[1].has_depth);
  cr_expect_eq(a->sockets[1].depth, 4);
  cr_expect_eq(as_reader_next(r, &s, &err), 0);
  as_reader_close(r);
  unlink(path);
  free(path);
  free(text);
  free(snap);
}

Test(reader, a_wrong_type_names_the_line_the_actor_and_the_member)
{
  char *ok = snapshot_json(0, 0, 2, "0"), *bad = snapshot_json(1, 0, 3, "\"7\""), *text = NULL;
  cr_assert(asprintf(&text, "%s%s%s", header, ok, bad) > 0);
  char *path = write_temp(text);
  struct as_reader_error err;
  cr_expect_eq(read_all(path, NULL, &err, NULL), -EPROTO);
  char *want = NULL;
  cr_assert(asprintf(&want,
                     "%s:3: actor #1: member 'counters.exceptions' must be a whole number "
                     ">= 0, not a string",
                     path) > 0);
  cr_expect_str_eq(err.text, want);
  free(want);
  free(text);
  /* with exceptions 9, actor #3's side pipe has "depth":"4" */
  free(bad);
  bad = snapshot_json(1, 0, 3, "9");
  cr_assert(asprintf(&text, "%s%s%s", header, ok, bad) > 0);
  unlink(path);
  free(path);
  path = write_temp(text);
  cr_expect_eq(read_all(path, NULL, &err, NULL), -EPROTO);
  cr_assert(asprintf(&want,
                     "%s:3: actor #3: member 'sockets[1].depth' must be a whole number "
                     ">= 0, not a string",
                     path) > 0);
  cr_expect_str_eq(err.text, want);
  unlink(path);
  free(want);
  free(path);
  free(text);
  free(ok);
  free(bad);
}

Test(reader, lines_longer_than_the_cap_are_refused_before_they_are_read_whole)
{
  char *snap = snapshot_json(0, 0, 50, "0"), *text = NULL;
  cr_assert(asprintf(&text, "%s%s", header, snap) > 0);
  char *path = write_temp(text);
  struct as_reader_options opt = {.max_line_bytes = 4096};
  struct as_reader_error err;
  cr_expect_eq(read_all(path, &opt, &err, NULL), -EMSGSIZE);
  cr_expect(strstr(err.text, ":2: the line is longer than 4096 bytes, the limit") != NULL, "%s",
            err.text);
  unlink(path);
  free(path);
  free(text);
  free(snap);
}

Test(reader, a_cut_last_line_is_skipped_and_said)
{
  char *a = snapshot_json(0, 0, 2, "0"), *b = snapshot_json(1, 0, 2, "0"), *text = NULL;
  b[strlen(b) / 2] = '\0';
  cr_assert(asprintf(&text, "%s%s%s", header, a, b) > 0);
  char *path = write_temp(text);
  struct as_reader_error err;
  int truncated = 0;
  cr_expect_eq(read_all(path, NULL, &err, &truncated), 1, "%s", err.text);
  cr_expect(truncated);
  unlink(path);
  free(path);
  free(text);
  free(a);
  free(b);
}

void *server_main(void *arg)
{
  struct server *s = arg;
  int fd = accept(s->listen_fd, NULL, NULL);
  if (fd < 0)
    return NULL;
  size_t got = 0;
  while (!s->no_token && got + 1 < sizeof s->token && read(fd, s->token + got, 1) == 1 &&
         s->token[got] != '\n')
    got++;
  s->token[got] = '\0';
  for (size_t off = 0, len = strlen(s->script); off < len; off += 7)
    /* The reader may refuse the stream midway (a lying header): no SIGPIPE for the test. */
    if (send(fd, s->script + off, len - off < 7 ? len - off : 7, MSG_NOSIGNAL) < 0)
      break;
  close(fd);
  return NULL;
}

Test(reader, tcp_with_a_bracketed_ipv6_address_sends_the_token_first, .timeout = 10)
{
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    cr_skip_test("no IPv6 loopback here");
  socklen_t len = sizeof addr;
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
  cr_assert_eq(listen(fd, 1), 0);
  char *snap = snapshot_json(0, 1, 3, "0"), *script = NULL, source[64];
  cr_assert(asprintf(&script, "%s%s", header, snap) > 0);
  struct server srv = {fd, script, "", 0};
  pthread_t t;
  pthread_create(&t, NULL, server_main, &srv);
  setenv("ACTORSCOPE_TOKEN", "s3cret-0123456789", 1);
  snprintf(source, sizeof source, "tcp:[::1]:%u", ntohs(addr.sin6_port));
  struct as_reader_error err;
  int n = read_all(source, NULL, &err, NULL);
  unsetenv("ACTORSCOPE_TOKEN");
  pthread_join(t, NULL);
  cr_expect_eq(n, 1, "%s", err.text);
  cr_expect_str_eq(srv.token, "s3cret-0123456789");
  close(fd);
  free(script);
  free(snap);
}

/* The header with this process's pid, as a unix socket's peer must send it. */
static char *own_header(void)
{
  const char *at = strstr(header, "\"pid\":7,");
  char *text = NULL;
  cr_assert(asprintf(&text, "%.*s\"pid\":%d,%s", (int)(at - header), header, (int)getpid(),
                     at + strlen("\"pid\":7,")) > 0);
  return text;
}

Test(reader, a_streams_error_line_is_reported_with_its_text, .timeout = 10)
{
  char path[] = "/tmp/actorscope-reader-sock-XXXXXX";
  cr_assert_not_null(mkdtemp(path));
  char sock[128];
  snprintf(sock, sizeof sock, "%s/s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, sock);
  cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  cr_assert_eq(listen(fd, 1), 0);
  char *snap = snapshot_json(0, 0, 1, "0"), *script = NULL, source[160];
  /* Over a unix socket the header names the process serving it: this one. */
  char *own = own_header();
  cr_assert(asprintf(&script,
                     "%s%s{\"format\":\"actorscope\",\"error\":\"client limit reached\"}\n", own,
                     snap) > 0);
  free(own);
  struct server srv = {fd, script, "", 1};
  pthread_t t;
  pthread_create(&t, NULL, server_main, &srv);
  snprintf(source, sizeof source, "unix:%s", sock);
  struct as_reader_error err;
  /* set empty is unset: the reader sends no token */
  setenv("ACTORSCOPE_TOKEN", "", 1);
  int n = read_all(source, NULL, &err, NULL);
  unsetenv("ACTORSCOPE_TOKEN");
  pthread_join(t, NULL);
  cr_expect_eq(n, -ECONNRESET);
  cr_expect(strstr(err.text, ":3: the traced process ended this stream: client limit reached"),
            "%s", err.text);
  close(fd);
  unlink(sock);
  rmdir(path);
  free(script);
  free(snap);
}

struct appender {
  const char *path;
  const char *text;
};

static void *append_later(void *arg)
{
  struct appender *a = arg;
  usleep(300000);
  FILE *f = fopen(a->path, "a");
  fputs(a->text, f);
  fclose(f);
  return NULL;
}

Test(reader, follow_reads_a_growing_file_until_its_final_snapshot)
{
  char *first = snapshot_json(0, 0, 1, "0"), *last = snapshot_json(1, 1, 1, "0"), *text = NULL;
  cr_assert(asprintf(&text, "%s%s", header, first) > 0);
  char *path = write_temp(text);
  struct appender app = {path, last};
  pthread_t t;
  pthread_create(&t, NULL, append_later, &app);
  struct as_reader_options opt = {.follow = 1, .follow_poll_ms = 20};
  struct as_reader_error err;
  cr_expect_eq(read_all(path, &opt, &err, NULL), 2, "%s", err.text);
  pthread_join(t, NULL);
  unlink(path);
  free(path);
  free(text);
  free(first);
  free(last);
}

static int stop_at_second(const struct as_rec_header *h, const struct as_rec_snapshot *s, void *ctx)
{
  ++*(int *)ctx;
  return s->seq == 1 ? -ECANCELED : 0;
}

Test(reader, each_stops_when_the_consumer_says_so)
{
  char *a = snapshot_json(0, 0, 1, "0"), *b = snapshot_json(1, 0, 1, "0"),
       *c = snapshot_json(2, 1, 1, "0"), *text = NULL;
  cr_assert(asprintf(&text, "%s%s%s%s", header, a, b, c) > 0);
  char *path = write_temp(text);
  struct as_reader_error err;
  int calls = 0;
  cr_expect_eq(as_reader_each(path, NULL, stop_at_second, &calls, NULL, &err), -ECANCELED);
  cr_expect_eq(calls, 2);
  unlink(path);
  free(path);
  free(text);
  free(a);
  free(b);
  free(c);
}

Test(reader, running_out_of_memory_is_said_as_such)
{
#ifdef __SANITIZE_ADDRESS__
  cr_skip_test("RLIMIT_AS and AddressSanitizer's shadow memory do not mix");
#endif
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[1]);
    dup2(fds[0], 0);
    /* room for the program, not for 300k actors' records (about 100 MB) */
    struct rlimit lim = {64 << 20, 64 << 20};
    setrlimit(RLIMIT_AS, &lim);
    struct as_reader_error err;
    int rc = read_all("-", NULL, &err, NULL);
    _exit(rc == -ENOMEM && strstr(err.text, "out of memory") ? 0 : 1);
  }
  close(fds[0]);
  signal(SIGPIPE, SIG_IGN); /* the child may stop reading first */
  FILE *out = fdopen(fds[1], "w");
  fputs(header, out);
  fputs("{\"type\":\"snapshot\",\"seq\":0,\"uptime_ns\":1,\"final\":false,\"totals\":{\"alive\":0,"
        "\"total_spawned\":0,\"total_stopped\":0,\"messages_received\":0},\"actors\":[",
        out);
  char *a = actor_json(1, "0");
  for (long i = 1; i <= 300000; i++) {
    char *id = strstr(a, "\"id\":");
    /* same actor, increasing ids */
    fprintf(out, "%s{\"id\":%ld,%s", i > 1 ? "," : "", i, strchr(id, ',') + 1);
  }
  fputs("]}\n", out);
  fclose(out);
  free(a);
  int status = 0;
  waitpid(pid, &status, 0);
  cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
}

const char header_v2[] =
    "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":2,\"pid\":7,\"program\":\"/bin/p\","
    "\"argv\":[\"p\"],\"started_at\":\"x\",\"started_at_ns\":1,\"config\":{\"interval_ms\":100,"
    "\"grave_ms\":5000,\"stack_depth\":2}}\n";

/* A version 2 line: TYPE snapshot or delta, ACTORS the actors' JSON, REAPED the ids' JSON. */
char *v2_line(const char *type, long seq, long uptime, const char *actors, const char *reaped)
{
  char *s = NULL;
  cr_assert(
      asprintf(&s,
               "{\"type\":\"%s\",\"seq\":%ld,\"uptime_ns\":%ld,\"final\":false,\"totals\":"
               "{\"alive\":%ld,\"total_spawned\":0,\"total_stopped\":0,\"messages_received\":0},"
               "\"deadlocks\":[%s],\"spawn_sites\":[[\"site%ld\"]],\"actors\":[%s]%s%s}\n",
               type, seq, uptime, seq + 10,
               seq == 2 ? "{\"actors\":[1,3],\"names\":[\"a1\",\"a3\"]}" : "", seq, actors,
               reaped ? ",\"reaped\":" : "", reaped ? reaped : "") > 0);
  return s;
}

char *v2_actor(long id, long parent, long received, const char *handling)
{
  char *s = NULL;
  char parent_text[24];
  snprintf(parent_text, sizeof parent_text, parent ? "%ld" : "null", parent);
  cr_assert(
      asprintf(&s,
               "{\"id\":%ld,\"name\":\"a%ld\",\"runtime\":\"czmq\",\"status\":\"running\","
               "\"spawned_at_ns\":1,\"spawn_site\":0,\"parent\":%s,\"stopped\":null,"
               "\"mailbox\":{\"len\":0,\"max\":1,\"enqueued\":1},\"counters\":"
               "{\"messages_received\":%ld,\"messages_sent\":0,\"handled\":0,\"exceptions\":0},"
               "\"handler_ns\":{\"total\":0,\"max\":0},\"handling\":%s,\"message_types\":"
               "[{\"name\":\"T%ld\",\"count\":%ld}]}",
               id, id, parent_text, received, handling, id, received) > 0);
  return s;
}

Test(reader, delta_lines_give_the_whole_state_they_leave)
{
  char *a1 = v2_actor(1, 0, 1, "{\"type\":\"T1\",\"elapsed_ns\":50,\"since_ns\":50}");
  char *a2 = v2_actor(2, 0, 1, "null"), *a2b = v2_actor(2, 0, 5, "null");
  char *a3 = v2_actor(3, 1, 2, "null"), *both = NULL, *changed = NULL;
  cr_assert(asprintf(&both, "%s,%s", a1, a2) > 0);
  cr_assert(asprintf(&changed, "%s,%s", a2b, a3) > 0);
  char *k0 = v2_line("snapshot", 0, 100, both, NULL);
  char *d1 = v2_line("delta", 1, 200, changed, "[]");
  char *d2 = v2_line("delta", 2, 300, "", "[2]");
  /* A delta in which nothing happened leaves out everything that did not change. */
  const char *d3 = "{\"type\":\"delta\",\"seq\":3,\"captured_at_ns\":9,\"uptime_ns\":400}\n";
  /* One actor changed, none spawned or reaped: replaced where it stands. Described before, it
   * comes without what cannot have changed (runtime, spawn time and site, parent). */
  char *a3b = v2_actor(3, 1, 7, "null");
  const char *cuts[] = {"\"runtime\":\"czmq\",", "\"spawned_at_ns\":1,", "\"spawn_site\":0,",
                        "\"parent\":1,"};
  for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
    char *at = strstr(a3b, cuts[c]);
    cr_assert_not_null(at, "%s", cuts[c]);
    memmove(at, at + strlen(cuts[c]), strlen(at + strlen(cuts[c])) + 1);
  }
  char *d4 = v2_line("delta", 4, 500, a3b, NULL);
  char *text = NULL;
  cr_assert(asprintf(&text, "%s%s%s%s%s%s", header_v2, k0, d1, d2, d3, d4) > 0);
  char *path = write_temp(text);
  struct as_reader *r;
  struct as_reader_error err;
  const struct as_rec_snapshot *s;
  cr_assert_eq(as_reader_open(&r, path, NULL, &err), 0, "%s", err.text);
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  cr_expect(!s->delta);
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  cr_expect(s->delta);
  cr_assert_eq(s->n_actors, 3);
  cr_assert_eq(s->n_listed, 2);
  cr_expect_eq(s->listed[0], 1);
  cr_expect_eq(s->listed[1], 2);
  cr_expect_eq(s->actors[1].messages_received, 5);
  cr_expect_str_eq(s->actors[1].message_types[0].name, "T2");
  cr_expect_eq(s->actors[0].n_children, 1);
  cr_expect_eq(s->actors[0].children[0], 3);
  /* the spawn site of #3 came from this line's local table, #1's from the keyframe's */
  cr_expect_str_eq(s->spawn_sites[s->actors[2].spawn_site].frames[0], "site1");
  cr_expect_str_eq(s->spawn_sites[s->actors[0].spawn_site].frames[0], "site0");
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  cr_assert_eq(s->n_actors, 2);
  cr_expect_eq(s->actors[0].id, 1);
  cr_expect_eq(s->actors[1].id, 3);
  cr_expect_eq(s->n_reaped, 1);
  /* #1 was not listed again: still in the handler it began at 50 */
  cr_expect(s->actors[0].has_handling);
  cr_expect_eq(s->actors[0].handling_elapsed_ns, 250);
  cr_expect_str_eq(s->actors[0].handling_type, "T1");
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  cr_expect_eq(s->seq, 3);
  cr_expect_eq(s->n_actors, 2);
  cr_expect_eq(s->alive, 12, "totals are the line before's");
  cr_assert_eq(s->n_deadlocks, 1, "so are the deadlocks");
  cr_expect_str_eq(s->deadlocks[0].names[1], "a3");
  cr_expect_eq(s->actors[0].handling_elapsed_ns, 350);
  cr_expect_eq(s->n_listed, 0);
  cr_assert_eq(as_reader_next(r, &s, &err), 1, "%s", err.text);
  cr_assert_eq(s->n_actors, 2);
  cr_assert_eq(s->n_listed, 1);
  cr_expect_eq(s->listed[0], 1);
  cr_expect_eq(s->actors[1].messages_received, 7);
  cr_expect(s->actors[1].has_origin);
  cr_expect(s->actors[1].has_parent);
  cr_expect_eq(s->actors[1].parent, 1, "the origin comes from the earlier description");
  cr_expect_str_eq(s->actors[1].runtime, "czmq");
  cr_expect_str_eq(s->spawn_sites[s->actors[1].spawn_site].frames[0], "site1");
  cr_expect_eq(s->actors[0].n_children, 1, "children kept by a change in place");
  cr_expect_eq(s->actors[0].handling_elapsed_ns, 450);
  cr_expect_eq(s->alive, 14);
  cr_expect_eq(as_reader_next(r, &s, &err), 0);
  as_reader_close(r);
  unlink(path);
  free(path);
  free(text);
  /* A delta first is refused; so is a delta in a version 1 stream. */
  cr_assert(asprintf(&text, "%s%s", header_v2, d1) > 0);
  path = write_temp(text);
  cr_expect_eq(read_all(path, NULL, &err, NULL), -EPROTO);
  cr_expect(strstr(err.text, "a delta line before any keyframe"), "%s", err.text);
  unlink(path);
  free(path);
  free(text);
  cr_assert(asprintf(&text, "%s%s%s", header, k0, d1) > 0);
  path = write_temp(text);
  cr_expect_eq(read_all(path, NULL, &err, NULL), -EPROTO);
  cr_expect(strstr(err.text, ":3: expected a snapshot line, not \"delta\""), "%s", err.text);
  unlink(path);
  free(path);
  free(text);
  /* An actor no line described before must come whole; a keyframe's actors always do. */
  char *d_new = v2_line("delta", 1, 200, a3b, NULL);
  char *id = strstr(d_new, "{\"id\":3");
  cr_assert_not_null(id);
  id[6] = '9'; /* #9: never described */
  cr_assert(asprintf(&text, "%s%s%s", header_v2, k0, d_new) > 0);
  path = write_temp(text);
  cr_expect_eq(read_all(path, NULL, &err, NULL), -EPROTO);
  cr_expect(strstr(err.text, ":3: actor #9 appears for the first time without its runtime"), "%s",
            err.text);
  free(d_new);
  unlink(path);
  free(path);
  free(text);
  free(a1);
  free(a2);
  free(a2b);
  free(a3);
  free(both);
  free(changed);
  free(k0);
  free(d1);
  free(d2);
  free(d4);
  free(a3b);
}

void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  fclose(f);
}

const char header_other[] =
    "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":1,\"pid\":8,\"program\":\"/bin/q\","
    "\"argv\":[\"q\"],\"started_at\":\"x\",\"started_at_ns\":2,\"config\":{\"interval_ms\":100,"
    "\"grave_ms\":5000,\"stack_depth\":2}}\n";

Test(reader, a_rotated_set_is_read_as_one_run_oldest_first)
{
  char dir[] = "/tmp/actorscope-rotated-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[128], p1[140], p2[140], p3[140], *text = NULL;
  snprintf(path, sizeof path, "%s/run.jsonl", dir);
  snprintf(p1, sizeof p1, "%s/run.1.jsonl", dir);
  snprintf(p2, sizeof p2, "%s/run.2.jsonl", dir);
  snprintf(p3, sizeof p3, "%s/run.3.jsonl", dir);
  char *s0 = snapshot_json(0, 0, 1, "0"), *s1 = snapshot_json(1, 0, 2, "0"),
       *s2 = snapshot_json(2, 0, 2, "0"), *s3 = snapshot_json(3, 1, 1, "0"),
       *bad = snapshot_json(2, 0, 2, "\"x\"");
  cr_assert(asprintf(&text, "%s%s%s", header, s0, s1) > 0);
  write_file(p2, text);
  free(text);
  cr_assert(asprintf(&text, "%s%s", header, s2) > 0);
  write_file(p1, text);
  free(text);
  cr_assert(asprintf(&text, "%s%s", header, s3) > 0);
  write_file(path, text);
  free(text);
  /* an older file of another process: not part of this run */
  cr_assert(asprintf(&text, "%s%s", header_other, s0) > 0);
  write_file(p3, text);
  free(text);

  struct as_reader *r;
  struct as_reader_error err;
  const struct as_rec_snapshot *s;
  cr_assert_eq(as_reader_open(&r, path, NULL, &err), 0, "%s", err.text);
  int64_t seqs[8];
  int n = 0, rc;
  while ((rc = as_reader_next(r, &s, &err)) > 0 && n < 8)
    seqs[n++] = s->seq;
  cr_expect_eq(rc, 0, "%s", err.text);
  as_reader_close(r);
  cr_assert_eq(n, 4);
  for (int i = 0; i < 4; i++)
    cr_expect_eq(seqs[i], i);

  struct as_reader_options single = {.single_file = 1};
  cr_expect_eq(read_all(path, &single, &err, NULL), 1, "%s", err.text);

  /* a problem in a rotated file is said with that file's name and line */
  cr_assert(asprintf(&text, "%s%s", header, bad) > 0);
  write_file(p1, text);
  free(text);
  cr_expect_eq(read_all(path, NULL, &err, NULL), -EPROTO);
  char *want = NULL;
  cr_assert(asprintf(&want, "%s:2: actor #1: member 'counters.exceptions'", p1) > 0);
  cr_expect(strncmp(err.text, want, strlen(want)) == 0, "%s", err.text);
  free(want);
  unlink(path);
  unlink(p1);
  unlink(p2);
  unlink(p3);
  rmdir(dir);
  free(s0);
  free(s1);
  free(s2);
  free(s3);
  free(bad);
}

struct rotator {
  const char *path, *rotated, *text;
};

static void *rotate_later(void *arg)
{
  struct rotator *rot = arg;
  usleep(300000);
  rename(rot->path, rot->rotated);
  write_file(rot->path, rot->text);
  return NULL;
}

Test(reader, following_goes_on_in_the_new_file_after_a_rotation, .timeout = 20)
{
  char dir[] = "/tmp/actorscope-follow-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[128], p1[140], *first = NULL, *second = NULL;
  snprintf(path, sizeof path, "%s/live.jsonl", dir);
  snprintf(p1, sizeof p1, "%s/live.1.jsonl", dir);
  char *s0 = snapshot_json(0, 0, 1, "0"), *s1 = snapshot_json(1, 1, 1, "0");
  cr_assert(asprintf(&first, "%s%s", header, s0) > 0);
  cr_assert(asprintf(&second, "%s%s", header, s1) > 0);
  write_file(path, first);
  struct rotator rot = {path, p1, second};
  pthread_t t;
  pthread_create(&t, NULL, rotate_later, &rot);
  struct as_reader_options opt = {.follow = 1, .follow_poll_ms = 20};
  struct as_reader_error err;
  cr_expect_eq(read_all(path, &opt, &err, NULL), 2, "%s", err.text);
  pthread_join(t, NULL);
  unlink(path);
  unlink(p1);
  rmdir(dir);
  free(first);
  free(second);
  free(s0);
  free(s1);
}
