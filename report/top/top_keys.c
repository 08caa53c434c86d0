/* actorscope top: the key table. */
#include "top_keys.h"

#include <curses.h>
#include <stdio.h>

#define KEY_ESC 27
#define KEY_CTRL(c) ((c)&0x1f)

enum key_scope { SCOPE_ALL, SCOPE_LIVE, SCOPE_REPLAY };

static const struct key_binding {
  int keys[4]; /* 0-terminated */
  const char *label;
  enum top_action action;
  enum key_scope scope;
  const char *help;
} bindings[] = {
    {{KEY_UP, 'k'}, "Up k", TOP_ACT_UP, SCOPE_ALL, "previous row (panels: scroll)"},
    {{KEY_DOWN, 'j'}, "Down j", TOP_ACT_DOWN, SCOPE_ALL, "next row (panels: scroll)"},
    {{KEY_PPAGE, KEY_CTRL('b')}, "PgUp ^B", TOP_ACT_PAGE_UP, SCOPE_ALL, "a page up"},
    {{KEY_NPAGE, KEY_CTRL('f')}, "PgDn ^F", TOP_ACT_PAGE_DOWN, SCOPE_ALL, "a page down"},
    {{KEY_HOME, 'g'}, "Home g", TOP_ACT_HOME, SCOPE_ALL, "first row"},
    {{KEY_END, 'G'}, "End G", TOP_ACT_END, SCOPE_ALL, "last row"},
    {{'\n', '\r', KEY_ENTER},
     "Enter",
     TOP_ACT_INSPECT,
     SCOPE_ALL,
     "inspect the actor: everything its snapshot holds, wait chain, history"},
    {{KEY_ESC, KEY_BACKSPACE, 127}, "Esc", TOP_ACT_BACK, SCOPE_ALL, "back to the table"},
    {{KEY_LEFT, 'h'}, "Left h", TOP_ACT_COLLAPSE, SCOPE_ALL, "collapse the actor's children"},
    {{KEY_RIGHT, 'l'}, "Right l", TOP_ACT_EXPAND, SCOPE_ALL, "expand the actor's children"},
    {{'C'}, "C", TOP_ACT_COLLAPSE_ALL, SCOPE_ALL, "collapse every actor with children"},
    {{'E'}, "E", TOP_ACT_EXPAND_ALL, SCOPE_ALL, "expand every actor"},
    {{'t'}, "t", TOP_ACT_FLAT, SCOPE_ALL, "tree or flat list"},
    {{'I'},
     "I",
     TOP_ACT_INTERNAL,
     SCOPE_ALL,
     "show or hide runtime-internal actors (CAF's spawn server ...), as --internal"},
    {{'i'}, "i", TOP_ACT_SORT_ID, SCOPE_ALL, "sort by id"},
    {{'n'}, "n", TOP_ACT_SORT_NAME, SCOPE_ALL, "sort by name"},
    {{'s'}, "s", TOP_ACT_SORT_STATE, SCOPE_ALL, "sort by state, the worst first"},
    {{'m'}, "m", TOP_ACT_SORT_MAILBOX, SCOPE_ALL, "sort by mailbox length"},
    {{'r'}, "r", TOP_ACT_SORT_RATE, SCOPE_ALL, "sort by messages per second"},
    {{'v'}, "v", TOP_ACT_SORT_RECEIVED, SCOPE_ALL, "sort by messages received"},
    {{'x'}, "x", TOP_ACT_SORT_EXCEPTIONS, SCOPE_ALL, "sort by exceptions"},
    {{'a'}, "a", TOP_ACT_SORT_AGE, SCOPE_ALL, "sort by age, the oldest first"},
    {{'R'}, "R", TOP_ACT_INVERT, SCOPE_ALL, "invert the sort"},
    {{'/'},
     "/",
     TOP_ACT_FILTER,
     SCOPE_ALL,
     "filter: part of a name, state:stuck, runtime:caf, system:2, type:ping (empty: none)"},
    {{'p'}, "p", TOP_ACT_PAUSE, SCOPE_LIVE, "pause (snapshots keep arriving, unseen)"},
    {{'w'}, "w", TOP_ACT_WARNINGS, SCOPE_ALL, "every warning and deadlock"},
    {{'?'}, "?", TOP_ACT_HELP, SCOPE_ALL, "this help"},
    {{'q', 'Q'}, "q", TOP_ACT_QUIT, SCOPE_ALL, "quit"},
    {{','}, ",", TOP_ACT_STEP_BACK, SCOPE_REPLAY, "one snapshot back"},
    {{'.'}, ".", TOP_ACT_STEP_FORWARD, SCOPE_REPLAY, "one snapshot forward"},
    {{'<'}, "<", TOP_ACT_BACK_TEN, SCOPE_REPLAY, "ten snapshots back"},
    {{'>'}, ">", TOP_ACT_FORWARD_TEN, SCOPE_REPLAY, "ten snapshots forward"},
    {{'['}, "[", TOP_ACT_FIRST, SCOPE_REPLAY, "first snapshot"},
    {{']'}, "]", TOP_ACT_LAST, SCOPE_REPLAY, "last snapshot"},
    {{':'}, ":", TOP_ACT_GOTO_SEQ, SCOPE_REPLAY, "go to a seq"},
    {{'@'},
     "@",
     TOP_ACT_GOTO_TIME,
     SCOPE_REPLAY,
     "go to a time: seconds of uptime (2.5) or time of day (06:42:09.5)"},
    {{' ', 'p'}, "Space p", TOP_ACT_PLAY, SCOPE_REPLAY, "play at the recorded speed, or stop"},
    {{'+', '='}, "+", TOP_ACT_FASTER, SCOPE_REPLAY, "play twice as fast (up to 64x)"},
    {{'-'}, "-", TOP_ACT_SLOWER, SCOPE_REPLAY, "play half as fast"},
};

