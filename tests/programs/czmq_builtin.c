/* CZMQ's own actors: zproxy (with one message through it), zbeacon on loopback, zgossip,
 * zmonitor and zauth, all destroyed before exit. Exit status 0. */
#include <czmq.h>
#include <unistd.h>
#include <stdlib.h>

int main(void)
{
  /* CZMQ logs to stdout, and under load a zbeacon thread's log can reach it even after
   * zsys_set_logstream(stderr) (a CZMQ race): this program's report goes to the real stdout,
   * and CZMQ's stdout to stderr. */
  FILE *report = fdopen(dup(1), "w");
  dup2(2, 1);
  zsys_set_logstream(stderr);
  zsys_set_ipv6(0);
  zactor_t *proxy = zactor_new(zproxy, NULL);
  zstr_sendx(proxy, "FRONTEND", "PULL", "inproc://as-front", NULL);
  zsock_wait(proxy);
  zstr_sendx(proxy, "BACKEND", "PUSH", "inproc://as-back", NULL);
  zsock_wait(proxy);
  zsock_t *push = zsock_new_push(">inproc://as-front");
  zsock_t *pull = zsock_new_pull(">inproc://as-back");
  zstr_send(push, "through the proxy");
  char *got = zstr_recv(pull);
  fprintf(report, "proxy: %s\n", got ? got : "(nothing)");
  zstr_free(&got);

  zsys_set_interface("lo");
  zactor_t *beacon = zactor_new(zbeacon, NULL);
  zsock_send(beacon, "si", "CONFIGURE", 31000 + (int)(getpid() % 1700));
  char *host = zstr_recv(beacon);
  fprintf(report, "beacon: %s\n", host && *host ? "configured" : "no interface");
  zstr_free(&host);

  zactor_t *gossip = zactor_new(zgossip, "gossip");
  zactor_t *monitor = zactor_new(zmonitor, push);
  zstr_sendx(monitor, "LISTEN", "ALL", NULL);
  zstr_send(monitor, "START");
  zsock_wait(monitor);
  zactor_t *auth = zactor_new(zauth, NULL);
  zstr_sendx(auth, "ALLOW", "127.0.0.1", NULL);
  zsock_wait(auth);

  zactor_destroy(&auth);
  zactor_destroy(&monitor);
  zactor_destroy(&gossip);
  zactor_destroy(&beacon);
  zsock_destroy(&pull);
  zsock_destroy(&push);
  zactor_destroy(&proxy);
  fclose(report);
  return 0;
}
