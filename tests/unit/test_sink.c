#define _GNU_SOURCE
#include "config.h"
#include "harness.h"
#include "sink.h"
#include "sink_clients.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* Every umask() the sink code makes lands here: it must make none (the host's threads share
 * the process-wide umask). */
static atomic_int umask_calls;
mode_t umask(mode_t mask)
{
  atomic_fetch_add(&umask_calls, 1);
  return (mode_t)syscall(SYS_umask, mask);
}

static struct as_config unix_config(const char *name)
{
  struct as_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.interval_ms = AS_INTERVAL_MS_DEFAULT; /* a line may wait this long for its clients */
  cfg.output.kind = AS_DEST_UNIX;
  snprintf(cfg.output.path, sizeof cfg.output.path, "/tmp/actorscope-%s-%d.sock", name,
           (int)getpid());
  unlink(cfg.output.path);
  return cfg;
}

/* A unix sink with its header set, and (unless NULL) a token clients must send. */
static struct as_sink *unix_sink(struct as_config *cfg, const char *name, const char *token)
{
  *cfg = unix_config(name);
  snprintf(cfg->token, sizeof cfg->token, "%s", token ? token : "");
  struct as_sink *sink = NULL;
  struct as_error err;
  cr_assert_eq(as_sink_open(&sink, cfg, 1, &err), 0, "%s", err.text);
  as_sink_set_header(sink, "{\"type\":\"header\"}");
  return sink;
}

static struct as_config file_config(const char *path)
{
  struct as_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.output.kind = AS_DEST_FILE;
  snprintf(cfg.output.path, sizeof cfg.output.path, "%s", path);
  return cfg;
}

static struct as_sink *file_sink(const char *path)
{
  struct as_config cfg = file_config(path);
  struct as_sink *sink = NULL;
  struct as_error err = {""};
  cr_assert_eq(as_sink_open(&sink, &cfg, 1, &err), 0, "%s", err.text);
  return sink;
}

/* A fresh directory and a path in it. */
static void temp_path(char *dir, size_t dir_len, char *path, size_t path_len, const char *name)
{
  snprintf(dir, dir_len, "/tmp/actorscope-sink-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, path_len, "%s/%s", dir, name);
}

static int unix_connect(const char *path)
{
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%.107s", path);
  cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0, "connect %s: %s", path,
               strerror(errno));
  return fd;
}

/* Everything fd has to read until the end of the stream (or, with idle_ms, until nothing
 * comes for that long). */
static char *read_stream(int fd, int idle_ms)
{
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (idle_ms >= 0) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      if (poll(&p, 1, idle_ms) <= 0)
        break;
    }
    if (cap - len < 4096)
      buf = realloc(buf, cap *= 2);
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  return buf;
}

Test(sink, a_file_is_created_at_the_first_write_with_the_header_first)
{
  char dir[64], tmpl[128], path[128];
  temp_path(dir, sizeof dir, tmpl, sizeof tmpl, "out.%p.jsonl");
  snprintf(path, sizeof path, "%s/out.4242.jsonl", dir);
  struct as_config cfg = file_config(tmpl);
  struct as_sink *sink = NULL;
  struct as_error err;
  cr_assert_eq(as_sink_open(&sink, &cfg, 4242, &err), 0);
  cr_assert_eq(access(path, F_OK), -1, "created before anything was written");
  as_sink_set_header(sink, "{\"type\":\"header\"}");
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":0}", &err), 0);
  /* A long line goes out in parts; the file gets it whole. */
  cr_assert_eq(as_sink_write_part(sink, "{\"seq\"", 6, &err), 0);
  cr_assert_eq(as_sink_write_part(sink, ":1}", 3, &err), 0);
  cr_assert_eq(as_sink_end_line(sink, &err), 0);
  cr_assert_str_eq(as_sink_describe(sink), path);
  as_sink_close(sink);
  char *text = as_test_read_file(path);
  cr_assert_str_eq(text, "{\"type\":\"header\"}\n{\"seq\":0}\n{\"seq\":1}\n");
  free(text);
  /* It holds argv, paths and stacks: for its owner only. */
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
  unlink(path);
  rmdir(dir);
}

