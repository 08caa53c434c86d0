/* Basic authentication for actorscope serve (serve_auth.h). */
#define _GNU_SOURCE
#include "serve_auth.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SERVE_PRIVATE_MAX (1 << 20)

struct serve_auth_user {
  char *name, *hash;
};

struct serve_auth {
  struct serve_auth_user *users;
  size_t n;
  char *text;
  /* The credentials last accepted: a scrape every few seconds costs one comparison, not one
   * bcrypt (tens of milliseconds on libmicrohttpd's only thread). */
  pthread_mutex_t lock;
  char *accepted;
};

char *serve_read_private(const char *what, const char *path, int owner_only, char *why,
                         size_t why_len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    snprintf(why, why_len, "%s %s: %s", what, path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return NULL;
  }
  const char *wrong = !S_ISREG(st.st_mode)             ? "not a regular file"
                      : st.st_size > SERVE_PRIVATE_MAX ? "larger than 1 MiB"
                                                       : NULL;
  char mode[80];
  if (!wrong && owner_only && (st.st_mode & 077)) {
    snprintf(mode, sizeof mode, "mode %04o lets others read it; chmod 600 it",
             (unsigned)(st.st_mode & 07777));
    wrong = mode;
  }
  if (wrong) {
    snprintf(why, why_len, "%s %s: %s", what, path, wrong);
    close(fd);
    return NULL;
  }
  char *text = malloc((size_t)st.st_size + 1);
  size_t len = 0;
  while (text && len < (size_t)st.st_size) {
    ssize_t n = read(fd, text + len, (size_t)st.st_size - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  close(fd);
  if (!text) {
    snprintf(why, why_len, "%s %s: out of memory", what, path);
    return NULL;
  }
  text[len] = '\0';
  return text;
}

void serve_auth_free(struct serve_auth *auth)
{
  if (!auth)
    return;
  if (auth->text)
    explicit_bzero(auth->text, strlen(auth->text));
  if (auth->accepted)
    explicit_bzero(auth->accepted, strlen(auth->accepted));
  free(auth->text);
  free(auth->accepted);
  free(auth->users);
  pthread_mutex_destroy(&auth->lock);
  free(auth);
}

int serve_auth_load(struct serve_auth **out, const char *path, char *why, size_t why_len)
{
  struct serve_auth *auth = calloc(1, sizeof *auth);
  if (!auth) {
    snprintf(why, why_len, "out of memory");
    return -1;
  }
  pthread_mutex_init(&auth->lock, NULL);
  if (!(auth->text = serve_read_private("--basic-auth", path, 1, why, why_len))) {
    serve_auth_free(auth);
    return -1;
  }
  size_t lineno = 0;
  char *save = NULL;
  for (char *line = strtok_r(auth->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    lineno++;
    line[strcspn(line, "\r")] = '\0';
    if (!*line || *line == '#')
      continue;
    char *colon = strchr(line, ':');
    if (!colon || colon == line || colon[1] != '$') {
      snprintf(why, why_len,
               "--basic-auth %s:%zu: expected USER:HASH, HASH from `htpasswd -nB "
               "USER` or `openssl passwd -6` (never a password in clear)",
               path, lineno);
      serve_auth_free(auth);
      return -1;
    }
    *colon = '\0';
    struct serve_auth_user *grown = reallocarray(auth->users, auth->n + 1, sizeof *grown);
    if (!grown) {
      snprintf(why, why_len, "out of memory");
      serve_auth_free(auth);
      return -1;
    }
    auth->users = grown;
    auth->users[auth->n++] = (struct serve_auth_user){line, colon + 1};
  }
  if (!auth->n) {
    snprintf(why, why_len, "--basic-auth %s: no USER:HASH line", path);
    serve_auth_free(auth);
    return -1;
  }
  *out = auth;
  return 0;
}

/* Compares without stopping at the first difference. */
static int auth_equal(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  unsigned char diff = la != lb;
  for (size_t i = 0; i < la && i < lb; i++)
    diff |= (unsigned char)(a[i] ^ b[i]);
  return !diff;
}

int serve_auth_check(struct serve_auth *auth, const char *user, const char *password)
{
  if (!user || !password)
    return 0;
  size_t len = strlen(user) + strlen(password) + 2;
  char *both = malloc(len);
  if (!both)
    return 0;
  snprintf(both, len, "%s:%s", user, password);
  pthread_mutex_lock(&auth->lock);
  int ok = auth->accepted && auth_equal(auth->accepted, both);
  pthread_mutex_unlock(&auth->lock);
  for (size_t i = 0; i < auth->n && !ok; i++) {
    if (strcmp(auth->users[i].name, user) != 0)
      continue;
    struct crypt_data data;
    memset(&data, 0, sizeof data);
    const char *hash = crypt_r(password, auth->users[i].hash, &data);
    ok = hash && hash[0] != '*' && auth_equal(hash, auth->users[i].hash);
    explicit_bzero(&data, sizeof data);
    if (ok) {
      pthread_mutex_lock(&auth->lock);
      if (auth->accepted)
        explicit_bzero(auth->accepted, strlen(auth->accepted));
      free(auth->accepted);
      auth->accepted = strdup(both);
      pthread_mutex_unlock(&auth->lock);
    }
  }
  explicit_bzero(both, len);
  free(both);
  return ok;
}
