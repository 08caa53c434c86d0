/* Reads the notes the traced processes left in run's private directory and says what each
 * output file holds, or why there is none. The note format is in preload/run_notes.h. */
#define _GNU_SOURCE
#include "run_summary.h"
#include "destination.h"
#include "format.h"
#include "reader.h"
#include "program.h"
#include "run_detached.h"
#include "run_notes.h"
#include "launch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A note is a few lines; anything longer is not one of ours. */
#define RUN_NOTE_MAX_BYTES 65536
/* More notes than this and the summary lists the first ones only. */
#define RUN_NOTES_MAX 4096
/* Detached descendants named one by one, at most. */
#define RUN_DETACHED_MAX 64
/* How long a detached descendant has to note its file (its first snapshot comes 10 ms after
 * its first actor), polled every RUN_DETACHED_POLL_MS. Only a run whose program leaves a
 * process running waits at all. */
#define RUN_DETACHED_WAIT_MS 400
/* ... and in all, however often the set of detached processes changes. */
#define RUN_DETACHED_WAIT_MAX_MS 2000
#define RUN_DETACHED_POLL_MS 10

/* Words of a note's command line kept for naming the program (the library writes 32 at most). */
#define RUN_NOTE_ARGS_MAX 32

struct run_note {
  long pid, ppid, seq;
  char *program; /* escaped, printable */
  int is_output;
  char *value; /* output: the path, escaped; diag: the code */
  char *text;  /* diag: the message, escaped */
};

int run_summary_create(struct run_summary *status)
{
  const char *tmp = getenv("TMPDIR");
  if (!tmp || tmp[0] != '/' || strlen(tmp) > sizeof status->dir - 32)
    tmp = "/tmp";
  snprintf(status->dir, sizeof status->dir, "%s/actorscope-run.XXXXXX", tmp);
  /* mkdtemp's 0700 is cut by the umask; the library wants exactly 0700. */
  if (!mkdtemp(status->dir) || chmod(status->dir, 0700) < 0) {
    int e = errno;
    status->dir[0] = '\0';
    return -e;
  }
  return 0;
}

char *run_summary_env_entry(const struct run_summary *status)
{
  char *entry = NULL;
  if (status->dir[0] && asprintf(&entry, "%s=%s", AS_RUN_NOTES_ENV, status->dir) < 0)
    entry = NULL;
  return entry;
}

/* Undoes the note's \xHH escapes (for opening a path). */
static void run_unescape(const char *in, char *out, size_t len)
{
  size_t used = 0;
  while (*in && used + 1 < len) {
    unsigned byte;
    if (in[0] == '\\' && in[1] == 'x' && sscanf(in + 2, "%2x", &byte) == 1 && in[2] && in[3]) {
      out[used++] = (char)byte;
      in += 4;
    } else {
      out[used++] = *in++;
    }
  }
  out[used] = '\0';
}

static int run_note_parse(char *text, struct run_note *note)
{
  char *save = NULL;
  char *line = strtok_r(text, "\n", &save);
  if (!line || strcmp(line, AS_RUN_NOTES_MAGIC) != 0)
    return -1;
  int ended = 0;
  const char *program = NULL;
  const char *args[RUN_NOTE_ARGS_MAX];
  size_t argc = 0;
  while ((line = strtok_r(NULL, "\n", &save))) {
    char *value = strchr(line, ' ');
    if (strcmp(line, "end") == 0) {
      ended = 1;
      break;
    }
    if (!value)
      continue;
    *value++ = '\0';
    if (strcmp(line, "pid") == 0)
      note->pid = strtol(value, NULL, 10);
    else if (strcmp(line, "ppid") == 0)
      note->ppid = strtol(value, NULL, 10);
    else if (strcmp(line, "program") == 0)
      program = value;
    else if (strcmp(line, "arg") == 0 && argc < RUN_NOTE_ARGS_MAX)
      args[argc++] = value;
    else if (strcmp(line, "output") == 0) {
      note->is_output = 1;
      note->value = strdup(value);
    } else if (strcmp(line, "diag") == 0) {
      char *message = strchr(value, ' ');
      if (message)
        *message++ = '\0';
      note->value = strdup(value);
      note->text = strdup(message ? message : "");
    }
  }
  if (!ended || note->pid <= 0 || !note->value) {
    free(note->value);
    free(note->text);
    return -1;
  }
  /* Named as every view names it: a script run by an interpreter by the script. */
  char name[AS_PROGRAM_NAME_MAX];
  as_program_name(program, args, argc, name, sizeof name);
  note->program = strdup(name[0] ? name : "?");
  return 0;
}

