/* A program with libczmq loaded (so attach takes it) whose one idle thread waits in epoll_wait
 * outside any runtime's code, the thread attach borrows; it says on stderr every return of that
 * wait that is not an interruption ("BROKEN ..."): an attach must never let the thread run on in
 * the program's code with the injected call's result. Says "ready", ends when a file "stop"
 * appears in its directory, exit status 0. */
#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static void *wait_forever(void *arg)
{
  int ep = epoll_create1(0);
  struct epoll_event event;
  for (;;) {
    errno = 0;
    int n = epoll_wait(ep, &event, 1, -1);
    if (!(n == -1 && errno == EINTR))
      fprintf(stderr, "BROKEN epoll_wait returned %d (errno %d)\n", n, errno);
  }
  return arg;
}

int main(void)
{
  /* A call into libczmq: the library is loaded, as in any CZMQ program. */
  if (zclock_mono() < 0)
    return 1;
  pthread_t thread;
  if (pthread_create(&thread, NULL, wait_forever, NULL) != 0)
    return 1;
  fprintf(stderr, "ready\n");
  while (access("stop", F_OK) != 0)
    usleep(20000);
  return 0;
}