Test(sink, an_existing_file_is_kept_byte_for_byte_and_the_next_free_name_is_written)
{
  char dir[64], path[128], second[128], third[128];
  temp_path(dir, sizeof dir, path, sizeof path, "trace.jsonl");
  snprintf(second, sizeof second, "%s/trace-2.jsonl", dir);
  snprintf(third, sizeof third, "%s/trace-3.jsonl", dir);
  FILE *f = fopen(path, "w");
  fputs("{\"type\":\"header\"}\n{\"seq\":0}\n", f);
  fclose(f);
  f = fopen(second, "w");
  fputs("earlier\n", f);
  fclose(f);

  struct as_sink *sink = file_sink(path);
  struct as_error err = {""};
  as_sink_set_header(sink, "{\"type\":\"header\",\"pid\":2}");
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":0}", &err), 0, "%s", err.text);
  cr_assert_str_eq(as_sink_describe(sink), third);
  as_sink_close(sink);

  char *text = as_test_read_file(path);
  cr_assert_str_eq(text, "{\"type\":\"header\"}\n{\"seq\":0}\n");
  free(text);
  text = as_test_read_file(second);
  cr_assert_str_eq(text, "earlier\n");
  free(text);
  text = as_test_read_file(third);
  cr_assert_str_eq(text, "{\"type\":\"header\",\"pid\":2}\n{\"seq\":0}\n");
  free(text);
  unlink(path);
  unlink(second);
  unlink(third);
  rmdir(dir);
}

/* Something planted at the path is left alone like an existing file: never followed, never
 * opened; the lines go to the next name. */
static void sink_skips_planted(const char *path)
{
  struct as_sink *sink = file_sink(path);
  struct as_error err = {""};
  cr_assert_eq(as_sink_write_line(sink, "{}", &err), 0, "%s", err.text);
  char next[160];
  snprintf(next, sizeof next, "%s-2", path);
  if (strstr(path, ".jsonl"))
    snprintf(next, sizeof next, "%.*s-2.jsonl", (int)(strlen(path) - 6), path);
  cr_assert_str_eq(as_sink_describe(sink), next);
  as_sink_close(sink);
  char *text = as_test_read_file(next);
  cr_assert_str_eq(text, "{}\n");
  free(text);
  unlink(next);
}

Test(sink, a_symlink_planted_at_the_path_is_skipped_and_its_target_untouched)
{
  char dir[64], path[128], target[128];
  temp_path(dir, sizeof dir, path, sizeof path, "trace.jsonl");
  snprintf(target, sizeof target, "%s/precious", dir);
  FILE *f = fopen(target, "w");
  fputs("root's data\n", f);
  fclose(f);
  cr_assert_eq(symlink(target, path), 0);
  sink_skips_planted(path);
  char *text = as_test_read_file(target);
  cr_assert_str_eq(text, "root's data\n");
  free(text);
  unlink(path);
  unlink(target);
  rmdir(dir);
}

/* The old code blocked in open() until someone opened the FIFO for reading: the timeout. */
Test(sink, a_fifo_without_a_reader_is_skipped_without_blocking, .timeout = 10)
{
  char dir[64], path[128];
  temp_path(dir, sizeof dir, path, sizeof path, "fifo");
  cr_assert_eq(mkfifo(path, 0600), 0);
  sink_skips_planted(path);
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0);
  cr_assert(S_ISFIFO(st.st_mode));
  unlink(path);
  rmdir(dir);
}

/* Past RLIMIT_FSIZE a write raises SIGXFSZ, which kills the host by default. */
Test(sink, the_file_size_limit_stops_the_output_without_a_signal)
{
  char dir[64], path[128];
  temp_path(dir, sizeof dir, path, sizeof path, "trace.jsonl");
  struct rlimit limit = {100, 100};
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
  struct as_sink *sink = file_sink(path);
  struct as_error err = {""};
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":0}", &err), 0);
  char line[200];
  memset(line, 'x', sizeof line - 1);
  line[sizeof line - 1] = '\0';
  cr_assert_eq(as_sink_write_line(sink, line, &err), -EFBIG);
  cr_assert_not_null(strstr(err.text, path), "%s", err.text);
  cr_assert_not_null(strstr(err.text, "ulimit -f"), "%s", err.text);
  cr_assert_eq(as_sink_write_line(sink, "{}", &err), -EIO);
  as_sink_close(sink);
  unlink(path);
  rmdir(dir);
}

