/* Runs two actors through a few round trips, then ends as argv[1] says:
 *   term | int | hup | quit | usr1 | alrm
 *                      the process sends itself that signal (default disposition)
 *   pipe               it writes to a pipe whose reading end it closed (SIGPIPE, as
 *                      `prog | head` meets it)
 *   setters            it sets handlers with every other way libc has (sigset, ssignal,
 *                      __sysv_signal: a strict ISO C program's signal(), __sigaction); each
 *                      must return the default (exit 3 if not), each handler runs when
 *                      raised; prints "setters ok" and exits 0
 *   segv | abort       it crashes
 *   dfl                CZMQ installs its SIGINT/SIGTERM handlers (zsys_init, as in any CZMQ
 *                      program); the program sets SIGTERM back to SIG_DFL with signal(),
 *                      checks that asking shows exactly that (else exits 3), then sends
 *                      itself SIGTERM
 *   own                it installs its own SIGTERM handler first (after asking what is
 *                      installed), then sends itself SIGTERM: the handler prints and exits 7
 *   exec PROGRAM ARG…  it execs PROGRAM (same pid)
 *   kill9              it sleeps until killed (the test kills it with SIGKILL)
 *   paced              the same, its round trips spread over 300 ms
 *   crash4             four threads crash (SIGSEGV) at the same instant
 *   selfsegv           it sends itself SIGSEGV dressed as a fault (as crash reporters re-raise)
 *   execfail           an exec that fails, then more work, then exit 6
 *   closefds           it closes every regular file it did not open (closefrom-style), opens
 *                      mine.txt (which gets a freed number), writes a line, works on, exits 0
 *   fork               it forks, and SIGTERM comes to the forking thread while fork's handlers
 *                      hold their locks (a daemon told to stop as it forks a child): traced, at
 *                      the tracer's own handler's end (its test pause point "fork_prepared");
 *                      untraced, from a prepare handler of the program's. The parent dies in
 *                      fork(); a child, if cloned, exits 0 at once
 *   fork-exit          the same, but there it calls _exit(5) (as a handler of the program's
 *                      would): the parent exits 5 in fork()
 *   exit-signalled     it calls _exit(3), and SIGTERM comes to the process while the tracer's
 *                      _exit is at work (its test pause point "exit_claimed"); untraced, _exit
 *                      has ended the process before such a signal: it exits 3
 *   exit3-signalled    the same with exit(3), its actors destroyed first
 *   quick-handlers     its at_quick_exit handler raises SIGUSR1, whose handler prints "usr1",
 *                      then it calls quick_exit(4): the handlers run as untraced
 *   cancelled-exit     a thread calls _exit(7) while main cancels that thread (pthread_cancel,
 *                      at the tracer's pause point "exit_claimed" when traced): _exit has no
 *                      cancellation point, the process exits 7
 * The actors are still running when the process ends, and the untraced run behaves the same. */
#define _GNU_SOURCE
#include "czmq_serve.h"

#include <czmq.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void ending_worker(zsock_t *pipe, void *args) { czmq_serve(pipe, "DONE"); }

static pthread_barrier_t ending_barrier;
static int *volatile ending_nowhere; /* NULL: writing through it is a fault */

static void *ending_crash(void *arg)
{
  (void)arg;
  pthread_barrier_wait(&ending_barrier);
  *ending_nowhere = 1;
  return NULL;
}

static void ending_work(zactor_t *a)
{
  zstr_send(a, "WORK");
  zstr_free(&(char *){zstr_recv(a)});
}

static void ending_on_term(int sig)
{
  (void)sig;
  static const char text[] = "handled\n";
  (void)!write(1, text, sizeof text - 1);
  _exit(7);
}

static volatile sig_atomic_t ending_handled[65];
static void ending_count(int sig) { ending_handled[sig]++; }

/* "fork", "fork-exit": what the forking thread does inside fork (raise SIGTERM, _exit(5)), at
 * the tracer's pause point when traced; "exit-signalled": SIGTERM at the tracer's _exit. */
static int ending_in_fork, ending_in_fork_exits, ending_signal_at_exit;
/* "held": the tracer's collector thread is held at its start for longer than exit waits for
 * it (as the kernel held it, creating a thread while the program's threads held the memory
 * map's lock). */
static int ending_hold_collector;
/* "cancelled-exit": the thread calling _exit, and main's cue to cancel it. */
static pthread_t ending_exiting;
static sem_t ending_cancel_now;

