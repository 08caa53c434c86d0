/* actorscope top on a terminal: ncurses drawing and the event loop (keys, snapshots from the
 * live feed, replay playing, the watched program ending). */
#define _GNU_SOURCE
#include "top_app.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CURSES_TICK_MS 500 /* redraw at least this often: "waiting", elapsed times */

static volatile sig_atomic_t curses_stop;

static void curses_on_signal(int sig)
{
  (void)sig;
  curses_stop = 1;
}

static const struct {
  short fg;
  attr_t attr;
} curses_styles[TOP_STYLE_COUNT] = {
    [TOP_STYLE_NORMAL] = {-1, A_NORMAL},
    [TOP_STYLE_TITLE] = {-1, A_BOLD},
    [TOP_STYLE_COLUMNS] = {-1, A_REVERSE},
    [TOP_STYLE_SELECTED] = {-1, A_REVERSE | A_BOLD},
    [TOP_STYLE_BANNER] = {COLOR_RED, A_BOLD},
    [TOP_STYLE_WARNING] = {COLOR_YELLOW, A_BOLD},
    [TOP_STYLE_DIM] = {-1, A_DIM},
    [TOP_STYLE_BUSY] = {COLOR_YELLOW, A_NORMAL},
    [TOP_STYLE_STUCK] = {COLOR_RED, A_NORMAL},
    [TOP_STYLE_WAITING] = {COLOR_CYAN, A_NORMAL},
};

static attr_t curses_attr(const struct top_app *app, enum top_style style)
{
  attr_t a = curses_styles[style].attr;
  if (app->color && curses_styles[style].fg >= 0)
    a |= COLOR_PAIR(style);
  return a;
}

static void curses_draw(struct top_app *app, struct top_canvas *c)
{
  getmaxyx(stdscr, app->height, app->width);
  if (c->width != app->width) {
    top_canvas_free(c);
    top_canvas_init(c, app->width, app->screen.ascii);
  }
  top_frame_render(c, &app->screen, app->height, 0);
  erase();
  for (size_t i = 0; i < c->count && (int)i < app->height; i++) {
    const struct top_line *l = &c->lines[i];
    attr_t a = curses_attr(app, l->style);
    attrset(a);
    mvaddstr((int)i, 0, l->text);
    if (l->style == TOP_STYLE_SELECTED || l->style == TOP_STYLE_COLUMNS) {
      /* The bar spans the whole width. */
      int y, x;
      getyx(stdscr, y, x);
      if (y == (int)i)
        for (; x < app->width; x++)
          addch(' ');
    }
    if (l->span_to > l->span_from) {
      attr_t span = curses_attr(app, l->span_style);
      if (l->style == TOP_STYLE_SELECTED)
        span |= A_REVERSE;
      mvchgat((int)i, l->span_from, l->span_to - l->span_from, span,
              app->color ? (short)l->span_style : 0, NULL);
    }
  }
  attrset(A_NORMAL);
  refresh();
}

/* Takes what the live feed has: a snapshot (held while paused), and its state. */
static void curses_take_live(struct top_app *app)
{
  struct top_screen *s = &app->screen;
  struct top_snap *snap = NULL;
  int new_stream = 0;
  top_live_take(app->live, &snap, &new_stream, s->state, sizeof s->state);
  if (snap) {
    top_snap_free(app->held);
    app->held = snap;
    app->held_new_stream |= new_stream;
  }
  /* A program top started does not come back: say how it ended instead of waiting. */
  if (app->program && top_program_poll(app->program) && strncmp(s->state, "live", 4) != 0) {
    char how[64];
    top_program_describe(app->program, how, sizeof how);
    if (strncmp(s->state, "waiting", 7) == 0)
      snprintf(s->state, sizeof s->state, "ended before top could attach");
    char *cut = strstr(s->state, " - waiting for a restart");
    if (cut)
      *cut = '\0';
    size_t len = strlen(s->state);
    snprintf(s->state + len, sizeof s->state - len, " - program %s", how);
    top_live_stop(app->live);
  }
  if (app->held && !s->paused) {
    if (app->held_new_stream)
      top_screen_reset(s);
    top_screen_apply(s, app->held);
    app->held = NULL;
    app->held_new_stream = 0;
  }
}

