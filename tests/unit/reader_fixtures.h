/* What the reader's unit tests (test_reader*.c) share: a header line, lines and actors made to
 * order, temporary files, a scripted TCP server. Defined in test_reader.c. */
#ifndef AS_TEST_READER_FIXTURES_H
#define AS_TEST_READER_FIXTURES_H

#include "reader.h"

extern const char header[], header_v2[], header_other[];

char *actor_json(long id, const char *exceptions);
char *snapshot_json(long seq, int final, long actors, const char *exceptions);
char *write_temp(const char *text);
int read_all(const char *source, const struct as_reader_options *opt, struct as_reader_error *err,
             int *truncated);
char *v2_line(const char *type, long seq, long uptime, const char *actors, const char *reaped);
char *v2_actor(long id, long parent, long received, const char *handling);
void write_file(const char *path, const char *text);

struct server {
  int listen_fd;
  const char *script; /* what to send, in 7-byte pieces */
  char token[64];     /* the first line received */
  int no_token;       /* the client sends none: nothing to read first */
};
void *server_main(void *arg);

#endif