static void ending_prepare_ends(void)
{
  if (ending_in_fork_exits)
    _exit(5);
  raise(SIGTERM);
}

__attribute__((visibility("default"))) void actorscope_test_pause(const char *where)
{
  if (ending_hold_collector && strcmp(where, "collector_started") == 0)
    usleep(3000000);
  if (ending_in_fork && strcmp(where, "fork_prepared") == 0)
    ending_prepare_ends();
  if (ending_signal_at_exit && strcmp(where, "exit_claimed") == 0) {
    kill(getpid(), SIGTERM);
    usleep(20000); /* its handler runs on another thread meanwhile */
  }
  if (ending_exiting && strcmp(where, "exit_claimed") == 0) {
    sem_post(&ending_cancel_now);
    usleep(20000); /* a cancellation point, were cancellation on */
  }
}

static void ending_on_usr1(int sig)
{
  (void)sig;
  static const char text[] = "usr1\n";
  (void)!write(1, text, sizeof text - 1);
}

static void ending_at_quick_exit(void) { raise(SIGUSR1); }

static void *ending_exit_7(void *arg)
{
  (void)arg;
  _exit(7);
}

int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);
__sighandler_t __sysv_signal(int sig, __sighandler_t handler);

/* A setter that returns anything but the default for a deadly signal the program never set
 * would hand it the tracer's handler (a program may chain to what it got back). */
static void ending_setters(void)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  if (sigset(SIGUSR1, ending_count) != SIG_DFL || ssignal(SIGUSR2, ending_count) != SIG_DFL ||
      __sysv_signal(SIGALRM, ending_count) != SIG_DFL)
    _exit(3);
#pragma GCC diagnostic pop
  struct sigaction act = {.sa_handler = ending_count}, old;
  if (__sigaction(SIGPIPE, &act, &old) != 0 || old.sa_handler != SIG_DFL ||
      (old.sa_flags & SA_SIGINFO))
    _exit(3);
  const int raised[] = {SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE};
  for (int i = 0; i < 4; i++) {
    raise(raised[i]);
    if (ending_handled[raised[i]] != 1)
      _exit(4);
  }
}