Test(sink, a_file_removed_while_being_written_stops_the_output_with_one_line)
{
  char dir[64], path[128];
  temp_path(dir, sizeof dir, path, sizeof path, "trace.jsonl");
  struct as_sink *sink = file_sink(path);
  struct as_error err = {""};
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":0}", &err), 0);
  cr_assert_eq(unlink(path), 0);
  cr_assert_eq(rmdir(dir), 0);
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":1}", &err), -ENOENT);
  cr_assert_not_null(strstr(err.text, path), "%s", err.text);
  cr_assert_not_null(strstr(err.text, "removed"), "%s", err.text);
  cr_assert_eq(as_sink_write_line(sink, "{}", &err), -EIO);
  as_sink_close(sink);
}

Test(sink, a_unix_socket_is_private_and_removed_at_close_and_the_umask_never_touched)
{
  struct as_config cfg = unix_config("unit");
  struct as_sink *sink = NULL;
  struct as_error err;
  atomic_store(&umask_calls, 0);
  cr_assert_eq(as_sink_open(&sink, &cfg, 1, &err), 0, "%s", err.text);
  cr_assert_eq(atomic_load(&umask_calls), 0, "the sink changed the process-wide umask");
  struct stat st;
  cr_assert_eq(lstat(cfg.output.path, &st), 0);
  cr_assert(S_ISSOCK(st.st_mode));
  cr_assert_eq(st.st_mode & 0777, 0600);
  /* No client: writing is not an error. */
  cr_assert_eq(as_sink_write_line(sink, "{}", &err), 0);
  as_sink_close(sink);
  cr_assert_eq(access(cfg.output.path, F_OK), -1);
}

/* The socket is bound in a private directory next to the path, whose name is longer than the
 * path: near the 108-byte limit it is reached through /proc/self/fd. */
