/* Every public CZMQ send and receive API, in both directions, once each. The actor knows the
 * script, so each step uses the matching receive call. Exit status 0. */
#include <czmq.h>
#include <errno.h>

static void scripted(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  char *s = NULL, *a = NULL, *b = NULL;
  int number = 0;
  byte octet = 0;

  s = zstr_recv(pipe); /* 1: zstr_send */
  zstr_send(pipe, "R1");
  zstr_free(&s);

  zstr_recvx(pipe, &s, &a, &b, NULL); /* 2: zstr_sendx */
  zstr_sendx(pipe, "R2", "y", NULL);
  zstr_free(&s), zstr_free(&a), zstr_free(&b);

  zmsg_t *msg = zmsg_recv(pipe); /* 3: zmsg_send */
  zmsg_destroy(&msg);
  msg = zmsg_new();
  zmsg_addstr(msg, "R3");
  zmsg_send(&msg, pipe);

  zframe_t *frame = zframe_recv(pipe); /* 4: zframe_send */
  zframe_destroy(&frame);
  frame = zframe_new("R4", 2);
  zframe_send(&frame, pipe, 0);

  zsock_recv(pipe, "si", &s, &number); /* 5: zsock_send */
  zstr_free(&s);
  zsock_send(pipe, "s", "R5");

  zsock_brecv(pipe, "1", &octet); /* 6: zsock_bsend */
  zsock_bsend(pipe, "1", (byte)9);

  zsock_wait(pipe); /* 7: zsock_signal */
  zsock_signal(pipe, 0);

  msg = zmsg_recv(pipe); /* 8: zactor_send */
  zmsg_destroy(&msg);
  msg = zmsg_new();
  zmsg_addstr(msg, "R8");
  zmsg_send(&msg, pipe);

  msg = zmsg_recv(pipe); /* 9: zstr_sendm + zstr_send */
  zmsg_destroy(&msg);
  zstr_sendm(pipe, "R9");
  zstr_send(pipe, "end");

  s = zstr_recv(pipe); /* 10: zstr_sendf */
  zstr_free(&s);
  zstr_sendf(pipe, "R%d", 10);

  s = zstr_recv(pipe); /* $TERM */
  zstr_free(&s);
}

int main(void)
{
  zactor_t *actor = zactor_new(scripted, NULL);
  char *s = NULL, *y = NULL;
  int replies = 0;

  /* errno after a successful send and receive is libzmq's business: tracing must not change
   * it (the test compares this line traced and untraced). */
  errno = 4242;
  zstr_send(actor, "STR");
  int errno_after_send = errno;
  s = zstr_recv(actor), replies += s != NULL;
  printf("errno after send %d, after receive %d\n", errno_after_send, errno);
  zstr_free(&s);

  zstr_sendx(actor, "MULTI", "a", "b", NULL);
  zstr_recvx(actor, &s, &y, NULL), replies += s != NULL, zstr_free(&s), zstr_free(&y);

  zmsg_t *msg = zmsg_new();
  zmsg_addstr(msg, "MSG");
  zmsg_addstr(msg, "x");
  zmsg_send(&msg, actor);
  msg = zmsg_recv(actor), replies += msg != NULL, zmsg_destroy(&msg);

  zframe_t *frame = zframe_new("FRAME", 5);
  zframe_send(&frame, actor, 0);
  frame = zframe_recv(actor), replies += frame != NULL, zframe_destroy(&frame);

  zsock_send(actor, "si", "PICT", 42);
  zsock_recv(actor, "s", &s), replies += s != NULL, zstr_free(&s);

  byte octet = 0;
  zsock_bsend(actor, "1", (byte)7);
  replies += zsock_brecv(actor, "1", &octet) == 0;

  zsock_signal(actor, 5);
  replies += zsock_wait(actor) == 0;

  msg = zmsg_new();
  zmsg_addstr(msg, "ZACT");
  zactor_send(actor, &msg);
  msg = zactor_recv(actor), replies += msg != NULL, zmsg_destroy(&msg);

  zstr_sendm(actor, "PART");
  zstr_send(actor, "END");
  msg = zmsg_recv(actor), replies += msg != NULL, zmsg_destroy(&msg);

  zstr_sendf(actor, "FMT %d", 9);
  s = zstr_recv(actor), replies += s != NULL, zstr_free(&s);

  zactor_destroy(&actor);
  printf("replies=%d\n", replies);
  return 0;
}
