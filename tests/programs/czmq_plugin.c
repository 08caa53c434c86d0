/* A plugin, loaded with dlopen(RTLD_LOCAL) by plugin_host, that runs CZMQ actors: its libczmq
 * is not in the global scope, so the tracer must find the real functions another way. */
#include "czmq_serve.h"

#include <czmq.h>

static void plugin_actor(zsock_t *pipe, void *args) { czmq_serve(pipe, "ACK"); }

int plugin_run(int messages)
{
  zactor_t *actor = zactor_new(plugin_actor, NULL);
  int acks = 0;
  for (int i = 0; i < messages; i++) {
    zstr_send(actor, "JOB");
    char *r = zstr_recv(actor);
    acks += r != NULL;
    zstr_free(&r);
  }
  zactor_destroy(&actor);
  return acks;
}
