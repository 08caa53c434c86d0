/* Standard output, or a temporary file renamed into place (export_output.h). */
#define _GNU_SOURCE
#include "export_output.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary file being written, for a termination signal to remove (one at a time). */
static char export_output_pending[4096];
static const int export_output_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* Removes the half-written file, then dies of the signal as it would have. */
static void export_output_on_signal(int sig)
{
  if (export_output_pending[0])
    unlink(export_output_pending);
  signal(sig, SIG_DFL);
  raise(sig);
}

static void export_output_guard(const char *temp_path)
{
  snprintf(export_output_pending, sizeof export_output_pending, "%s", temp_path ? temp_path : "");
  for (size_t i = 0; i < sizeof export_output_signals / sizeof export_output_signals[0]; i++)
    signal(export_output_signals[i], temp_path ? export_output_on_signal : SIG_DFL);
}

int export_output_open(struct export_output *output, const char *path, const char *who)
{
  memset(output, 0, sizeof *output);
  if (!path || strcmp(path, "-") == 0) {
    output->stream = stdout;
    return 0;
  }
  /* Rename replaces whatever has the name: only a regular file (or nothing) may be replaced,
   * never a device, a FIFO, a directory or a symbolic link (/dev/null stays /dev/null). */
  struct stat st;
  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    fprintf(stderr, "%s: '%s' exists and is not a regular file; it is left alone\n", who, path);
    return -1;
  }
  output->path = strdup(path);
  if (!output->path || asprintf(&output->temp_path, "%s.tmp.XXXXXX", path) < 0) {
    free(output->path);
    fprintf(stderr, "%s: out of memory\n", who);
    return -1;
  }
  /* mkstemp creates the name O_EXCL with mode 0600: nothing existing is followed or reused. */
  int fd = mkstemp(output->temp_path);
  if (fd < 0) {
    fprintf(stderr, "%s: cannot create a file next to '%s': %s\n", who, path, strerror(errno));
    free(output->path);
    free(output->temp_path);
    output->path = output->temp_path = NULL;
    return -1;
  }
  /* The finished file is ordinary output (a textfile collector runs as another user). */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  output->stream = fdopen(fd, "w");
  if (!output->stream) {
    close(fd);
    unlink(output->temp_path);
    fprintf(stderr, "%s: out of memory\n", who);
    return -1;
  }
  export_output_guard(output->temp_path);
  return 0;
}

/* Something other than a regular file appeared at the name while the output was written. */
static int export_output_target_changed(const char *path, const char *who)
{
  struct stat st;
  if (lstat(path, &st) != 0 || S_ISREG(st.st_mode))
    return 0;
  fprintf(stderr, "%s: '%s' is no longer a regular file; it is left alone\n", who, path);
  errno = EEXIST;
  return 1;
}

int export_output_commit(struct export_output *output, const char *who)
{
  if (!output->path) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
      fprintf(stderr, "%s: writing standard output failed: %s\n", who, strerror(errno));
      return -1;
    }
    return 0;
  }
  int failed =
      fflush(output->stream) != 0 || ferror(output->stream) || fsync(fileno(output->stream)) != 0;
  int saved = errno;
  failed |= fclose(output->stream) != 0;
  output->stream = NULL;
  if (failed) {
    fprintf(stderr, "%s: writing '%s' failed: %s\n", who, output->temp_path, strerror(saved));
  } else if (export_output_target_changed(output->path, who) ||
             rename(output->temp_path, output->path) != 0) {
    fprintf(stderr, "%s: cannot rename '%s' to '%s': %s\n", who, output->temp_path, output->path,
            strerror(errno));
    failed = 1;
  }
  if (failed)
    unlink(output->temp_path);
  export_output_guard(NULL);
  free(output->path);
  free(output->temp_path);
  output->path = output->temp_path = NULL;
  return failed ? -1 : 0;
}

void export_output_abandon(struct export_output *output)
{
  if (!output->path)
    return;
  if (output->stream)
    fclose(output->stream);
  unlink(output->temp_path);
  export_output_guard(NULL);
  free(output->path);
  free(output->temp_path);
  output->stream = NULL;
  output->path = output->temp_path = NULL;
}