/* Reads one note file: a regular file in our directory, never through a link. */
static int run_note_read(int dir_fd, const char *name, struct run_note *note)
{
  char *dot;
  memset(note, 0, sizeof *note);
  if (!(name[0] >= '1' && name[0] <= '9') || !(dot = strchr(name, '.')))
    return -1;
  note->seq = strtol(dot + 1, NULL, 10);
  int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct stat st;
  char *text = NULL;
  ssize_t n = -1;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < RUN_NOTE_MAX_BYTES &&
      (text = malloc((size_t)st.st_size + 1)))
    n = read(fd, text, (size_t)st.st_size);
  close(fd);
  int rc = -1;
  if (n >= 0) {
    text[n] = '\0';
    rc = run_note_parse(text, note);
  }
  free(text);
  return rc;
}

static pid_t run_sort_child;

static int run_note_order(const void *a, const void *b)
{
  const struct run_note *x = a, *y = b;
  if ((x->pid == run_sort_child) != (y->pid == run_sort_child))
    return x->pid == run_sort_child ? -1 : 1;
  if (x->pid != y->pid)
    return x->pid < y->pid ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static size_t run_notes_load(const char *dir, struct run_note *notes, size_t max)
{
  int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0)
    return 0;
  DIR *d = fdopendir(dir_fd);
  if (!d) {
    close(dir_fd);
    return 0;
  }
  size_t count = 0;
  for (struct dirent *e; count < max && (e = readdir(d));)
    count += run_note_read(dir_fd, e->d_name, &notes[count]) == 0;
  closedir(d);
  return count;
}

/* Removes what the notes' writers left, then the directory. A descendant still running may
 * add a note meanwhile: a few passes, then the directory is left (it is private). */
static void run_summary_remove(const char *dir)
{
  for (int pass = 0; pass < 4; pass++) {
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0)
      return;
    DIR *d = fdopendir(dir_fd);
    if (!d) {
      close(dir_fd);
      return;
    }
    for (struct dirent *e; (e = readdir(d));)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        unlinkat(dir_fd, e->d_name, 0);
    closedir(d);
    if (rmdir(dir) == 0 || errno != ENOTEMPTY)
      return;
  }
}

/* What a snapshot file holds: complete lines after the header, and the last one's state. */
struct run_file_facts {
  long snapshots;
  long long actors;
  long long internal; /* of them, runtime-internal ones the last state lists (report hides them) */
  int final;
  char ended_by[16];   /* the final line's ended_by: exit, signal, exec */
  char signal[16];     /* with ended_by signal: its name */
  const char *problem; /* why it cannot be read, or NULL */
};

/* The lines the facts come from, through the format's reader as every command reads a run:
 * the header, then the last keyframe and the lines after it (a delta line's totals are those
 * of the state it leaves). Every whole line after the header counts as a snapshot. */
