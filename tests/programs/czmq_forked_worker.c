/* A daemon-like parent that starts no actor itself: it forks, the child runs one actor for a
 * round trip and exits 0, the parent waits for it and exits 5. Traced, only the child writes
 * snapshots, into a file named after its own pid. */
#include "czmq_serve.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void forked_worker(zsock_t *pipe, void *args)
{
  czmq_serve(pipe, "DONE");
}

int main(void)
{
  pid_t pid = fork();
  if (pid < 0)
    return 2;
  if (pid == 0) {
    zactor_t *actor = zactor_new(forked_worker, NULL);
    zstr_send(actor, "WORK");
    char *reply = zstr_recv(actor);
    zstr_free(&reply);
    zactor_destroy(&actor);
    exit(0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  printf("worker %ld\n", (long)pid);
  return 5;
}
