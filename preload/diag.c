#include "diag.h"
#include "forklock.h"
#include "error.h"
#include "run_notes.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t diag_lock AS_FORK_TOUCHED = PTHREAD_MUTEX_INITIALIZER;
/* What fd 2 was at start-up: a daemon may close stderr and reuse the number for one of its own
 * files, which must never receive our lines. */
static dev_t diag_stderr_dev;
static ino_t diag_stderr_ino;
static int diag_stderr_known;

void as_diag_remember_stderr(void)
{
  struct stat st;
  diag_stderr_known = fstat(STDERR_FILENO, &st) == 0;
  diag_stderr_dev = diag_stderr_known ? st.st_dev : 0;
  diag_stderr_ino = diag_stderr_known ? st.st_ino : 0;
}

static int diag_stderr_unchanged(void)
{
  struct stat st;
  return diag_stderr_known && fstat(STDERR_FILENO, &st) == 0 && st.st_dev == diag_stderr_dev &&
         st.st_ino == diag_stderr_ino;
}
static struct as_diag_entry diag_entries[AS_DIAG_MAX];
static size_t diag_count;

void as_error_set(struct as_error *err, const char *fmt, ...)
{
  if (!err)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->text, sizeof err->text, fmt, ap);
  va_end(ap);
}

/* Copies text with every control byte (and DEL) written as \xNN: a value taken from the
 * environment must not forge a second line or reach the terminal as an escape sequence. */
static size_t diag_escape(const char *text, char *out, size_t out_len)
{
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p && n + 5 < out_len; p++) {
    if (*p < 0x20 || *p == 0x7f) {
      out[n++] = '\\';
      out[n++] = 'x';
      out[n++] = hex[*p >> 4];
      out[n++] = hex[*p & 15];
    } else {
      out[n++] = (char)*p;
    }
  }
  out[n] = '\0';
  return n;
}

static void diag_write_stderr(const char *text)
{
  if (!diag_stderr_unchanged())
    return;
  static const char prefix[] = "actorscope: ";
  char line[sizeof prefix + 4 * AS_DIAG_TEXT_MAX + 2];
  memcpy(line, prefix, sizeof prefix - 1);
  size_t len = sizeof prefix - 1;
  len += diag_escape(text, line + len, sizeof line - len - 1);
  line[len++] = '\n';
  int saved = errno;
  /* A stderr whose reader is gone must not kill the host with SIGPIPE: blocked for the write,
   * and taken back if this write raised it (one the host had pending stays pending). */
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigset_t pending;
  sigpending(&pending);
  int was_pending = sigismember(&pending, SIGPIPE);
  while (write(STDERR_FILENO, line, len) < 0 && errno == EINTR)
    ;
  if (!was_pending) {
    struct timespec none = {0, 0};
    sigtimedwait(&pipe_only, NULL, &none);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = saved;
}

/* Records code once (formatting its text); returns whether it is new. */
static int diag_record(const char *code, char *text, const char *fmt, va_list ap)
{
  vsnprintf(text, AS_DIAG_TEXT_MAX, fmt, ap);
  pthread_mutex_lock(&diag_lock);
  for (size_t i = 0; i < diag_count; i++) {
    if (strcmp(diag_entries[i].code, code) == 0) {
      pthread_mutex_unlock(&diag_lock);
      return 0;
    }
  }
  if (diag_count < AS_DIAG_MAX) {
    struct as_diag_entry *e = &diag_entries[diag_count++];
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->text, sizeof e->text, "%s", text);
  }
  pthread_mutex_unlock(&diag_lock);
  as_run_notes_note_diag(code, text);
  return 1;
}

void as_diag_report(const char *code, const char *fmt, ...)
{
  char text[AS_DIAG_TEXT_MAX];
  va_list ap;
  va_start(ap, fmt);
  int fresh = diag_record(code, text, fmt, ap);
  va_end(ap);
  if (fresh)
    diag_write_stderr(text);
}

void as_diag_say_at_end(const char *text) { diag_write_stderr(text); }

void as_diag_note(const char *code, const char *fmt, ...)
{
  char text[AS_DIAG_TEXT_MAX];
  va_list ap;
  va_start(ap, fmt);
  diag_record(code, text, fmt, ap);
  va_end(ap);
}

size_t as_diag_copy(struct as_diag_entry *out, size_t max)
{
  pthread_mutex_lock(&diag_lock);
  size_t n = diag_count < max ? diag_count : max;
  memcpy(out, diag_entries, n * sizeof *out);
  pthread_mutex_unlock(&diag_lock);
  return n;
}

void as_diag_forget(void)
{
  pthread_mutex_lock(&diag_lock);
  diag_count = 0;
  pthread_mutex_unlock(&diag_lock);
}

void as_diag_reset_after_fork(void) { pthread_mutex_init(&diag_lock, NULL); }
