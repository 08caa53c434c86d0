/* A server that daemonizes the way real daemons do (malamute with `background = 1`, the
 * classic double fork): the program's own process forks and exits 0 at once; the child calls
 * setsid() and forks again; the grandchild — the daemon — changes to "/", sets its umask,
 * points stdin, stdout and stderr at /dev/null, writes its pid file, and only then starts its
 * actors. Its work goes over side sockets, as in real servers: a `ingest` actor pulls jobs
 * from a PULL socket that the daemon's main thread pushes to, and answers its pipe's "COUNT".
 *
 * usage: czmq_daemonize PIDFILE MESSAGES LINGER_MS
 * The daemon pushes MESSAGES jobs, waits until ingest has them all, stays LINGER_MS more (a
 * daemon still running and writing when `actorscope run` has ended), then stops its actor
 * and exits 0. Writing PIDFILE.done last tells a test the daemon is at its end. */
#include <czmq.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *daemon_endpoint = "inproc://daemonize-jobs";

static void ingest(zsock_t *pipe, void *args)
{
  zsock_t *jobs = zsock_new_pull(daemon_endpoint);
  zpoller_t *poller = zpoller_new(pipe, jobs, NULL);
  zsock_signal(pipe, 0);
  long received = 0;
  while (!zsys_interrupted) {
    zsock_t *which = zpoller_wait(poller, 1000);
    if (which == jobs) {
      char *job = zstr_recv(jobs);
      received += job != NULL;
      zstr_free(&job);
    } else if (which == pipe) {
      char *cmd = zstr_recv(pipe);
      int term = !cmd || streq(cmd, "$TERM");
      if (cmd && streq(cmd, "COUNT"))
        zstr_sendf(pipe, "%ld", received);
      zstr_free(&cmd);
      if (term)
        break;
    }
  }
  zpoller_destroy(&poller);
  zsock_destroy(&jobs);
}

static int daemon_write_file(const char *path, long value)
{
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fprintf(f, "%ld\n", value);
  return fclose(f);
}

/* The daemon's own life: detached, quiet, its work on side sockets. */
static int daemon_serve(const char *pidfile, long messages, int linger_ms)
{
  zsys_handler_set(NULL); /* the daemon keeps its own signal dispositions */
  zactor_t *actor = zactor_new(ingest, NULL);
  zsock_t *push = zsock_new_push(daemon_endpoint);
  for (long i = 0; i < messages; i++)
    zstr_send(push, "JOB");
  long counted = 0;
  for (int tries = 0; tries < 2000 && counted < messages; tries++) {
    zstr_send(actor, "COUNT");
    char *reply = zstr_recv(actor);
    counted = reply ? atol(reply) : counted;
    zstr_free(&reply);
    if (counted < messages)
      zclock_sleep(5);
  }
  zclock_sleep(linger_ms);
  zsock_destroy(&push);
  zactor_destroy(&actor);
  char done[4096];
  snprintf(done, sizeof done, "%s.done", pidfile);
  daemon_write_file(done, counted);
  return counted == messages ? 0 : 1;
}

int main(int argc, char **argv)
{
  if (argc != 4)
    return 2;
  /* The daemon changes directory: the pid file is found from where the program started. */
  char pidfile[4096];
  if (argv[1][0] == '/')
    snprintf(pidfile, sizeof pidfile, "%s", argv[1]);
  else if (getcwd(pidfile, sizeof pidfile - 1 - strlen(argv[1])))
    snprintf(pidfile + strlen(pidfile), sizeof pidfile - strlen(pidfile), "/%s", argv[1]);
  pid_t first = fork();
  if (first < 0)
    return 2;
  if (first > 0)
    return 0; /* the foreground part is done */
  if (setsid() < 0)
    _exit(2);
  pid_t second = fork();
  if (second < 0)
    _exit(2);
  if (second > 0)
    _exit(0); /* the session leader goes: the daemon can never get a terminal again */
  if (chdir("/") < 0)
    _exit(2);
  umask(022);
  int null = open("/dev/null", O_RDWR);
  if (null < 0)
    _exit(2);
  dup2(null, 0), dup2(null, 1), dup2(null, 2);
  if (null > 2)
    close(null);
  if (daemon_write_file(pidfile, (long)getpid()) < 0)
    _exit(2);
  return daemon_serve(pidfile, atol(argv[2]), atoi(argv[3]));
}
