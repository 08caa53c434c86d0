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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TestSuite(serve, .timeout = 90);

/* ---- processes in the background ---------------------------------------------------------- */

static pid_t start_bg(const char *const *argv, const char *const *env, int preload,
                      const char *log)
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
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
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

Test(serve, prometheus_scrapes_serve_for_real_czmq_and_caf_programs)
{
  char dir[] = "/tmp/actorscope-serve-XXXXXX", path[256], sockets[256], config[1024];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(sockets, sizeof sockets, "%s/sockets", dir);
  cr_assert_eq(mkdir(sockets, 0700), 0);

  snprintf(path, sizeof path, "%s/serve.log", dir);
  const char *serve_argv[] = {AS_TEST_CLI, "serve", "--listen", "127.0.0.1:0", sockets, NULL};
  pid_t serve = start_bg(serve_argv, NULL, 0, path);
  int serve_at = serve_port(path);

  int prom_at = free_port();
  snprintf(config, sizeof config,
           "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
           "scrape_configs:\n  - job_name: actorscope\n    static_configs:\n"
           "      - targets: ['127.0.0.1:%d']\n", serve_at);
  snprintf(path, sizeof path, "%s/prometheus.yml", dir);
  write_file(path, config);
  char config_arg[300], storage_arg[300], listen_arg[64];
  snprintf(config_arg, sizeof config_arg, "--config.file=%s", path);
  snprintf(storage_arg, sizeof storage_arg, "--storage.tsdb.path=%s/data", dir);
  snprintf(listen_arg, sizeof listen_arg, "--web.listen-address=127.0.0.1:%d", prom_at);
  const char *prom_argv[] = {"/usr/bin/prometheus", config_arg, storage_arg, listen_arg, NULL};
  snprintf(path, sizeof path, "%s/prometheus.log", dir);
  pid_t prometheus = start_bg(prom_argv, NULL, 0, path);

  /* Prometheus scrapes serve before the programs start, so it sees them live. */
  prometheus_expect(prom_at, "up{job=\"actorscope\"}", "1");

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
                    "name=\"slow_worker\",type=\"SLOW\"}", "1");
  prometheus_expect(prom_at, "max_over_time(actorscope_deadlocks{program=\"caf_waits\"}[1m])", "1");
  prometheus_expect(prom_at,
                    "sum(actorscope_actors_deadlocked{program=\"caf_waits\",runtime=\"caf\","
                    "name=\"await_peer\"})", "2");
  prometheus_expect(prom_at,
                    "actorscope_messages_received_total{program=\"caf_waits\",name=\"await_peer\","
                    "type=\"peer\"}", "2");

  /* The text exposition passes promtool; OpenMetrics is what an OpenMetrics scraper gets. */
  char *text = http_get(serve_at, "/metrics", NULL);
  cr_assert_not_null(text);
  cr_assert(strstr(text, "Content-Type: text/plain; version=0.0.4") != NULL, "%.300s", text);
  snprintf(path, sizeof path, "%s/metrics.txt", dir);
  write_file(path, http_body(text));
  export_test_promtool(path);
  cr_assert(strstr(text, "# TYPE actorscope_messages_received_total counter\n") != NULL);
  free(text);
  char *om = http_get(serve_at, "/metrics", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
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
  export_test_remove_dir(dir);
}

/* ---- export prometheus: the numbers of a run ------------------------------------------------ */

/* The sample "NAME{LABELS} VALUE" in TEXT for exactly these labels; -1 when absent. */
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

/* What the per-name counters must hold, from the recording: every actor counts under the name it
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
  for (size_t l = 1; l < json_array_size(lines); l++) {
    size_t i;
    json_t *a;
    json_t *listed = as_test_line_actors(json_array_get(lines, l));
    json_array_foreach(listed, i, a) {
      char id[32], series[1024];
      snprintf(id, sizeof id, "%lld", (long long)as_test_int(a, "id"));
      snprintf(series, sizeof series, "%s,runtime=\"%s\",name=\"%s\"", process,
               as_test_str(a, "runtime"), as_test_str(a, "name"));
      json_t *before = json_object_get(previous, id);
      if (!before || strcmp(json_string_value(json_object_get(before, "series")), series) != 0)
        add_to(spawned, series, 1);
      add_to(exceptions, series, as_test_int(a, "counters.exceptions") -
                                     json_integer_value(json_object_get(before, "exceptions")));
      json_t *types = json_object();
      size_t k;
      json_t *t;
      json_array_foreach(json_object_get(a, "message_types"), k, t) {
        char typed[1200];
        snprintf(typed, sizeof typed, "%s,type=\"%s\"", series, as_test_str(t, "name"));
        add_to(by_type, typed, as_test_int(t, "count") -
                                   json_integer_value(json_object_get(
                                       json_object_get(before, "types"), as_test_str(t, "name"))));
        json_object_set_new(types, as_test_str(t, "name"), json_integer(as_test_int(t, "count")));
      }
      json_object_set_new(previous, id,
                          json_pack("{s:s, s:o, s:I}", "series", series, "types", types,
                                    "exceptions", (json_int_t)as_test_int(a, "counters.exceptions")));
    }
    json_decref(listed);
  }
  const char *key;
  json_t *v;
  json_object_foreach(by_type, key, v) {
    char series[1400];
    snprintf(series, sizeof series, "actorscope_messages_received_total{%s}", key);
    cr_assert_eq(sample(text, series), json_integer_value(v), "%s", series);
  }
  json_object_foreach(spawned, key, v) {
    char series[1400];
    snprintf(series, sizeof series, "actorscope_actors_spawned_total{%s}", key);
    cr_assert_eq(sample(text, series), json_integer_value(v), "%s", series);
    snprintf(series, sizeof series, "actorscope_exceptions_total{%s}", key);
    cr_assert_eq(sample(text, series), json_integer_value(json_object_get(exceptions, key)), "%s", series);
  }
  json_t *final = as_test_last_snapshot(lines);
  char series[400];
  snprintf(series, sizeof series, "actorscope_process_actors_spawned_total{%s}", process);
  cr_assert_eq(sample(text, series), as_test_int(final, "totals.total_spawned"));
  snprintf(series, sizeof series, "actorscope_process_messages_received_total{%s}", process);
  cr_assert_eq(sample(text, series), as_test_int(final, "totals.messages_received"));
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
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0);
  char *path = as_test_only_output(run.dir);
  json_t *lines = as_test_load_lines(path);
  /* The final line as written (without the ended actors the harness adds to it). */
  json_t *final = json_array_get(lines, json_array_size(lines) - 1);
  size_t reaped = 0;
  for (size_t l = 1; l + 1 < json_array_size(lines); l++) {
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(json_array_get(lines, l), "actors"), i, a)
      reaped += !as_test_actor_by_id(final, as_test_int(a, "id")) && as_test_int(a, "counters.messages_received") > 0;
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
               (long long)json_array_size(json_object_get(as_test_last_snapshot(lines), "actors")) - 7);
  json_decref(lines);
  as_test_run_free(&r);

  const char *bad[] = {AS_TEST_CLI, "export", "prometheus", "--per-actor=0", run, NULL};
  as_test_run(bad, NULL, 0, &r);
  cr_assert_eq(r.status, 2);
  as_test_run_free(&r);
}
