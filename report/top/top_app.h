/* actorscope top on a terminal: the screen plus where its snapshots come from (a replay or a
 * live feed), and what the keys change. */
#ifndef ACTORSCOPE_TOP_APP_H
#define ACTORSCOPE_TOP_APP_H

#include "top_live.h"
#include "top_program.h"
#include "top_replay.h"
#include "top_screen.h"

struct top_app {
  struct top_screen screen;
  struct top_replay replay; /* when screen.replay */
  struct top_live *live;    /* otherwise */
  struct top_snap *held;    /* the newest snapshot received while paused */
  int held_new_stream;
  struct top_program *program; /* top -- PROGRAM */
  int playing;
  int speed_log2; /* playing speed 2^speed_log2: -3 .. 6 */
  int color;
  int width, height;
  int quit;
};

/* Handles one key (an ncurses key code). */
void top_input_key(struct top_app *app, int key);
/* Replay: shows the next snapshot while playing; sets the header's state text. */
void top_app_replay_state(struct top_app *app);
/* Runs the terminal screen until the user quits. Returns 0, or 2 when there is no terminal. */
int top_curses_run(struct top_app *app);
/* Whether the screen can be drawn (a terminal on stdin and stdout); else says so on stderr. */
int top_curses_can_run(void);

#endif
