/* actorscope serve and export prometheus with the real thing: Debian's Prometheus scrapes serve
 * while real CZMQ and CAF programs run traced, and the test asks Prometheus's HTTP API for their
 * metrics; promtool checks the exposition; the counters of a recorded or freshly traced run
 * equal what the recording says, reaped actors included. */
#define _GNU_SOURCE
#include "harness.h"
#include "test_export_support.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(serve, .timeout = 90);

/* ---- processes in the background ---------------------------------------------------------- */

static pid_t start_bg(const char *const *argv, const char *const *env, int preload, const char *log)
{
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    /* A failed assertion ends the test process: serve and Prometheus end with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    unsetenv("LD_PRELOAD");
    for (const char *const *e = env; e && *e; e++)
      putenv((char *)*e);
    if (preload)
      setenv("LD_PRELOAD", AS_TEST_PRELOAD, 1);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  return pid;
}

static void stop_bg(pid_t pid)
{
  kill(pid, SIGTERM);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
}

static void sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* The port serve says it listens on (its first stderr line), waiting up to 10 s. */
static int serve_port(const char *log)
{
  for (int i = 0; i < 200; i++) {
    char *text = as_test_read_file(log);
    const char *at = strstr(text, "metrics at http://127.0.0.1:");
    int port = at ? atoi(at + strlen("metrics at http://127.0.0.1:")) : 0;
    free(text);
    if (port > 0)
      return port;
    sleep_ms(50);
  }
  cr_assert_fail("serve did not start: %s", as_test_read_file(log));
  return 0;
}

static int free_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
  close(fd);
  return ntohs(addr.sin_port);
}

/* ---- a minimal HTTP/1.0 client ------------------------------------------------------------- */

/* GET PATH from 127.0.0.1:PORT; returns the whole response (headers and body), or NULL when
 * nothing listens. */
static char *http_get(int port, const char *path, const char *accept)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(fd);
    return NULL;
  }
  char request[2048];
  int n = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s%s\r\n",
                   path, accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "");
  cr_assert_eq(write(fd, request, (size_t)n), n);
  size_t len = 0, cap = 1 << 16;
  char *buf = malloc(cap);
  ssize_t got;
  while ((got = read(fd, buf + len, cap - len - 1)) > 0) {
    len += (size_t)got;
    if (cap - len < 4096)
      buf = realloc(buf, cap *= 2);
  }
  buf[len] = 0;
  close(fd);
  return buf;
}

static const char *http_body(const char *response)
{
  const char *at = strstr(response, "\r\n\r\n");
  cr_assert_not_null(at);
  return at + 4;
}

static void url_encode(const char *text, char *out, size_t len)
{
  size_t k = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p && k + 4 < len; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        *p == '_')
      out[k++] = (char)*p;
    else
      k += (size_t)snprintf(out + k, len - k, "%%%02X", *p);
  }
  out[k] = 0;
}

/* Asks Prometheus for QUERY until it has a result whose value is EXPECTED (up to 40 s). */
static void prometheus_expect(int port, const char *query, const char *expected)
{
  char encoded[1024], path[1200];
  url_encode(query, encoded, sizeof encoded);
  snprintf(path, sizeof path, "/api/v1/query?query=%s", encoded);
  const char *last = "no answer";
  char *response = NULL;
  for (int i = 0; i < 160; i++) {
    free(response);
    response = http_get(port, path, NULL);
    json_t *answer = response ? json_loads(http_body(response), 0, NULL) : NULL;
    json_t *result = json_object_get(json_object_get(answer, "data"), "result");
    if (json_array_size(result) == 1) {
      const char *value =
          json_string_value(json_array_get(json_object_get(json_array_get(result, 0), "value"), 1));
      if (value && strcmp(value, expected) == 0) {
        json_decref(answer);
        free(response);
        return;
      }
    }
    json_decref(answer);
    if (response)
      last = http_body(response);
    sleep_ms(250);
  }
  cr_assert_fail("Prometheus never answered %s = %s; last answer: %s", query, expected, last);
}

static void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

/* Debian's Prometheus in DIR, scraping serve at SERVE_AT every second; *PORT its API. Returns
 * once it has scraped serve. */
static pid_t prometheus_start(const char *dir, int serve_at, int *port)
{
  char path[256], config[1024];
  *port = free_port();
  snprintf(config, sizeof config,
           "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
           "scrape_configs:\n  - job_name: actorscope\n    static_configs:\n"
           "      - targets: ['127.0.0.1:%d']\n",
           serve_at);
  snprintf(path, sizeof path, "%s/prometheus.yml", dir);
  write_file(path, config);
  char config_arg[300], storage_arg[300], listen_arg[64];
  snprintf(config_arg, sizeof config_arg, "--config.file=%s", path);
  snprintf(storage_arg, sizeof storage_arg, "--storage.tsdb.path=%s/data", dir);
  snprintf(listen_arg, sizeof listen_arg, "--web.listen-address=127.0.0.1:%d", *port);
  const char *prom_argv[] = {"/usr/bin/prometheus", config_arg, storage_arg, listen_arg, NULL};
  snprintf(path, sizeof path, "%s/prometheus.log", dir);
  pid_t prometheus = start_bg(prom_argv, NULL, 0, path);
  prometheus_expect(*port, "up{job=\"actorscope\"}", "1");
  return prometheus;
}

