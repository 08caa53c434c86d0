/* actorscope top: the keys. One table says which key does what; the help panel and the
 * footer's hints are printed from it, so they list every key there is. */
#ifndef ACTORSCOPE_TOP_KEYS_H
#define ACTORSCOPE_TOP_KEYS_H

#include "top_screen.h"

enum top_action {
  TOP_ACT_NONE,
  TOP_ACT_UP,
  TOP_ACT_DOWN,
  TOP_ACT_PAGE_UP,
  TOP_ACT_PAGE_DOWN,
  TOP_ACT_HOME,
  TOP_ACT_END,
  TOP_ACT_INSPECT,
  TOP_ACT_BACK,
  TOP_ACT_COLLAPSE,
  TOP_ACT_EXPAND,
  TOP_ACT_COLLAPSE_ALL,
  TOP_ACT_EXPAND_ALL,
  TOP_ACT_FLAT,
  TOP_ACT_INTERNAL,
  TOP_ACT_SORT_ID,
  TOP_ACT_SORT_NAME,
  TOP_ACT_SORT_STATE,
  TOP_ACT_SORT_MAILBOX,
  TOP_ACT_SORT_RATE,
  TOP_ACT_SORT_RECEIVED,
  TOP_ACT_SORT_EXCEPTIONS,
  TOP_ACT_SORT_AGE,
  TOP_ACT_INVERT,
  TOP_ACT_FILTER,
  TOP_ACT_PAUSE,
  TOP_ACT_HELP,
  TOP_ACT_WARNINGS,
  TOP_ACT_QUIT,
  /* replay */
  TOP_ACT_STEP_BACK,
  TOP_ACT_STEP_FORWARD,
  TOP_ACT_BACK_TEN,
  TOP_ACT_FORWARD_TEN,
  TOP_ACT_FIRST,
  TOP_ACT_LAST,
  TOP_ACT_GOTO_SEQ,
  TOP_ACT_GOTO_TIME,
  TOP_ACT_PLAY,
  TOP_ACT_FASTER,
  TOP_ACT_SLOWER,
};

/* What KEY (an ncurses key code) does on screen S. */
enum top_action top_keys_action(int key, const struct top_screen *s);
/* The help panel: every key, grouped. */
void top_keys_help(struct top_canvas *c, const struct top_screen *s);
/* The footer's short list of the main keys. */
const char *top_keys_hint(const struct top_screen *s);

#endif
