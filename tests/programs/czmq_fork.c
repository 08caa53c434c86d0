/* The parent runs an actor, forks, and the child runs an actor of its own and exits 4.
 * With "early", the parent forks first and runs no actor at all (a daemon forking at
 * start-up). Exit status: the child's status plus 10 (14). */
#include "czmq_serve.h"

#include <czmq.h>
#include <string.h>
#include <sys/wait.h>

static void echo(zsock_t *pipe, void *args) { czmq_serve(pipe, NULL); }

static void round_trip(const char *word)
{
  zactor_t *actor = zactor_new(echo, NULL);
  zstr_send(actor, word);
  char *reply = zstr_recv(actor);
  printf("%s\n", reply ? reply : "(none)");
  zstr_free(&reply);
  zactor_destroy(&actor);
}

int main(int argc, char **argv)
{
  int early = argc > 1 && strcmp(argv[1], "early") == 0;
  if (!early)
    round_trip("PARENT");
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    round_trip("CHILD");
    exit(4);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  printf("child pid %d\n", (int)pid);
  return WEXITSTATUS(status) + 10;
}