static int key_in_scope(enum key_scope scope, const struct top_screen *s)
{
  return scope == SCOPE_ALL || (scope == SCOPE_REPLAY) == (s->replay != 0);
}

enum top_action top_keys_action(int key, const struct top_screen *s)
{
  for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++)
    for (int k = 0; k < 4 && bindings[i].keys[k]; k++)
      if (bindings[i].keys[k] == key && key_in_scope(bindings[i].scope, s))
        return bindings[i].action;
  return TOP_ACT_NONE;
}

void top_keys_help(struct top_canvas *c, const struct top_screen *s)
{
  top_canvas_add(c, TOP_STYLE_COLUMNS, "Keys (Esc: back to the table)");
  for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++)
    if (key_in_scope(bindings[i].scope, s))
      top_canvas_add(c, TOP_STYLE_NORMAL, "  %-8s %s", bindings[i].label, bindings[i].help);
  top_canvas_add(c, TOP_STYLE_NORMAL, "%s", "");
  top_canvas_add(c, TOP_STYLE_COLUMNS, "States");
  top_canvas_add(c, TOP_STYLE_NORMAL,
                 "  Busy 1.20s          in one handler past --busy-ms (500 ms)");
  top_canvas_add(c, TOP_STYLE_NORMAL, "  Stuck 7.00s         in one handler past --stuck-ms (5 s)");
  top_canvas_add(c, TOP_STYLE_NORMAL, "  Waiting->#12 3.00s  blocked on actor #12 for 3 s");
  top_canvas_add(c, TOP_STYLE_NORMAL, "  Deadlock            in a wait-for cycle (see the banner)");
  top_canvas_add(c, TOP_STYLE_NORMAL, "  Stopped: reason     stopped, listed for the grave window");
}

/* The hint names keys of the table above; the help panel lists them all. */
const char *top_keys_hint(const struct top_screen *s)
{
  if (s->mode != TOP_MODE_TABLE)
    return "Esc back  Up/Down scroll  q quit";
  return s->replay ? "q quit  ? help  Space play  ,/. step  </> ten  / filter  Enter inspect"
                   : "q quit  ? help  / filter  Enter inspect  Left/Right fold  p pause";
}
