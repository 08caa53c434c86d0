/* The unix-socket and tcp sinks stream every snapshot line to connected clients. */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(czmq_sinks, .timeout = 60);

struct sink_client {
  struct sockaddr_storage addr;
  socklen_t addr_len;
  const char *unix_path;
  const char *send_first; /* e.g. the token and "\n" */
  char *received;
  int socket_mode;
  unsigned delay_ms; /* joins the stream this long after the program starts */
};

/* Connects (retrying while the program starts), then reads until the program closes. */
static void *sink_client_main(void *arg)
{
  struct sink_client *c = arg;
  usleep(c->delay_ms * 1000u);
  int fd = -1;
  for (int attempt = 0; attempt < 400; attempt++) {
    fd = socket(c->addr.ss_family, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&c->addr, c->addr_len) == 0)
      break;
    close(fd);
    fd = -1;
    usleep(10000);
  }
  if (fd < 0)
    return NULL;
  if (c->send_first && write(fd, c->send_first, strlen(c->send_first)) < 0)
    c->send_first = NULL;
  struct stat st;
  if (c->unix_path && stat(c->unix_path, &st) == 0)
    c->socket_mode = st.st_mode & 0777;
  size_t cap = 1 << 16, len = 0;
  c->received = malloc(cap);
  ssize_t n;
  while ((n = read(fd, c->received + len, cap - len - 1)) > 0) {
    len += (size_t)n;
    if (cap - len < 4096)
      c->received = realloc(c->received, cap *= 2);
  }
  c->received[len] = '\0';
  close(fd);
  return NULL;
}

static json_t *sink_parse(const char *text)
{
  json_t *lines = json_array();
  char *copy = strdup(text), *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    json_error_t error;
    json_t *value = json_loads(line, 0, &error);
    cr_assert_not_null(value, "bad line from the socket: %s", error.text);
    json_array_append_new(lines, value);
  }
  free(copy);
  return lines;
}

static void sink_check_stream(json_t *lines)
{
  cr_assert_geq(json_array_size(lines), 3, "expected a header and snapshots");
  cr_assert_str_eq(as_test_str(json_array_get(lines, 0), "type"), "header");
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  json_t *pong = as_test_actor_named(last, "pong");
  cr_assert_not_null(pong);
  cr_assert_eq(as_test_type_count(pong, "PING"), 10);
  cr_assert_eq(as_test_int(pong, "counters.messages_received"), 11);
}

static void sink_run(struct sink_client *client, const char *output, struct as_test_run *run)
{
  const char *argv[] = {"czmq_linger", "800", NULL};
  const char *env[] = {output, "ACTORSCOPE_INTERVAL_MS=50", NULL};
  struct as_test_run plain;
  as_test_run(argv, env, 0, &plain);
  pthread_t thread;
  pthread_create(&thread, NULL, sink_client_main, client);
  as_test_run(argv, env, 1, run);
  pthread_join(thread, NULL);
  cr_assert_eq(run->status, plain.status);
  cr_assert_str_eq(run->out, plain.out);
  as_test_run_free(&plain);
  cr_assert_not_null(client->received, "the client never connected");
}

Test(czmq_sinks, a_unix_socket_client_gets_the_header_and_every_snapshot)
{
  char path[108], output[160];
  snprintf(path, sizeof path, "/tmp/actorscope-sink-%d.sock", (int)getpid());
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=unix:%s", path);
  struct sink_client client = {.unix_path = path};
  struct sockaddr_un *un = (struct sockaddr_un *)&client.addr;
  un->sun_family = AF_UNIX;
  snprintf(un->sun_path, sizeof un->sun_path, "%s", path);
  client.addr_len = sizeof *un;
  struct as_test_run run;
  sink_run(&client, output, &run);
  cr_assert_eq(client.socket_mode, 0600, "socket mode %o", client.socket_mode);
  json_t *lines = sink_parse(client.received);
  sink_check_stream(lines);
  cr_assert_eq(access(path, F_OK), -1, "the socket file was left behind");
  cr_assert_eq(as_test_count_outputs(run.dir), 0);
  json_decref(lines);
  free(client.received);
  as_test_run_free(&run);
}

