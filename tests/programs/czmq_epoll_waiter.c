/* A program with libczmq loaded (so attach takes it) whose one idle thread waits in epoll_wait
 * outside any runtime's code, the thread attach borrows; it says on stderr every return of that
 * wait that is not an interruption ("BROKEN ..."): an attach must never let the thread run on in
 * the program's code with the injected call's result. Says "ready", ends when a file "stop"
 * appears in its directory, exit status 0. When a file "fork" appears, it forks once, as a
 * daemon forks a worker: the child runs an actor for 20 round trips and exits 0, and the parent
 * says "child PID done" once it has waited for it. With argument "alarms", the waiting thread
 * takes a SIGALRM every 200 us (the others block it), so signals come while attach borrows it.
 *
 *   czmq_epoll_waiter [alarms] */
#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/wait.h>
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

static void on_alarm(int signal) { (void)signal; }

static void echo_actor(zsock_t *pipe, void *args)
{
  (void)args;
  zsock_signal(pipe, 0);
  char *message;
  while ((message = zstr_recv(pipe)) && strcmp(message, "$TERM") != 0) {
    zstr_send(pipe, message);
    zstr_free(&message);
  }
  zstr_free(&message);
}

static void work_in_a_child(void)
{
  pid_t child = fork();
  if (child == 0) {
    zactor_t *echo = zactor_new(echo_actor, NULL);
    for (int i = 0; i < 20; i++) {
      zstr_send(echo, "PING");
      char *reply = zstr_recv(echo);
      zstr_free(&reply);
    }
    zactor_destroy(&echo);
    _exit(0);
  }
  int status = -1;
  waitpid(child, &status, 0);
  fprintf(stderr, "child %d done, status %d\n", (int)child, status);
}

int main(int argc, char **argv)
{
  int alarms = argc > 1 && strcmp(argv[1], "alarms") == 0;
  struct sigaction action = {.sa_handler = on_alarm};
  if (alarms)
    sigaction(SIGALRM, &action, NULL);
  /* A call into libczmq: the library is loaded, as in any CZMQ program. */
  if (zclock_mono() < 0)
    return 1;
  pthread_t thread;
  if (pthread_create(&thread, NULL, wait_forever, NULL) != 0)
    return 1;
  if (alarms) {
    sigset_t only_alarm;
    sigemptyset(&only_alarm);
    sigaddset(&only_alarm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &only_alarm, NULL);
    struct itimerval every = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &every, NULL);
  }
  fprintf(stderr, "ready\n");
  int forked = 0;
  while (access("stop", F_OK) != 0) {
    if (!forked && access("fork", F_OK) == 0) {
      forked = 1;
      work_in_a_child();
    }
    usleep(20000);
  }
  return 0;
}