Test(serve, prometheus_scrapes_serve_for_real_czmq_and_caf_programs)
{
  char dir[] = "/tmp/actorscope-serve-XXXXXX", path[256], sockets[256];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(sockets, sizeof sockets, "%s/sockets", dir);
  cr_assert_eq(mkdir(sockets, 0700), 0);

  snprintf(path, sizeof path, "%s/serve.log", dir);
  const char *serve_argv[] = {AS_TEST_CLI, "serve", "--listen", "127.0.0.1:0", sockets, NULL};
  pid_t serve = start_bg(serve_argv, NULL, 0, path);
  int serve_at = serve_port(path);

  /* Prometheus scrapes serve before the programs start, so it sees them live. */
  int prom_at;
  pid_t prometheus = prometheus_start(dir, serve_at, &prom_at);

  /* Real programs, each streaming to a socket in the watched directory; the CAF one holds a
   * deadlock for 8 s. */
  char czmq_out[300], caf_out[300];
  snprintf(czmq_out, sizeof czmq_out, "ACTORSCOPE_OUTPUT=unix:%s/czmq.sock", sockets);
  snprintf(caf_out, sizeof caf_out, "ACTORSCOPE_OUTPUT=unix:%s/caf.sock", sockets);
  const char *czmq_env[] = {czmq_out, "ACTORSCOPE_INTERVAL_MS=200", NULL};
  const char *caf_env[] = {caf_out, "ACTORSCOPE_INTERVAL_MS=200", NULL};
  const char *czmq_argv[] = {AS_TEST_PROGRAMS "/czmq_slow", "6000", NULL};
  const char *caf_argv[] = {AS_TEST_PROGRAMS "/caf_waits", "await", "8000", NULL};
  snprintf(path, sizeof path, "%s/czmq.log", dir);
  pid_t czmq = start_bg(czmq_argv, czmq_env, 1, path);
  snprintf(path, sizeof path, "%s/caf.log", dir);
  pid_t caf = start_bg(caf_argv, caf_env, 1, path);

  prometheus_expect(prom_at,
                    "actorscope_messages_received_total{program=\"czmq_slow\",runtime=\"czmq\","
                    "name=\"slow_worker\",type=\"SLOW\"}",
                    "1");
  prometheus_expect(prom_at, "max_over_time(actorscope_deadlocks{program=\"caf_waits\"}[1m])", "1");
  prometheus_expect(prom_at,
                    "sum(actorscope_actors_deadlocked{program=\"caf_waits\",runtime=\"caf\","
                    "name=\"await_peer\"})",
                    "2");
  prometheus_expect(prom_at,
                    "actorscope_messages_received_total{program=\"caf_waits\",name=\"await_peer\","
                    "type=\"peer\"}",
                    "2");

  /* The text exposition passes promtool; OpenMetrics is what an OpenMetrics scraper gets. */
  char *text = http_get(serve_at, "/metrics", NULL);
  cr_assert_not_null(text);
  cr_assert(strstr(text, "Content-Type: text/plain; version=0.0.4") != NULL, "%.300s", text);
  snprintf(path, sizeof path, "%s/metrics.txt", dir);
  write_file(path, http_body(text));
  export_test_promtool(path);
  cr_assert(strstr(text, "# TYPE actorscope_messages_received_total counter\n") != NULL);
  free(text);
  char *om =
      http_get(serve_at, "/metrics", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
  cr_assert(strstr(om, "Content-Type: application/openmetrics-text; version=1.0.0") != NULL);
  cr_assert(strstr(om, "# TYPE actorscope_messages_received counter\n") != NULL);
  cr_assert(strstr(om, "# UNIT actorscope_handler_seconds seconds\n") != NULL);
  size_t len = strlen(om);
  cr_assert(len > 6 && strcmp(om + len - 6, "# EOF\n") == 0);
  free(om);
  char *missing = http_get(serve_at, "/nothing", NULL);
  cr_assert(strncmp(missing, "HTTP/1.0 404", 12) == 0 || strncmp(missing, "HTTP/1.1 404", 12) == 0,
            "%.100s", missing);
  free(missing);

  int status;
  waitpid(czmq, &status, 0);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  waitpid(caf, &status, 0);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* The processes exited: their final state is still served, and their sockets, gone from
   * the directory, are forgotten. */
  prometheus_expect(prom_at, "actorscope_process_exited{program=\"czmq_slow\"}", "1");
  char gone[400];
  snprintf(gone, sizeof gone, "actorscope_source_up{source=\"unix:%s/czmq.sock\"}", sockets);
  char *metrics = NULL;
  for (int i = 0; i < 100; i++) {
    free(metrics);
    metrics = http_get(serve_at, "/metrics", NULL);
    if (!strstr(metrics, gone))
      break;
    sleep_ms(100);
  }
  cr_assert_null(strstr(metrics, gone), "a socket that is gone is still listed");
  cr_assert_not_null(strstr(metrics, "actorscope_process_exited{pid="));
  free(metrics);
  stop_bg(prometheus);
  stop_bg(serve);
  as_test_remove_tree(dir);
}

/* A batch job's process lives less than a scrape interval: its own series (pid label) is first
 * scraped at its final values, which rate() and increase() cannot see. The per-program
 * counters carry the runs across processes, and the first run shows as an increase too. */
Test(serve, increase_shows_the_messages_of_jobs_shorter_than_a_scrape)
{
  char dir[] = "/tmp/actorscope-serve-XXXXXX", path[256], sockets[256], output[300];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(sockets, sizeof sockets, "%s/sockets", dir);
  cr_assert_eq(mkdir(sockets, 0700), 0);
  snprintf(path, sizeof path, "%s/serve.log", dir);
  const char *serve_argv[] = {AS_TEST_CLI, "serve", "--listen", "127.0.0.1:0", sockets, NULL};
  pid_t serve = start_bg(serve_argv, NULL, 0, path);
  int prom_at;
  pid_t prometheus = prometheus_start(dir, serve_port(path), &prom_at);

  /* Three runs of a job that takes well under a second, each to a socket of its own. */
  snprintf(output, sizeof output, "ACTORSCOPE_OUTPUT=unix:%s/%%p.sock", sockets);
  const char *env[] = {output, NULL};
  const char *argv[] = {AS_TEST_PROGRAMS "/czmq_pingpong", "20000", NULL};
  for (int job = 0; job < 3; job++) {
    snprintf(path, sizeof path, "%s/job%d.log", dir, job);
    pid_t pid = start_bg(argv, env, 1, path);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3, "the job failed: %d", status);
    sleep_ms(2500);
  }
  /* Each run received 20001 messages (20000 pings and the $TERM). */
  prometheus_expect(
      prom_at, "actorscope_program_messages_received_total{program=\"czmq_pingpong\"}", "60003");
  prometheus_expect(prom_at, "actorscope_program_processes_total{program=\"czmq_pingpong\"}", "3");
  /* What a dashboard asks: the series went up by every run, the first one included. */
  prometheus_expect(
      prom_at,
      "max_over_time(actorscope_program_messages_received_total{program=\"czmq_pingpong\"}[5m])"
      " - min_over_time(actorscope_program_messages_received_total{program=\"czmq_pingpong\"}[5m])",
      "60003");
  prometheus_expect(
      prom_at,
      "increase(actorscope_program_messages_received_total{program=\"czmq_pingpong\"}[5m])"
      " > bool 60000",
      "1");
  stop_bg(prometheus);
  stop_bg(serve);
  as_test_remove_tree(dir);
}

