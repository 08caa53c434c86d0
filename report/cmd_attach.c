/* actorscope attach PID: trace a program that is already running (docs/attach.md). Preflight
 * from /proc (attach_target.h), then one thread borrowed for a moment to load the library and
 * call its entry (attach_inject.h). actorscope detach PID and actorscope ctl PID ... talk to
 * the library's control socket (attach_control.h). */
#define _GNU_SOURCE
#include "attach_control.h"
#include "attach_inject.h"
#include "attach_target.h"
#include "commands.h"
#include "config.h"
#include "destination.h"
#include "launch.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ATTACH_TRIES 5
#define ATTACH_CONTROL_MS 3000u

static const char attach_usage[] =
    "usage: actorscope attach [-o DEST] [-i MS] [--stuck-ms N] [--events] PID\n"
    "Loads the tracer into running process PID and traces its actors from now on.\n"
    "  -o, --output DEST   where snapshots go: a file (default ./actorscope.PID.jsonl, %p = pid),\n"
    "                      unix:PATH or tcp:[HOST:]PORT, as for actorscope run\n"
    "  -i, --interval MS   snapshot interval (default 1000)\n"
    "      --stuck-ms N    capture the stack of a handler running longer than N ms\n"
    "      --events        also record every handler, send, spawn and stop with exact times\n"
    "                      into NAME.events beside the snapshots, from the attach on\n"
    "  -h, --help          this text\n"
    "Stop tracing with `actorscope detach PID`; change settings with `actorscope ctl PID ...`.\n"
    "Actors already running are marked attached_late: counted from attach on, without parent or\n"
    "spawn site. Needs: the same user (or root), glibc >= 2.34, x86-64; see docs/attach.md.\n";

/* The destination in the grammar of actorscope run -o (a bare path is a file), made absolute
 * against our directory (the target's is another). %p stays in it: a child the program forks
 * expands it to its own pid and writes a file of its own. PATH: the file or socket the target
 * itself writes (%p its pid), "" for tcp. */
static int attach_output(const char *dest, pid_t pid, char *out, size_t len, char *path,
                         size_t path_len)
{
  char cwd[PATH_MAX], text[PATH_MAX + 16], why[200];
  if (!getcwd(cwd, sizeof cwd))
    return -errno;
  if (!dest)
    dest = "actorscope.%p.jsonl";
  if (strncmp(dest, "unix:", 5) == 0 || strncmp(dest, "tcp:", 4) == 0 ||
      strncmp(dest, "file:", 5) == 0)
    snprintf(text, sizeof text, "%s", dest);
  else
    snprintf(text, sizeof text, "file:%s", dest);
  static struct as_dest parsed;
  if (as_dest_parse(&parsed, text, cwd, why, sizeof why) < 0) {
    fprintf(stderr, "actorscope attach: -o '%s' is invalid: %s\n", dest, why);
    return -EINVAL;
  }
  path[0] = '\0';
  if (parsed.kind != AS_DEST_TCP && as_dest_expand_path(parsed.path, pid, path, path_len) < 0) {
    fprintf(stderr, "actorscope attach: -o '%s' is too long\n", dest);
    return -ENAMETOOLONG;
  }
  return as_dest_format(&parsed, out, len);
}

/* The configuration handed to the entry, checked first with the library's own parser. */
static const char *attach_config_text;

static const char *attach_config_lookup(const char *name)
{
  static char value[PATH_MAX + 64];
  size_t n = strlen(name);
  for (const char *line = attach_config_text; line && *line;) {
    const char *end = strchr(line, '\n');
    if (strncmp(line, name, n) == 0 && line[n] == '=') {
      snprintf(value, sizeof value, "%.*s", (int)(end - line - n - 1), line + n + 1);
      return value;
    }
    line = end ? end + 1 : line + strlen(line);
  }
  return NULL;
}

static int attach_build_config(const char *dest, pid_t pid, const char *interval, const char *stuck,
                               int events, char *out, size_t len, char *path, size_t path_len)
{
  char output[PATH_MAX + 16];
  if (attach_output(dest, pid, output, sizeof output, path, path_len) < 0)
    return -1;
  /* The tracer would say so on the program's stderr, which the one who attaches does not see. */
  if (events && !path[0]) {
    fprintf(stderr, "actorscope attach: --events writes NAME.events beside a snapshot file or "
                    "unix: socket; a tcp: output has no place for it\n");
    return -1;
  }
  int n = snprintf(out, len, "%s=%s\n", AS_ENV_OUTPUT, output);
  if (interval)
    n += snprintf(out + n, len - (size_t)n, "%s=%s\n", AS_ENV_INTERVAL_MS, interval);
  if (stuck)
    n += snprintf(out + n, len - (size_t)n, "%s=%s\n", AS_ENV_STUCK_MS, stuck);
  /* In the configuration the entry starts with, not a `ctl events on` after it: the first
   * message counted in the snapshots is the first one recorded. */
  if (events)
    n += snprintf(out + n, len - (size_t)n, "%s=1\n", AS_ENV_EVENTS);
  if ((size_t)n >= len)
    return -1;
  attach_config_text = out;
  struct as_config cfg;
  struct as_error err;
  char cwd[PATH_MAX];
  if (as_config_parse(&cfg, attach_config_lookup, getcwd(cwd, sizeof cwd), &err) < 0) {
    fprintf(stderr, "actorscope attach: %s\n", err.text);
    return -1;
  }
  return 0;
}