static void run_file_read_tail(FILE *in, struct run_file_facts *facts)
{
  char *line = NULL, *tail = NULL;
  size_t cap = 0, tail_len = 0;
  ssize_t n;
  FILE *kept = open_memstream(&tail, &tail_len);
  if (!kept)
    return;
  long complete = 0;
  while ((n = getline(&line, &cap, in)) > 0) {
    if (line[n - 1] != '\n')
      break; /* cut short: still being written, or the writer was killed */
    /* Only a shortcut: a keyframe whose members come in another order is not seen as one,
     * and the reader is then given more lines, never fewer. */
    static const char keyframe[] = "{\"" AS_M_TYPE "\":\"" AS_LINE_SNAPSHOT "\"";
    if (complete++ == 0)
      continue; /* the header: read again below */
    if (strncmp(line, keyframe, sizeof keyframe - 1) == 0)
      rewind(kept);
    fwrite(line, 1, (size_t)n, kept);
  }
  facts->snapshots = complete > 0 ? complete - 1 : 0;
  fflush(kept);
  long tail_bytes = ftell(kept);
  int fd = complete > 1 ? memfd_create("actorscope-run-summary", MFD_CLOEXEC) : -1;
  rewind(in);
  ssize_t header = getline(&line, &cap, in);
  int written = fd >= 0 && header > 0 && write(fd, line, (size_t)header) == header &&
                tail_bytes >= 0 && write(fd, tail, (size_t)tail_bytes) == tail_bytes &&
                lseek(fd, 0, SEEK_SET) == 0;
  fclose(kept);
  free(tail);
  free(line);
  struct as_reader *reader;
  struct as_reader_error err;
  struct as_reader_options options = AS_READER_OPTIONS_DEFAULT;
  options.single_file = 1;
  if (!written) {
    if (fd >= 0)
      close(fd);
    return;
  }
  if (as_reader_open_fd(&reader, fd, "run summary", &options, &err) < 0)
    return;
  const struct as_rec_snapshot *s;
  while (as_reader_next(reader, &s, &err) > 0) {
    facts->final = s->final;
    snprintf(facts->ended_by, sizeof facts->ended_by, "%s", s->ended_by ? s->ended_by : "exit");
    snprintf(facts->signal, sizeof facts->signal, "%s", s->signal ? s->signal : "a signal");
    facts->actors = s->total_spawned;
    facts->internal = 0;
    for (size_t i = 0; i < s->n_actors; i++)
      facts->internal += s->actors[i].internal != 0;
  }
  as_reader_close(reader);
}

static void run_file_examine(const char *path, struct run_file_facts *facts)
{
  memset(facts, 0, sizeof *facts);
  facts->actors = -1;
  /* Not blocking in open(): a FIFO put where the file was noted is not waited for. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  FILE *f = NULL;
  if (fd < 0 || fstat(fd, &st) < 0)
    facts->problem = strerror(errno);
  else if (!S_ISREG(st.st_mode))
    facts->problem = "it is not a regular file";
  else if (!(f = fdopen(fd, "r")))
    facts->problem = strerror(errno);
  if (!f) {
    if (fd >= 0)
      close(fd);
    return;
  }
  run_file_read_tail(f, facts);
  fclose(f);
}

static int run_process_alive(long pid) { return kill((pid_t)pid, 0) == 0 || errno == EPERM; }

static void run_print_who(const struct run_note *note, pid_t child)
{
  fprintf(stderr, "pid %ld (%s", note->pid, note->program);
  /* A process whose parent had already exited was re-parented to run (run_detached.h). */
  if (note->pid != child && note->ppid == (long)getpid())
    fputs(", detached", stderr);
  else if (note->pid != child)
    fprintf(stderr, ", started by pid %ld", note->ppid);
  fputc(')', stderr);
}

static int run_pid_listed(long pid, const pid_t *pids, size_t count)
{
  for (size_t i = 0; i < count; i++)
    if ((long)pids[i] == pid)
      return 1;
  return 0;
}

/* The seq of the next output note of output note I's process (an image exec'd later), or
 * LONG_MAX: what that process said from note I's seq up to it is I's image's. */
static long run_image_end(const struct run_note *notes, size_t count, size_t i)
{
  long end = LONG_MAX;
  for (size_t k = 0; k < count; k++)
    if (notes[k].is_output && notes[k].pid == notes[i].pid && notes[k].seq > notes[i].seq &&
        notes[k].seq < end)
      end = notes[k].seq;
  return end;
}

