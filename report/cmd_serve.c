/* actorscope serve: a Prometheus / OpenMetrics endpoint for traced processes, outside them.
 * It reads their snapshot streams (sockets, or a directory of sockets found as they come and
 * go) and answers GET /metrics with per-process and per-actor-name metrics. */
#define _GNU_SOURCE
#include "commands.h"
#include "serve_hub.h"
#include "serve_http.h"
#include "serve_sources.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char serve_usage[] =
    "usage: actorscope serve --listen [HOST:]PORT [--per-actor[=CAP]] [--keep SECONDS] "
    "[--internal]\n"
    "                        [--tls-cert FILE --tls-key FILE] [--basic-auth FILE] SOURCE...\n"
    "\n"
    "Serves Prometheus metrics of traced processes at http://HOST:PORT/metrics (text format\n"
    "0.0.4, or OpenMetrics when the scraper asks for it). SOURCE is the snapshot stream of a\n"
    "process traced with ACTORSCOPE_OUTPUT=unix:PATH or tcp:PORT:\n"
    "  unix:PATH, tcp:HOST:PORT   one stream, connected again whenever it ends\n"
    "  DIRECTORY                  every unix socket in it, found as processes come and go\n"
    "                             (ACTORSCOPE_OUTPUT=unix:DIRECTORY/NAME.sock for each service)\n"
    "  --listen [HOST:]PORT  where to listen; HOST defaults to 127.0.0.1 (0.0.0.0 or [::] for\n"
    "                        remote scrapers); port 0 picks a free one\n"
    "  --per-actor[=CAP]     also series per actor id, for up to CAP actors per process\n"
    "                        (default 100); off by default: ids are unbounded\n"
    "  --keep SECONDS        how long an ended process's last metrics are served (default 60)\n"
    "  --internal            include runtime-internal actors (CAF's spawn server, middleman ...)\n"
    "  --tls-cert FILE, --tls-key FILE  serve HTTPS with this PEM certificate and key (the key\n"
    "                        file readable by its owner only)\n"
    "  --basic-auth FILE     require HTTP basic authentication: USER:HASH lines (htpasswd -nB\n"
    "                        USER, or openssl passwd -6), the file readable by its owner only\n"
    "The metrics name processes, programs, actors and messages: see docs/serve.md before\n"
    "listening beyond loopback.\n";

static void serve_render(FILE *out, int openmetrics, void *ctx)
{
  serve_hub_render(ctx, out, openmetrics);
}

int cmd_serve(int argc, char **argv)
{
  static const struct option options[] = {{"listen", required_argument, NULL, 'l'},
                                          {"per-actor", optional_argument, NULL, 'a'},
                                          {"keep", required_argument, NULL, 'k'},
                                          {"internal", no_argument, NULL, 'I'},
                                          {"tls-cert", required_argument, NULL, 'c'},
                                          {"tls-key", required_argument, NULL, 'K'},
                                          {"basic-auth", required_argument, NULL, 'b'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  struct serve_http_options http_options = {0};
  long cap = 0, keep_s = 60;
  int internal = 0;
  char *end;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "+l:h", options, NULL)) != -1) {
    switch (c) {
    case 'l': http_options.listen = optarg; break;
    case 'c': http_options.tls_cert = optarg; break;
    case 'K': http_options.tls_key = optarg; break;
    case 'b': http_options.basic_auth = optarg; break;
    case 'a':
      cap = optarg ? strtol(optarg, &end, 10) : 100;
      if (optarg && (*end || end == optarg || cap < 1 || cap > 1000000)) {
        fprintf(stderr,
                "actorscope serve: --per-actor=%s: expected a number of actors from 1 to 1000000\n",
                optarg);
        return CMD_USAGE;
      }
      break;
    case 'k':
      keep_s = strtol(optarg, &end, 10);
      if (*end || end == optarg || keep_s < 0 || keep_s > 86400 * 7) {
        fprintf(stderr, "actorscope serve: --keep %s: expected seconds from 0 to 604800\n", optarg);
        return CMD_USAGE;
      }
      break;
    case 'I': internal = 1; break;
    case 'h': fputs(serve_usage, stdout); return CMD_OK;
    default: fputs(serve_usage, stderr); return CMD_USAGE;
    }
  }
  if (!http_options.listen || optind >= argc) {
    fputs(serve_usage, stderr);
    return CMD_USAGE;
  }
  /* Every thread inherits this mask: termination signals are taken here, by sigwait. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  static struct serve_hub hub;
  char why[1024], bound[300];
  if (serve_hub_init(&hub, (int64_t)keep_s * 1000, cap) < 0) {
    fprintf(stderr, "actorscope serve: out of resources\n");
    return CMD_USAGE;
  }
  hub.include_internal = internal;
  if (serve_sources_start(&hub, argv + optind, (size_t)(argc - optind), why, sizeof why) < 0) {
    fprintf(stderr, "actorscope serve: %s\n", why);
    return CMD_USAGE;
  }
  struct serve_http *http;
  if (serve_http_start(&http, &http_options, serve_render, &hub, bound, sizeof bound, why,
                       sizeof why) < 0) {
    fprintf(stderr, "actorscope serve: %s\n", why);
    return CMD_USAGE;
  }
  fprintf(stderr, "actorscope serve: metrics at %s://%s/metrics\n",
          http_options.tls_cert ? "https" : "http", bound);
  /* The metrics name what runs on the host. */
  if (!http_options.basic_auth && strncmp(bound, "127.", 4) != 0 && strncmp(bound, "[::1]", 5) != 0)
    fprintf(stderr, "actorscope serve: warning: listening beyond loopback without --basic-auth: "
                    "whoever can connect reads pids, programs and actor names (docs/serve.md)\n");
  int sig;
  sigwait(&stop, &sig);
  serve_http_stop(http);
  /* Stream threads may be blocked reading a traced process: the exit ends them. */
  return CMD_OK;
}
