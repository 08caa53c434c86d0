/* HTTP basic authentication for actorscope serve, as Prometheus' own web configuration has it:
 * a file of `USER:HASH` lines, HASH a crypt(3) hash (bcrypt `$2y$`/`$2b$` from `htpasswd -nB
 * USER`, or sha512-crypt `$6$` from `openssl passwd -6`); no password is stored in clear. The
 * file must be readable by its owner only (0600 or 0400), as the token file. */
#ifndef ACTORSCOPE_SERVE_AUTH_H
#define ACTORSCOPE_SERVE_AUTH_H

#include <stddef.h>

struct serve_auth;

/* Reads PATH. Returns 0, or -1 with WHY saying what is wrong and where. */
int serve_auth_load(struct serve_auth **out, const char *path, char *why, size_t why_len);
/* Whether USER and PASSWORD match a line. */
int serve_auth_check(struct serve_auth *auth, const char *user, const char *password);
void serve_auth_free(struct serve_auth *auth);

/* Reads a whole small file that only its owner can read (a TLS key, a password file) into a
 * NUL-terminated buffer. OWNER_ONLY: refuse a file others may read. Returns it (free()), or NULL
 * with WHY filled. */
char *serve_read_private(const char *what, const char *path, int owner_only, char *why,
                         size_t why_len);

#endif
