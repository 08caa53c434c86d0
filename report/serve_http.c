/* GET /metrics over libmicrohttpd (serve_http.h). */
#define _GNU_SOURCE
#include "serve_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "destination.h"
#include "serve_metrics.h"

struct serve_http {
  struct MHD_Daemon *daemon;
  serve_http_render_fn render;
  void *ctx;
};

static const char serve_index[] =
    "<!doctype html><title>actorscope serve</title>"
    "<p>actorscope serve: Prometheus metrics of traced actors at <a href=\"/metrics\">/metrics</a>.\n";

int serve_http_wants_openmetrics(const char *accept)
{
  /* Prometheus sends "application/openmetrics-text;version=1.0.0,...;q=0.75,text/plain;
   * version=0.0.4;q=0.5 ...": any mention with a non-zero weight wins. */
  if (!accept)
    return 0;
  for (const char *p = accept; (p = strcasestr(p, "application/openmetrics-text")); p++) {
    const char *end = p + strcspn(p, ",");
    const char *q = strstr(p, ";q=");
    if (!q || q > end || strtod(q + 3, NULL) > 0)
      return 1;
  }
  return 0;
}

static enum MHD_Result serve_reply(struct MHD_Connection *connection, unsigned status,
                                   const char *type, char *body, size_t len, int owned)
{
  struct MHD_Response *response = MHD_create_response_from_buffer(
      len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!response) {
    if (owned)
      free(body);
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  enum MHD_Result rc = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return rc;
}

static enum MHD_Result serve_request(void *cls, struct MHD_Connection *connection,
                                     const char *url, const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **request_state)
{
  struct serve_http *http = cls;
  /* The first call only announces the request; a body is not expected and not read. */
  if (!*request_state) {
    *request_state = http;
    return MHD_YES;
  }
  if (*upload_data_size) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
    static char text[] = "only GET\n";
    return serve_reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", text,
                       sizeof text - 1, 0);
  }
  if (strcmp(url, "/") == 0)
    return serve_reply(connection, MHD_HTTP_OK, "text/html; charset=utf-8", (char *)serve_index,
                       sizeof serve_index - 1, 0);
  if (strcmp(url, "/metrics") != 0) {
    static char text[] = "not found: the metrics are at /metrics\n";
    return serve_reply(connection, MHD_HTTP_NOT_FOUND, "text/plain", text, sizeof text - 1, 0);
  }
  const char *accept = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Accept");
  int om = serve_http_wants_openmetrics(accept);
  char *body = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&body, &len);
  if (!out)
    return MHD_NO;
  http->render(out, om, http->ctx);
  if (fclose(out) != 0) {
    free(body);
    static char text[] = "out of memory\n";
    return serve_reply(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", text,
                       sizeof text - 1, 0);
  }
  return serve_reply(connection, MHD_HTTP_OK,
                     om ? SERVE_CONTENT_TYPE_OPENMETRICS : SERVE_CONTENT_TYPE_TEXT, body, len, 1);
}

int serve_http_start(struct serve_http **out, const char *listen, serve_http_render_fn render,
                     void *ctx, char *bound, size_t bound_len, char *why, size_t why_len)
{
  char text[AS_DEST_HOST_MAX + 16], reason[256];
  struct as_dest dest;
  snprintf(text, sizeof text, "tcp:%s", listen);
  if (strlen(listen) > AS_DEST_HOST_MAX || as_dest_parse(&dest, text, NULL, reason, sizeof reason) < 0) {
    snprintf(why, why_len, "--listen '%s': expected [HOST:]PORT (HOST in brackets for IPv6)",
             listen);
    return -1;
  }
  char port[8];
  snprintf(port, sizeof port, "%u", dest.port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai;
  int gai = getaddrinfo(dest.host, port, &hints, &ai);
  if (gai != 0) {
    snprintf(why, why_len, "--listen '%s': %s", listen, gai_strerror(gai));
    return -1;
  }
  struct serve_http *http = calloc(1, sizeof *http);
  if (!http) {
    freeaddrinfo(ai);
    snprintf(why, why_len, "out of memory");
    return -1;
  }
  http->render = render;
  http->ctx = ctx;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
  if (ai->ai_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  /* A slow or stuck scraper cannot hold a connection for long, nor many of them. */
  http->daemon = MHD_start_daemon(flags, (uint16_t)dest.port, NULL, NULL, serve_request, http,
                                  MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
                                  MHD_OPTION_END);
  int family = ai->ai_family;
  freeaddrinfo(ai);
  if (!http->daemon) {
    snprintf(why, why_len, "cannot listen on %s (in use, or not an address of this host?)",
             listen);
    free(http);
    return -1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
  unsigned bound_port = info ? info->port : dest.port;
  snprintf(bound, bound_len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", dest.host, bound_port);
  *out = http;
  return 0;
}

void serve_http_stop(struct serve_http *http)
{
  if (!http)
    return;
  MHD_stop_daemon(http->daemon);
  free(http);
}
