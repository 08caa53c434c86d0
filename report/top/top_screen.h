/* actorscope top: everything one screen shows — the model, the table's view, the warnings,
 * where the snapshots come from and in what state that is, and the panel or prompt open. The
 * frame (top_frame.c) is drawn from this alone, the same for the terminal and --batch. */
#ifndef ACTORSCOPE_TOP_SCREEN_H
#define ACTORSCOPE_TOP_SCREEN_H

#include "recording.h"
#include "top_canvas.h"
#include "top_model.h"
#include "top_view.h"
#include "top_warn.h"

enum top_mode { TOP_MODE_TABLE, TOP_MODE_INSPECT, TOP_MODE_HELP, TOP_MODE_WARNINGS };

struct top_screen {
  struct top_model model;
  /* The run folded snapshot by snapshot (report/lib/recording.h): what the header counts and
   * the warnings' rules read, as report and check do. */
  struct recording run;
  int run_started;
  struct top_view view;
  struct top_warnings warnings;
  int replay; /* keys for stepping through a recording */
  int ascii;
  enum top_mode mode;
  size_t panel_scroll; /* first line of the inspect, help or warnings panel */
  int64_t inspect_id;
  int paused;
  char source[512];      /* where snapshots come from, as the user named it */
  char state[256];       /* "live", "waiting: ...", "ended ...", "replay 3/8 seq 2 at ..." */
  char note[512];        /* a line under the header: where the program's output goes */
  char prompt_label[32]; /* non-empty while a prompt is open ("/" filter, ":" seq, "@" time) */
  char prompt[128];
  char message[256]; /* one-off feedback in the footer (a bad filter) */
};

void top_screen_init(struct top_screen *s, const struct top_thresholds *thresholds);
void top_screen_free(struct top_screen *s);
/* A new current snapshot (owned from now on): model, warnings and rows. Returns 0 or -ENOMEM. */
int top_screen_apply(struct top_screen *s, struct top_snap *snap);
/* Frees the current snapshot before the next is copied (top_model_drop_snapshot): a frame drawn
 * meanwhile shows none. */
void top_screen_drop_snapshot(struct top_screen *s);
/* Lists runtime-internal actors (ON 1) or hides them (0, the default), in the table, the
 * header's counts and the rules: --internal and the I key. */
void top_screen_show_internal(struct top_screen *s, int on);
/* A new process (reconnect) or a replay going back: forget history and broken rules. */
void top_screen_reset(struct top_screen *s);

/* Draws the frame into C. HEIGHT 0: everything, no footer (--batch); ROWS then caps the table
 * (0 = every row). Otherwise the frame fills HEIGHT lines exactly, footer last. */
void top_frame_render(struct top_canvas *c, struct top_screen *s, int height, size_t rows);
/* How many table rows fit a screen of HEIGHT lines now (for paging). */
size_t top_frame_table_rows(struct top_screen *s, int width, int height);

/* The inspect panel's lines for the actor with id ID (top_inspect.c). */
void top_inspect_render(struct top_canvas *c, const struct top_screen *s, int64_t id);

#endif
