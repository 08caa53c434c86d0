/* actorscope run: like `heaptrack prog`, runs a program with libactorscope.so preloaded and
 * passes its standard streams and exit status through unchanged. The environment is the one
 * contract with the library; a private status directory (run_summary.h) is how the library
 * tells run which files the program's process tree wrote and what went wrong.
 *
 * Signals: the program stays in run's process group, so what a terminal sends to the
 * foreground job (Ctrl-C, Ctrl-\, hang-up: sent by the kernel, si_code SI_KERNEL) reaches it
 * directly, once; run forwards the termination signals another process sends to run itself
 * (kill, systemd, docker stop, a CI runner: si_code <= 0), and the terminal's only when the
 * program has moved to a process group of its own, then waits for the program and ends as it
 * did. A signal sent to the whole process group by a process (kill -- -PGID) reaches the
 * program directly and is forwarded too. */
#define _GNU_SOURCE
#include "commands.h"
#include "config.h"
#include "run_detached.h"
#include "launch.h"
#include "run_summary.h"
#include "run_notes.h"
#include "events_format.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Far beyond what a CI run writes (delta lines cost what changed), but a bound for a daemon
 * left running for months: at most (1 + keep) files of this size. */
#define RUN_DEFAULT_MAX_SIZE "1G"

static const char run_usage[] =
    "usage: actorscope run [-o PATH|unix:PATH|tcp:[HOST:]PORT] [-i MS] [--max-size SIZE]\n"
    "                      [--keep N] [--events] [--] PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM with the tracer preloaded and prints where the snapshots went.\n"
    "  -o, --output DEST     file PATH (%p = pid), unix:PATH or tcp:[HOST:]PORT\n"
    "                        (default: actorscope.%p.jsonl in the current directory)\n"
    "  -i, --interval MS     milliseconds between snapshots (default 500)\n"
    "      --max-size SIZE   rotate a snapshot file at this size (K, M, G suffixes; 0: never;\n"
    "                        default " RUN_DEFAULT_MAX_SIZE
    ", so a forgotten daemon cannot fill the disk)\n"
    "      --keep N          rotated files kept (default 3)\n"
    "      --events          also record every handler, send, spawn and stop with exact times\n"
    "                        into NAME.events beside the snapshots (export perfetto draws it)\n"
    "  -h, --help            this text\n"
    "The program's exit status is passed through; 127 when it cannot be started.\n"
    "SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to run go to the program.\n";

static int run_set_output(const char *dest)
{
  char value[PATH_MAX + 8];
  if (strncmp(dest, "unix:", 5) == 0 || strncmp(dest, "tcp:", 4) == 0 ||
      strncmp(dest, "file:", 5) == 0)
    snprintf(value, sizeof value, "%s", dest);
  else
    snprintf(value, sizeof value, "file:%s", dest);
  return setenv("ACTORSCOPE_OUTPUT", value, 1);
}

static const char *run_lookup_env(const char *name) { return getenv(name); }

/* The library's own parser over the environment the program will get: a bad value is named
 * here, before anything runs. */
static int run_check_config(struct as_config *cfg)
{
  char cwd[PATH_MAX];
  struct as_error err = {""};
  if (as_config_parse(cfg, run_lookup_env, getcwd(cwd, sizeof cwd), &err) == 0)
    return 0;
  /* The value is the user's, but a control character in it must not reach the terminal. */
  fputs("actorscope run: ", stderr);
  for (const char *p = err.text; *p; p++) {
    char escaped[4];
    fwrite(escaped, 1, as_run_notes_escape_byte((unsigned char)*p, escaped), stderr);
  }
  fputc('\n', stderr);
  return -1;
}

/* Where the snapshots go, checked before anything runs: a directory the program cannot
 * write into would leave it running untraced, and a file of an earlier run (or its events
 * file) would send this run's snapshots to NAME-2.jsonl while a `check NAME.jsonl` that
 * follows reads the old run. */
