/* GET /metrics over libmicrohttpd (serve_http.h). */
#define _GNU_SOURCE
#include "serve_http.h"
#include "utf8.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "destination.h"
#include "serve_auth.h"
#include "serve_deadline.h"
#include "metrics.h"

struct serve_http {
  struct MHD_Daemon *daemon;
  serve_http_render_fn render;
  void *ctx;
  struct serve_auth *auth;
  struct serve_deadlines *deadlines;
  char *tls_cert, *tls_key;
};

static enum MHD_Result serve_unauthorized(struct MHD_Connection *connection)
{
  static char text[] = "authentication required\n";
  struct MHD_Response *response =
      MHD_create_response_from_buffer(sizeof text - 1, text, MHD_RESPMEM_PERSISTENT);
  if (!response)
    return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
  enum MHD_Result rc = MHD_queue_basic_auth_fail_response(connection, "actorscope", response);
  MHD_destroy_response(response);
  return rc;
}

/* Whether the request carries credentials the --basic-auth file accepts. */
static int serve_authorized(struct serve_http *http, struct MHD_Connection *connection)
{
  if (!http->auth)
    return 1;
  char *password = NULL;
  char *user = MHD_basic_auth_get_username_password(connection, &password);
  int ok = serve_auth_check(http->auth, user, password);
  if (password) {
    explicit_bzero(password, strlen(password));
    MHD_free(password);
  }
  if (user)
    MHD_free(user);
  return ok;
}

static const char serve_index[] = "<!doctype html><title>actorscope serve</title>"
                                  "<p>actorscope serve: Prometheus metrics of traced actors at <a "
                                  "href=\"/metrics\">/metrics</a>.\n";

/* Whether an Accept header asks for OpenMetrics. */
static int serve_http_wants_openmetrics(const char *accept)
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

/* The exposition is UTF-8, as its Content-Type says: one ill-formed label value makes Prometheus
 * refuse the whole scrape ("invalid UTF-8 label value"), every process's series with it. The
 * reader's strings are mended already (format/utf8.h); a source's name is its socket's file name,
 * whatever bytes the directory holds. Returns BODY, or a new buffer (BODY freed), or NULL when
 * out of memory. */
static char *serve_utf8_mend(char *body, size_t *len)
{
  size_t bad = as_utf8_bad_count((const unsigned char *)body, *len);
  if (!bad)
    return body;
  char *mended = malloc(*len + 2 * bad + 1);
  if (!mended) {
    free(body);
    return NULL;
  }
  *len = as_utf8_mend((const unsigned char *)body, *len, mended);
  free(body);
  return mended;
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

static enum MHD_Result serve_request(void *cls, struct MHD_Connection *connection, const char *url,
                                     const char *method, const char *version,
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
  if (!serve_authorized(http, connection))
    return serve_unauthorized(connection);
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
    static char text[] = "only GET\n";
    return serve_reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", text, sizeof text - 1,
                       0);
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
  if (fclose(out) != 0 || !(body = serve_utf8_mend(body, &len))) {
    free(body);
    static char text[] = "out of memory\n";
    return serve_reply(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", text,
                       sizeof text - 1, 0);
  }
  return serve_reply(connection, MHD_HTTP_OK,
                     om ? METRICS_CONTENT_TYPE_OPENMETRICS : METRICS_CONTENT_TYPE_TEXT, body, len,
                     1);
}

static void serve_http_free(struct serve_http *http)
{
  serve_deadlines_stop(http->deadlines);
  serve_auth_free(http->auth);
  if (http->tls_key)
    explicit_bzero(http->tls_key, strlen(http->tls_key));
  free(http->tls_key);
  free(http->tls_cert);
  free(http);
}

/* What the options ask for besides the address: credentials, TLS, the deadlines. */
static int serve_http_prepare(struct serve_http *http, const struct serve_http_options *o,
                              char *why, size_t why_len)
{
  if (!o->tls_cert != !o->tls_key) {
    snprintf(why, why_len, "--tls-cert and --tls-key go together");
    return -1;
  }
  if (o->tls_cert &&
      (!(http->tls_cert = serve_read_private("--tls-cert", o->tls_cert, 0, why, why_len)) ||
       !(http->tls_key = serve_read_private("--tls-key", o->tls_key, 1, why, why_len))))
    return -1;
  if (o->tls_cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
    snprintf(why, why_len, "this libmicrohttpd has no TLS: use a reverse proxy (docs/serve.md)");
    return -1;
  }
  if (o->basic_auth && serve_auth_load(&http->auth, o->basic_auth, why, why_len) < 0)
    return -1;
  if (serve_deadlines_start(&http->deadlines) < 0) {
    snprintf(why, why_len, "out of resources");
    return -1;
  }
  return 0;
}

int serve_http_start(struct serve_http **out, const struct serve_http_options *o,
                     serve_http_render_fn render, void *ctx, char *bound, size_t bound_len,
                     char *why, size_t why_len)
{
  const char *listen = o->listen;
  char text[AS_DEST_HOST_MAX + 16], reason[256];
  struct as_dest dest;
  snprintf(text, sizeof text, "tcp:%s", listen);
  if (strlen(listen) > AS_DEST_HOST_MAX ||
      as_dest_parse(&dest, text, NULL, reason, sizeof reason) < 0) {
    snprintf(why, why_len, "--listen '%s': expected [HOST:]PORT (HOST in brackets for IPv6)",
             listen);
    return -1;
  }
  struct serve_http *http = calloc(1, sizeof *http);
  if (!http) {
    snprintf(why, why_len, "out of memory");
    return -1;
  }
  http->render = render;
  http->ctx = ctx;
  if (serve_http_prepare(http, o, why, why_len) < 0) {
    serve_http_free(http);
    return -1;
  }
  char port[8];
  snprintf(port, sizeof port, "%u", dest.port);
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai;
  int gai = getaddrinfo(dest.host, port, &hints, &ai);
  if (gai != 0) {
    snprintf(why, why_len, "--listen '%s': %s", listen, gai_strerror(gai));
    serve_http_free(http);
    return -1;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
  if (ai->ai_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  if (http->tls_cert)
    flags |= MHD_USE_TLS;
  /* A slow or stuck client cannot hold a connection for long (SERVE_REQUEST_MS whatever it
   * sends), nor many of them. */
  struct MHD_OptionItem tls[] = {
      {http->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, http->tls_cert},
      {http->tls_cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, http->tls_key},
      {MHD_OPTION_END, 0, NULL}};
  http->daemon = MHD_start_daemon(
      flags, (uint16_t)dest.port, NULL, NULL, serve_request, http, MHD_OPTION_SOCK_ADDR,
      ai->ai_addr, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(SERVE_REQUEST_MS / 1000),
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVE_HTTP_CONNECTIONS,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SERVE_HTTP_PER_ADDRESS,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_NOTIFY_CONNECTION,
      serve_deadlines_on_connection, http->deadlines, MHD_OPTION_NOTIFY_COMPLETED,
      serve_deadlines_on_completed, http->deadlines, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
  int family = ai->ai_family;
  freeaddrinfo(ai);
  if (!http->daemon) {
    snprintf(why, why_len,
             "cannot listen on %s (in use, not an address of this host, or a TLS "
             "certificate and key that do not go together?)",
             listen);
    serve_http_free(http);
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
  serve_http_free(http);
}