/* ---- export prometheus: the numbers of a run ------------------------------------------------ */

/* The sample "NAME{LABELS} VALUE" in TEXT for exactly these labels; -1 when absent. */
/* ---- how a process ended ---------------------------------------------------------------- */

/* QUERY with PID put in for %d, as prometheus_expect asks it. */
static void prometheus_expect_pid(int port, const char *query, pid_t pid, const char *expected)
{
  char text[512];
  snprintf(text, sizeof text, query, (int)pid);
  prometheus_expect(port, text, expected);
}

/* A user's report: a SIGKILLed process (no final line) stayed served as alive for --keep, its
 * actors "running" in every series. Now it is lost and its gauges say nothing runs; processes
 * that ended with a final line say how; the counters of each stay. Over a unix socket serve
 * asks the pid (a zombie is gone too: the test collects the killed one only at the end); over
 * tcp, a refused reconnection tells. */
Test(serve, a_killed_process_is_lost_and_no_longer_reads_as_running, .timeout = 150)
{
  char dir[] = "/tmp/actorscope-ended-XXXXXX", path[256], sockets[256], tcp[64], tcp_out[96];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(sockets, sizeof sockets, "%s/sockets", dir);
  cr_assert_eq(mkdir(sockets, 0700), 0);
  int tcp_port = free_port();
  snprintf(tcp, sizeof tcp, "tcp:127.0.0.1:%d", tcp_port);
  snprintf(tcp_out, sizeof tcp_out, "ACTORSCOPE_OUTPUT=%s", tcp);
  snprintf(path, sizeof path, "%s/serve.log", dir);
  const char *serve_argv[] = {AS_TEST_CLI, "serve", "--listen", "127.0.0.1:0", sockets, tcp, NULL};
  pid_t serve = start_bg(serve_argv, NULL, 0, path);
  int serve_at = serve_port(path);
  int prom_at;
  pid_t prometheus = prometheus_start(dir, serve_at, &prom_at);

  char unix_out[300];
  snprintf(unix_out, sizeof unix_out, "ACTORSCOPE_OUTPUT=unix:%s/%%p.sock", sockets);
  const char *unix_env[] = {unix_out, "ACTORSCOPE_INTERVAL_MS=200", NULL};
  const char *tcp_env[] = {tcp_out, "ACTORSCOPE_INTERVAL_MS=200", NULL};
  const char *long_argv[] = {AS_TEST_PROGRAMS "/czmq_slow", "60000", NULL};
  const char *short_argv[] = {AS_TEST_PROGRAMS "/czmq_slow", "300", NULL};
  snprintf(path, sizeof path, "%s/programs.log", dir);
  pid_t killed = start_bg(long_argv, unix_env, 1, path);
  pid_t signalled = start_bg(long_argv, unix_env, 1, path);
  pid_t over_tcp = start_bg(long_argv, tcp_env, 1, path);
  pid_t exited = start_bg(short_argv, unix_env, 1, path);
  static const char running[] =
      "actorscope_actors{pid=\"%d\",name=\"slow_worker\",status=\"running\"}";
  prometheus_expect_pid(prom_at, running, killed, "1");
  prometheus_expect_pid(prom_at, running, signalled, "1");
  prometheus_expect_pid(prom_at, running, over_tcp, "1");
  int status;
  cr_assert_eq(waitpid(exited, &status, 0), exited);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  kill(killed, SIGKILL); /* left a zombie until the end */
  kill(over_tcp, SIGKILL);
  waitpid(over_tcp, &status, 0);
  kill(signalled, SIGUSR1); /* CZMQ takes SIGTERM; SIGUSR1 kills, and the tracer writes */
  waitpid(signalled, &status, 0);
  cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);

  static const char ended[] = "actorscope_process_ended{pid=\"%d\",ended_by=\"lost\"}";
  prometheus_expect_pid(prom_at, ended, killed, "1");
  prometheus_expect_pid(prom_at, ended, over_tcp, "1");
  prometheus_expect_pid(
      prom_at, "actorscope_process_ended{pid=\"%d\",ended_by=\"signal\",signal=\"SIGUSR1\"}",
      signalled, "1");
  prometheus_expect_pid(prom_at, "actorscope_process_ended{pid=\"%d\",ended_by=\"exit\"}", exited,
                        "1");
  prometheus_expect(prom_at, "count(actorscope_process_ended)", "4");
  /* What an alert reads of the lost ones: nothing runs; the counters keep their values. */
  prometheus_expect_pid(prom_at, "sum(actorscope_actors{pid=\"%d\"})", killed, "0");
  prometheus_expect_pid(prom_at, "sum(actorscope_actors{pid=\"%d\"})", over_tcp, "0");
  prometheus_expect_pid(prom_at, running, signalled, "1"); /* its final line's state, kept */
  prometheus_expect_pid(prom_at,
                        "actorscope_handler_running_max_seconds{pid=\"%d\",name=\"slow_worker\"}",
                        killed, "0");
  prometheus_expect_pid(prom_at, "actorscope_process_actors_alive{pid=\"%d\"}", killed, "0");
  prometheus_expect_pid(prom_at, "actorscope_process_exited{pid=\"%d\"}", killed, "1");
  prometheus_expect_pid(
      prom_at, "actorscope_messages_received_total{pid=\"%d\",name=\"slow_worker\",type=\"SLOW\"}",
      killed, "1");
  waitpid(killed, &status, 0);
  stop_bg(prometheus);
  stop_bg(serve);
  as_test_remove_tree(dir);
}

/* The number of times needle occurs in text. */
static int occurrences(const char *text, const char *needle)
{
  int n = 0;
  for (const char *at = text; (at = strstr(at, needle)); at += strlen(needle))
    n++;
  return n;
}

/* A process's next image after an exec (or a pid reused) is served under the same pid and
 * program: the ended one's series went on beside it for --keep, every label the same (a lost
 * one's zeros read as the live one's). The ended one leaves once the new one is read. */
