/* A hostile or unlucky reader of a traced program's snapshot socket, for scripts/abuse:
 *   abuse_client stall ADDR SECONDS    connects and never reads
 *   abuse_client slow ADDR SECONDS     reads one byte every 10 ms
 *   abuse_client garbage ADDR SECONDS  sends garbage, never reads
 *   abuse_client token ADDR TOKEN      sends TOKEN, prints the first line it gets
 * ADDR is unix:PATH or tcp:PORT (on 127.0.0.1). Exit status 0 when it could connect. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int connect_to(const char *addr)
{
  if (strncmp(addr, "unix:", 5) == 0) {
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "%s", addr + 5);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    return fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof un) == 0 ? fd : -1;
  }
  struct sockaddr_in in = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)atoi(addr + 4)),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  return fd >= 0 && connect(fd, (struct sockaddr *)&in, sizeof in) == 0 ? fd : -1;
}

int main(int argc, char **argv)
{
  if (argc < 4)
    return 2;
  int fd = -1;
  for (int tries = 0; tries < 200 && (fd = connect_to(argv[2])) < 0; tries++)
    usleep(10000);
  if (fd < 0)
    return 1;
  const char *mode = argv[1];
  time_t end = time(NULL) + atoi(argv[3]);
  if (strcmp(mode, "token") == 0) {
    dprintf(fd, "%s\n", argv[3]);
    char c;
    while (read(fd, &c, 1) == 1 && c != '\n')
      putchar(c);
    putchar('\n');
    return 0;
  }
  if (strcmp(mode, "garbage") == 0)
    (void)!write(fd, "\x01\x02garbage\n\xff", 11);
  while (time(NULL) < end) {
    char c;
    if (strcmp(mode, "slow") == 0 && read(fd, &c, 1) <= 0)
      break;
    usleep(10000);
  }
  return 0;
}
