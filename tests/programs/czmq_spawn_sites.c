/* Actors spawned from one place through different call chains, interleaved on one thread: the
 * tracer finds a spawn chain seen before on the stack instead of unwinding, and must still tell
 * the chains apart. One task (so one actor name) for all; each round spawns, in this order:
 *   main -> spawn_here
 *   main -> spawn_nested -> spawn_here (the same first frame as the first)
 *   main -> spawn_vla -> spawn_here, spawn_vla's frame of a different size each time (a
 *   variable-length array)
 * so actor #N came through chain (N - 1) % 3. argv[1]: rounds (default 20). Exit status 0. */
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

void spawned_task(zsock_t *pipe, void *args)
{
  (void)args;
  zsock_signal(pipe, 0);
  char *message = zstr_recv(pipe); /* $TERM from zactor_destroy */
  free(message);
}

/* The calls are followed by an empty asm so that none is a tail call (which drops a frame). */
__attribute__((noinline)) zactor_t *spawn_here(void)
{
  zactor_t *actor = zactor_new(spawned_task, NULL);
  __asm__ volatile("" ::: "memory");
  return actor;
}

__attribute__((noinline)) zactor_t *spawn_nested(void)
{
  zactor_t *actor = spawn_here();
  __asm__ volatile("" ::: "memory");
  return actor;
}

__attribute__((noinline)) zactor_t *spawn_vla(int words)
{
  volatile char pad[words * 64];
  pad[0] = 1;
  zactor_t *actor = spawn_here();
  __asm__ volatile("" ::: "memory");
  return pad[0] ? actor : NULL;
}

int main(int argc, char **argv)
{
  int rounds = argc > 1 ? atoi(argv[1]) : 20;
  for (int i = 0; i < rounds; i++) {
    zactor_t *actors[3] = {spawn_here(), spawn_nested(), spawn_vla(1 + i % 7)};
    for (int k = 0; k < 3; k++)
      zactor_destroy(&actors[k]);
  }
  puts("spawned");
  return 0;
}