Test(serve, a_pid_s_next_process_replaces_the_ended_one_s_series, .timeout = 60)
{
  char dir[] = "/tmp/actorscope-exec-XXXXXX", path[256], sockets[256], out[300];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(sockets, sizeof sockets, "%s/sockets", dir);
  cr_assert_eq(mkdir(sockets, 0700), 0);
  snprintf(path, sizeof path, "%s/serve.log", dir);
  const char *serve_argv[] = {AS_TEST_CLI, "serve", "--listen", "127.0.0.1:0", sockets, NULL};
  pid_t serve = start_bg(serve_argv, NULL, 0, path);
  int serve_at = serve_port(path);
  snprintf(out, sizeof out, "ACTORSCOPE_OUTPUT=unix:%s/%%p.sock", sockets);
  const char *env[] = {out, "ACTORSCOPE_INTERVAL_MS=100", NULL};
  const char *argv[] = {AS_TEST_PROGRAMS "/czmq_exec",
                        "1500",
                        AS_TEST_PROGRAMS "/czmq_exec",
                        "2500",
                        "/bin/true",
                        NULL};
  snprintf(path, sizeof path, "%s/program.log", dir);
  pid_t pid = start_bg(argv, env, 1, path);
  char alive[96], exec_ended[128];
  snprintf(alive, sizeof alive, "actorscope_process_actors_alive{pid=\"%d\",", (int)pid);
  snprintf(exec_ended, sizeof exec_ended,
           "actorscope_process_ended{pid=\"%d\",program=\"czmq_exec\",ended_by=\"exec\"}",
           (int)pid);
  /* The second image runs: the first ended by its exec, whose line serve read. */
  int second_seen = 0, most = 0;
  for (int tries = 0; tries < 80; tries++) {
    char *response = http_get(serve_at, "/metrics", NULL);
    cr_assert_not_null(response);
    const char *body = http_body(response);
    int n = occurrences(body, alive);
    most = n > most ? n : most;
    if (n == 1 && tries > 25)
      second_seen = 1;
    free(response);
    sleep_ms(50);
  }
  cr_assert_eq(most, 1, "two processes under pid %d in one scrape", (int)pid);
  cr_assert(second_seen);
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char *response = http_get(serve_at, "/metrics", NULL);
  cr_assert_eq(occurrences(http_body(response), exec_ended), 1, "%s", response);
  free(response);
  stop_bg(serve);
  as_test_remove_tree(dir);
}

/* A socket in the watched directory that serves names no real tracer writes: raw surrogate and
 * overlong bytes (yajl takes them), a lone \udc80 escape. Its pid is its own, as serve wants. */
static pid_t bad_names_peer(const char *sockets)
{
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid)
    return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int len = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/%d.sock", sockets, (int)getpid());
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if ((size_t)len >= sizeof addr.sun_path || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(fd, 4) != 0)
    _exit(1);
  signal(SIGPIPE, SIG_IGN);
  for (;;) {
    int c = accept(fd, NULL, NULL);
    dprintf(c,
            "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":1,\"pid\":%d,"
            "\"program\":\"bad_names\",\"argv\":[\"bad_names\"],\"started_at\":"
            "\"2026-12-07T08:00:00.000Z\",\"started_at_ns\":1796630400000000000,\"config\":"
            "{\"interval_ms\":100,\"grave_ms\":5000,\"stack_depth\":2}}\n",
            (int)getpid());
    static const char *const names[] = {"surrogate\xed\xa0\x80", "overlong\xc0\x80", "lone\\udc80"};
    for (int seq = 0;; seq++) {
      char actors[2048] = "";
      for (int i = 0; i < 3; i++)
        snprintf(actors + strlen(actors), sizeof actors - strlen(actors),
                 "%s{\"id\":%d,\"name\":\"%s\",\"runtime\":\"caf\",\"status\":\"running\","
                 "\"spawned_at_ns\":1000,\"spawn_site\":null,\"parent\":null,\"children\":[],"
                 "\"stopped\":null,\"mailbox\":{\"kind\":\"unbounded\",\"len\":0,\"max\":0,"
                 "\"enqueued\":0},\"outbox\":{\"len\":0},\"counters\":{\"messages_received\":0,"
                 "\"messages_sent\":0,\"replies\":0,\"handled\":0,\"exceptions\":0},"
                 "\"handler_ns\":{\"total\":0,\"max\":0},\"handling\":null,\"waiting_on\":null,"
                 "\"message_types\":[],\"links\":[],\"monitors\":[]}",
                 i ? "," : "", i + 1, names[i]);
      if (dprintf(c,
                  "{\"type\":\"snapshot\",\"seq\":%d,\"captured_at\":\"2026-12-07T08:00:00.100Z\","
                  "\"captured_at_ns\":1796630400100000000,\"uptime_ns\":100000000,\"final\":false,"
                  "\"totals\":{\"alive\":3,\"total_spawned\":3,\"total_stopped\":0,"
                  "\"messages_received\":0},\"deadlocks\":[],\"diagnostics\":[],\"last_cost\":null,"
                  "\"spawn_sites\":[],\"actors\":[%s]}\n",
                  seq, actors) < 0)
        break;
      sleep_ms(100);
    }
    close(c);
  }
}

/* Label values are whatever a program names itself, its threads and actors: quotes,
 * backslashes, tabs, newlines, control characters reach Prometheus as they are (the exposition
 * escapes what it must); bytes that are not UTF-8 become U+FFFD, and a source that sends such
 * names leaves every scrape whole (Prometheus refused each one: "invalid UTF-8 label value"). */