static int run_check_output_place(const struct as_config *cfg)
{
  if (cfg->output.kind == AS_DEST_TCP)
    return 0;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", cfg->output.path);
  char *slash = strrchr(dir, '/');
  if (slash)
    *(slash == dir ? slash + 1 : slash) = '\0';
  struct stat st;
  const char *why = stat(dir, &st) < 0             ? strerror(errno)
                    : !S_ISDIR(st.st_mode)         ? "not a directory"
                    : access(dir, W_OK | X_OK) < 0 ? strerror(errno)
                                                   : NULL;
  if (why) {
    fprintf(stderr, "actorscope run: cannot write snapshots into %s: %s\n", dir, why);
    return -1;
  }
  if (cfg->output.kind == AS_DEST_UNIX && lstat(cfg->output.path, &st) == 0 &&
      !S_ISSOCK(st.st_mode)) {
    fprintf(stderr, "actorscope run: %s exists and is not a socket: the tracer would not listen\n",
            cfg->output.path);
    return -1;
  }
  /* A socket's events go beside it too, when recorded. */
  int file = cfg->output.kind == AS_DEST_FILE;
  if ((!file && !cfg->events) || (file && as_dest_path_is_per_process(cfg->output.path)))
    return 0;
  char events[PATH_MAX];
  const char *taken =
      file && lstat(cfg->output.path, &st) == 0 ? cfg->output.path
      : as_events_path_of(cfg->output.path, events, sizeof events) == 0 && lstat(events, &st) == 0
          ? events
          : NULL;
  if (taken) {
    fprintf(stderr,
            "actorscope run: %s exists (an earlier run's?): remove it or name another output "
            "(-o); the tracer never writes over a file\n",
            taken);
    return -1;
  }
  return 0;
}

static const int run_forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define RUN_FORWARDED_COUNT (sizeof run_forwarded_signals / sizeof run_forwarded_signals[0])

static volatile sig_atomic_t run_child_pid;

static void run_forward(int sig, siginfo_t *info, void *context)
{
  (void)context;
  /* A signal the program sends to its parent is not sent back to it. */
  if (run_child_pid <= 0 || (info->si_code != SI_KERNEL && info->si_pid == run_child_pid))
    return;
  int saved = errno;
  /* The terminal's signals reached the program too, unless it left run's process group. */
  if (info->si_code != SI_KERNEL || getpgid(run_child_pid) != getpgrp())
    kill(run_child_pid, sig);
  errno = saved;
}

/* Installs the forwarder for each signal not ignored at start (an ignored one, e.g. SIGHUP
 * under nohup, stays ignored for the program too), with the signals blocked until the
 * program's pid is known. */
