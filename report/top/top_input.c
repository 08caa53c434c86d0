/* actorscope top: what each key does. */
#define _GNU_SOURCE
#include "top_app.h"
#include "top_keys.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void top_app_replay_state(struct top_app *app)
{
  struct top_screen *s = &app->screen;
  top_replay_describe(&app->replay, s, s->state, sizeof s->state);
  if (app->playing) {
    size_t len = strlen(s->state);
    if (app->speed_log2 >= 0)
      snprintf(s->state + len, sizeof s->state - len, " - playing %dx", 1 << app->speed_log2);
    else
      snprintf(s->state + len, sizeof s->state - len, " - playing 1/%dx", 1 << -app->speed_log2);
  }
}

static void input_replay_result(struct top_app *app, int rc, const struct as_reader_error *err)
{
  if (rc < 0)
    snprintf(app->screen.message, sizeof app->screen.message, "%.250s", err->text);
  top_app_replay_state(app);
}

static void input_replay_move(struct top_app *app, long delta, int absolute)
{
  struct as_reader_error err;
  size_t last = app->replay.total ? app->replay.total - 1 : 0;
  int rc = absolute
               ? top_replay_goto(&app->replay, &app->screen, delta < 0 ? last : (size_t)delta, &err)
               : top_replay_step(&app->replay, &app->screen, delta, &err);
  input_replay_result(app, rc, &err);
}

/* The prompt's text on Enter: a filter, a seq, a time. */
static void input_prompt_commit(struct top_app *app)
{
  struct top_screen *s = &app->screen;
  struct as_reader_error err;
  char label = s->prompt_label[0];
  s->prompt_label[0] = '\0';
  if (label == '/') {
    if (top_filter_parse(&s->view.filter, s->prompt, s->message, sizeof s->message) == 0) {
      s->view.cursor = s->view.scroll = 0;
      s->view.cursor_id = -1;
      top_view_rebuild(&s->view, &s->model);
    }
  } else if (label == ':') {
    char *end = NULL;
    long long seq = strtoll(s->prompt, &end, 10);
    if (end == s->prompt || *end || seq < 0)
      snprintf(s->message, sizeof s->message, "'%.60s' is not a seq (a whole number)", s->prompt);
    else
      input_replay_result(app, top_replay_goto_seq(&app->replay, s, seq, &err), &err);
  } else if (label == '@') {
    input_replay_result(app, top_replay_goto_time(&app->replay, s, s->prompt, &err), &err);
  }
}

static void input_prompt_key(struct top_app *app, int key)
{
  struct top_screen *s = &app->screen;
  size_t len = strlen(s->prompt);
  if (key == 27) {
    s->prompt_label[0] = '\0';
  } else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
    input_prompt_commit(app);
  } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
    /* Drop a whole UTF-8 character. */
    while (len > 0 && (s->prompt[--len] & 0xc0) == 0x80)
      ;
    s->prompt[len] = '\0';
  } else if (key >= 0x20 && key < 0x100 && key != 0x7f && len + 1 < sizeof s->prompt) {
    s->prompt[len] = (char)key;
    s->prompt[len + 1] = '\0';
  }
}

static void input_open_prompt(struct top_screen *s, const char *label, const char *text)
{
  snprintf(s->prompt_label, sizeof s->prompt_label, "%s", label);
  snprintf(s->prompt, sizeof s->prompt, "%s", text);
}

static void input_sort(struct top_screen *s, enum top_sort sort)
{
  s->view.sort = sort;
  top_view_rebuild(&s->view, &s->model);
}

/* Collapse or expand every actor that has children. */
static void input_fold_all(struct top_screen *s, int collapse)
{
  const struct as_rec_snapshot *snap = s->model.snap ? &s->model.snap->snapshot : NULL;
  if (!collapse)
    s->view.n_collapsed = 0;
  for (size_t i = 0; collapse && snap && i < snap->n_actors; i++)
    if (snap->actors[i].n_children)
      top_view_collapse(&s->view, snap->actors[i].id, 1);
  top_view_rebuild(&s->view, &s->model);
}

static size_t input_page(struct top_app *app)
{
  return top_frame_table_rows(&app->screen, app->width, app->height);
}

/* Keys in the inspect, help and warnings panels scroll them. */
static int input_panel_key(struct top_app *app, enum top_action act)
{
  struct top_screen *s = &app->screen;
  size_t page = input_page(app);
  switch (act) {
  case TOP_ACT_UP: s->panel_scroll = s->panel_scroll ? s->panel_scroll - 1 : 0; return 1;
  case TOP_ACT_DOWN: s->panel_scroll++; return 1;
  case TOP_ACT_PAGE_UP:
    s->panel_scroll = s->panel_scroll > page ? s->panel_scroll - page : 0;
    return 1;
  case TOP_ACT_PAGE_DOWN: s->panel_scroll += page; return 1;
  case TOP_ACT_HOME: s->panel_scroll = 0; return 1;
  case TOP_ACT_END: s->panel_scroll = (size_t)-1 / 2; return 1;
  case TOP_ACT_BACK: s->mode = TOP_MODE_TABLE; return 1;
  default: return 0;
  }
}

