/* The unix-socket and tcp sinks stream every snapshot line to connected clients. */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(czmq_sinks, .timeout = 60);

struct sink_client {
  struct sockaddr_storage addr;
  socklen_t addr_len;
  const char *unix_path;
  char *received;
  int socket_mode;
};

/* Connects (retrying while the program starts), then reads until the program closes. */
static void *sink_client_main(void *arg)
{
  struct sink_client *c = arg;
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

Test(czmq_sinks, a_tcp_client_on_loopback_gets_the_same_stream)
{
  /* Below the kernel's ephemeral range (32768+), so no outgoing connection holds it. */
  int port = 20000 + (int)(getpid() % 12000);
  char output[64];
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=tcp:127.0.0.1:%d", port);
  struct sink_client client = {0};
  struct sockaddr_in *in = (struct sockaddr_in *)&client.addr;
  in->sin_family = AF_INET;
  in->sin_port = htons((uint16_t)port);
  in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  client.addr_len = sizeof *in;
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

Test(czmq_sinks, a_full_disk_stops_output_with_one_line)
{
  const char *argv[] = {"czmq_pingpong", "50", NULL};
  const char *env[] = {"ACTORSCOPE_OUTPUT=file:/dev/full", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 3);
  cr_assert_not_null(strstr(run.err, "No space left on device"), "stderr: %s", run.err);
  cr_assert_eq(strchr(run.err, '\n'), run.err + strlen(run.err) - 1, "stderr: %s", run.err);
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
