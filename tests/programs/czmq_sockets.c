/* A server actor doing most of its work on sockets other than its pipe (issue 10.4): it
 * answers 5 requests on a ROUTER socket and 4 messages on a side pipe (zsys_create_pipe outside
 * zactor_new), all from one zpoller. Then "MUTE" takes the side pipe out of its poller and the
 * main thread sends 3 more messages that stay in the side pipe. A second actor, "reader",
 * reads 3 items from a PULL socket in a plain loop (no poller), then waits on its pipe. Prints
 * what the main thread got back; exit status 0 when all of it came. */
#include <czmq.h>

#define REQUESTS 5
#define SIDE_MESSAGES 4
#define LEFT_IN_SIDE_PIPE 3

static void server(zsock_t *pipe, void *args)
{
  zsock_t *side = args;
  zsock_t *router = zsock_new_router("inproc://czmq-sockets-router");
  zpoller_t *poller = zpoller_new(pipe, router, side, NULL);
  zsock_signal(pipe, 0);
  for (;;) {
    zsock_t *which = zpoller_wait(poller, -1);
    if (which == router) {
      zmsg_t *msg = zmsg_recv(router);
      zframe_t *identity = zmsg_pop(msg);
      zmsg_destroy(&msg);
      zframe_send(&identity, router, ZFRAME_MORE);
      zstr_send(router, "REP");
    } else if (which == side) {
      char *data = zstr_recv(side);
      zstr_free(&data);
      zstr_send(side, "OK");
    } else if (which == pipe) {
      char *cmd = zstr_recv(pipe);
      int term = !cmd || streq(cmd, "$TERM");
      if (cmd && streq(cmd, "MUTE")) {
        zpoller_remove(poller, side);
        zstr_send(pipe, "MUTED");
      }
      zstr_free(&cmd);
      if (term)
        break;
    } else {
      break;
    }
  }
  zpoller_destroy(&poller);
  zsock_destroy(&router);
}

#define ITEMS 3

static void reader(zsock_t *pipe, void *args)
{
  zsock_t *pull = zsock_new_pull("@inproc://czmq-sockets-pull");
  zsock_signal(pipe, 0);
  for (int i = 0; i < ITEMS; i++) {
    char *item = zstr_recv(pull);
    zstr_free(&item);
  }
  for (;;) {
    char *cmd = zstr_recv(pipe);
    int term = !cmd || streq(cmd, "$TERM");
    zstr_free(&cmd);
    if (term)
      break;
  }
  zsock_destroy(&pull);
}

int main(void)
{
  zsock_t *side_back = NULL;
  zsock_t *side_front = zsys_create_pipe(&side_back);
  zactor_t *actor = zactor_new(server, side_back);
  zsock_t *dealer = zsock_new_dealer("inproc://czmq-sockets-router");
  int replies = 0, oks = 0;
  for (int i = 0; i < REQUESTS; i++) {
    zstr_send(dealer, "REQ");
    char *reply = zstr_recv(dealer);
    replies += reply && streq(reply, "REP");
    zstr_free(&reply);
  }
  for (int i = 0; i < SIDE_MESSAGES; i++) {
    zstr_send(side_front, "DATA");
    char *ok = zstr_recv(side_front);
    oks += ok && streq(ok, "OK");
    zstr_free(&ok);
  }
  zstr_send(actor, "MUTE");
  char *muted = zstr_recv(actor);
  int mute_ok = muted && streq(muted, "MUTED");
  zstr_free(&muted);
  for (int i = 0; i < LEFT_IN_SIDE_PIPE; i++)
    zstr_send(side_front, "DATA");
  zactor_destroy(&actor);
  zactor_t *items = zactor_new(reader, NULL);
  zsock_t *push = zsock_new_push(">inproc://czmq-sockets-pull");
  for (int i = 0; i < ITEMS; i++)
    zstr_send(push, "ITEM");
  zactor_destroy(&items);
  zsock_destroy(&push);
  zsock_destroy(&dealer);
  zsock_destroy(&side_front);
  zsock_destroy(&side_back);
  printf("replies=%d oks=%d muted=%d\n", replies, oks, mute_ok);
  return replies == REQUESTS && oks == SIDE_MESSAGES && mute_ok ? 0 : 1;
}
