/* The HTTP side of actorscope serve, on libmicrohttpd (one internal polling thread): GET
 * /metrics answers with the exposition the scraper asks for (OpenMetrics when its Accept header
 * names application/openmetrics-text, else text 0.0.4); GET / a short page; anything else 404
 * or 405. Optionally over TLS and behind basic authentication; every request has a deadline
 * (serve_deadline.h) and one address holds a bounded number of connections. */
#ifndef ACTORSCOPE_SERVE_HTTP_H
#define ACTORSCOPE_SERVE_HTTP_H

#include <stddef.h>
#include <stdio.h>

struct serve_http;

/* Writes the metrics to OUT; OPENMETRICS picks the format. */
typedef void (*serve_http_render_fn)(FILE *out, int openmetrics, void *ctx);

struct serve_http_options {
  const char *listen;   /* "[HOST:]PORT"; HOST defaults to 127.0.0.1, IPv6 in brackets, port 0
                           picks a free one */
  const char *tls_cert; /* PEM files: HTTPS instead of HTTP (both or neither) */
  const char *tls_key;
  const char *basic_auth; /* a USER:HASH file (serve_auth.h), or NULL: no authentication */
};

/* Connections at most, and from one address: a client cannot take every connection. */
#define SERVE_HTTP_CONNECTIONS 256
#define SERVE_HTTP_PER_ADDRESS 16

/* Listens as OPTIONS say. BOUND receives "HOST:PORT" as bound. Returns 0, or -1 with WHY
 * filled. */
int serve_http_start(struct serve_http **http, const struct serve_http_options *options,
                     serve_http_render_fn render, void *ctx, char *bound, size_t bound_len,
                     char *why, size_t why_len);
void serve_http_stop(struct serve_http *http);

/* Whether an Accept header asks for OpenMetrics. */
int serve_http_wants_openmetrics(const char *accept);

#endif