Test(serve, odd_names_reach_prometheus_whole_and_bad_utf8_breaks_no_scrape, .timeout = 120)
{
  char dir[] = "/tmp/actorscope-names-XXXXXX", path[256], sockets[256], program[300];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(sockets, sizeof sockets, "%s/sockets", dir);
  cr_assert_eq(mkdir(sockets, 0700), 0);
  snprintf(path, sizeof path, "%s/serve.log", dir);
  const char *serve_argv[] = {AS_TEST_CLI, "serve", "--listen", "127.0.0.1:0", sockets, NULL};
  pid_t serve = start_bg(serve_argv, NULL, 0, path);
  int serve_at = serve_port(path);
  int prom_at;
  pid_t prometheus = prometheus_start(dir, serve_at, &prom_at);
  pid_t peer = bad_names_peer(sockets);

  /* A real program under a name holding every byte the format escapes, and some it does not. */
  snprintf(program, sizeof program,
           "%s/w\"e\\i\trd\r\x01\x7f\xff"
           "n\nme",
           dir);
  char command[700];
  snprintf(command, sizeof command, "cp '%s/czmq_slow' '%s'", AS_TEST_PROGRAMS, program);
  cr_assert_eq(system(command), 0);
  char out[300];
  snprintf(out, sizeof out, "ACTORSCOPE_OUTPUT=unix:%s/%%p.sock", sockets);
  const char *env[] = {out, "ACTORSCOPE_INTERVAL_MS=200", NULL};
  const char *argv[] = {program, "20000", NULL};
  snprintf(path, sizeof path, "%s/program.log", dir);
  pid_t traced = start_bg(argv, env, 1, path);

  prometheus_expect(prom_at,
                    "actorscope_actors{program=\"w\\\"e\\\\i\\trd\\r\\x01\\x7f\\ufffdn\\nme\","
                    "name=\"slow_worker\",status=\"running\"}",
                    "1");
  prometheus_expect(
      prom_at,
      "actorscope_actors{program=\"bad_names\",name=\"surrogate\\ufffd\\ufffd\\ufffd\","
      "status=\"running\"}",
      "1");
  prometheus_expect(prom_at,
                    "actorscope_actors{program=\"bad_names\",name=\"overlong\\ufffd\\ufffd\","
                    "status=\"running\"}",
                    "1");
  prometheus_expect(prom_at, "count(actorscope_actors_spawned_total{program=\"bad_names\"})", "3");
  prometheus_expect(prom_at, "up{job=\"actorscope\"}", "1");
  stop_bg(traced);
  stop_bg(peer);
  stop_bg(prometheus);
  stop_bg(serve);
  as_test_remove_tree(dir);
}

static long long sample(const char *text, const char *series)
{
  size_t len = strlen(series);
  for (const char *p = text; (p = strstr(p, series)); p++)
    if ((p == text || p[-1] == '\n') && p[len] == ' ')
      return atoll(p + len + 1);
  return -1;
}

static void add_to(json_t *sums, const char *key, json_int_t n)
{
  json_object_set_new(sums, key, json_integer(json_integer_value(json_object_get(sums, key)) + n));
}

/* What the per-name counters must hold, from the recording: every actor (but the runtime's
 * own, left out without --internal) counts under the name it
 * has when it is seen (once per name it has), and each growth of its counters between two
 * sightings goes to the name it has then; reaped actors keep what they gave. */
static void check_counters_against(const char *run_path, const char *text)
{
  json_t *lines = as_test_load_lines(run_path);
  json_t *header = json_array_get(lines, 0);
  char process[256];
  snprintf(process, sizeof process, "pid=\"%lld\",program=\"%s\"",
           (long long)as_test_int(header, "pid"), strrchr(as_test_str(header, "program"), '/') + 1);
  json_t *by_type = json_object(), *spawned = json_object(), *exceptions = json_object();
  json_t *previous = json_object(); /* id -> {series, types: {type: count}, exceptions} */
  json_t *hidden = json_object();   /* internal actor's id -> its messages as last seen */
  for (size_t l = 1; l < json_array_size(lines); l++) {
    size_t i;
    json_t *a;
    json_t *listed = as_test_line_actors(json_array_get(lines, l));
    json_array_foreach(listed, i, a)
    {
      char id[32], series[1024];
      snprintf(id, sizeof id, "%lld", (long long)as_test_int(a, "id"));
      /* Runtime-internal actors have no series without --internal, as in every view, and
       * the process totals leave them out too. */
      if (json_is_true(json_object_get(a, "internal"))) {
        json_object_set_new(hidden, id, json_integer(as_test_int(a, "counters.messages_received")));
        continue;
      }
      snprintf(series, sizeof series, "%s,runtime=\"%s\",name=\"%s\"", process,
               as_test_str(a, "runtime"), as_test_str(a, "name"));
      json_t *before = json_object_get(previous, id);
      if (!before || strcmp(json_string_value(json_object_get(before, "series")), series) != 0)
        add_to(spawned, series, 1);
      add_to(exceptions, series,
             as_test_int(a, "counters.exceptions") -
                 json_integer_value(json_object_get(before, "exceptions")));
      json_t *types = json_object();
      size_t k;
      json_t *t;
      json_array_foreach(json_object_get(a, "message_types"), k, t)
      {
        char typed[1200];
        snprintf(typed, sizeof typed, "%s,type=\"%s\"", series, as_test_str(t, "name"));
        add_to(by_type, typed,
               as_test_int(t, "count") -
                   json_integer_value(
                       json_object_get(json_object_get(before, "types"), as_test_str(t, "name"))));
        json_object_set_new(types, as_test_str(t, "name"), json_integer(as_test_int(t, "count")));
      }
      json_object_set_new(previous, id,
                          json_pack("{s:s, s:o, s:I}", "series", series, "types", types,
                                    "exceptions",
                                    (json_int_t)as_test_int(a, "counters.exceptions")));
    }
    json_decref(listed);
  }
  const char *key;
  json_t *v;
  json_object_foreach(by_type, key, v)
  {
    char series[1400];
    snprintf(series, sizeof series, "actorscope_messages_received_total{%s}", key);
    cr_assert_eq(sample(text, series), json_integer_value(v), "%s", series);
  }
  json_object_foreach(spawned, key, v)
  {
    char series[1400];
    snprintf(series, sizeof series, "actorscope_actors_spawned_total{%s}", key);
    cr_assert_eq(sample(text, series), json_integer_value(v), "%s", series);
    snprintf(series, sizeof series, "actorscope_exceptions_total{%s}", key);
    cr_assert_eq(sample(text, series), json_integer_value(json_object_get(exceptions, key)), "%s",
                 series);
  }
  json_t *final = as_test_last_snapshot(lines);
  json_int_t hidden_messages = 0;
  json_object_foreach(hidden, key, v) hidden_messages += json_integer_value(v);
  char series[400];
  snprintf(series, sizeof series, "actorscope_process_actors_spawned_total{%s}", process);
  cr_assert_eq(sample(text, series),
               as_test_int(final, "totals.total_spawned") - (json_int_t)json_object_size(hidden));
  snprintf(series, sizeof series, "actorscope_process_messages_received_total{%s}", process);
  cr_assert_eq(sample(text, series),
               as_test_int(final, "totals.messages_received") - hidden_messages);
  json_decref(hidden);
  json_decref(by_type);
  json_decref(spawned);
  json_decref(exceptions);
  json_decref(previous);
  json_decref(lines);
}