/* Whether output note I's image said its snapshots stopped (a full disk, a file removed, a size
 * limit): its file then has no final snapshot though the process may have ended well. */
static int run_output_stopped(const struct run_note *notes, size_t count, size_t i)
{
  long end = run_image_end(notes, count, i);
  for (size_t k = 0; k < count; k++)
    if (!notes[k].is_output && notes[k].pid == notes[i].pid && notes[k].seq > notes[i].seq &&
        notes[k].seq < end && strcmp(notes[k].value, "output_failed") == 0)
      return 1;
  return 0;
}

/* LAST_IMAGE: no image exec'd later wrote a file: run's child's wait status is its own. */
static void run_print_output(const struct run_note *note, const struct run_outcome *outcome,
                             const pid_t *detached, size_t detached_count, int stopped,
                             int last_image)
{
  char how[64] = "";
  if (note->pid == outcome->child && last_image)
    launch_status_text(outcome->wait_status, how, sizeof how);
  char path[PATH_MAX];
  run_unescape(note->value, path, sizeof path);
  struct run_file_facts facts;
  run_file_examine(path, &facts);
  fprintf(stderr, "actorscope: snapshots in %s\nactorscope:   ", note->value);
  run_print_who(note, outcome->child);
  if (facts.problem) {
    fprintf(stderr, ": the file cannot be read now: %s\n", facts.problem);
    return;
  }
  fprintf(stderr, ": %ld snapshot%s", facts.snapshots, facts.snapshots == 1 ? "" : "s");
  /* The count report prints ("24 spawned") leaves the runtime-internal ones out: say both. */
  if (facts.actors >= 0)
    fprintf(stderr, ", %lld actor%s", facts.actors, facts.actors == 1 ? "" : "s");
  if (facts.actors >= 0 && facts.internal > 0)
    fprintf(stderr, " (%lld of them runtime-internal)", facts.internal);
  if (facts.final && strcmp(facts.ended_by, "signal") == 0)
    fprintf(stderr, ", killed by %s (the last snapshot is the state at that moment)\n",
            facts.signal);
  else if (facts.final && strcmp(facts.ended_by, "exec") == 0)
    fputs(", replaced by exec (the last snapshot is the state before it)\n", stderr);
  else if (facts.final && how[0] && WIFEXITED(outcome->wait_status) &&
           WEXITSTATUS(outcome->wait_status) == 0)
    fputs(", ended normally\n", stderr);
  else if (facts.final && how[0])
    fprintf(stderr, ", %s\n", how);
  else if (facts.final)
    fputs(", exited\n", stderr); /* a descendant: its status is its parent's to know */
  else if (run_pid_listed(note->pid, detached, detached_count))
    fputs(", still running, detached from the program (the file grows until it ends)\n", stderr);
  else if (note->pid != outcome->child && run_process_alive(note->pid))
    fputs(", still running\n", stderr);
  else if (stopped)
    fprintf(stderr, ", its tracer stopped writing before its end (below)%s%s\n",
            !how[0]                             ? ""
            : WIFSIGNALED(outcome->wait_status) ? "; it was "
                                                : "; it ",
            how);
  else if (how[0])
    fprintf(stderr, ", %s (no final snapshot)\n", how);
  else
    fputs(", did not end normally (no final snapshot)\n", stderr);
}

/* Each distinct diagnostic once, with the first process that reported it. */
static void run_print_diagnostics(const struct run_note *notes, size_t count, pid_t child)
{
  for (size_t i = 0; i < count; i++) {
    if (notes[i].is_output)
      continue;
    int seen = 0;
    size_t others = 0;
    for (size_t k = 0; k < count; k++) {
      if (notes[k].is_output || strcmp(notes[k].value, notes[i].value) != 0 ||
          strcmp(notes[k].text, notes[i].text) != 0)
        continue;
      if (k < i)
        seen = 1;
      else if (k > i)
        others++;
    }
    if (seen)
      continue;
    fputs("actorscope:   ", stderr);
    run_print_who(&notes[i], child);
    if (others)
      fprintf(stderr, " and %zu other process%s", others, others == 1 ? "" : "es");
    fprintf(stderr, ": %s\n", notes[i].text);
  }
}

