/* Deadlines for the HTTP connections of actorscope serve. libmicrohttpd's idle timeout starts
 * again with every byte, so a client sending one byte every few seconds (slowloris) holds a
 * connection for ever; 200 of them took every connection and no scrape was answered. Here a
 * request has a deadline from the connection's accept (or from the end of its last response,
 * for a kept-alive connection): past it the connection is shut down, whatever it sends. */
#ifndef ACTORSCOPE_SERVE_DEADLINE_H
#define ACTORSCOPE_SERVE_DEADLINE_H

#include <microhttpd.h>

/* A request's deadline, and how often they are checked. */
#define SERVE_REQUEST_MS 5000
#define SERVE_DEADLINE_TICK_MS 250

struct serve_deadlines;

int serve_deadlines_start(struct serve_deadlines **out);
void serve_deadlines_stop(struct serve_deadlines *d);

/* For MHD_OPTION_NOTIFY_CONNECTION and MHD_OPTION_NOTIFY_COMPLETED, with D as closure. */
void serve_deadlines_on_connection(void *d, struct MHD_Connection *connection,
                                   void **socket_context, enum MHD_ConnectionNotificationCode code);
void serve_deadlines_on_completed(void *d, struct MHD_Connection *connection, void **request,
                                  enum MHD_RequestTerminationCode code);

#endif
