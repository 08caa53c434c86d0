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

static const char header[] =
    "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":1,\"pid\":7,\"program\":\"/bin/p\","
    "\"argv\":[\"p\",\"-x\"],\"started_at\":\"2026-11-24T06:00:00.000Z\",\"started_at_ns\":1,"
    "\"config\":{\"interval_ms\":100,\"grave_ms\":5000,\"stack_depth\":2}}\n";

/* One actor's JSON with the given counters.exceptions text (a number or anything else). */
static char *actor_json(long id, const char *exceptions)
{
  char *s = NULL;
  cr_assert(asprintf(&s,
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

static char *snapshot_json(long seq, int final, long actors, const char *exceptions)
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

static char *write_temp(const char *text)
{
  char *path = strdup("/tmp/actorscope-reader-XXXXXX");
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

static int read_all(const char *source, const struct as_reader_options *opt,
                    struct as_reader_error *err, int *truncated)
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
  cr_assert(asprintf(&want, "%s:3: actor #1: member 'counters.exceptions' must be a whole number "
                            ">= 0, not a string", path) > 0);
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
  cr_assert(asprintf(&want, "%s:3: actor #3: member 'sockets[1].depth' must be a whole number "
                            ">= 0, not a string", path) > 0);
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

struct server {
  int listen_fd;
  const char *script; /* what to send, in 7-byte pieces */
  char token[64];     /* the first line received */
  int no_token;       /* the client sends none: nothing to read first */
};

static void *server_main(void *arg)
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
  cr_assert(asprintf(&script, "%s%s{\"format\":\"actorscope\",\"error\":\"client limit reached\"}\n",
                     own, snap) > 0);
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
        "\"total_spawned\":0,\"total_stopped\":0,\"messages_received\":0},\"actors\":[", out);
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

static const char header_v2[] =
    "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":2,\"pid\":7,\"program\":\"/bin/p\","
    "\"argv\":[\"p\"],\"started_at\":\"x\",\"started_at_ns\":1,\"config\":{\"interval_ms\":100,"
    "\"grave_ms\":5000,\"stack_depth\":2}}\n";

/* A version 2 line: TYPE snapshot or delta, ACTORS the actors' JSON, REAPED the ids' JSON. */
static char *v2_line(const char *type, long seq, long uptime, const char *actors, const char *reaped)
{
  char *s = NULL;
  cr_assert(asprintf(&s,
                     "{\"type\":\"%s\",\"seq\":%ld,\"uptime_ns\":%ld,\"final\":false,\"totals\":"
                     "{\"alive\":%ld,\"total_spawned\":0,\"total_stopped\":0,\"messages_received\":0},"
                     "\"deadlocks\":[%s],\"spawn_sites\":[[\"site%ld\"]],\"actors\":[%s]%s%s}\n",
                     type, seq, uptime, seq + 10,
                     seq == 2 ? "{\"actors\":[1,3],\"names\":[\"a1\",\"a3\"]}" : "", seq, actors,
                     reaped ? ",\"reaped\":" : "", reaped ? reaped : "") > 0);
  return s;
}

static char *v2_actor(long id, long parent, long received, const char *handling)
{
  char *s = NULL;
  char parent_text[24];
  snprintf(parent_text, sizeof parent_text, parent ? "%ld" : "null", parent);
  cr_assert(asprintf(&s,
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
  cr_expect(strstr(err.text, ":3: actor #9 appears for the first time without its runtime"),
            "%s", err.text);
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

static void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  fclose(f);
}

static const char header_other[] =
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

/* ---- a set rotated as preload/sink_rotate.c does, while it is read --------------------------- */

struct set_writer {
  char dir[64], path[128];
  unsigned keep;        /* rotated files kept */
  long lines_per_file;  /* a rotation before every this many lines */
  long first, last;     /* seqs to write (LAST < 0: until stopped) */
  long final_seq;       /* the final line's */
  useconds_t pause_us;  /* between lines */
  volatile int stop;
  int fd;
  long written;         /* lines in the current file */
};

static void set_name(const struct set_writer *w, unsigned k, char *out, size_t len)
{
  cr_assert_eq(k ? as_dest_rotated_name(w->path, k, out, len) : (snprintf(out, len, "%s", w->path), 0), 0);
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
  char *line = v2_line(w->written == 0 || seq == w->final_seq ? "snapshot" : "delta", seq,
                       seq + 1, actor, NULL);
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
        cr_assert_not(s->delta, "try %d: seq %lld, a delta, starts the run", i,
                      (long long)s->seq);
        cr_assert(prev < 0 || has_missed_note(s, NULL), "try %d: seq %ld to %lld unsaid", i,
                  prev, (long long)s->seq);
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
  char *a = v2_actor_histogram(1, "{\"type\":\"T1\",\"elapsed_ns\":50,\"since_ns\":50,\"stack\":"
                                  "[\"f+0x1 (x)\",\"g+0x2 (y)\"]}", histogram);
  char *k0 = v2_line("snapshot", 0, 100, a, NULL), *text = NULL;
  char *brace = strrchr(k0, '}');
  *brace = '\0';
  cr_assert(asprintf(&text, "%s%s,\"tick_fs\":%s}\n"
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
      {"[[314,1]]", "1", "member 'handler_histogram' must be [bucket, count] pairs with buckets below 314, not 314"},
      {"[[5,1],[4,1]]", "1", "must be sorted by bucket, each once (bucket 4 follows 5)"},
      {"[[5,1],[5,1]]", "1", "must be sorted by bucket, each once (bucket 5 follows 5)"},
      {"[[5,0]]", "1", "pairs with counts of 1 or more"},
      {"[[5,1,2]]", "1", "member 'handler_histogram[0]' must be a pair of two numbers"},
      {"[[5]]", "1", "member 'handler_histogram[0]' must be a pair of two numbers"},
      {"[5,1]", "1", "member 'handler_histogram' must be a [bucket, count] pair, not a number"},
      {"[[\"5\",1]]", "1", "must be a whole number >= 0, not a string"},
      {"{}", "1", "member 'handler_histogram' must be an array of [bucket, count] pairs, not an object"},
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
  const char *header_v3 =
      "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":3,\"pid\":7,\"program\":\"/bin/p\","
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
      "\"running\":false,\"stack\":[\"f+0x1 (p)\"]}},{\"id\":4,\"name\":\"job\",\"runtime\":\"caf\",\"spawned_at_ns\":11,"
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
  cr_assert_str_eq(as_type_without_endpoint("HELLO (DEALER tcp://a-very-long-host-name.exa", buf,
                                            sizeof buf),
                   "HELLO (DEALER)");
  /* A frame's own text with " (" in it: the last socket suffix counts. */
  cr_assert_str_eq(as_type_without_endpoint("f (x) (PULL ipc:///tmp/s)", buf, sizeof buf),
                   "f (x) (PULL)");
  const char *same[] = {"DATA (side pipe)", "ping", "<other>", "A (SUB)", "X (ROUTER)",
                        "a (PULLER b)", "(PUB x)"};
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
    cr_assert_eq(as_type_without_endpoint(same[i], buf, sizeof buf), same[i], "%s", same[i]);
  cr_assert_str_eq(as_socket_kind_name(6), "ROUTER");
  cr_assert_null(as_socket_kind_name(19));
  cr_assert_null(as_socket_kind_name(-1));
}

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

/* A version 2 keyframe whose actors have no arrays: the state copies nothing (UBSan build). */
Test(reader, a_keyframe_of_actors_without_arrays_is_read)
{
  char *a = actor_json(1, "0"), *text = NULL;
  /* Its two arrays emptied: nothing for the state to copy. */
  char *types = strstr(a, "\"message_types\":["), *sockets = strstr(a, "\"sockets\":[");
  cr_assert(types && sockets);
  cr_assert(asprintf(&text,
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