Test(serve, export_prometheus_writes_a_textfile_promtool_accepts_with_the_runs_counts)
{
  static const char *const runs[] = {"supervisor", "deadlock", "tree", "demo-40", "wide-250"};
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
    char run_path[512], out[600];
    snprintf(run_path, sizeof run_path, "%s/runs/%s.jsonl", AS_TEST_DATA, runs[i]);
    char dir[] = "/tmp/actorscope-textfile-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/actorscope.prom", dir);
    const char *argv[] = {AS_TEST_CLI, "export", "prometheus", "-o", out, run_path, NULL};
    struct as_test_run run;
    as_test_run(argv, NULL, 0, &run);
    cr_assert_eq(run.status, 0, "%s", run.err);
    cr_assert_str_eq(run.out, "");
    as_test_run_free(&run);
    export_test_promtool(out);
    char *text = as_test_read_file(out);
    check_counters_against(run_path, text);
    free(text);
    char rm[700];
    /* Nothing but the file itself is left (the temporary name was renamed). */
    snprintf(rm, sizeof rm, "test \"$(ls -A '%s')\" = actorscope.prom && rm -rf '%s'", dir, dir);
    cr_assert_eq(system(rm), 0);
  }
}

Test(serve, counters_keep_the_messages_of_reaped_actors)
{
  /* 20 000 short-lived CAF actors, each answering one message, reaped as soon as they stop
   * (grave 0), with snapshots every 2 ms: many are listed in some snapshot and gone later. */
  const char *argv[] = {AS_TEST_BENCH_POPULATION, "spawn", "20000", NULL};
  const char *env[] = {"ACTORSCOPE_GRAVE_MS=0", "ACTORSCOPE_INTERVAL_MS=2", NULL};
  struct as_test_run run;
  char *path = NULL;
  json_t *lines = NULL;
  size_t reaped = 0;
  /* The run lasts ~0.1 s, and on a loaded machine it has shown no such actor now and then (the
   * first pass of session 10's CI and of session 12's; not reproduced alone, even beside three
   * busy loops): the run is made again, at most twice. */
  for (int attempt = 0; attempt < 3 && reaped == 0; attempt++) {
    if (attempt) {
      json_decref(lines);
      free(path);
      as_test_run_free(&run);
    }
    as_test_run(argv, env, 1, &run);
    cr_assert_eq(run.status, 0);
    path = as_test_only_output(run.dir);
    lines = as_test_load_lines(path);
    /* The final line as written (without the ended actors the harness adds to it). */
    json_t *final = json_array_get(lines, json_array_size(lines) - 1);
    /* Listed live or as ended (most are: they live for microseconds, less than an interval on
     * a loaded machine) in some line, and gone from the final one. */
    for (size_t l = 1; l + 1 < json_array_size(lines); l++) {
      json_t *listed = as_test_line_actors(json_array_get(lines, l));
      size_t i;
      json_t *a;
      json_array_foreach(listed, i, a) reaped +=
          !as_test_actor_by_id(final, as_test_int(a, "id")) &&
          as_test_int(a, "counters.messages_received") > 0;
      json_decref(listed);
    }
  }
  cr_assert_gt(reaped, 0, "the run must show actors that received messages and were reaped");
  json_decref(lines);
  const char *export_argv[] = {AS_TEST_CLI, "export", "prometheus", path, NULL};
  struct as_test_run exported;
  as_test_run(export_argv, NULL, 0, &exported);
  cr_assert_eq(exported.status, 0, "%s", exported.err);
  check_counters_against(path, exported.out);
  cr_assert(strstr(exported.out, "actorscope_actors_stopped_total{") != NULL);
  as_test_run_free(&exported);
  free(path);
  as_test_run_free(&run);
}

Test(serve, per_actor_series_are_opt_in_and_capped)
{
  const char *run = AS_TEST_DATA "/runs/wide-250.jsonl";
  const char *plain[] = {AS_TEST_CLI, "export", "prometheus", run, NULL};
  struct as_test_run r;
  as_test_run(plain, NULL, 0, &r);
  cr_assert_eq(r.status, 0, "%s", r.err);
  cr_assert(strstr(r.out, ",id=\"") == NULL, "an actor id label without --per-actor");
  as_test_run_free(&r);

  const char *capped[] = {AS_TEST_CLI, "export", "prometheus", "--per-actor=7", run, NULL};
  as_test_run(capped, NULL, 0, &r);
  cr_assert_eq(r.status, 0, "%s", r.err);
  size_t series = 0;
  for (const char *p = r.out; (p = strstr(p, "\nactorscope_actor_mailbox_depth{")); p++)
    series++;
  cr_assert_eq(series, 7);
  json_t *lines = as_test_load_lines(run);
  json_t *header = json_array_get(lines, 0);
  char omitted[200];
  snprintf(omitted, sizeof omitted, "actorscope_actor_series_omitted{pid=\"%lld\",program=\"%s\"}",
           (long long)as_test_int(header, "pid"), strrchr(as_test_str(header, "program"), '/') + 1);
  cr_assert_eq(sample(r.out, omitted),
               (long long)json_array_size(json_object_get(as_test_last_snapshot(lines), "actors")) -
                   7);
  json_decref(lines);
  as_test_run_free(&r);

  const char *bad[] = {AS_TEST_CLI, "export", "prometheus", "--per-actor=0", run, NULL};
  as_test_run(bad, NULL, 0, &r);
  cr_assert_eq(r.status, 2);
  as_test_run_free(&r);
}

/* ---- serve against hostile peers and clients (a shared directory, a public port) ---------- */

/* How often NEEDLE occurs in the file at PATH. */
static int count_in(const char *path, const char *needle)
{
  char *text = as_test_read_file(path);
  int n = 0;
  for (const char *at = text; (at = strstr(at, needle)); at++)
    n++;
  free(text);
  return n;
}

/* Waits up to MS for NEEDLE in the file at PATH. */
static int wait_for_in(const char *path, const char *needle, long ms)
{
  for (long waited = 0; waited <= ms; waited += 100) {
    if (count_in(path, needle))
      return 1;
    sleep_ms(100);
  }
  return 0;
}