/* A loopback port below the kernel's ephemeral range (32768+), so no outgoing connection holds
 * it; offset keeps two tests of one process apart. */
static int sink_tcp_client(struct sink_client *client, char *output, size_t len, int offset)
{
  int port = 20000 + (int)((getpid() + offset) % 12000);
  snprintf(output, len, "ACTORSCOPE_OUTPUT=tcp:127.0.0.1:%d", port);
  struct sockaddr_in *in = (struct sockaddr_in *)&client->addr;
  in->sin_family = AF_INET;
  in->sin_port = htons((uint16_t)port);
  in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  client->addr_len = sizeof *in;
  return port;
}

Test(czmq_sinks, a_tcp_client_on_loopback_gets_the_same_stream)
{
  char output[64];
  struct sink_client client = {0};
  sink_tcp_client(&client, output, sizeof output, 0);
  struct as_test_run run;
  sink_run(&client, output, &run);
  json_t *lines = sink_parse(client.received);
  sink_check_stream(lines);
  json_decref(lines);
  free(client.received);
  as_test_run_free(&run);
}

Test(czmq_sinks, an_unwritable_file_is_reported_once_and_the_host_runs_on)
{
  const char *argv[] = {"czmq_pingpong", "50", NULL};
  const char *env[] = {"ACTORSCOPE_OUTPUT=file:/nonexistent-dir/trace.jsonl", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 3);
  cr_assert(strncmp(run.err, "actorscope: cannot create /nonexistent-dir/trace.jsonl: ", 56) == 0,
            "stderr: %s", run.err);
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "stderr: %s", run.err);
  as_test_run_free(&run);
}

/* A write past RLIMIT_FSIZE would raise SIGXFSZ, which kills the host by default. */
Test(czmq_sinks, the_file_size_limit_stops_output_with_one_line_and_no_signal)
{
  struct rlimit limit = {1000, 1000};
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
  const char *argv[] = {"czmq_pingpong", "50", NULL};
  const char *env[] = {"ACTORSCOPE_OUTPUT=file:trace.jsonl", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 3);
  cr_assert_not_null(strstr(run.err, "ulimit -f"), "stderr: %s", run.err);
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "stderr: %s", run.err);
  as_test_run_free(&run);
}

/* The old sink blocked in open() for a reader that never came, and the host never exited. */
Test(czmq_sinks, a_fifo_named_as_the_output_file_is_refused_and_the_host_runs_on, .timeout = 20)
{
  char dir[] = "/tmp/actorscope-fifo-XXXXXX", fifo[64], output[96];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(fifo, sizeof fifo, "%s/trace.jsonl", dir);
  cr_assert_eq(mkfifo(fifo, 0600), 0);
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=file:%s", fifo);
  const char *argv[] = {"czmq_pingpong", "50", NULL};
  const char *env[] = {output, NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_not_null(strstr(run.err, "is a FIFO"), "stderr: %s", run.err);
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "stderr: %s", run.err);
  struct stat st;
  cr_assert_eq(lstat(fifo, &st), 0);
  cr_assert(S_ISFIFO(st.st_mode));
  as_test_run_free(&run);
  as_test_remove_tree(dir); /* the fifo and anything beside it */
}

/* Links planted at the name and at the next one, a directory at the one after: each is left
 * alone like an existing file, and the snapshots go to the first free name. */