Test(sink, a_unix_path_near_the_length_limit_still_listens)
{
  char dir[128] = "/tmp/actorscope-long-";
  size_t n = strlen(dir);
  memset(dir + n, 'd', 103 - n - 6);
  memcpy(dir + 103 - 6, "XXXXXX", 7);
  cr_assert_not_null(mkdtemp(dir));
  struct as_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.interval_ms = AS_INTERVAL_MS_DEFAULT; /* a line may wait this long for its clients */
  cfg.output.kind = AS_DEST_UNIX;
  snprintf(cfg.output.path, sizeof cfg.output.path, "%s/s", dir);
  cr_assert_eq(strlen(cfg.output.path), 105);
  struct as_sink *sink = NULL;
  struct as_error err = {""};
  cr_assert_eq(as_sink_open(&sink, &cfg, 1, &err), 0, "%s", err.text);
  as_sink_set_header(sink, "{\"type\":\"header\"}");
  int client = unix_connect(cfg.output.path);
  cr_assert(as_sink_has_readers(sink));
  struct stat st;
  cr_assert_eq(lstat(cfg.output.path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0600);
  as_sink_close(sink);
  char *text = read_stream(client, -1);
  cr_assert_str_eq(text, "{\"type\":\"header\"}\n");
  free(text);
  close(client);
  cr_assert_eq(rmdir(dir), 0, "left behind in %s: %s", dir, strerror(errno));
}

Test(sink, a_regular_file_at_the_unix_path_is_refused_and_left_alone)
{
  struct as_config cfg = unix_config("file");
  FILE *f = fopen(cfg.output.path, "w");
  fputs("not a socket\n", f);
  fclose(f);
  struct as_sink *sink = NULL;
  struct as_error err = {""};
  cr_assert_lt(as_sink_open(&sink, &cfg, 1, &err), 0);
  cr_assert_not_null(strstr(err.text, "a regular file"), "%s", err.text);
  char *text = as_test_read_file(cfg.output.path);
  cr_assert_str_eq(text, "not a socket\n");
  free(text);
  unlink(cfg.output.path);
}

Test(sink, a_live_socket_is_refused_and_a_stale_one_replaced)
{
  struct as_config cfg = unix_config("live");
  struct as_sink *first = NULL, *second = NULL;
  struct as_error err = {""};
  cr_assert_eq(as_sink_open(&first, &cfg, 1, &err), 0, "%s", err.text);
  cr_assert_lt(as_sink_open(&second, &cfg, 1, &err), 0);
  cr_assert_not_null(strstr(err.text, "another process is listening"), "%s", err.text);
  /* The first sink still owns its path: a client reaches it. */
  as_sink_set_header(first, "{\"type\":\"header\"}");
  int client = unix_connect(cfg.output.path);
  cr_assert(as_sink_has_readers(first));
  as_sink_close(first);
  char *text = read_stream(client, -1);
  cr_assert_str_eq(text, "{\"type\":\"header\"}\n");
  free(text);
  close(client);

  /* A socket file nobody listens on, as a killed run leaves it. */
  int stale = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%.107s", cfg.output.path);
  cr_assert_eq(bind(stale, (struct sockaddr *)&addr, sizeof addr), 0);
  close(stale);
  cr_assert_eq(as_sink_open(&second, &cfg, 1, &err), 0, "%s", err.text);
  as_sink_close(second);
  cr_assert_eq(access(cfg.output.path, F_OK), -1);
}

Test(sink, a_socket_put_in_our_place_is_not_removed_at_close)
{
  struct as_config cfg = unix_config("moved");
  struct as_sink *sink = NULL;
  struct as_error err = {""};
  cr_assert_eq(as_sink_open(&sink, &cfg, 1, &err), 0, "%s", err.text);
  cr_assert_eq(unlink(cfg.output.path), 0);
  FILE *f = fopen(cfg.output.path, "w");
  fputs("someone else's\n", f);
  fclose(f);
  as_sink_close(sink);
  char *text = as_test_read_file(cfg.output.path);
  cr_assert_str_eq(text, "someone else's\n");
  free(text);
  unlink(cfg.output.path);
}

Test(sink, a_client_connecting_in_the_middle_of_a_line_gets_only_whole_lines)
{
  struct as_config cfg;
  struct as_sink *sink = unix_sink(&cfg, "parts", NULL);
  struct as_error err;
  cr_assert_eq(as_sink_write_part(sink, "{\"seq\"", 6, &err), 0);
  int client = unix_connect(cfg.output.path);
  cr_assert_eq(as_sink_write_part(sink, ":0}", 3, &err), 0);
  cr_assert_eq(as_sink_end_line(sink, &err), 0);
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":1}", &err), 0);
  as_sink_close(sink);
  char *text = read_stream(client, -1);
  close(client);
  cr_assert_str_eq(text, "{\"type\":\"header\"}\n{\"seq\":1}\n");
  free(text);
}

Test(sink, the_seventeenth_client_is_told_why_it_is_refused)
{
  struct as_config cfg;
  struct as_sink *sink = unix_sink(&cfg, "many", NULL);
  struct as_error err;
  int clients[17];
  for (int i = 0; i < 16; i++)
    clients[i] = unix_connect(cfg.output.path);
  cr_assert(as_sink_has_readers(sink));
  clients[16] = unix_connect(cfg.output.path);
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":0}", &err), 0);
  char *text = read_stream(clients[16], 2000);
  cr_assert_str_eq(
      text, "{\"format\":\"actorscope\",\"error\":\"too many clients: 16 are connected\"}\n");
  free(text);
  struct as_sink_stats stats;
  as_sink_get_stats(sink, &stats);
  cr_assert_eq(stats.clients, 16);
  cr_assert_eq(stats.clients_refused, 1);
  as_sink_close(sink);
  for (int i = 0; i < 16; i++) {
    text = read_stream(clients[i], -1);
    cr_assert_str_eq(text, "{\"type\":\"header\"}\n{\"seq\":0}\n");
    free(text);
    close(clients[i]);
  }
  close(clients[16]);
}

