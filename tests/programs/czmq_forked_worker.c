/* A daemon-like parent that starts no actor itself: it forks, and the child runs one actor for
 * a round trip. By default the child then exits 0 and the parent, having waited for it, exits
 * 5. With argv[1] = "stay" the child stays (up to 20 s, until a signal) once its first snapshot
 * line is in actorscope.PID.jsonl, and the parent exits 5 without waiting: a daemon that
 * outlives `actorscope run`. Either way the parent prints "worker PID". */
#include "czmq_serve.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void forked_worker(zsock_t *pipe, void *args) { czmq_serve(pipe, "DONE"); }

/* Whether the default snapshot file of this process holds a snapshot line (header + 1). */
static int has_snapshot(void)
{
  char path[64];
  snprintf(path, sizeof path, "actorscope.%ld.jsonl", (long)getpid());
  FILE *f = fopen(path, "r");
  int lines = 0;
  for (int c; f && (c = fgetc(f)) != EOF;)
    lines += c == '\n';
  if (f)
    fclose(f);
  return lines >= 2;
}

int main(int argc, char **argv)
{
  int stay = argc > 1 && strcmp(argv[1], "stay") == 0;
  int ready[2];
  if (pipe(ready) < 0)
    return 2;
  pid_t pid = fork();
  if (pid < 0)
    return 2;
  if (pid == 0) {
    zactor_t *actor = zactor_new(forked_worker, NULL);
    zstr_send(actor, "WORK");
    char *reply = zstr_recv(actor);
    zstr_free(&reply);
    if (stay) {
      for (int tick = 0; tick < 1000 && !has_snapshot(); tick++)
        usleep(10000);
      if (write(ready[1], "r", 1) < 0)
        exit(2);
      sleep(20);
    }
    zactor_destroy(&actor);
    exit(0);
  }
  char byte;
  int status;
  if (stay)
    while (read(ready[0], &byte, 1) < 0 && errno == EINTR)
      ;
  else
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
  printf("worker %ld\n", (long)pid);
  return 5;
}
