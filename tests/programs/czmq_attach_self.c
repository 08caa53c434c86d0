/* A CZMQ program that attaches actorscope to itself mid-run, as `actorscope attach` does from
 * outside: dlopen() the library RTLD_LOCAL and call its entry. Two actors run before (echo, a
 * PING/PONG server; tally, which only counts), one is spawned after.
 *
 *   czmq_attach_self LIBRARY BEFORE AFTER [detach|again]
 *
 * Prints whether its own GOT slot for zmq_msg_send points at the library after attach, and,
 * with "detach", detaches through the control socket and prints whether the slot holds
 * libzmq's function again. With "again", an actor spawned while detached is then attached to
 * once more (snapshots to again.jsonl), pinged AFTER times and detached again. */
#include <czmq.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void echo_actor(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  for (;;) {
    char *cmd = zstr_recv(pipe);
    if (!cmd || streq(cmd, "$TERM")) {
      free(cmd);
      break;
    }
    zstr_send(pipe, "PONG");
    free(cmd);
  }
}

static void tally_actor(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  zpoller_t *poller = zpoller_new(pipe, NULL);
  int *count = args;
  while (zpoller_wait(poller, 5000) == pipe) {
    char *cmd = zstr_recv(pipe);
    int term = !cmd || streq(cmd, "$TERM");
    free(cmd);
    if (term)
      break;
    (*count)++;
  }
  zpoller_destroy(&poller);
}

/* What the program's GOT slot for zmq_msg_send holds now (noinline: read afresh each call). */
static __attribute__((noinline)) void *msg_send_slot(void)
{
  void *volatile fn = (void *)&zmq_msg_send;
  return fn;
}

static void ping(zactor_t *actor, int rounds)
{
  for (int i = 0; i < rounds; i++) {
    zstr_send(actor, "PING");
    free(zstr_recv(actor));
  }
}

static int control(const char *line, char *reply, size_t len)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "/tmp/actorscope-%u/%d.ctl", (unsigned)geteuid(),
           (int)getpid());
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return -1;
  if (write(fd, line, strlen(line)) < 0)
    return -1;
  ssize_t n = read(fd, reply, len - 1);
  close(fd);
  reply[n > 0 ? n : 0] = '\0';
  return n > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
  if (argc < 4)
    return 2;
  int before = atoi(argv[2]), after = atoi(argv[3]);
  int ticks = 0;
  zactor_t *echo = zactor_new(echo_actor, NULL);
  zactor_t *tally = zactor_new(tally_actor, &ticks);
  ping(echo, before);
  for (int i = 0; i < before; i++)
    zstr_send(tally, "TICK");

  void *original = msg_send_slot();
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  int (*attach)(const char *) = lib ? (int (*)(const char *))dlsym(lib, "actorscope_attach") : NULL;
  if (!attach) {
    fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
    return 2;
  }
  printf("attach=%d\n", attach("ACTORSCOPE_INTERVAL_MS=50\nACTORSCOPE_STACK_DEPTH=4\n"));
  printf("retargeted=%d\n", msg_send_slot() == dlsym(lib, "zmq_msg_send"));

  ping(echo, after);
  for (int i = 0; i < after; i++)
    zstr_send(tally, "TICK");
  zactor_t *late = zactor_new(echo_actor, NULL);
  ping(late, after);
  zactor_destroy(&late);
  zactor_destroy(&echo);
  zactor_destroy(&tally);
  printf("ticks=%d\n", ticks);

  int again_mode = argc > 4 && strcmp(argv[4], "again") == 0;
  if (argc > 4 && (strcmp(argv[4], "detach") == 0 || again_mode)) {
    char reply[512];
    int rc = control("detach\n", reply, sizeof reply);
    printf("detached=%d\n", rc == 0 && strncmp(reply, "ok detached", 11) == 0);
    printf("restored=%d\n", msg_send_slot() == original);
    /* The program runs on untraced. */
    zactor_t *again = zactor_new(echo_actor, NULL);
    ping(again, 3);
    if (again_mode) {
      printf("attach=%d\n",
             attach("ACTORSCOPE_OUTPUT=file:again.jsonl\nACTORSCOPE_INTERVAL_MS=50\n"));
      printf("retargeted=%d\n", msg_send_slot() == dlsym(lib, "zmq_msg_send"));
      ping(again, after);
      rc = control("detach\n", reply, sizeof reply);
      printf("detached=%d\n", rc == 0 && strncmp(reply, "ok detached", 11) == 0);
      printf("restored=%d\n", msg_send_slot() == original);
    }
    zactor_destroy(&again);
  }
  return 0;
}
