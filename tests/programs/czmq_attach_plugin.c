/* A plugin for czmq_attach_reload: built with lazy binding and without RELRO, so that its calls
 * into CZMQ go through PLT slots the loader binds at the first call when loaded RTLD_LAZY. */
#include "czmq_serve.h"

#include <czmq.h>

static void plugin_echo(zsock_t *pipe, void *args) { czmq_serve(pipe, NULL); }

/* One actor, one round trip: 1 when the echo came back. */
__attribute__((visibility("default"))) int plugin_run(void)
{
  zactor_t *actor = zactor_new(plugin_echo, NULL);
  zstr_send(actor, "ping");
  char *reply = zstr_recv(actor);
  int ok = reply && streq(reply, "ping");
  zstr_free(&reply);
  zactor_destroy(&actor);
  return ok;
}
