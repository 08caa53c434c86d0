/* A CZMQ program that ends while a detach writes its last line: at the tracer's pause point
 * "detaching" (the control thread, as a detach begins) it wakes the main thread, which returns
 * from main at once, and holds the control thread 300 ms. Exit status 0. */
#include "czmq_serve.h"

#include <czmq.h>
#include <poll.h>
#include <unistd.h>

static int wake[2];

__attribute__((visibility("default"))) void actorscope_test_pause(const char *where)
{
  if (streq(where, "detaching")) {
    (void)!write(wake[1], "x", 1);
    usleep(300000);
  }
}

static void echo(zsock_t *pipe, void *args) { czmq_serve(pipe, NULL); }

int main(void)
{
  if (pipe(wake) < 0)
    return 1;
  zactor_t *actor = zactor_new(echo, NULL);
  zstr_send(actor, "ping");
  zstr_free(&(char *){zstr_recv(actor)});
  fprintf(stderr, "ready\n");
  struct pollfd woken = {wake[0], POLLIN, 0};
  (void)poll(&woken, 1, 20000);
  zactor_destroy(&actor);
  return 0;
}
