/* actorscope top: watch a running program's actors live, or replay a recording the same way.
 * This file reads the options and wires a source (a live feed, a replay, a program it starts)
 * to the terminal screen or to --batch frames. */
#define _GNU_SOURCE
#include "commands.h"
#include "program.h"
#include "top_app.h"
#include "top_batch.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char top_usage[] =
    "usage: actorscope top [OPTIONS] unix:PATH | tcp:[HOST:]PORT   watch a traced process\n"
    "       actorscope top [OPTIONS] RUN.jsonl                     replay a recording\n"
    "       actorscope top [OPTIONS] -- PROGRAM [ARGS...]          run a program and watch it\n"
    "\n"
    "A live source is waited for until it is there and again when it ends (a restart).\n"
    "PROGRAM is traced onto a socket in a private directory; its output goes to a file\n"
    "there, named on the screen (and kept after top ends when it is not empty).\n"
    "  -b, --batch           plain-text frames on stdout (no terminal): one per snapshot\n"
    "  -n, --frames N        with --batch: stop after N frames\n"
    "      --rows N          with --batch: at most N table rows a frame (default: all)\n"
    "      --width N         with --batch: columns (default 120)\n"
    "  -f, --follow          a file still being written: show each snapshot as it comes\n"
    "      --rules FILE      live warnings from the rules of `actorscope check`\n"
    "      --busy-ms N       an actor is Busy after N ms in one handler (default 500)\n"
    "      --stuck-ms N      ... and Stuck after N ms (default 5000)\n"
    "  -i, --interval MS     with PROGRAM: milliseconds between snapshots (default 500)\n"
    "      --events          with PROGRAM: also record an exact timeline (docs/events-format.md)\n"
    "                        into trace.events in top's directory, kept and named at the end\n"
    "      --sort COLUMN     id, name, state, mailbox, rate, received, exceptions or age\n"
    "      --reverse         invert the sort\n"
    "      --flat            a flat list instead of the actor tree\n"
    "      --internal        list runtime-internal actors too (CAF's spawn server ...; key I)\n"
    "      --filter TEXT     show only matching actors (as the / key)\n"
    "      --ascii           ASCII characters only\n"
    "      --no-color        no colours (also when NO_COLOR is set)\n"
    "      --timing          with --batch: each frame's read, model and drawing times on stderr\n"
    "      --inspect ID      with --batch: each frame ends with the inspect panel of actor ID\n"
    "  -h, --help            this text ('?' on the screen lists the keys)\n";

enum {
  O_ROWS = 256,
  O_WIDTH,
  O_RULES,
  O_BUSY,
  O_STUCK,
  O_SORT,
  O_REVERSE,
  O_FLAT,
  O_FILTER,
  O_ASCII,
  O_NO_COLOR,
  O_TIMING,
  O_EVENTS,
  O_INSPECT,
  O_INTERNAL,
};

struct top_options {
  int batch, follow, color, timing, events;
  struct top_batch_options batch_opt;
  const char *rules, *interval, *source;
  char **program;
};

