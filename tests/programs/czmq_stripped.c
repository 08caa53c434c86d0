/* A CZMQ program stripped of its symbol table (linked -s) whose actor task is a static
 * function: the task has no symbol anywhere, but the exported function that spawned it
 * (start_worker, in .dynsym through -rdynamic) names it "<task in start_worker>". */
#include "czmq_serve.h"

#include <czmq.h>

static void hidden_task(zsock_t *pipe, void *args) { czmq_serve(pipe, "ACK"); }

__attribute__((noinline, visibility("default"))) zactor_t *start_worker(void)
{
  zactor_t *actor = zactor_new(hidden_task, NULL);
  __asm__ volatile(""); /* keep the call a call, not a tail jump */
  return actor;
}

int main(void)
{
  zactor_t *actor = start_worker();
  int acks = 0;
  for (int i = 0; i < 3; i++) {
    zstr_send(actor, "JOB");
    char *reply = zstr_recv(actor);
    acks += reply != NULL;
    zstr_free(&reply);
  }
  zactor_destroy(&actor);
  printf("acks=%d\n", acks);
  return 0;
}