/* A scratch directory with serve watching DIR/sockets (ENV: serve's extra environment). */
struct hostile {
  char dir[64], sockets[128], log[128];
  pid_t serve;
  int port;
};

static void hostile_start(struct hostile *h, const char *const *env)
{
  snprintf(h->dir, sizeof h->dir, "/tmp/actorscope-hostile-XXXXXX");
  cr_assert_not_null(mkdtemp(h->dir));
  snprintf(h->sockets, sizeof h->sockets, "%s/sockets", h->dir);
  cr_assert_eq(chmod(h->dir, 0711), 0);
  cr_assert_eq(mkdir(h->sockets, 0700), 0);
  cr_assert_eq(chmod(h->sockets, 01777), 0); /* a shared directory, as /run/actorscope may be */
  snprintf(h->log, sizeof h->log, "%s/serve.log", h->dir);
  const char *argv[] = {AS_TEST_CLI, "serve", "--listen", "127.0.0.1:0", h->sockets, NULL};
  h->serve = start_bg(argv, env, 0, h->log);
  h->port = serve_port(h->log);
}

/* Stops serve and removes the scratch directory (the test passed). */
static void hostile_stop(struct hostile *h)
{
  stop_bg(h->serve);
  as_test_remove_tree(h->dir);
}

/* A hostile peer in the background: abuse_peer ARGS, its output at DIR/NAME.log. */
static pid_t hostile_peer(const struct hostile *h, const char *name, const char *const *args)
{
  char program[300], log[200];
  snprintf(program, sizeof program, "%s/abuse_peer", AS_TEST_PROGRAMS);
  snprintf(log, sizeof log, "%s/%s.log", h->dir, name);
  const char *argv[8] = {program};
  for (int i = 0; args[i] && i < 6; i++)
    argv[i + 1] = args[i];
  return start_bg(argv, NULL, 0, log);
}

Test(serve, the_token_goes_to_no_socket_of_another_user, .timeout = 60)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to run a peer as another user");
  static const char token[] = "ACTORSCOPE_TOKEN=0123456789abcdef-serve-secret";
  const char *env[] = {token, NULL};
  struct hostile h;
  hostile_start(&h, env);
  /* nobody plants a socket in the shared directory. */
  char sock[200], log[200], program[300];
  snprintf(sock, sizeof sock, "%s/planted.sock", h.sockets);
  snprintf(log, sizeof log, "%s/planted.log", h.dir);
  snprintf(program, sizeof program, "%s/abuse_peer", AS_TEST_PROGRAMS);
  pid_t peer = fork();
  cr_assert(peer >= 0);
  if (peer == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    dup2(fd, 1);
    if (setgid(65534) != 0 || setuid(65534) != 0)
      _exit(126);
    execl(program, "abuse_peer", "listen", sock, "8", (char *)NULL);
    _exit(127);
  }
  cr_assert(wait_for_in(h.log, "refused: the socket is served by uid 65534", 8000),
            "serve did not refuse the planted socket: %s", as_test_read_file(h.log));
  sleep_ms(3000); /* serve tries again meanwhile: said once */
  cr_expect_eq(count_in(h.log, "uid 65534"), 1, "%s", as_test_read_file(h.log));
  cr_expect_eq(count_in(log, "serve-secret"), 0, "the planted socket got the token");
  stop_bg(peer);
  hostile_stop(&h);
}

Test(serve, a_peer_lying_about_its_pid_or_name_is_refused, .timeout = 60)
{
  struct hostile h;
  hostile_start(&h, NULL);
  char liar[200], named[200];
  snprintf(liar, sizeof liar, "%s/liar.sock", h.sockets);
  snprintf(named, sizeof named, "%s/31337.sock", h.sockets);
  pid_t a = hostile_peer(&h, "liar", (const char *[]){"listen", liar, "20", "31337", NULL});
  pid_t b = hostile_peer(&h, "named", (const char *[]){"listen", named, "20", NULL});
  cr_assert(wait_for_in(h.log, "the header claims pid 31337", 10000), "%s",
            as_test_read_file(h.log));
  cr_assert(wait_for_in(h.log, "its name says pid 31337", 10000), "%s", as_test_read_file(h.log));
  char *metrics = http_get(h.port, "/metrics", NULL);
  cr_expect_null(strstr(metrics, "pid=\"31337\""), "a liar is published: %s", metrics);
  cr_expect_null(strstr(metrics, "impostor"), "a liar is published: %s", metrics);
  free(metrics);
  stop_bg(a);
  stop_bg(b);
  hostile_stop(&h);
}

Test(serve, silent_sockets_do_not_starve_a_real_process, .timeout = 90)
{
  struct hostile h;
  hostile_start(&h, NULL);
  pid_t silent =
      hostile_peer(&h, "silent", (const char *[]){"silent", h.sockets, "600", "80", NULL});
  char silent_log[200];
  snprintf(silent_log, sizeof silent_log, "%s/silent.log", h.dir);
  cr_assert(wait_for_in(silent_log, "ready", 20000), "%s", as_test_read_file(silent_log));
  sleep_ms(1500); /* serve has taken up the silent ones */
  char out[300], program[300], log[200];
  snprintf(out, sizeof out, "ACTORSCOPE_OUTPUT=unix:%s/%%p.sock", h.sockets);
  snprintf(program, sizeof program, "%s/czmq_slow", AS_TEST_PROGRAMS);
  snprintf(log, sizeof log, "%s/slow.log", h.dir);
  const char *env[] = {out, "ACTORSCOPE_INTERVAL_MS=200", NULL};
  const char *argv[] = {program, "40000", NULL};
  pid_t traced = start_bg(argv, env, 1, log);
  char series[64];
  snprintf(series, sizeof series, "pid=\"%d\"", (int)traced);
  int found = 0;
  for (int i = 0; i < 300 && !found; i++) {
    char *metrics = http_get(h.port, "/metrics", NULL);
    found = metrics && strstr(metrics, series);
    free(metrics);
    if (!found)
      sleep_ms(100);
  }
  cr_expect(found, "the traced process was never served: %s", as_test_read_file(h.log));
  cr_expect_eq(count_in(h.log, "sockets wait: serve reads at most 512 at once"), 1, "%s",
               as_test_read_file(h.log));
  stop_bg(traced);
  stop_bg(silent);
  hostile_stop(&h);
}