void top_input_key(struct top_app *app, int key)
{
  struct top_screen *s = &app->screen;
  if (s->prompt_label[0]) {
    input_prompt_key(app, key);
    return;
  }
  s->message[0] = '\0';
  enum top_action act = top_keys_action(key, s);
  if (s->mode != TOP_MODE_TABLE && input_panel_key(app, act))
    return;
  struct top_view *v = &s->view;
  size_t page = input_page(app);
  switch (act) {
  case TOP_ACT_UP: top_view_move(v, -1, page); break;
  case TOP_ACT_DOWN: top_view_move(v, 1, page); break;
  case TOP_ACT_PAGE_UP: top_view_move(v, -(long)page, page); break;
  case TOP_ACT_PAGE_DOWN: top_view_move(v, (long)page, page); break;
  case TOP_ACT_HOME: top_view_move(v, -(long)v->n_rows, page); break;
  case TOP_ACT_END: top_view_move(v, (long)v->n_rows, page); break;
  case TOP_ACT_INSPECT:
    if (v->n_rows && v->rows[v->cursor].group) {
      top_view_collapse(v, v->rows[v->cursor].id, -1); /* a heading has nothing to inspect */
      top_view_rebuild(v, &s->model);
    } else if (v->n_rows) {
      s->mode = TOP_MODE_INSPECT;
      s->inspect_id = v->rows[v->cursor].id;
      s->panel_scroll = 0;
    }
    break;
  case TOP_ACT_BACK:
    if (v->filter.n_terms) { /* Esc on the table clears the filter */
      top_filter_parse(&v->filter, "", s->message, sizeof s->message);
      top_view_rebuild(v, &s->model);
    }
    break;
  case TOP_ACT_COLLAPSE:
  case TOP_ACT_EXPAND:
    if (v->n_rows) {
      top_view_collapse(v, v->rows[v->cursor].id, act == TOP_ACT_COLLAPSE);
      top_view_rebuild(v, &s->model);
    }
    break;
  case TOP_ACT_COLLAPSE_ALL: input_fold_all(s, 1); break;
  case TOP_ACT_EXPAND_ALL: input_fold_all(s, 0); break;
  case TOP_ACT_FLAT:
    v->flat = !v->flat;
    top_view_rebuild(v, &s->model);
    break;
  case TOP_ACT_INTERNAL: top_screen_show_internal(s, !v->internal); break;
  case TOP_ACT_SORT_ID: input_sort(s, TOP_SORT_ID); break;
  case TOP_ACT_SORT_NAME: input_sort(s, TOP_SORT_NAME); break;
  case TOP_ACT_SORT_STATE: input_sort(s, TOP_SORT_STATE); break;
  case TOP_ACT_SORT_MAILBOX: input_sort(s, TOP_SORT_MAILBOX); break;
  case TOP_ACT_SORT_RATE: input_sort(s, TOP_SORT_RATE); break;
  case TOP_ACT_SORT_RECEIVED: input_sort(s, TOP_SORT_RECEIVED); break;
  case TOP_ACT_SORT_EXCEPTIONS: input_sort(s, TOP_SORT_EXCEPTIONS); break;
  case TOP_ACT_SORT_AGE: input_sort(s, TOP_SORT_AGE); break;
  case TOP_ACT_INVERT:
    v->reverse = !v->reverse;
    top_view_rebuild(v, &s->model);
    break;
  case TOP_ACT_FILTER: input_open_prompt(s, "/", v->filter.text); break;
  case TOP_ACT_PAUSE: s->paused = !s->paused; break;
  case TOP_ACT_HELP:
    s->mode = TOP_MODE_HELP;
    s->panel_scroll = 0;
    break;
  case TOP_ACT_WARNINGS:
    s->mode = TOP_MODE_WARNINGS;
    s->panel_scroll = 0;
    break;
  case TOP_ACT_QUIT: app->quit = 1; break;
  case TOP_ACT_STEP_BACK: input_replay_move(app, -1, 0); break;
  case TOP_ACT_STEP_FORWARD: input_replay_move(app, 1, 0); break;
  case TOP_ACT_BACK_TEN: input_replay_move(app, -10, 0); break;
  case TOP_ACT_FORWARD_TEN: input_replay_move(app, 10, 0); break;
  case TOP_ACT_FIRST: input_replay_move(app, 0, 1); break;
  case TOP_ACT_LAST: input_replay_move(app, -1, 1); break;
  case TOP_ACT_GOTO_SEQ: input_open_prompt(s, ":", ""); break;
  case TOP_ACT_GOTO_TIME: input_open_prompt(s, "@", ""); break;
  case TOP_ACT_PLAY:
    app->playing = !app->playing;
    top_app_replay_state(app);
    break;
  case TOP_ACT_FASTER:
    if (app->speed_log2 < 6)
      app->speed_log2++;
    top_app_replay_state(app);
    break;
  case TOP_ACT_SLOWER:
    if (app->speed_log2 > -3)
      app->speed_log2--;
    top_app_replay_state(app);
    break;
  case TOP_ACT_NONE: break;
  }
}
