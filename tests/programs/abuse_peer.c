/* A hostile or broken snapshot source, and a hostile HTTP client, for serve's tests and
 * scripts/abuse:
 *   abuse_peer listen PATH SECONDS [PID]  listens at PATH; per connection prints the first line
 *                                        the client sent ("got: LINE", the token a reader sends)
 *                                        and streams a header claiming PID (default: its own)
 *                                        and a snapshot every 100 ms
 *   abuse_peer silent DIR COUNT SECONDS  COUNT sockets DIR/silent-X.sock that accept and never send
 *   abuse_peer endless PATH SECONDS      a header, then one string that never ends
 *   abuse_peer garbage PATH SECONDS      a header and an invalid line, again on each connection
 *   abuse_peer slowloris PORT COUNT SECONDS  COUNT HTTP connections to 127.0.0.1:PORT from
 *                                        127.0.0.2, each sending one byte a second; prints
 *                                        "closed N" with how many serve closed meanwhile
 * The socket at PATH is removed at the end. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static time_t peer_end;

static int peer_listen(const char *path)
{
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof un) != 0 || listen(fd, 64) != 0) {
    perror(path);
    exit(1);
  }
  return fd;
}

static int peer_accept(int listener)
{
  struct pollfd p = {listener, POLLIN, 0};
  while (time(NULL) < peer_end)
    if (poll(&p, 1, 200) > 0)
      return accept(listener, NULL, NULL);
  return -1;
}

static void peer_header(int fd, long pid)
{
  dprintf(fd,
          "{\"type\":\"header\",\"format\":\"actorscope\",\"version\":2,\"pid\":%ld,"
          "\"program\":\"/usr/bin/impostor\",\"argv\":[\"impostor\"],"
          "\"started_at\":\"2026-01-01T00:00:00.000Z\",\"started_at_ns\":1}\n",
          pid);
}

/* The first line the client sends, within 300 ms ("" when none). */
static void peer_first_line(int fd, char *line, size_t cap)
{
  size_t n = 0;
  struct pollfd p = {fd, POLLIN, 0};
  while (n + 1 < cap && poll(&p, 1, 300) > 0) {
    char c;
    if (read(fd, &c, 1) != 1 || c == '\n')
      break;
    line[n++] = c;
  }
  line[n] = '\0';
}

static int run_listen(const char *path, long pid)
{
  int listener = peer_listen(path);
  int fd;
  while ((fd = peer_accept(listener)) >= 0) {
    char line[512];
    peer_first_line(fd, line, sizeof line);
    printf("got: %s\n", line);
    fflush(stdout);
    peer_header(fd, pid);
    for (long seq = 0; time(NULL) < peer_end; seq++) {
      if (dprintf(fd,
                  "{\"type\":\"snapshot\",\"seq\":%ld,\"captured_at\":\"2026-01-01T00:00:01Z\","
                  "\"captured_at_ns\":2,\"uptime_ns\":1,\"final\":false,\"totals\":{\"alive\":0,"
                  "\"total_spawned\":0,\"total_stopped\":0,\"messages_received\":0},"
                  "\"actors\":[]}\n",
                  seq) < 0)
        break;
      usleep(100000);
    }
    close(fd);
  }
  unlink(path);
  return 0;
}

static int run_silent(const char *dir, int count)
{
  int *fds = calloc((size_t)count, sizeof *fds);
  struct pollfd *p = calloc((size_t)count, sizeof *p);
  for (int i = 0; i < count; i++) {
    char path[256], name[8];
    /* Letters only: a name without digits names no pid. */
    snprintf(name, sizeof name, "%c%c%c", 'a' + i / 676, 'a' + i / 26 % 26, 'a' + i % 26);
    snprintf(path, sizeof path, "%s/silent-%s.sock", dir, name);
    fds[i] = peer_listen(path);
    p[i] = (struct pollfd){fds[i], POLLIN, 0};
  }
  printf("ready\n");
  fflush(stdout);
  while (time(NULL) < peer_end) {
    if (poll(p, (nfds_t)count, 200) <= 0)
      continue;
    for (int i = 0; i < count; i++)
      if (p[i].revents & POLLIN) {
        int fd = accept(fds[i], NULL, NULL);
        (void)fd; /* held open, never written: closed at exit */
      }
  }
  return 0;
}

static int run_endless(const char *path)
{
  int listener = peer_listen(path);
  int fd;
  static char chunk[1 << 16];
  memset(chunk, 'a', sizeof chunk);
  while ((fd = peer_accept(listener)) >= 0) {
    char line[512];
    peer_first_line(fd, line, sizeof line);
    peer_header(fd, getpid());
    dprintf(fd, "{\"type\":\"snapshot\",\"seq\":1,\"actors\":[{\"id\":1,\"name\":\"");
    while (time(NULL) < peer_end && write(fd, chunk, sizeof chunk) > 0)
      ;
    close(fd);
  }
  unlink(path);
  return 0;
}

static int run_garbage(const char *path)
{
  int listener = peer_listen(path);
  int fd;
  while ((fd = peer_accept(listener)) >= 0) {
    char line[512];
    peer_first_line(fd, line, sizeof line);
    peer_header(fd, getpid());
    dprintf(fd, "this is not JSON\n");
    close(fd);
  }
  unlink(path);
  return 0;
}

static int run_slowloris(int port, int count)
{
  int *fds = calloc((size_t)count, sizeof *fds);
  int open_now = 0;
  for (int i = 0; i < count; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in from = {.sin_family = AF_INET},
                       to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (bind(fds[i], (struct sockaddr *)&from, sizeof from) != 0 ||
        (connect(fds[i], (struct sockaddr *)&to, sizeof to) != 0 && errno != EINPROGRESS)) {
      close(fds[i]);
      fds[i] = -1;
      continue;
    }
    open_now++;
  }
  printf("ready %d\n", open_now);
  fflush(stdout);
  static const char request[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  size_t at = 0;
  int closed = 0;
  while (time(NULL) < peer_end) {
    for (int i = 0; i < count; i++) {
      if (fds[i] < 0)
        continue;
      char c = request[at < sizeof request - 1 ? at : sizeof request - 2];
      char drain[256];
      ssize_t got = recv(fds[i], drain, sizeof drain, MSG_DONTWAIT);
      if (got == 0 || send(fds[i], &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        if (got == 0 || errno == EPIPE || errno == ECONNRESET) {
          close(fds[i]);
          fds[i] = -1;
          closed++;
        }
      }
    }
    at++;
    sleep(1);
  }
  printf("closed %d\n", closed);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 4)
    return 2;
  signal(SIGPIPE, SIG_IGN);
  const char *mode = argv[1];
  if (strcmp(mode, "silent") == 0 || strcmp(mode, "slowloris") == 0) {
    if (argc < 5)
      return 2;
    peer_end = time(NULL) + atoi(argv[4]);
    return mode[1] == 'i' ? run_silent(argv[2], atoi(argv[3]))
                          : run_slowloris(atoi(argv[2]), atoi(argv[3]));
  }
  peer_end = time(NULL) + atoi(argv[3]);
  if (strcmp(mode, "listen") == 0)
    return run_listen(argv[2], argc > 4 ? atol(argv[4]) : (long)getpid());
  if (strcmp(mode, "endless") == 0)
    return run_endless(argv[2]);
  if (strcmp(mode, "garbage") == 0)
    return run_garbage(argv[2]);
  return 2;
}