Test(czmq_sinks, planted_names_are_skipped_not_followed_and_tracing_goes_on, .timeout = 30)
{
  char dir[] = "/tmp/actorscope-plant-XXXXXX", path[128], output[128];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/target", dir);
  as_test_write_text(path, "precious\n");
  snprintf(path, sizeof path, "%s/trace.jsonl", dir);
  cr_assert_eq(symlink("target", path), 0);
  snprintf(path, sizeof path, "%s/trace-2.jsonl", dir);
  cr_assert_eq(symlink("/nonexistent/trace", path), 0);
  snprintf(path, sizeof path, "%s/trace-3.jsonl", dir);
  cr_assert_eq(mkdir(path, 0700), 0);
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=file:%s/trace.jsonl", dir);
  const char *argv[] = {"czmq_pingpong", "50", NULL};
  const char *env[] = {output, NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  char expected[512];
  snprintf(expected, sizeof expected,
           "actorscope: %s/trace.jsonl is a symbolic link and is left alone; snapshots go to "
           "%s/trace-4.jsonl\n",
           dir, dir);
  cr_assert_str_eq(run.err, expected);
  snprintf(path, sizeof path, "%s/trace-4.jsonl", dir);
  json_t *lines = as_test_load_lines(path);
  cr_assert(json_is_true(json_object_get(as_test_last_snapshot(lines), "final")));
  json_decref(lines);
  snprintf(path, sizeof path, "%s/target", dir);
  char *text = as_test_read_file(path);
  cr_assert_str_eq(text, "precious\n");
  free(text);
  as_test_run_free(&run);
  const char *names[] = {"target", "trace.jsonl", "trace-2.jsonl", "trace-4.jsonl"};
  for (size_t i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  snprintf(path, sizeof path, "%s/trace-3.jsonl", dir);
  rmdir(path);
  rmdir(dir);
}

/* Lines of the actorscope.*.jsonl files in dir: the shorter name (the first image's) first. */
static void sink_two_outputs(const char *dir, char *first, char *second, size_t len)
{
  DIR *d = opendir(dir);
  cr_assert_not_null(d);
  int found = 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t n = strlen(e->d_name);
    if (strncmp(e->d_name, "actorscope.", 11) != 0 || n < 6 || strcmp(e->d_name + n - 6, ".jsonl"))
      continue;
    cr_assert_lt(found, 2, "more than two outputs in %s", dir);
    snprintf(found ? second : first, len, "%s/%s", dir, e->d_name);
    found++;
  }
  closedir(d);
  cr_assert_eq(found, 2, "expected two outputs in %s", dir);
  if (strlen(first) > strlen(second)) {
    char swap[PATH_MAX];
    snprintf(swap, sizeof swap, "%s", first);
    snprintf(first, len, "%s", second);
    snprintf(second, len, "%s", swap);
  }
}

/* exec() keeps the pid, so the second image's default name is the first one's: it used to
 * truncate the first image's snapshots. */
Test(czmq_sinks, a_traced_program_that_execs_another_keeps_the_first_images_file)
{
  const char *argv[] = {"czmq_exec", "200", AS_TEST_PROGRAMS "/czmq_pingpong", "5", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=20", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 3, "stderr: %s", run.err);
  cr_assert_str_eq(run.out, "pongs=5\n");
  char first[PATH_MAX], second[PATH_MAX];
  sink_two_outputs(run.dir, first, second, sizeof first);
  json_t *before = as_test_load_lines(first);
  cr_assert_geq(json_array_size(before), 3, "the first image's snapshots were lost");
  cr_assert_not_null(strstr(as_test_str(json_array_get(before, 0), "program"), "czmq_exec"));
  cr_assert_not_null(as_test_actor_named(as_test_last_snapshot(before), "exec_pong"));
  json_t *after = as_test_load_lines(second);
  cr_assert_not_null(strstr(as_test_str(json_array_get(after, 0), "program"), "czmq_pingpong"));
  json_t *last = as_test_last_snapshot(after);
  cr_assert(json_is_true(json_object_get(last, "final")));
  cr_assert_eq(as_test_type_count(as_test_actor_named(last, "pong_actor"), "PING"), 5);
  /* One line says where the second image's snapshots went. */
  char expected[PATH_MAX + 64];
  snprintf(expected, sizeof expected,
           "actorscope: %s exists and is left alone; snapshots go to %s\n", first, second);
  cr_assert_str_eq(run.err, expected);
  json_decref(before);
  json_decref(after);
  as_test_run_free(&run);
}

struct stuck_clients {
  const char *path;
  int fds[16];
  int count;
};

/* Connects 16 clients as soon as the socket is there; they never read. */
static void *stuck_clients_main(void *arg)
{
  struct stuck_clients *s = arg;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", s->path);
  for (int attempt = 0; attempt < 400 && s->count < 16; attempt++) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
      s->fds[s->count++] = fd;
      continue;
    }
    close(fd);
    usleep(10000);
  }
  return NULL;
}