static void run_signals_install(sigset_t *blocked, sigset_t *original_mask)
{
  sigemptyset(blocked);
  struct sigaction forward = {.sa_sigaction = run_forward, .sa_flags = SA_SIGINFO | SA_RESTART};
  sigfillset(&forward.sa_mask);
  for (size_t i = 0; i < RUN_FORWARDED_COUNT; i++) {
    struct sigaction old;
    if (sigaction(run_forwarded_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
      continue;
    sigaddset(blocked, run_forwarded_signals[i]);
    sigaction(run_forwarded_signals[i], &forward, NULL);
  }
  sigprocmask(SIG_BLOCK, blocked, original_mask);
}

/* The program gets the dispositions and mask run itself started with. */
static void run_signals_restore_for_child(const sigset_t *blocked, const sigset_t *original_mask)
{
  for (size_t i = 0; i < RUN_FORWARDED_COUNT; i++)
    if (sigismember(blocked, run_forwarded_signals[i]))
      signal(run_forwarded_signals[i], SIG_DFL);
  sigprocmask(SIG_SETMASK, original_mask, NULL);
}

/* Ends the way the program did: killed by the same signal (without a core file of run's own:
 * the program's is the one that matters), else its exit status. */
static int run_exit_like(int status)
{
  if (!WIFSIGNALED(status))
    return WEXITSTATUS(status);
  int sig = WTERMSIG(status);
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  sigprocmask(SIG_UNBLOCK, &only, NULL);
  raise(sig);
  return 128 + sig;
}

/* LD_PRELOAD for the program: the ASan runtime first when it is ASan-built. */
static int run_prepare_preload(const char *library, const char *program)
{
  char asan[64];
  int asan_found = launch_asan_runtime(program, asan, sizeof asan);
  if (asan_found < 0 && asan_found != -ENOENT)
    fprintf(stderr,
            "actorscope run: cannot read %s (%s) to see whether it is ASan-built; if it is, "
            "put its libasan first in LD_PRELOAD\n",
            program, strerror(-asan_found));
  if (launch_preload_set(library, asan_found > 0 ? asan : NULL) < 0) {
    fprintf(stderr, "actorscope run: out of memory\n");
    return -1;
  }
  return 0;
}

static void run_describe_destination(const struct as_config *cfg, char *out, size_t len)
{
  if (cfg->output.kind == AS_DEST_UNIX)
    snprintf(out, len, "unix:%s", cfg->output.path);
  else if (cfg->output.kind == AS_DEST_TCP)
    snprintf(out, len, "tcp:%s:%u", cfg->output.host, cfg->output.port);
  else
    out[0] = '\0';
}

int cmd_run(int argc, char **argv)
{
  static const struct option options[] = {{"output", required_argument, NULL, 'o'},
                                          {"interval", required_argument, NULL, 'i'},
                                          {"max-size", required_argument, NULL, 'm'},
                                          {"keep", required_argument, NULL, 'k'},
                                          {"events", no_argument, NULL, 'e'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  /* The environment's own setting wins over run's default; a flag wins over both. */
  setenv("ACTORSCOPE_MAX_BYTES", RUN_DEFAULT_MAX_SIZE, 0);
  while ((opt = getopt_long(argc, argv, "+o:i:h", options, NULL)) != -1) {
    switch (opt) {
    case 'o': run_set_output(optarg); break;
    case 'i': setenv("ACTORSCOPE_INTERVAL_MS", optarg, 1); break;
    case 'm': setenv("ACTORSCOPE_MAX_BYTES", optarg, 1); break;
    case 'k': setenv("ACTORSCOPE_KEEP", optarg, 1); break;
    case 'e': setenv("ACTORSCOPE_EVENTS", "1", 1); break;
    case 'h': fputs(run_usage, stdout); return CMD_OK;
    default: fputs(run_usage, stderr); return CMD_USAGE;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "actorscope run: no program given\n");
    fputs(run_usage, stderr);
    return CMD_USAGE;
  }
  struct as_config cfg;
  if (run_check_config(&cfg) < 0 || run_check_output_place(&cfg) < 0)
    return CMD_USAGE;
  char library[PATH_MAX];
  if (launch_library_find(library, sizeof library) < 0) {
    fprintf(stderr, "actorscope run: libactorscope.so not found next to the tool or in %s\n",
            ACTORSCOPE_INSTALLED_LIBRARY);
    return CMD_USAGE;
  }
  char program[PATH_MAX];
  int found = launch_program_find(argv[optind], program, sizeof program) == 0;
  if (run_prepare_preload(library, found ? program : argv[optind]) < 0)
    return CMD_USAGE;
  struct run_summary status;
  int rc = run_summary_create(&status);
  if (rc < 0)
    fprintf(stderr, "actorscope run: cannot create a status directory: %s\n", strerror(-rc));
  char *status_env = run_summary_env_entry(&status);

  /* A daemon's detached process is re-parented to run, which can then name it at the end. */
  int adopting = run_detached_adopt() == 0;
  sigset_t blocked, original_mask;
  run_signals_install(&blocked, &original_mask);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "actorscope run: fork: %s\n", strerror(errno));
    return CMD_USAGE;
  }
  if (pid == 0) {
    run_signals_restore_for_child(&blocked, &original_mask);
    if (status_env)
      putenv(status_env);
    execvp(argv[optind], argv + optind);
    fprintf(stderr, "actorscope run: cannot run %s: %s\n", argv[optind], strerror(errno));
    _exit(127);
  }
  run_child_pid = pid;
  sigprocmask(SIG_SETMASK, &original_mask, NULL);
  /* Wait for the end without reaping: until run_child_pid is cleared the pid stays the
   * zombie's, so a late forward can never reach another process that reused it. */
  siginfo_t ended;
  while (waitid(P_PID, (id_t)pid, &ended, WEXITED | WNOWAIT) < 0 && errno == EINTR)
    ;
  run_child_pid = 0; /* from here on a signal is run's own again: the summary is short */
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR)
    ;

  char destination[PATH_MAX + 32];
  run_describe_destination(&cfg, destination, sizeof destination);
  struct run_outcome outcome = {.child = pid,
                                .wait_status = wait_status,
                                .program = argv[optind],
                                .destination = destination[0] ? destination : NULL,
                                .secure_execution = found && launch_program_is_secure(program),
                                .adopting = adopting,
                                .config = &cfg};
  run_summary_report(&status, &outcome);
  free(status_env);
  return run_exit_like(wait_status);
}