static int top_number(const char *text, long long min, long long max, long long *out)
{
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (!*text || *end || errno || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

static int top_bad(const char *what, const char *value)
{
  fprintf(stderr, "actorscope top: %s '%s'\n", what, value);
  fputs(top_usage, stderr);
  return CMD_USAGE;
}

static int top_sort_parse(const char *name, enum top_sort *out)
{
  static const char *const names[TOP_SORT_COUNT] = {"id",   "name",     "state",      "mailbox",
                                                    "rate", "received", "exceptions", "age"};
  for (int i = 0; i < TOP_SORT_COUNT; i++)
    if (strcmp(name, names[i]) == 0) {
      *out = (enum top_sort)i;
      return 0;
    }
  return -1;
}

/* Parses argv into O and the screen's settings. Returns -1 to go on, else an exit status. */
static int top_parse(int argc, char **argv, struct top_options *o, struct top_screen *s,
                     struct top_thresholds *t)
{
  static const struct option options[] = {{"batch", no_argument, NULL, 'b'},
                                          {"frames", required_argument, NULL, 'n'},
                                          {"rows", required_argument, NULL, O_ROWS},
                                          {"width", required_argument, NULL, O_WIDTH},
                                          {"follow", no_argument, NULL, 'f'},
                                          {"rules", required_argument, NULL, O_RULES},
                                          {"busy-ms", required_argument, NULL, O_BUSY},
                                          {"stuck-ms", required_argument, NULL, O_STUCK},
                                          {"interval", required_argument, NULL, 'i'},
                                          {"sort", required_argument, NULL, O_SORT},
                                          {"reverse", no_argument, NULL, O_REVERSE},
                                          {"flat", no_argument, NULL, O_FLAT},
                                          {"filter", required_argument, NULL, O_FILTER},
                                          {"ascii", no_argument, NULL, O_ASCII},
                                          {"no-color", no_argument, NULL, O_NO_COLOR},
                                          {"timing", no_argument, NULL, O_TIMING},
                                          {"events", no_argument, NULL, O_EVENTS},
                                          {"inspect", required_argument, NULL, O_INSPECT},
                                          {"internal", no_argument, NULL, O_INTERNAL},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  long long v;
  char err[256];
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "+bn:fi:h", options, NULL)) != -1) {
    switch (opt) {
    case 'b': o->batch = 1; break;
    case 'n':
      if (top_number(optarg, 1, 1000000000, &v) < 0)
        return top_bad("--frames needs a number of frames, not", optarg);
      o->batch_opt.frames = (size_t)v;
      break;
    case O_ROWS:
      if (top_number(optarg, 1, 1000000000, &v) < 0)
        return top_bad("--rows needs a number of rows, not", optarg);
      o->batch_opt.rows = (size_t)v;
      break;
    case O_WIDTH:
      if (top_number(optarg, 40, 1000, &v) < 0)
        return top_bad("--width needs 40 to 1000 columns, not", optarg);
      o->batch_opt.width = (int)v;
      break;
    case 'f': o->follow = 1; break;
    case O_RULES: o->rules = optarg; break;
    case O_BUSY:
    case O_STUCK:
      if (top_number(optarg, 0, 86400000, &v) < 0)
        return top_bad("--busy-ms and --stuck-ms need milliseconds (0 to 86400000), not", optarg);
      *(opt == O_BUSY ? &t->busy_ns : &t->stuck_ns) = v * 1000000LL;
      break;
    case 'i':
      if (top_number(optarg, 1, 3600000, &v) < 0)
        return top_bad("--interval needs milliseconds (1 to 3600000), not", optarg);
      o->interval = optarg;
      break;
    case O_SORT:
      if (top_sort_parse(optarg, &s->view.sort) < 0)
        return top_bad("--sort takes id, name, state, mailbox, rate, received, exceptions or "
                       "age, not",
                       optarg);
      break;
    case O_REVERSE: s->view.reverse = 1; break;
    case O_FLAT: s->view.flat = 1; break;
    case O_INTERNAL: s->view.internal = 1; break;
    case O_FILTER:
      if (top_filter_parse(&s->view.filter, optarg, err, sizeof err) < 0)
        return top_bad(err, optarg);
      break;
    case O_ASCII: s->ascii = 1; break;
    case O_NO_COLOR: o->color = 0; break;
    case O_TIMING: o->batch_opt.timing = 1; break;
    case O_EVENTS: o->events = 1; break;
    case O_INSPECT:
      if (top_number(optarg, 1, INT64_MAX, &v) < 0)
        return top_bad("--inspect needs an actor id, not", optarg);
      o->batch_opt.inspect = v;
      break;
    case 'h': fputs(top_usage, stdout); return CMD_OK;
    default: fputs(top_usage, stderr); return CMD_USAGE;
    }
  }
  /* getopt stops at "--" (consumed) or at the first operand. */
  int dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
  if (optind >= argc) {
    fprintf(stderr, "actorscope top: nothing to watch: give a source or -- PROGRAM\n");
    fputs(top_usage, stderr);
    return CMD_USAGE;
  }
  if (dashdash)
    o->program = argv + optind;
  else if (optind + 1 == argc)
    o->source = argv[optind];
  else
    return top_bad("one source only; to run a program put it after --:", argv[optind + 1]);
  if (o->source && strcmp(o->source, "-") == 0 && !o->batch) {
    fprintf(stderr, "actorscope top: the screen reads the keyboard: snapshots from standard "
                    "input need --batch\n");
    return CMD_USAGE;
  }
  if (t->stuck_ns < t->busy_ns)
    return top_bad("--stuck-ms must not be below --busy-ms", "");
  if (o->batch_opt.frames && !o->batch)
    return top_bad("--frames goes with --batch", "");
  return -1;
}

static int top_is_socket(const char *source)
{
  return strncmp(source, "unix:", 5) == 0 || strncmp(source, "tcp:", 4) == 0;
}

static int top_interactive(struct top_app *app, const struct top_options *o,
                           const struct live_feed_options *feed)
{
  struct as_reader_error err;
  if (app->screen.replay) {
    if (top_replay_open(&app->replay, &app->screen, o->source, &err) < 0) {
      fprintf(stderr, "actorscope top: %s\n", err.text);
      return CMD_USAGE;
    }
    top_app_replay_state(app);
  } else {
    int rc = top_live_start(&app->live, feed);
    if (rc < 0) {
      fprintf(stderr, "actorscope top: cannot start reading: %s\n", strerror(-rc));
      return CMD_USAGE;
    }
  }
  int status = top_curses_run(app);
  if (app->live)
    top_live_stop(app->live);
  if (app->screen.replay)
    top_replay_close(&app->replay);
  return status;
}