static double sink_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sixteen clients that never read: the old sink waited 500 ms for each, 8 s in all (more for
 * a fork()). The bound is only there to tell a hang from a run. */
Test(czmq_sinks, clients_that_never_read_do_not_delay_the_host)
{
  char path[108], output[160];
  snprintf(path, sizeof path, "/tmp/actorscope-stuck-%d.sock", (int)getpid());
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=unix:%s", path);
  const char *argv[] = {"czmq_linger", "1500", NULL};
  const char *env[] = {output, "ACTORSCOPE_INTERVAL_MS=1", NULL};
  struct as_test_run plain, run;
  double start = sink_seconds();
  as_test_run(argv, env, 0, &plain);
  double plain_s = sink_seconds() - start;
  struct stuck_clients stuck = {.path = path};
  pthread_t thread;
  pthread_create(&thread, NULL, stuck_clients_main, &stuck);
  start = sink_seconds();
  as_test_run(argv, env, 1, &run);
  double traced_s = sink_seconds() - start;
  pthread_join(thread, NULL);
  cr_assert_eq(stuck.count, 16, "only %d clients connected", stuck.count);
  cr_assert_eq(run.status, plain.status);
  cr_assert_str_eq(run.out, plain.out);
  cr_log_info("untraced %.2f s, traced with 16 stuck clients %.2f s", plain_s, traced_s);
  cr_assert_lt(traced_s, plain_s + 5.0, "untraced %.2f s, traced %.2f s", plain_s, traced_s);
  for (int i = 0; i < stuck.count; i++)
    close(stuck.fds[i]);
  as_test_run_free(&plain);
  as_test_run_free(&run);
}

Test(czmq_sinks, with_a_token_only_a_client_that_sends_it_gets_the_stream)
{
  char output[64];
  struct sink_client right = {.send_first = "sesame-0123456789abcdef\n"};
  struct sink_client wrong = {.send_first = "sesame-0123456789abcdeX\n"};
  sink_tcp_client(&right, output, sizeof output, 1);
  sink_tcp_client(&wrong, output, sizeof output, 1);
  const char *argv[] = {"czmq_linger", "800", NULL};
  const char *env[] = {output, "ACTORSCOPE_INTERVAL_MS=50",
                       "ACTORSCOPE_TOKEN=sesame-0123456789abcdef", NULL};
  pthread_t threads[2];
  pthread_create(&threads[0], NULL, sink_client_main, &right);
  pthread_create(&threads[1], NULL, sink_client_main, &wrong);
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  pthread_join(threads[0], NULL);
  pthread_join(threads[1], NULL);
  cr_assert_eq(run.status, 0);
  cr_assert_not_null(right.received, "the client never connected");
  json_t *lines = sink_parse(right.received);
  sink_check_stream(lines);
  json_decref(lines);
  cr_assert_str_eq(wrong.received, "{\"format\":\"actorscope\",\"error\":\"wrong token\"}\n");
  free(right.received);
  free(wrong.received);
  as_test_run_free(&run);
}

Test(czmq_sinks, a_daemon_that_reused_descriptor_2_never_gets_our_lines)
{
  const char *argv[] = {"czmq_daemon", NULL};
  const char *env[] = {"ACTORSCOPE_OUTPUT=file:/nonexistent-dir/trace.jsonl", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0);
  char path[128];
  snprintf(path, sizeof path, "%s/daemon.log", run.dir);
  char *text = as_test_read_file(path);
  cr_assert_str_eq(text, "daemon log line\n", "the daemon's log got: %s", text);
  free(text);
  as_test_run_free(&run);
}

