/* Request deadlines of actorscope serve's HTTP connections (serve_deadline.h). */
#define _GNU_SOURCE
#include "serve_deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "serve_hub.h"

struct deadline_conn {
  int fd;
  int64_t since_ms; /* accepted, or its last response sent */
  int cut;
  struct deadline_conn *prev, *next;
};

struct serve_deadlines {
  pthread_mutex_t lock;
  struct deadline_conn head; /* a ring; head itself is no connection */
  pthread_t thread;
  atomic_int stop;
};

static void *deadlines_main(void *arg)
{
  struct serve_deadlines *d = arg;
  while (!atomic_load(&d->stop)) {
    struct timespec tick = {0, SERVE_DEADLINE_TICK_MS * 1000000L};
    while (nanosleep(&tick, &tick) != 0 && errno == EINTR)
      ;
    int64_t now = serve_now_ms();
    pthread_mutex_lock(&d->lock);
    /* Shut down, not closed: the descriptor stays libmicrohttpd's, which sees the end and
     * closes it (and tells us, under this lock, before the number can be reused). */
    for (struct deadline_conn *c = d->head.next; c != &d->head; c = c->next)
      if (!c->cut && now - c->since_ms > SERVE_REQUEST_MS) {
        shutdown(c->fd, SHUT_RDWR);
        c->cut = 1;
      }
    pthread_mutex_unlock(&d->lock);
  }
  return NULL;
}

int serve_deadlines_start(struct serve_deadlines **out)
{
  struct serve_deadlines *d = calloc(1, sizeof *d);
  if (!d)
    return -1;
  pthread_mutex_init(&d->lock, NULL);
  d->head.next = d->head.prev = &d->head;
  if (pthread_create(&d->thread, NULL, deadlines_main, d) != 0) {
    free(d);
    return -1;
  }
  *out = d;
  return 0;
}

void serve_deadlines_stop(struct serve_deadlines *d)
{
  if (!d)
    return;
  atomic_store(&d->stop, 1);
  pthread_join(d->thread, NULL);
  for (struct deadline_conn *c = d->head.next, *next; c != &d->head; c = next) {
    next = c->next;
    free(c);
  }
  pthread_mutex_destroy(&d->lock);
  free(d);
}

void serve_deadlines_on_connection(void *arg, struct MHD_Connection *connection,
                                   void **socket_context, enum MHD_ConnectionNotificationCode code)
{
  struct serve_deadlines *d = arg;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct deadline_conn *c = info ? calloc(1, sizeof *c) : NULL;
    if (!c)
      return; /* untracked: libmicrohttpd's own timeout still applies */
    c->fd = info->connect_fd;
    c->since_ms = serve_now_ms();
    pthread_mutex_lock(&d->lock);
    c->next = d->head.next;
    c->prev = &d->head;
    d->head.next->prev = c;
    d->head.next = c;
    pthread_mutex_unlock(&d->lock);
    *socket_context = c;
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
    struct deadline_conn *c = *socket_context;
    pthread_mutex_lock(&d->lock);
    c->prev->next = c->next;
    c->next->prev = c->prev;
    pthread_mutex_unlock(&d->lock);
    free(c);
    *socket_context = NULL;
  }
}

void serve_deadlines_on_completed(void *arg, struct MHD_Connection *connection, void **request,
                                  enum MHD_RequestTerminationCode code)
{
  struct serve_deadlines *d = arg;
  (void)request;
  if (code != MHD_REQUEST_TERMINATED_COMPLETED_OK)
    return;
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  if (!info || !info->socket_context)
    return;
  struct deadline_conn *c = info->socket_context;
  /* A kept-alive connection: the next request has a deadline of its own. */
  pthread_mutex_lock(&d->lock);
  c->since_ms = serve_now_ms();
  pthread_mutex_unlock(&d->lock);
}