static int attach_parse_pid(const char *text, pid_t *pid)
{
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (!*text || *end || errno || v <= 0 || v > 0x3fffffff) {
    fprintf(stderr, "actorscope: '%s' is no process id\n", text);
    return -1;
  }
  *pid = (pid_t)v;
  return 0;
}

/* Where the libc functions the injection calls are in the target (found by the preflight). */
static int attach_functions(const struct attach_target *t, struct attach_inject *in)
{
  for (int i = ATTACH_DLOPEN; i <= ATTACH_DLERROR; i++)
    if (!t->libc_functions[i].lo) {
      fprintf(stderr, "actorscope attach: %s in %s has no %s\n", t->name, t->libc.path,
              attach_libc_function_names[i]);
      return -1;
    }
  in->dlopen_addr = t->libc_functions[ATTACH_DLOPEN].lo;
  in->dlsym_addr = t->libc_functions[ATTACH_DLSYM].lo;
  in->dlerror_addr = t->libc_functions[ATTACH_DLERROR].lo;
  return 0;
}

static void attach_say_where(pid_t pid, const char *what, int events)
{
  char reply[4608];
  const char *output = NULL;
  int asked = attach_control_ask(pid, "status", reply, sizeof reply, ATTACH_CONTROL_MS);
  if (asked == 0)
    output = strstr(reply, "output=");
  if (output)
    printf("%s; snapshots go to %s\n", what, output + 7);
  else if (asked == -ENOENT)
    printf("%s, without a control socket: it was preloaded and has started no actor yet "
           "(snapshots go where its ACTORSCOPE_OUTPUT says)\n",
           what);
  else
    /* Root without CAP_SYS_PTRACE cannot reach another user's /proc/PID/root. */
    printf("%s; its control socket cannot be reached (%s): ask as the process's user\n", what,
           strerror(asked < 0 ? -asked : EIO));
  /* --events asks for the timeline: the tracer that is there records it from now on. */
  if (events && output) {
    if (attach_control_ask(pid, "events on", reply, sizeof reply, ATTACH_CONTROL_MS) < 0)
      snprintf(reply, sizeof reply, "error events: the tracer did not answer");
    printf("%s\n", reply);
  }
}

/* The status line with %p as the pid it stands for: until its first line is written, the
 * tracer names its output as it was configured. */
static void attach_print_status(const char *status, pid_t pid)
{
  for (const char *p = status; *p; p++) {
    if (p[0] == '%' && p[1] == 'p') {
      printf("%d", (int)pid);
      p++;
    } else {
      putchar(*p);
    }
  }
  putchar('\n');
}

/* Says why the attach failed, or, when the process ended meanwhile, that it did: what was
 * read of a process ending says nothing ("statically linked", "cannot read its maps"). */
static int attach_refuse(pid_t pid, const char *why)
{
  if (attach_target_ended(pid))
    fprintf(stderr, "actorscope attach: process %d ended while it was being attached to\n",
            (int)pid);
  else
    fprintf(stderr, "actorscope attach: %s\n", why);
  return CMD_FAILED;
}

static int attach_inject_with_retries(const struct attach_target *t, struct attach_inject *in)
{
  char why[512] = "";
  for (int attempt = 0; attempt < ATTACH_TRIES; attempt++) {
    if (attach_target_pick_thread(t, &in->tid, why, sizeof why) == 0 &&
        attach_inject_run(in, why, sizeof why) == 0)
      return 0;
    if (!strstr(why, "try again"))
      break;
    struct timespec pause = {0, 50 * 1000000L};
    nanosleep(&pause, NULL);
  }
  attach_refuse(in->pid, why);
  return -1;
}