Test(czmq_sinks, a_client_joining_mid_run_starts_from_a_full_snapshot)
{
  char path[108], output[160];
  snprintf(path, sizeof path, "/tmp/actorscope-join-%d.sock", (int)getpid());
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=unix:%s", path);
  struct sink_client early = {.unix_path = path}, late = {.unix_path = path, .delay_ms = 400};
  struct sockaddr_un *un = (struct sockaddr_un *)&early.addr;
  un->sun_family = AF_UNIX;
  snprintf(un->sun_path, sizeof un->sun_path, "%s", path);
  early.addr_len = sizeof *un;
  late.addr = early.addr;
  late.addr_len = early.addr_len;
  const char *argv[] = {"czmq_linger", "800", NULL};
  const char *env[] = {output, "ACTORSCOPE_INTERVAL_MS=20", "ACTORSCOPE_KEYFRAME_S=3600", NULL};
  pthread_t threads[2];
  pthread_create(&threads[0], NULL, sink_client_main, &early);
  pthread_create(&threads[1], NULL, sink_client_main, &late);
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  pthread_join(threads[0], NULL);
  pthread_join(threads[1], NULL);
  cr_assert_not_null(early.received);
  cr_assert_not_null(late.received);
  json_t *first = sink_parse(early.received), *second = sink_parse(late.received);
  /* The early client reads deltas after its keyframe... */
  size_t deltas = 0, i;
  json_t *line;
  json_array_foreach(first, i, line) deltas += strcmp(as_test_str(line, "type"), "delta") == 0;
  cr_assert_geq(deltas, 3);
  /* ...and the late one starts, after the header, at a keyframe taken when it joined. */
  cr_assert_str_eq(as_test_str(json_array_get(second, 0), "type"), "header");
  json_t *start = json_array_get(second, 1);
  cr_assert_str_eq(as_test_str(start, "type"), "snapshot");
  cr_assert_gt(as_test_int(start, "seq"), 5, "the late client did not join mid-run");
  json_decref(first);
  json_decref(second);
  free(early.received);
  free(late.received);
  as_test_run_free(&run);
}

struct dir_client {
  char dir[64];
  char name[64]; /* the socket found */
  char *received;
};

/* Waits for a socket to appear in the directory, then reads its stream to the end. */
static void *dir_client_main(void *arg)
{
  struct dir_client *d = arg;
  struct sink_client c = {0};
  for (int attempt = 0; attempt < 400 && !d->name[0]; attempt++) {
    DIR *dir = opendir(d->dir);
    for (struct dirent *e; dir && (e = readdir(dir));)
      if (strstr(e->d_name, ".sock"))
        snprintf(d->name, sizeof d->name, "%.63s", e->d_name);
    if (dir)
      closedir(dir);
    usleep(10000);
  }
  if (!d->name[0])
    return NULL;
  struct sockaddr_un *un = (struct sockaddr_un *)&c.addr;
  un->sun_family = AF_UNIX;
  snprintf(un->sun_path, sizeof un->sun_path, "%.40s/%.63s", d->dir, d->name);
  c.addr_len = sizeof *un;
  sink_client_main(&c);
  d->received = c.received;
  return NULL;
}

Test(czmq_sinks, a_unix_socket_path_with_the_pid_gives_each_process_its_own_socket)
{
  struct dir_client d = {0};
  snprintf(d.dir, sizeof d.dir, "/tmp/actorscope-pid-sock-XXXXXX");
  cr_assert_not_null(mkdtemp(d.dir));
  char output[128];
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=unix:%s/%%p.sock", d.dir);
  const char *argv[] = {"czmq_linger", "800", NULL};
  const char *env[] = {output, "ACTORSCOPE_INTERVAL_MS=50", NULL};
  pthread_t thread;
  pthread_create(&thread, NULL, dir_client_main, &d);
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  pthread_join(thread, NULL);
  cr_assert_not_null(d.received, "no socket appeared in %s", d.dir);
  json_t *lines = sink_parse(d.received);
  sink_check_stream(lines);
  char expected[64];
  snprintf(expected, sizeof expected, "%lld.sock",
           (long long)as_test_int(json_array_get(lines, 0), "pid"));
  cr_assert_str_eq(d.name, expected);
  json_decref(lines);
  free(d.received);
  rmdir(d.dir);
  as_test_run_free(&run);
}