static char *big_line(size_t len, unsigned seq)
{
  char *line = malloc(len + 1);
  int n = snprintf(line, len + 1, "{\"seq\":%u,\"pad\":\"", seq);
  memset(line + n, 'x', len - (size_t)n - 2);
  memcpy(line + len - 2, "\"}", 3);
  return line;
}

/* Sixteen clients that never read: the old sink waited 500 ms on each (the timeout). */
Test(sink, clients_that_never_read_do_not_make_writes_wait, .timeout = 8)
{
  struct as_config cfg;
  struct as_sink *sink = unix_sink(&cfg, "stuck", NULL);
  struct as_error err;
  int clients[16];
  for (int i = 0; i < 16; i++)
    clients[i] = unix_connect(cfg.output.path);
  cr_assert(as_sink_has_readers(sink));
  for (unsigned seq = 0; seq < 8; seq++) {
    char *line = big_line(1u << 20, seq);
    cr_assert_eq(as_sink_write_line(sink, line, &err), 0);
    free(line);
  }
  struct as_sink_stats stats;
  as_sink_get_stats(sink, &stats);
  cr_assert_eq(stats.clients, 16);
  cr_assert_eq(stats.lines_skipped, 16 * 7, "each client took the first line only");
  cr_assert_eq(as_sink_has_readers(sink), 0, "every client is behind");
  cr_assert_eq(as_sink_flush(sink, 100), 16);
  /* At exit every wait ends by the deadline, whatever timeout the flush is given. */
  as_sink_set_exit_deadline(0);
  cr_assert_eq(as_sink_flush(sink, 600000), 16);
  as_sink_close(sink);
  for (int i = 0; i < 16; i++)
    close(clients[i]);
}

struct reader {
  int fd;
  char *text;
};

static void *reader_main(void *arg)
{
  struct reader *r = arg;
  r->text = read_stream(r->fd, -1);
  return NULL;
}

/* A line longer than a client's queue: a client that reads keeps up and gets it whole, one
 * that does not is dropped once the line's wait is up, and never holds up the other. */
Test(sink, a_client_that_cannot_take_a_long_line_in_time_is_dropped, .timeout = 8)
{
  /* The longest line wait (2 s, a stall after 0.5 s): the reader keeps up on a loaded machine
   * too, where the default interval's quarter second without a turn on a CPU is no rarity. */
  struct as_config cfg = unix_config("long");
  cfg.interval_ms = SINK_LINE_WAIT_MS;
  struct as_sink *sink = NULL;
  struct as_error err;
  cr_assert_eq(as_sink_open(&sink, &cfg, 1, &err), 0, "%s", err.text);
  as_sink_set_header(sink, "{\"type\":\"header\"}");
  struct reader fast = {.fd = unix_connect(cfg.output.path)};
  int stuck = unix_connect(cfg.output.path);
  cr_assert(as_sink_has_readers(sink));
  pthread_t thread;
  pthread_create(&thread, NULL, reader_main, &fast);
  char *line = big_line(16u << 20, 0);
  for (size_t at = 0, len = strlen(line); at < len; at += 1u << 20)
    cr_assert_eq(
        as_sink_write_part(sink, line + at, len - at < (1u << 20) ? len - at : 1u << 20, &err), 0);
  cr_assert_eq(as_sink_end_line(sink, &err), 0);
  struct as_sink_stats stats;
  as_sink_get_stats(sink, &stats);
  cr_assert_eq(stats.clients_dropped, 1, "dropped %llu, clients %zu, refused %llu",
               (unsigned long long)stats.clients_dropped, stats.clients,
               (unsigned long long)stats.clients_refused);
  cr_assert_eq(stats.clients, 1);
  as_sink_close(sink);
  pthread_join(thread, NULL);
  cr_assert_eq(strlen(fast.text), strlen("{\"type\":\"header\"}\n") + strlen(line) + 1);
  cr_assert_eq(strncmp(fast.text + strlen("{\"type\":\"header\"}\n"), line, strlen(line)), 0);
  /* The stuck client's stream ends inside the line: a cut-short last line, as documented. */
  char *text = read_stream(stuck, -1);
  cr_assert_lt(strlen(text), strlen(line));
  cr_assert_eq(strchr(text + strlen("{\"type\":\"header\"}\n"), '\n'), NULL);
  free(text);
  free(fast.text);
  free(line);
  close(fast.fd);
  close(stuck);
}