int cmd_attach(int argc, char **argv)
{
  static const struct option options[] = {
      {"output", required_argument, NULL, 'o'},   {"interval", required_argument, NULL, 'i'},
      {"stuck-ms", required_argument, NULL, 's'}, {"events", no_argument, NULL, 'e'},
      {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
  const char *dest = NULL, *interval = NULL, *stuck = NULL;
  int opt, events = 0;
  while ((opt = getopt_long(argc, argv, "+o:i:h", options, NULL)) != -1) {
    switch (opt) {
    case 'o': dest = optarg; break;
    case 'i': interval = optarg; break;
    case 's': stuck = optarg; break;
    case 'e': events = 1; break;
    case 'h': fputs(attach_usage, stdout); return CMD_OK;
    default: fputs(attach_usage, stderr); return CMD_USAGE;
    }
  }
  pid_t pid;
  if (optind + 1 != argc) {
    fputs(attach_usage, stderr);
    return CMD_USAGE;
  }
  if (attach_parse_pid(argv[optind], &pid) < 0)
    return CMD_USAGE;
  char config[2 * PATH_MAX], library[PATH_MAX], real[PATH_MAX], why[1024], path[PATH_MAX];
  if (attach_build_config(dest, pid, interval, stuck, events, config, sizeof config, path,
                          sizeof path) < 0)
    return CMD_USAGE;
  struct attach_target t;
  int rc = attach_target_inspect(pid, 0, &t, why, sizeof why);
  int again = rc == ATTACH_ALREADY;
  if (again) {
    /* Traced now (its socket answers): say where. Without a socket it was detached (or is
     * preloaded and has no actor yet: its entry says so): the library it has is entered again. */
    char reply[4608];
    int asked = attach_control_ask(pid, "status", reply, sizeof reply, ATTACH_CONTROL_MS);
    if (asked != -ENOENT) {
      attach_say_where(pid, why, events);
      return CMD_OK;
    }
    rc = attach_target_inspect(pid, 1, &t, why, sizeof why);
  }
  if (!rc && path[0])
    rc = attach_target_can_create(&t, path, why, sizeof why);
  if (rc)
    return attach_refuse(pid, why);
  if (again) {
    /* The very file the process has loaded, as it sees it: dlopen finds it loaded and returns
     * it (another copy of the library would be a second tracer). */
    snprintf(real, sizeof real, "%s", t.tracer.path);
  } else if (launch_library_find(library, sizeof library) < 0 || !realpath(library, real)) {
    fprintf(stderr, "actorscope attach: cannot find libactorscope.so (looked for %s)\n", library);
    return CMD_FAILED;
  }
  struct attach_inject in = {.pid = pid, .library = real, .config = config};
  if (attach_functions(&t, &in) < 0 || attach_inject_with_retries(&t, &in) < 0)
    return CMD_FAILED;
  if (in.attach_rc == 1) {
    attach_say_where(pid, "the process is traced already", events);
    return CMD_OK;
  }
  if (in.attach_rc < 0) {
    fprintf(stderr,
            "actorscope attach: the tracer in process %d refused (%s); the process's "
            "stderr says why\n",
            (int)pid, strerror(-in.attach_rc));
    return CMD_FAILED;
  }
  char status[4608] = "";
  attach_control_ask(pid, "status", status, sizeof status, ATTACH_CONTROL_MS);
  printf("%s process %d (%s) through thread %d, held %u ms\n",
         again ? "attached again (it was detached) to" : "attached to", (int)pid, t.name,
         (int)in.tid, in.stopped_ms);
  if (status[0])
    attach_print_status(status, pid);
  printf("detach with: actorscope detach %d\n", (int)pid);
  return CMD_OK;
}

/* actorscope detach PID / actorscope ctl PID COMMAND...: one line to the control socket. */
static int attach_control_command(const char *verb, pid_t pid, const char *command)
{
  char reply[4608];
  int rc = attach_control_ask(pid, command, reply, sizeof reply, ATTACH_CONTROL_MS);
  if (rc == -ENOENT || rc == -ESRCH) {
    fprintf(stderr, "actorscope %s: process %d %s\n", verb, (int)pid,
            rc == -ESRCH ? "does not exist"
                         : "has no tracer listening (attach first, or it was detached)");
    return CMD_FAILED;
  }
  if (rc == -EXDEV) {
    fprintf(stderr,
            "actorscope %s: the control socket for pid %d belongs to another process "
            "(one of the same pid in another pid namespace): not talking to it\n",
            verb, (int)pid);
    return CMD_FAILED;
  }
  if (rc < 0) {
    fprintf(stderr, "actorscope %s: process %d's tracer: %s\n", verb, (int)pid, strerror(-rc));
    return CMD_FAILED;
  }
  int ok = strncmp(reply, "ok", 2) == 0;
  fprintf(ok ? stdout : stderr, "%s\n", reply);
  return ok ? CMD_OK : CMD_FAILED;
}

int cmd_detach(int argc, char **argv)
{
  pid_t pid;
  if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fprintf(argc == 2 ? stdout : stderr,
            "usage: actorscope detach PID\nStops tracing a process attached with actorscope "
            "attach: every call is given back to the program, a final snapshot is written.\n");
    return argc == 2 ? CMD_OK : CMD_USAGE;
  }
  if (attach_parse_pid(argv[1], &pid) < 0)
    return CMD_USAGE;
  return attach_control_command("detach", pid, "detach");
}

int cmd_ctl(int argc, char **argv)
{
  pid_t pid;
  int help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
  if (help || argc < 3 || argc > 4) {
    fprintf(help ? stdout : stderr,
            "usage: actorscope ctl PID status | interval MS | stuck-ms MS | events on|off\n");
    return help ? CMD_OK : CMD_USAGE;
  }
  if (attach_parse_pid(argv[1], &pid) < 0)
    return CMD_USAGE;
  char command[128];
  snprintf(command, sizeof command, "%s%s%s", argv[2], argc == 4 ? " " : "",
           argc == 4 ? argv[3] : "");
  return attach_control_command("ctl", pid, command);
}