Test(serve, an_endless_string_is_refused_and_a_broken_source_said_once, .timeout = 60)
{
  struct hostile h;
  hostile_start(&h, NULL);
  char endless[200], garbage[200];
  snprintf(endless, sizeof endless, "%s/endless.sock", h.sockets);
  snprintf(garbage, sizeof garbage, "%s/garbage.sock", h.sockets);
  pid_t a = hostile_peer(&h, "endless", (const char *[]){"endless", endless, "20", NULL});
  pid_t b = hostile_peer(&h, "garbage", (const char *[]){"garbage", garbage, "20", NULL});
  cr_assert(
      wait_for_in(h.log, ":2: actor #1: member 'name': a string longer than 1048576 bytes", 15000),
      "%s", as_test_read_file(h.log));
  cr_assert(wait_for_in(h.log, "garbage.sock:2: invalid JSON", 10000), "%s",
            as_test_read_file(h.log));
  sleep_ms(6000); /* reconnected several times meanwhile */
  cr_expect_eq(count_in(h.log, "garbage.sock:2: invalid JSON"), 1, "%s", as_test_read_file(h.log));
  cr_expect_eq(count_in(h.log, "a string longer than"), 1, "%s", as_test_read_file(h.log));
  char *metrics = http_get(h.port, "/metrics", NULL);
  cr_expect_not_null(strstr(metrics, "actorscope_source_up"), "serve stopped answering");
  free(metrics);
  stop_bg(a);
  stop_bg(b);
  hostile_stop(&h);
}

/* GET /metrics from 127.0.0.1 with a deadline: 1 when a whole 200 response came. */
static int scrape_within(int port, long ms)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int ok = 0;
  static const char request[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
      write(fd, request, sizeof request - 1) == (ssize_t)sizeof request - 1) {
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    ok = n > 12 && strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 9, "200", 3) == 0;
  }
  close(fd);
  return ok;
}

Test(serve, scrapes_are_answered_while_200_slow_clients_dribble, .timeout = 60)
{
  struct hostile h;
  hostile_start(&h, NULL);
  char port[16], log[200];
  snprintf(port, sizeof port, "%d", h.port);
  snprintf(log, sizeof log, "%s/slowloris.log", h.dir);
  pid_t peer =
      hostile_peer(&h, "slowloris", (const char *[]){"slowloris", port, "200", "14", NULL});
  cr_assert(wait_for_in(log, "ready 200", 10000), "%s", as_test_read_file(log));
  sleep_ms(1000);
  int answered = 0;
  for (int i = 0; i < 6; i++) {
    answered += scrape_within(h.port, 3000);
    sleep_ms(1000);
  }
  cr_expect_eq(answered, 6, "%d of 6 scrapes answered during the attack", answered);
  int status;
  while (waitpid(peer, &status, 0) < 0 && errno == EINTR)
    ;
  /* Every slow connection was closed: at once (over the per-address limit) or at its deadline,
   * however it kept sending. */
  cr_expect(count_in(log, "closed 200"), "%s", as_test_read_file(log));
  hostile_stop(&h);
}

/* Runs a shell command; 0 when it succeeded. */
static int shell(const char *command)
{
  int status = system(command);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

Test(serve, tls_and_basic_auth_guard_the_metrics, .timeout = 60)
{
  char dir[] = "/tmp/actorscope-tls-XXXXXX", command[2048], log[128], auth[128];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(
      command, sizeof command,
      "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem "
      "-days 1 -subj /CN=localhost >/dev/null 2>&1 && chmod 600 key.pem && "
      "printf 'scraper:%%s\\n' \"$(openssl passwd -6 'correct horse')\" >auth && chmod 644 auth",
      dir);
  cr_assert_eq(shell(command), 0);
  snprintf(log, sizeof log, "%s/serve.log", dir);
  snprintf(auth, sizeof auth, "%s/auth", dir);
  char cert[128], key[128];
  snprintf(cert, sizeof cert, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key.pem", dir);
  /* A password file others may read is refused. */
  const char *argv[] = {AS_TEST_CLI, "serve", "--listen",     "127.0.0.1:0", "--tls-cert", cert,
                        "--tls-key", key,     "--basic-auth", auth,          dir,          NULL};
  pid_t serve = start_bg(argv, NULL, 0, log);
  int status;
  while (waitpid(serve, &status, 0) < 0 && errno == EINTR)
    ;
  cr_expect(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  cr_expect(count_in(log, "mode 0644 lets others read it; chmod 600 it"), "%s",
            as_test_read_file(log));
  chmod(auth, 0600);
  serve = start_bg(argv, NULL, 0, log);
  int port = 0;
  for (int i = 0; i < 200 && !port; i++) {
    char *text = as_test_read_file(log);
    const char *at = strstr(text, "metrics at https://127.0.0.1:");
    port = at ? atoi(at + strlen("metrics at https://127.0.0.1:")) : 0;
    free(text);
    sleep_ms(50);
  }
  cr_assert(port, "%s", as_test_read_file(log));
  char out[128];
  snprintf(out, sizeof out, "%s/out", dir);
  /* Without credentials: 401; with them: the metrics; plain HTTP: no answer. */
  snprintf(command, sizeof command,
           "curl -sk -o /dev/null -w '%%{http_code}' https://127.0.0.1:%d/metrics >%s", port, out);
  shell(command);
  cr_expect_eq(count_in(out, "401"), 1, "%s", as_test_read_file(out));
  snprintf(command, sizeof command,
           "curl -sk -u 'scraper:wrong' -o /dev/null -w '%%{http_code}' "
           "https://127.0.0.1:%d/metrics >%s",
           port, out);
  shell(command);
  cr_expect_eq(count_in(out, "401"), 1, "%s", as_test_read_file(out));
  snprintf(command, sizeof command,
           "curl -sk -u 'scraper:correct horse' https://127.0.0.1:%d/metrics >%s", port, out);
  cr_expect_eq(shell(command), 0);
  cr_expect(count_in(out, "# TYPE actorscope_process_actors_alive gauge"), "%s",
            as_test_read_file(out));
  snprintf(command, sizeof command, "curl -s -m 3 http://127.0.0.1:%d/metrics >%s", port, out);
  cr_expect_neq(shell(command), 0, "plain HTTP was answered");
  stop_bg(serve);
  snprintf(command, sizeof command, "rm -rf %s", dir);
  shell(command);
}