/* A client that stops reading misses whole lines, never parts of one, and takes up the
 * stream again once it has read what it was sent. */
Test(sink, a_client_behind_skips_whole_lines_and_catches_up)
{
  struct as_config cfg;
  struct as_sink *sink = unix_sink(&cfg, "behind", NULL);
  struct as_error err;
  int client = unix_connect(cfg.output.path);
  cr_assert(as_sink_has_readers(sink));
  unsigned lines = 3000;
  for (unsigned seq = 0; seq < lines; seq++) {
    char *line = big_line(1000, seq);
    cr_assert_eq(as_sink_write_line(sink, line, &err), 0);
    free(line);
  }
  /* Read what came; the sink sends the rest of what it queued at its next call. */
  char *text = read_stream(client, 200);
  for (int i = 0, caught_up = 0; i < 50 && !caught_up; i++) {
    caught_up = as_sink_has_readers(sink);
    char *more = read_stream(client, 100);
    text = realloc(text, strlen(text) + strlen(more) + 1);
    strcat(text, more);
    free(more);
  }
  cr_assert_eq(text[strlen(text) - 1], '\n');
  /* Every line whole and in order, some missing. */
  json_t *header = NULL;
  size_t got = 0;
  long last = -1;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    json_error_t jerr;
    json_t *value = json_loads(line, 0, &jerr);
    cr_assert_not_null(value, "a broken line: %.60s… (%s)", line, jerr.text);
    if (!header) {
      header = value;
      continue;
    }
    long seq = (long)json_integer_value(json_object_get(value, "seq"));
    cr_assert_gt(seq, last);
    last = seq;
    got++;
    json_decref(value);
  }
  json_decref(header);
  free(text);
  cr_assert_lt(got, lines, "the client should have fallen behind");
  struct as_sink_stats stats;
  as_sink_get_stats(sink, &stats);
  cr_assert_eq(stats.lines_skipped, lines - got);
  /* Caught up: the next line comes whole. */
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":99999}", &err), 0);
  as_sink_close(sink);
  text = read_stream(client, -1);
  cr_assert_str_eq(text, "{\"seq\":99999}\n");
  free(text);
  close(client);
}

static void send_text(int fd, const char *text)
{
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

Test(sink, with_a_token_only_clients_that_send_it_first_get_lines)
{
  struct as_config cfg;
  struct as_sink *sink = unix_sink(&cfg, "token", "s3cret-token-0123456789");
  struct as_error err;
  int right = unix_connect(cfg.output.path);
  int wrong = unix_connect(cfg.output.path);
  int longer = unix_connect(cfg.output.path);
  int silent = unix_connect(cfg.output.path);
  send_text(right, "s3cret-token-0123456789\n");
  send_text(wrong, "s3cret-token-0123456788\n");
  send_text(longer, "s3cret-token-0123456789X\n");
  /* A client on its way in is no reader yet. */
  cr_assert(as_sink_has_readers(sink));
  struct as_sink_stats stats;
  as_sink_get_stats(sink, &stats);
  cr_assert_eq(stats.clients, 1);
  cr_assert_eq(stats.clients_refused, 2);
  cr_assert_eq(as_sink_write_line(sink, "{\"seq\":0}", &err), 0);
  static const char refused[] = "{\"format\":\"actorscope\",\"error\":\"wrong token\"}\n";
  char *text = read_stream(wrong, -1);
  cr_assert_str_eq(text, refused);
  free(text);
  text = read_stream(longer, -1);
  cr_assert_str_eq(text, refused);
  free(text);
  /* Silence for 2 s is a refusal too. */
  usleep(2100 * 1000);
  as_sink_has_readers(sink);
  text = read_stream(silent, -1);
  cr_assert_str_eq(text, "{\"format\":\"actorscope\",\"error\":\"no token within 2 s\"}\n");
  free(text);
  as_sink_close(sink);
  text = read_stream(right, -1);
  cr_assert_str_eq(text, "{\"type\":\"header\"}\n{\"seq\":0}\n");
  free(text);
  close(right);
  close(wrong);
  close(longer);
  close(silent);
}

static int tcp_connect(const char *where)
{
  const char *colon = strrchr(where, ':');
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(colon + 1)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0, "%s", strerror(errno));
  return fd;
}