int cmd_top(int argc, char **argv)
{
  struct top_thresholds t = {TOP_BUSY_NS_DEFAULT, TOP_STUCK_NS_DEFAULT};
  struct top_app app;
  memset(&app, 0, sizeof app);
  top_screen_init(&app.screen, &t);
  struct top_options o = {.color = 1, .batch_opt = {.width = 120}};
  const char *no_color = getenv("NO_COLOR");
  if (no_color && *no_color)
    o.color = 0;
  int status = top_parse(argc, argv, &o, &app.screen, &t);
  if (status >= 0) {
    top_screen_free(&app.screen);
    return status;
  }
  app.screen.model.thresholds = t;
  app.color = o.color;
  struct rules_error rerr;
  if (o.rules && top_warn_load(&app.screen.warnings, o.rules, &rerr) < 0) {
    fprintf(stderr, "actorscope top: %s\n", rerr.text);
    top_screen_free(&app.screen);
    return CMD_USAGE;
  }

  /* Before a program is started for a screen that cannot be drawn. */
  if (!o.batch && !top_curses_can_run()) {
    top_screen_free(&app.screen);
    return CMD_USAGE;
  }
  struct top_program program;
  char err[512];
  /* The program as every view names it: a script by its name and interpreter's
   * ("blong.py (python3)"), not "/usr/bin/python3". */
  char shown[AS_PROGRAM_NAME_MAX] = "";
  if (o.program) {
    size_t n_args = 0;
    while (o.program[n_args])
      n_args++;
    as_program_name(NULL, (const char *const *)o.program, n_args, shown, sizeof shown);
    /* A reader gone (`top --batch -- PROG | head`) ends the frames, not top: the program it
     * started is stopped, never left running on its own. */
    signal(SIGPIPE, SIG_IGN);
    if (top_program_start(&program, o.program, o.interval, o.events, err, sizeof err) < 0) {
      fprintf(stderr, "actorscope top: %s\n", err);
      top_screen_free(&app.screen);
      return CMD_USAGE;
    }
    app.program = &program;
    o.source = program.source;
    snprintf(app.screen.note, sizeof app.screen.note, "%s's output: %s", shown, program.output);
  } else if (o.interval || o.events) {
    if (o.events)
      fprintf(stderr, "actorscope top: --events applies to -- PROGRAM only (a running process: "
                      "actorscope ctl PID events on)\n");
    fprintf(stderr, "actorscope top: --interval applies to -- PROGRAM only (the tracer of a "
                    "running process has its own)\n");
  }
  snprintf(app.screen.source, sizeof app.screen.source, "%s", o.program ? shown : o.source);
  app.screen.replay = !o.program && !top_is_socket(o.source) && !o.follow;
  /* A followed file does not restart: its end (or an error in it) is the end. */
  struct live_feed_options feed = {
      .source = o.source, .follow = o.follow, .stop_at_end = o.batch || !top_is_socket(o.source)};

  struct as_reader_error rerr2;
  int rc;
  if (o.batch && app.screen.replay)
    rc = top_batch_replay(&app.screen, o.source, &o.batch_opt, &rerr2);
  else if (o.batch)
    rc = top_batch_live(&app.screen, &feed, app.program, &o.batch_opt, &rerr2);
  else
    rc = top_interactive(&app, &o, &feed);
  if (o.batch && rc < 0)
    fprintf(stderr, "actorscope top: %s\n", rerr2.text);
  status = o.batch ? (rc < 0 ? CMD_USAGE : CMD_OK) : rc;
  if (app.program) {
    char how[64];
    /* A stream that ended by itself means the program is on its way out: let it finish. Quitting
     * the screen, or enough --frames, stops it. */
    int ended = o.batch && strncmp(app.screen.state, "ended", 5) == 0;
    int kept = top_program_finish(&program, ended ? 5000 : 0);
    top_program_describe(&program, how, sizeof how);
    fprintf(stderr, "actorscope top: %s %s%s%s\n", shown, how, kept ? "; its output is in " : "",
            kept ? program.output : "");
    if (program.events[0])
      fprintf(stderr, "actorscope top: its events are in %s\n", program.events);
    /* As `run` and `check` would end: a CI job running `top --batch --rules` fails with it. */
    if (status == CMD_OK)
      status = top_program_exit_status(&program);
  }
  if (status == CMD_OK && o.rules && top_warn_any_broken(&app.screen.warnings))
    status = CMD_FAILED;
  /* Rules judged on nothing must not pass a CI job (a short program can end before top reads
   * a snapshot from its socket). */
  if (status == CMD_OK && o.rules && app.screen.run.n_points == 0) {
    fprintf(stderr, "actorscope top: no snapshot was read: the rules were not checked\n");
    status = CMD_FAILED;
  }
  top_screen_free(&app.screen);
  return status;
}
