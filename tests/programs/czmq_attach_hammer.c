/* A CZMQ program whose every thread hammers malloc and the loader while an actor answers
 * pings: attaching to it must succeed or be refused, never hang it or the tool.
 *
 *   czmq_attach_hammer SECONDS THREADS
 * Prints how many pongs came back and that every hammering thread finished. */
#include <czmq.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_int stop;

static void echo_actor(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  for (;;) {
    char *cmd = zstr_recv(pipe);
    if (!cmd || streq(cmd, "$TERM")) {
      free(cmd);
      break;
    }
    /* The actor's thread hammers too, between messages. */
    for (int i = 0; i < 64; i++)
      free(malloc((size_t)(i * 37 % 4096) + 1));
    zstr_send(pipe, "PONG");
    free(cmd);
  }
}

static void *hammer(void *arg)
{
  unsigned seed = (unsigned)(uintptr_t)arg;
  void *held[64] = {0};
  for (long n = 0; !atomic_load(&stop); n++) {
    int k = (int)(rand_r(&seed) % 64);
    free(held[k]);
    held[k] = malloc((size_t)(rand_r(&seed) % 65536) + 1);
    if (n % 200 == 0) {
      /* Loaded and unloaded again: objects come and go under the tracer's walks. */
      void *lib = dlopen(n % 400 ? "libz.so.1" : "libbz2.so.1.0", RTLD_NOW | RTLD_LOCAL);
      if (lib)
        dlclose(lib);
    }
  }
  for (int k = 0; k < 64; k++)
    free(held[k]);
  return NULL;
}

int main(int argc, char **argv)
{
  int seconds = argc > 1 ? atoi(argv[1]) : 3, threads = argc > 2 ? atoi(argv[2]) : 4;
  pthread_t tids[64];
  if (threads > 64)
    threads = 64;
  for (int i = 0; i < threads; i++)
    pthread_create(&tids[i], NULL, hammer, (void *)(uintptr_t)(i + 1));
  zactor_t *echo = zactor_new(echo_actor, NULL);
  fprintf(stderr, "ready\n");
  int pongs = 0, pings = 0;
  int64_t end = zclock_mono() + seconds * 1000;
  while (zclock_mono() < end) {
    zstr_send(echo, "PING");
    pings++;
    char *pong = zstr_recv(echo);
    pongs += pong != NULL;
    free(pong);
    zclock_sleep(1);
  }
  zactor_destroy(&echo);
  atomic_store(&stop, 1);
  for (int i = 0; i < threads; i++)
    pthread_join(tids[i], NULL);
  printf("all_pongs=%d threads_done=%d\n", pongs == pings, threads);
  return 0;
}
