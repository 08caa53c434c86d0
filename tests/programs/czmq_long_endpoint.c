/* An actor reads 3 items from a PULL socket bound to an inproc endpoint of N bytes (argv[1],
 * default 2,000,000: names made from data, say a path or a key, grow without a bound), pushed to
 * it by the main thread. Prints "items=3"; exit status 0 when all came. */
#include <czmq.h>

static void reader(zsock_t *pipe, void *endpoint)
{
  zsock_t *pull = zsock_new(ZMQ_PULL);
  int bound = zsock_bind(pull, "%s", (const char *)endpoint) == 0;
  zsock_signal(pipe, 0);
  int items = 0;
  for (; bound && items < 3; items++) {
    char *item = zstr_recv(pull);
    if (!item)
      break;
    zstr_free(&item);
  }
  zsock_send(pipe, "i", items);
  char *term = zstr_recv(pipe);
  zstr_free(&term);
  zsock_destroy(&pull);
}

int main(int argc, char **argv)
{
  size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
  char *endpoint = malloc(n + 1);
  if (!endpoint || n < 16)
    return 2;
  memcpy(endpoint, "inproc://", 9);
  memset(endpoint + 9, 'e', n - 9);
  endpoint[n] = '\0';
  zactor_t *actor = zactor_new(reader, endpoint);
  zsock_t *push = zsock_new(ZMQ_PUSH);
  zsock_connect(push, "%s", endpoint);
  for (int i = 0; i < 3; i++)
    zstr_send(push, "ITEM");
  int items = 0;
  zsock_recv(actor, "i", &items);
  printf("items=%d\n", items);
  zactor_destroy(&actor);
  zsock_destroy(&push);
  free(endpoint);
  return items == 3 ? 0 : 1;
}