static void run_print_nothing_written(const struct run_outcome *outcome, size_t diagnostics)
{
  if (diagnostics) {
    fputs("actorscope: no snapshots were written; the tracer reported:\n", stderr);
  } else if (outcome->secure_execution) {
    fprintf(stderr,
            "actorscope: no snapshots were written: %s runs in secure-execution mode (setuid, "
            "setgid or file capabilities), where the loader ignores LD_PRELOAD\n",
            outcome->program);
  } else if (WIFSIGNALED(outcome->wait_status)) {
    fprintf(stderr,
            "actorscope: no snapshots were written (the program was killed by signal %d before "
            "any snapshot, or started no actor)\n",
            WTERMSIG(outcome->wait_status));
  } else {
    fputs("actorscope: no snapshots were written (the program started no actor)\n", stderr);
  }
}

static void run_notes_free(struct run_note *notes, size_t count)
{
  for (size_t i = 0; i < count; i++) {
    free(notes[i].program);
    free(notes[i].value);
    free(notes[i].text);
  }
}

/* Whether every one of the pids has noted the file it writes. */
static int run_detached_all_noted(const struct run_note *notes, size_t count, const pid_t *pids,
                                  size_t pid_count)
{
  for (size_t k = 0; k < pid_count; k++) {
    int noted = 0;
    for (size_t i = 0; i < count && !noted; i++)
      noted = notes[i].is_output && notes[i].pid == (long)pids[k];
    if (!noted)
      return 0;
  }
  return 1;
}

/* The descendants still running on their own, once those that were only passing through (the
 * first process of a double fork) have gone and those that write have said where. */
static long run_ms_since(const struct timespec *then)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - then->tv_sec) * 1000 + (now.tv_nsec - then->tv_nsec) / 1000000;
}

static size_t run_detached_settle(const struct run_summary *status, struct run_note *scratch,
                                  pid_t *pids, size_t max)
{
  size_t running = 0, seen = 0;
  pid_t before[RUN_DETACHED_MAX];
  struct timespec start, changed;
  clock_gettime(CLOCK_MONOTONIC, &start);
  changed = start;
  for (;;) {
    running = run_detached_list(pids, max);
    size_t listed = running < max ? running : max;
    /* A process passing through (a double fork's first) gives way to another: the wait for
     * the new one's note starts again. */
    if (listed != seen || memcmp(before, pids, listed * sizeof *pids) != 0) {
      clock_gettime(CLOCK_MONOTONIC, &changed);
      memcpy(before, pids, listed * sizeof *pids);
      seen = listed;
    }
    if (running == 0 || run_ms_since(&changed) >= RUN_DETACHED_WAIT_MS ||
        run_ms_since(&start) >= RUN_DETACHED_WAIT_MAX_MS)
      break;
    size_t count = scratch ? run_notes_load(status->dir, scratch, RUN_NOTES_MAX) : 0;
    int noted = run_detached_all_noted(scratch, count, pids, listed);
    run_notes_free(scratch, count);
    if (noted)
      break;
    usleep(RUN_DETACHED_POLL_MS * 1000);
  }
  return running < max ? running : max;
}

/* Where a process of the program writes: its file or socket is named after its pid (%p). */
static void run_expected_destination(const struct as_config *cfg, long pid, char *out, size_t len)
{
  char path[PATH_MAX];
  if (cfg->output.kind == AS_DEST_TCP)
    snprintf(out, len, "tcp:%s:%u", cfg->output.host, cfg->output.port);
  else if (as_dest_expand_path(cfg->output.path, pid, path, sizeof path) < 0)
    snprintf(out, len, "%s", cfg->output.path);
  else
    snprintf(out, len, "%s%s", cfg->output.kind == AS_DEST_UNIX ? "unix:" : "", path);
}

