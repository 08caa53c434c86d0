/* Behaves like a daemon: closes stderr, so that its own log file takes descriptor 2, then
 * runs an actor. The log must hold only the program's own line. Exit status 0. */
#include "czmq_serve.h"

#include <czmq.h>
#include <fcntl.h>
#include <unistd.h>

static void daemon_worker(zsock_t *pipe, void *args) { czmq_serve(pipe, "OK"); }

int main(void)
{
  close(2);
  int log = open("daemon.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (log != 2)
    return 2;
  zactor_t *actor = zactor_new(daemon_worker, NULL);
  zstr_send(actor, "WORK");
  char *reply = zstr_recv(actor);
  zstr_free(&reply);
  zactor_destroy(&actor);
  dprintf(log, "daemon log line\n");
  return 0;
}
