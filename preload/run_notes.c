#define _GNU_SOURCE
#include "run_notes.h"
#include "cmdline.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory named at start-up: read once, so a host that later clears or rewrites its
 * environment (daemons do) cannot point the notes elsewhere, and a note never calls getenv
 * while another thread of the host calls setenv. */
static char runstatus_dir[PATH_MAX];
/* 0 not read yet, 1 being read, 2 read (runstatus_dir is "" when there is none). */
static _Atomic int runstatus_state;
/* Numbers the notes of one process; a fork child goes on counting under its own pid. */
static _Atomic unsigned runstatus_next;

static void runstatus_capture(void)
{
  int expected = 0;
  if (!atomic_compare_exchange_strong(&runstatus_state, &expected, 1))
    return;
  const char *dir = getauxval(AT_SECURE) ? NULL : getenv(AS_RUN_NOTES_ENV);
  if (dir && dir[0] == '/' && strlen(dir) < sizeof runstatus_dir)
    memcpy(runstatus_dir, dir, strlen(dir) + 1);
  atomic_store(&runstatus_state, 2);
}

/* Reads the variable before main() runs, whether or not anything is ever noted. */
__attribute__((constructor)) static void runstatus_constructor(void) { runstatus_capture(); }

/* Whether dir_fd is a directory the status channel may use: a directory owned by this
 * process's effective uid, accessible to nobody else. Shared with the launcher. */
static int as_run_notes_dir_is_private(int dir_fd)
{
  struct stat st;
  return fstat(dir_fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
         (st.st_mode & 07777) == 0700;
}

/* A note is built in a small buffer written out whenever it fills: no malloc. */
struct runstatus_note {
  int fd;
  int failed;
  size_t used;
  char buf[512];
};

static void runstatus_flush(struct runstatus_note *n)
{
  size_t done = 0;
  while (!n->failed && done < n->used) {
    ssize_t w = write(n->fd, n->buf + done, n->used - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      n->failed = 1;
    else
      done += (size_t)w;
  }
  n->used = 0;
}

static void runstatus_put_byte(struct runstatus_note *n, char c)
{
  if (n->used == sizeof n->buf)
    runstatus_flush(n);
  n->buf[n->used++] = c;
}

static void runstatus_put_raw(struct runstatus_note *n, const char *text)
{
  for (; *text; text++)
    runstatus_put_byte(n, *text);
}

size_t as_run_notes_escape_byte(unsigned char c, char out[4])
{
  static const char hex[] = "0123456789abcdef";
  if (c >= 0x20 && c != 0x7f && c != '\\') {
    out[0] = (char)c;
    return 1;
  }
  out[0] = '\\', out[1] = 'x', out[2] = hex[c >> 4], out[3] = hex[c & 15];
  return 4;
}

/* One value on one line, escaped. */
static void runstatus_put_value(struct runstatus_note *n, const char *text)
{
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    char escaped[4];
    size_t len = as_run_notes_escape_byte(*p, escaped);
    for (size_t i = 0; i < len; i++)
      runstatus_put_byte(n, escaped[i]);
  }
}

/* Decimal digits of value into out (at least 21 bytes); returns out. */
static char *runstatus_format_long(long value, char *out)
{
  char digits[24];
  size_t len = 0;
  unsigned long magnitude = value < 0 ? 0ul - (unsigned long)value : (unsigned long)value;
  do
    digits[len++] = (char)('0' + magnitude % 10);
  while ((magnitude /= 10) > 0);
  size_t at = 0;
  if (value < 0)
    out[at++] = '-';
  while (len > 0)
    out[at++] = digits[--len];
  out[at] = '\0';
  return out;
}

static void runstatus_put_field(struct runstatus_note *n, const char *key, const char *value)
{
  runstatus_put_raw(n, key);
  runstatus_put_byte(n, ' ');
  runstatus_put_value(n, value);
  runstatus_put_byte(n, '\n');
}

/* The command line, an "arg" line each (the first RUNSTATUS_ARGS_MAX words, as far as a page
 * holds them): run names a script run by an interpreter by the script, as every view does. */
#define RUNSTATUS_ARGS_MAX 32
static void runstatus_put_args(struct runstatus_note *n)
{
  char cmdline[4096];
  const char *argv[RUNSTATUS_ARGS_MAX];
  size_t argc = as_cmdline_read(cmdline, sizeof cmdline, argv, RUNSTATUS_ARGS_MAX);
  for (size_t i = 0; i < argc; i++)
    runstatus_put_field(n, "arg", argv[i]);
}

/* Creates "PID.N" in the directory, never following or reusing anything already there. */
static int runstatus_create(int dir_fd, long pid)
{
  for (int attempt = 0; attempt < 64; attempt++) {
    char name[64], number[24];
    runstatus_format_long(pid, name);
    size_t len = strlen(name);
    name[len++] = '.';
    runstatus_format_long((long)atomic_fetch_add(&runstatus_next, 1), number);
    memcpy(name + len, number, strlen(number) + 1);
    int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1;
}

/* Writes one note: the process, then `key value` (and a second value for diagnostics). */
static void runstatus_write(const char *key, const char *value, const char *more)
{
  int saved = errno;
  if (atomic_load(&runstatus_state) != 2)
    runstatus_capture();
  if (atomic_load(&runstatus_state) != 2 || runstatus_dir[0] == '\0') {
    errno = saved;
    return;
  }
  int dir_fd = open(runstatus_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0) {
    errno = saved;
    return;
  }
  long pid = (long)getpid();
  struct runstatus_note n = {.fd = -1};
  if (as_run_notes_dir_is_private(dir_fd))
    n.fd = runstatus_create(dir_fd, pid);
  close(dir_fd);
  if (n.fd < 0) {
    errno = saved;
    return;
  }
  char number[24], program[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", program, sizeof program - 1);
  program[len > 0 ? len : 0] = '\0';
  runstatus_put_raw(&n, AS_RUN_NOTES_MAGIC "\n");
  runstatus_put_field(&n, "pid", runstatus_format_long(pid, number));
  runstatus_put_field(&n, "ppid", runstatus_format_long((long)getppid(), number));
  runstatus_put_field(&n, "program", program);
  runstatus_put_args(&n);
  runstatus_put_raw(&n, key);
  runstatus_put_byte(&n, ' ');
  runstatus_put_value(&n, value);
  if (more) {
    runstatus_put_byte(&n, ' ');
    runstatus_put_value(&n, more);
  }
  runstatus_put_raw(&n, "\nend\n");
  runstatus_flush(&n);
  close(n.fd);
  errno = saved;
}

void as_run_notes_note_output(const char *path) { runstatus_write("output", path, NULL); }

void as_run_notes_note_diag(const char *code, const char *text)
{
  runstatus_write("diag", code, text);
}