/* A live process's name as its notes would give it: from its executable and command line. */
static void run_process_name(pid_t pid, const char *exe, char *out, size_t cap)
{
  char path[64], cmdline[4096];
  const char *args[RUN_NOTE_ARGS_MAX];
  size_t argc = 0;
  snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t len = fd >= 0 ? read(fd, cmdline, sizeof cmdline - 1) : -1;
  if (fd >= 0)
    close(fd);
  if (len > 0) {
    cmdline[len] = '\0';
    for (ssize_t at = 0; at < len && argc < RUN_NOTE_ARGS_MAX;
         at += (ssize_t)strlen(cmdline + at) + 1)
      args[argc++] = cmdline + at;
  }
  as_program_name(exe, args, argc, out, cap);
}

/* A detached descendant that has noted no file: it may start an actor later, or never. */
static void run_print_detached_silent(pid_t pid, const struct run_outcome *outcome)
{
  char exe[PATH_MAX], path[64], where[PATH_MAX + 32], name[AS_PROGRAM_NAME_MAX];
  snprintf(path, sizeof path, "/proc/%ld/exe", (long)pid);
  ssize_t n = readlink(path, exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  run_process_name(pid, n > 0 ? exe : NULL, name, sizeof name);
  fprintf(stderr, "actorscope: pid %ld (", (long)pid);
  for (const char *p = name[0] ? name : "?"; *p; p++) {
    char escaped[4];
    fwrite(escaped, 1, as_run_notes_escape_byte((unsigned char)*p, escaped), stderr);
  }
  fputs(") is still running, detached from the program; no snapshot from it yet", stderr);
  if (outcome->config) {
    run_expected_destination(outcome->config, (long)pid, where, sizeof where);
    fprintf(stderr, " (a traced process writes once it starts an actor: to %s)", where);
  }
  fputc('\n', stderr);
}

void run_summary_report(struct run_summary *status, const struct run_outcome *outcome)
{
  if (outcome->destination)
    fprintf(stderr, "actorscope: snapshots in %s\n", outcome->destination);
  if (!status->dir[0]) {
    if (!outcome->destination)
      fputs("actorscope: the snapshot files are where ACTORSCOPE_OUTPUT says (run could not "
            "learn which were written)\n",
            stderr);
    return;
  }
  struct run_note *notes = calloc(RUN_NOTES_MAX, sizeof *notes);
  pid_t detached[RUN_DETACHED_MAX];
  size_t detached_count =
      outcome->adopting ? run_detached_settle(status, notes, detached, RUN_DETACHED_MAX) : 0;
  size_t count = notes ? run_notes_load(status->dir, notes, RUN_NOTES_MAX) : 0;
  run_sort_child = outcome->child;
  if (count)
    qsort(notes, count, sizeof *notes, run_note_order);
  size_t outputs = 0;
  /* A path noted again (an exec'd image of the same pid) is told once, by its last writer. */
  for (size_t i = 0; i < count; i++) {
    int repeated = 0;
    for (size_t k = i + 1; k < count && notes[i].is_output && !repeated; k++)
      repeated = notes[k].is_output && strcmp(notes[k].value, notes[i].value) == 0;
    if (notes[i].is_output && !repeated) {
      run_print_output(&notes[i], outcome, detached, detached_count,
                       run_output_stopped(notes, count, i),
                       run_image_end(notes, count, i) == LONG_MAX);
      outputs++;
    }
  }
  for (size_t k = 0; k < detached_count; k++)
    if (!run_detached_all_noted(notes, count, &detached[k], 1))
      run_print_detached_silent(detached[k], outcome);
  if (outputs == 0 && detached_count == 0 && !outcome->destination)
    run_print_nothing_written(outcome, count);
  run_print_diagnostics(notes, count, outcome->child);
  run_notes_free(notes, count);
  free(notes);
  run_summary_remove(status->dir);
}