static int64_t curses_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Replay playing: when the next snapshot is due, in recorded time scaled by the speed. */
static int curses_play(struct top_app *app, int64_t *due_ns)
{
  if (!app->playing) {
    *due_ns = -1;
    return -1;
  }
  struct as_reader_error err;
  int64_t now = curses_now_ns();
  if (*due_ns < 0) {
    int64_t gap = top_replay_gap_ns(&app->replay, &app->screen, &err);
    if (gap < 0) {
      app->playing = 0;
      top_app_replay_state(app);
      return -1;
    }
    gap = app->speed_log2 >= 0 ? gap >> app->speed_log2 : gap << -app->speed_log2;
    *due_ns = now + gap;
  }
  if (now >= *due_ns) {
    if (top_replay_step(&app->replay, &app->screen, 1, &err) < 0)
      snprintf(app->screen.message, sizeof app->screen.message, "%.250s", err.text);
    top_app_replay_state(app);
    *due_ns = -1;
    return 0;
  }
  int64_t ms = (*due_ns - now) / 1000000;
  return ms < CURSES_TICK_MS ? (int)ms : CURSES_TICK_MS;
}

/* Returns 0, or -1 for a terminal ncurses does not know (initscr would exit the process). */
static int curses_setup(struct top_app *app)
{
  set_escdelay(25);
  if (!newterm(NULL, stdout, stdin)) {
    const char *term = getenv("TERM");
    fprintf(stderr,
            "actorscope top: cannot drive a terminal of type '%s'; use --batch for text "
            "frames\n",
            term ? term : "");
    return -1;
  }
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  curs_set(0);
  if (app->color && has_colors()) {
    start_color();
    use_default_colors();
    for (int st = 0; st < TOP_STYLE_COUNT; st++)
      if (curses_styles[st].fg >= 0)
        init_pair((short)st, curses_styles[st].fg, -1);
  } else {
    app->color = 0;
  }
  return 0;
}

int top_curses_can_run(void)
{
  if (isatty(0) && isatty(1))
    return 1;
  fprintf(stderr, "actorscope top: needs a terminal; use --batch for text frames\n");
  return 0;
}

int top_curses_run(struct top_app *app)
{
  if (!top_curses_can_run())
    return 2;
  setlocale(LC_ALL, "");
  if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
    app->screen.ascii = 1; /* a terminal that may not show the block and arrow characters */
  struct sigaction sa = {.sa_handler = curses_on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  if (curses_setup(app) < 0)
    return 2;
  struct top_canvas canvas;
  top_canvas_init(&canvas, COLS, app->screen.ascii);
  int64_t due = -1;
  while (!app->quit && !curses_stop) {
    curses_draw(app, &canvas);
    int timeout = app->screen.replay ? curses_play(app, &due) : -1;
    if (timeout == 0)
      continue;
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = -1}};
    if (app->live)
      fds[1] = (struct pollfd){.fd = top_live_fd(app->live), .events = POLLIN};
    int n = poll(fds, 2, timeout < 0 ? CURSES_TICK_MS : timeout);
    if (n < 0 && errno != EINTR)
      break;
    if (app->live)
      curses_take_live(app);
    int key;
    while ((key = getch()) != ERR) {
      if (key == KEY_RESIZE)
        continue;
      top_input_key(app, key);
      if (app->screen.replay && !app->playing)
        due = -1;
    }
    if (fds[0].revents & (POLLHUP | POLLERR))
      break; /* the terminal went away */
  }
  top_canvas_free(&canvas);
  endwin();
  return 0;
}