/* Garbage, a half-closed connection, a client that vanished: none stops the others, and a
 * client that sent garbage still gets everything (over TCP, closing a socket with unread
 * input resets the connection, and the reset throws away what the client had yet to read). */
Test(sink, clients_that_misbehave_do_not_disturb_the_others)
{
  struct as_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.output.kind = AS_DEST_TCP;
  snprintf(cfg.output.host, sizeof cfg.output.host, "127.0.0.1");
  struct as_sink *sink = NULL;
  struct as_error err;
  cr_assert_eq(as_sink_open(&sink, &cfg, 1, &err), 0, "%s", err.text);
  as_sink_set_header(sink, "{\"type\":\"header\"}");
  int good = tcp_connect(as_sink_describe(sink));
  int noisy = tcp_connect(as_sink_describe(sink));
  int half = tcp_connect(as_sink_describe(sink));
  int gone = tcp_connect(as_sink_describe(sink));
  cr_assert(as_sink_has_readers(sink));
  char junk[8192];
  memset(junk, 0xff, sizeof junk);
  shutdown(half, SHUT_WR);
  close(gone);
  for (unsigned seq = 0; seq < 3; seq++) {
    char line[32];
    snprintf(line, sizeof line, "{\"seq\":%u}", seq);
    cr_assert_eq(as_sink_write_line(sink, line, &err), 0);
    cr_assert_eq(write(noisy, junk, sizeof junk), (ssize_t)sizeof junk);
  }
  usleep(100 * 1000);
  as_sink_close(sink);
  static const char expected[] = "{\"type\":\"header\"}\n{\"seq\":0}\n{\"seq\":1}\n{\"seq\":2}\n";
  int readers[] = {good, noisy, half};
  for (int i = 0; i < 3; i++) {
    char *text = read_stream(readers[i], -1);
    cr_assert_str_eq(text, expected, "client %d", i);
    free(text);
    close(readers[i]);
  }
}

static const char *token_value;

static const char *token_lookup(const char *name)
{
  return strcmp(name, "ACTORSCOPE_TOKEN") == 0 ? token_value : NULL;
}

Test(sink, the_token_must_be_16_to_256_printable_characters_and_is_never_echoed)
{
  static char longest[257], too_long[258];
  memset(longest, 'k', 256);
  memset(too_long, 'k', 257);
  static const char *bad[] = {"short-token-0123", "has a space in it!", "tab\there-0123456789",
                              "ctl\x1b[31m-0123456789", too_long};
  struct as_config cfg;
  struct as_error err = {""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    token_value = bad[i] == bad[0] ? "short-token-012" : bad[i];
    cr_assert_eq(as_config_parse(&cfg, token_lookup, "/", &err), -EINVAL, "%s", token_value);
    cr_assert_not_null(strstr(err.text, "ACTORSCOPE_TOKEN"), "%s", err.text);
    cr_assert_null(strstr(err.text, token_value), "the token was echoed: %s", err.text);
  }
  token_value = "short-token-0123";
  cr_assert_eq(as_config_parse(&cfg, token_lookup, "/", &err), 0, "%s", err.text);
  cr_assert_str_eq(cfg.token, "short-token-0123");
  token_value = longest;
  cr_assert_eq(as_config_parse(&cfg, token_lookup, "/", &err), 0, "%s", err.text);
  cr_assert_str_eq(cfg.token, longest);
  token_value = NULL;
  cr_assert_eq(as_config_parse(&cfg, token_lookup, "/", &err), 0, "%s", err.text);
  cr_assert_str_eq(cfg.token, "");
}