int main(int argc, char **argv)
{
  if (argc < 2)
    return 2;
  /* No core files in the test's directory; the terminating signal is what is compared. */
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  /* CZMQ would otherwise catch SIGINT and SIGTERM itself. */
  int restore = strcmp(argv[1], "dfl") == 0;
  if (!restore)
    zsys_handler_set(NULL);
  ending_hold_collector = strcmp(argv[1], "held") == 0;
  zactor_t *a = zactor_new(ending_worker, NULL), *b = zactor_new(ending_worker, NULL);
  /* "paced": the round trips spread over 300 ms, so that snapshots see them one by one. */
  int paced = strcmp(argv[1], "paced") == 0;
  for (int i = 0; i < 5; i++) {
    zstr_send(a, "WORK");
    zstr_free(&(char *){zstr_recv(a)});
    if (paced)
      zclock_sleep(30);
    zstr_send(b, "WORK");
    zstr_free(&(char *){zstr_recv(b)});
    if (paced)
      zclock_sleep(30);
  }
  printf("worked\n");
  fflush(stdout);
  const char *how = argv[1];
  if (strcmp(how, "term") == 0)
    kill(getpid(), SIGTERM);
  else if (strcmp(how, "int") == 0)
    kill(getpid(), SIGINT);
  else if (strcmp(how, "hup") == 0)
    kill(getpid(), SIGHUP);
  else if (strcmp(how, "quit") == 0)
    kill(getpid(), SIGQUIT);
  else if (strcmp(how, "usr1") == 0)
    kill(getpid(), SIGUSR1);
  else if (strcmp(how, "alrm") == 0)
    kill(getpid(), SIGALRM);
  else if (strcmp(how, "setters") == 0) {
    ending_setters();
    printf("setters ok\n");
    fflush(stdout);
    zactor_destroy(&a);
    zactor_destroy(&b);
    return 0;
  } else if (ending_hold_collector) {
    zactor_destroy(&a);
    zactor_destroy(&b);
    return 0;
  } else if (strcmp(how, "pipe") == 0) {
    int ends[2];
    if (pipe(ends) != 0)
      return 4;
    close(ends[0]);
    if (write(ends[1], "x", 1) < 0)
      return 5; /* only with SIGPIPE ignored or blocked */
  } else if (restore) {
    signal(SIGTERM, SIG_DFL);
    /* Asked, it is the default signal() set: SIG_DFL with its SA_RESTART (exit 3 if not). */
    struct sigaction now;
    sigaction(SIGTERM, NULL, &now);
    if (now.sa_handler != SIG_DFL || (now.sa_flags & (SA_SIGINFO | SA_RESTART)) != SA_RESTART)
      _exit(3); /* at once: CZMQ's exit handler asserts with actors still running */
    kill(getpid(), SIGTERM);
  } else if (strcmp(how, "segv") == 0)
    *(volatile int *)(uintptr_t)argc = 1; /* argc is a small number: an unmapped address */
  else if (strcmp(how, "abort") == 0)
    abort();
  else if (strcmp(how, "own") == 0) {
    struct sigaction old, act = {.sa_handler = ending_on_term};
    sigaction(SIGTERM, NULL, &old);
    printf("before=%s\n",
           old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO) ? "default" : "other");
    fflush(stdout);
    sigaction(SIGTERM, &act, NULL);
    kill(getpid(), SIGTERM);
  } else if (strcmp(how, "exec") == 0 && argc > 2) {
    execv(argv[2], argv + 2);
    return 5;
  } else if (strcmp(how, "crash4") == 0) {
    pthread_t threads[4];
    pthread_barrier_init(&ending_barrier, NULL, 4);
    for (int i = 0; i < 4; i++)
      pthread_create(&threads[i], NULL, ending_crash, NULL);
  } else if (strcmp(how, "selfsegv") == 0) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGSEGV;
    info.si_code = SEGV_MAPERR;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGSEGV, &info);
    printf("survived\n");
    return 5;
  } else if (strcmp(how, "execfail") == 0) {
    char *args[] = {"missing", NULL};
    execv("/nonexistent/program", args);
    ending_work(a);
    zactor_destroy(&a);
    zactor_destroy(&b);
    return 6;
  } else if (strcmp(how, "closefds") == 0) {
    char link[64], target[256];
    zclock_sleep(100); /* the tracer's file is open by now */
    for (int fd = 3; fd < 256; fd++) {
      snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
      ssize_t n = readlink(link, target, sizeof target - 1);
      if (n > 0 && (target[n] = '\0', target[0] == '/') && !strstr(target, "/dev/"))
        close(fd);
    }
    int mine = open("mine.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dprintf(mine, "host line\n");
    for (int i = 0; i < 4; i++) {
      ending_work(a);
      zclock_sleep(30);
    }
    close(mine);
    zactor_destroy(&a);
    zactor_destroy(&b);
    return 0;
  } else if (strcmp(how, "fork") == 0 || strcmp(how, "fork-exit") == 0) {
    const char *preload = getenv("LD_PRELOAD");
    ending_in_fork_exits = strcmp(how, "fork-exit") == 0;
    if (preload && strstr(preload, "actorscope"))
      ending_in_fork = 1;
    else
      pthread_atfork(ending_prepare_ends, NULL, NULL);
    if (fork() == 0)
      _exit(0);
    return 6; /* the parent survived its fork */
  } else if (strcmp(how, "exit-signalled") == 0) {
    ending_signal_at_exit = 1;
    _exit(3);
  } else if (strcmp(how, "exit3-signalled") == 0) {
    zactor_destroy(&a);
    zactor_destroy(&b);
    ending_signal_at_exit = 1;
    exit(3);
  } else if (strcmp(how, "quick-handlers") == 0) {
    signal(SIGUSR1, ending_on_usr1);
    at_quick_exit(ending_at_quick_exit);
    quick_exit(4);
  } else if (strcmp(how, "cancelled-exit") == 0) {
    const char *preload = getenv("LD_PRELOAD");
    int traced = preload && strstr(preload, "actorscope");
    sem_init(&ending_cancel_now, 0, traced ? 0 : 1);
    pthread_t exiting;
    pthread_create(&exiting, NULL, ending_exit_7, NULL);
    ending_exiting = exiting;
    sem_wait(&ending_cancel_now);
    pthread_cancel(exiting);
    pthread_join(exiting, NULL);
    return 8; /* the exit was cancelled */
  } else if (strcmp(how, "kill9") == 0 || paced) {
    for (;;)
      pause();
  }
  sleep(10);
  return 4;
}
