/* Handlers that block the way real CZMQ code blocks, each once, for argv[2] ms, with no retry:
 *   nap    napper sleeps in zclock_sleep
 *   poll   poller waits in zpoller_wait on a PULL socket nobody sends to (it expires)
 *   recv   receiver waits in zstr_recv on a PULL socket with a receive timeout (NULL, EAGAIN)
 *   mutex  locker waits in pthread_mutex_lock for a mutex the main thread holds argv[2] ms
 *   spin   spinner runs on the CPU for argv[2] ms
 * Meanwhile a watcher actor waits in zpoller_wait with no timeout on its pipe, as a typical
 * actor loop does: it must not wake before it is told to end. Prints what each call returned
 * and how long it took, then "blocking done"; exits 0. */
#define _GNU_SOURCE
#include <czmq.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static int block_ms;
static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void napper(zsock_t *pipe, void *args)
{
  (void)args;
  zsock_signal(pipe, 0);
  char *cmd;
  while ((cmd = zstr_recv(pipe)) && !streq(cmd, "$TERM")) {
    int64_t start = now_ms();
    zclock_sleep(block_ms);
    printf("nap took %lld ms\n", (long long)(now_ms() - start));
    zstr_free(&cmd);
    zsock_signal(pipe, 0);
  }
  zstr_free(&cmd);
}

static void poller(zsock_t *pipe, void *args)
{
  (void)args;
  zsock_t *pull = zsock_new_pull("inproc://blocking-poll");
  zsock_signal(pipe, 0);
  char *cmd;
  while ((cmd = zstr_recv(pipe)) && !streq(cmd, "$TERM")) {
    zpoller_t *p = zpoller_new(pull, NULL);
    int64_t start = now_ms();
    void *which = zpoller_wait(p, block_ms);
    printf("poll took %lld ms: %s expired=%d terminated=%d\n", (long long)(now_ms() - start),
           which ? "ready" : "none", zpoller_expired(p), zpoller_terminated(p));
    zpoller_destroy(&p);
    zstr_free(&cmd);
    zsock_signal(pipe, 0);
  }
  zstr_free(&cmd);
  zsock_destroy(&pull);
}

static void receiver(zsock_t *pipe, void *args)
{
  (void)args;
  zsock_t *pull = zsock_new_pull("inproc://blocking-recv");
  zsock_set_rcvtimeo(pull, block_ms);
  zsock_signal(pipe, 0);
  char *cmd;
  while ((cmd = zstr_recv(pipe)) && !streq(cmd, "$TERM")) {
    int64_t start = now_ms();
    char *got = zstr_recv(pull);
    int err = errno;
    printf("recv took %lld ms: %s errno=%s\n", (long long)(now_ms() - start), got ? got : "NULL",
           err == EAGAIN ? "EAGAIN" : "other");
    zstr_free(&got);
    zstr_free(&cmd);
    zsock_signal(pipe, 0);
  }
  zstr_free(&cmd);
  zsock_destroy(&pull);
}

static void locker(zsock_t *pipe, void *args)
{
  (void)args;
  zsock_signal(pipe, 0);
  char *cmd;
  while ((cmd = zstr_recv(pipe)) && !streq(cmd, "$TERM")) {
    int64_t start = now_ms();
    int rc = pthread_mutex_lock(&shared);
    printf("mutex took %lld ms: rc=%d\n", (long long)(now_ms() - start), rc);
    pthread_mutex_unlock(&shared);
    zstr_free(&cmd);
    zsock_signal(pipe, 0);
  }
  zstr_free(&cmd);
}

static void spinner(zsock_t *pipe, void *args)
{
  (void)args;
  zsock_signal(pipe, 0);
  char *cmd;
  while ((cmd = zstr_recv(pipe)) && !streq(cmd, "$TERM")) {
    int64_t start = now_ms();
    volatile uint64_t sum = 0;
    while (now_ms() - start < block_ms)
      for (int i = 0; i < 10000; i++)
        sum += (uint64_t)i;
    printf("spin took %lld ms\n", (long long)(now_ms() - start));
    zstr_free(&cmd);
    zsock_signal(pipe, 0);
  }
  zstr_free(&cmd);
}

/* A typical actor loop: it ends when zpoller_wait says the context is being terminated, or on
 * $TERM. An early end shows as woke_early. */
static void watcher(zsock_t *pipe, void *args)
{
  (void)args;
  zpoller_t *p = zpoller_new(pipe, NULL);
  zsock_signal(pipe, 0);
  for (;;) {
    void *which = zpoller_wait(p, -1);
    if (!which) {
      printf("watcher woke early: terminated=%d\n", zpoller_terminated(p));
      break;
    }
    char *cmd = zstr_recv(pipe);
    int term = cmd && streq(cmd, "$TERM");
    zstr_free(&cmd);
    if (term)
      break;
  }
  zpoller_destroy(&p);
}

int main(int argc, char **argv)
{
  const char *scenario = argc > 1 ? argv[1] : "nap";
  block_ms = argc > 2 ? atoi(argv[2]) : 1500;
  setvbuf(stdout, NULL, _IONBF, 0);
  zactor_fn *task = streq(scenario, "poll")    ? poller
                    : streq(scenario, "recv")  ? receiver
                    : streq(scenario, "mutex") ? locker
                    : streq(scenario, "spin")  ? spinner
                                               : napper;
  zactor_t *watch = zactor_new(watcher, NULL);
  zactor_t *actor = zactor_new(task, NULL);
  if (task == locker)
    pthread_mutex_lock(&shared);
  zstr_send(actor, "GO");
  if (task == locker) {
    zclock_sleep(block_ms);
    pthread_mutex_unlock(&shared);
  }
  zsock_wait(actor);
  zactor_destroy(&actor);
  zactor_destroy(&watch);
  puts("blocking done");
  return 0;
}