/* Writes LINE in 1 MiB parts (as the collector does) and ends it; returns as_sink_end_line's. */
static int write_in_parts(struct as_sink *sink, const char *line, int keyframe)
{
  struct as_error err = {""};
  as_sink_next_line_is_keyframe(sink, keyframe);
  for (size_t at = 0, len = strlen(line); at < len; at += 1u << 20)
    cr_assert_eq(
        as_sink_write_part(sink, line + at, len - at < (1u << 20) ? len - at : 1u << 20, &err), 0,
        "%s", err.text);
  return as_sink_end_line(sink, &err);
}

static off_t file_size(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 ? st.st_size : -1;
}

/* ACTORSCOPE_MAX_BYTES: lines longer than the memory a line is held back in (4 MiB) go through
 * the unnamed spill file, and still land whole in the right file. */
Test(sink, a_long_line_is_held_back_until_it_is_known_to_fit_the_file, .timeout = 30)
{
  char dir[64], path[128], rotated[160];
  temp_path(dir, sizeof dir, path, sizeof path, "trace.jsonl");
  snprintf(rotated, sizeof rotated, "%s/trace.1.jsonl", dir);
  struct as_config cfg = file_config(path);
  cfg.max_bytes = 10u << 20;
  cfg.keep = 3;
  struct as_sink *sink = NULL;
  struct as_error err = {""};
  cr_assert_eq(as_sink_open(&sink, &cfg, 1, &err), 0, "%s", err.text);
  as_sink_set_header(sink, "{\"type\":\"header\"}");
  char *small = big_line(1000, 0), *large = big_line(5u << 20, 1), *larger = big_line(6u << 20, 2);
  const off_t header = (off_t)strlen("{\"type\":\"header\"}\n");
  /* A line begins the file; a 5 MiB keyframe fits after it (spilled, then copied in). */
  cr_assert_eq(write_in_parts(sink, small, 1), 0);
  cr_assert_eq(write_in_parts(sink, large, 1), 0);
  cr_assert_eq(file_size(path), header + 1001 + (5 << 20) + 1);
  /* A 6 MiB delta would cross 10 MiB: dropped, and the sink asks for a keyframe. */
  cr_assert_eq(write_in_parts(sink, larger, 0), AS_SINK_LINE_WITHHELD);
  cr_assert(as_sink_starts_new_file(sink));
  cr_assert_eq(file_size(path), header + 1001 + (5 << 20) + 1, "a dropped line was written");
  /* The keyframe of the same moment starts the next file. */
  cr_assert_eq(write_in_parts(sink, larger, 1), 0);
  cr_assert_eq(file_size(rotated), header + 1001 + (5 << 20) + 1);
  cr_assert_eq(file_size(path), header + (6 << 20) + 1);
  char *text = as_test_read_file(path);
  cr_assert_eq(strncmp(text + header, larger, strlen(larger)), 0, "the line came out changed");
  free(text);
  text = as_test_read_file(rotated);
  cr_assert_eq(strncmp(text + header + 1001, large, strlen(large)), 0, "the line came out changed");
  free(text);
  /* A keyframe that does not fit rotates first: never a file past the size with two lines. */
  cr_assert_eq(write_in_parts(sink, large, 1), 0);
  cr_assert_eq(write_in_parts(sink, small, 0), 0);
  cr_assert_eq(write_in_parts(sink, larger, 1), 0);
  cr_assert_eq(file_size(rotated), header + (5 << 20) + 1 + 1001);
  cr_assert_eq(file_size(path), header + (6 << 20) + 1);
  as_sink_close(sink);
  free(small);
  free(large);
  free(larger);
  for (int k = 0; k <= 3; k++) {
    char name[160];
    snprintf(name, sizeof name, k ? "%s/trace.%d.jsonl" : "%s/trace.jsonl", dir, k);
    unlink(name);
  }
  rmdir(dir);
}
