/* actorscope top: drawing a frame — header, deadlock banner, warnings, the actor table (only
 * the rows on screen are formatted) or a panel, and the footer. */
#define _GNU_SOURCE
#include "show.h"
#include "top_keys.h"
#include "top_names.h"
#include "top_screen.h"

#include "actor_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_BANNER_MAX 2   /* deadlock lines on screen */
#define FRAME_WARNINGS_MAX 3 /* warning lines on screen */

enum col {
  COL_ID,
  COL_NAME,
  COL_RT,
  COL_STATE,
  COL_HANDLER,
  COL_MBOX,
  COL_MAX,
  COL_RATE,
  COL_TREND,
  COL_RECV,
  COL_EXC,
  COL_AGE,
  COL_COUNT
};

static const struct {
  const char *title;
  int width, right;
  int drop; /* the order in which columns give way on a narrow screen (0: never) */
  int sort; /* the sort it shows, -1 none */
} columns[COL_COUNT] = {
    [COL_ID] = {"ID", 6, 1, 0, TOP_SORT_ID},
    [COL_NAME] = {"NAME", 15, 0, 0, TOP_SORT_NAME}, /* the minimum: it takes what is left */
    [COL_RT] = {"RT", 4, 0, 1, -1},
    [COL_STATE] = {"STATE", 19, 0, 0, TOP_SORT_STATE},
    [COL_HANDLER] = {"HANDLER", 12, 0, 7, -1},
    [COL_MBOX] = {"MBOX", 6, 1, 0, TOP_SORT_MAILBOX},
    [COL_MAX] = {"MAX", 6, 1, 4, -1},
    [COL_RATE] = {"MSG/S", 7, 1, 0, TOP_SORT_RATE},
    [COL_TREND] = {"TREND", 8, 1, 6, -1},
    [COL_RECV] = {"RECV", 8, 1, 5, TOP_SORT_RECEIVED},
    [COL_EXC] = {"EXC", 4, 1, 2, TOP_SORT_EXCEPTIONS},
    [COL_AGE] = {"AGE", 6, 1, 3, TOP_SORT_AGE},
};

struct layout {
  int shown[COL_COUNT];
  int width[COL_COUNT];
};

/* NEED: the columns the rows on screen want for NAME, STATE and HANDLER. */
static void frame_layout(struct layout *l, int total, const int *need)
{
  int used = 0;
  for (int c = 0; c < COL_COUNT; c++) {
    l->shown[c] = 1;
    l->width[c] = columns[c].width;
    used += columns[c].width + 1;
  }
  used--;
  for (int drop = 1; used > total && drop <= 7; drop++)
    for (int c = 0; c < COL_COUNT; c++)
      if (columns[c].drop == drop) {
        l->shown[c] = 0;
        used -= columns[c].width + 1;
      }
  /* Names take what is left, up to a point: on a wide screen the numbers stay near them. */
  if (used < total)
    l->width[COL_NAME] += total - used < 40 ? total - used : 40;
  /* A name still cut takes the padding of the columns after it before anything else. */
  static const int lenders[] = {COL_STATE, COL_HANDLER};
  for (size_t k = 0; k < sizeof lenders / sizeof *lenders; k++) {
    int c = lenders[k], want = need[COL_NAME] - l->width[COL_NAME];
    int floor =
        need[c] > (int)strlen(columns[c].title) + 1 ? need[c] : (int)strlen(columns[c].title) + 1;
    int spare = l->shown[c] ? l->width[c] - floor : 0;
    int give = want < spare ? want : spare;
    if (give > 0) {
      l->width[c] -= give;
      l->width[COL_NAME] += give;
    }
  }
}

/* "12", "12.5", "1.2k", "3.4M" ... "9.2E": rates and counts in a few columns, whatever size a
 * file claims. */
static void frame_number(char *out, size_t cap, double v, int decimals)
{
  static const char units[] = "kMGTPE";
  if (v < 99999.5) {
    snprintf(out, cap, decimals && v > 0 && v < 100 ? "%.1f" : "%.0f", v);
    return;
  }
  int u = 0;
  v /= 1e3;
  while (v >= 999.95 && u < 5) {
    v /= 1e3;
    u++;
  }
  snprintf(out, cap, v < 99.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* Zero is the lowest mark, so an idle actor's trend is visible as idle, not as nothing. */
static void frame_sparkline(char *out, size_t cap, const float *values, size_t count, size_t next,
                            int width, int ascii)
{
  static const char *const blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                       "\u2585", "\u2586", "\u2587", "\u2588"};
  static const char ascii_levels[] = "_.:-=+*#";
  size_t n = count < (size_t)width ? count : (size_t)width;
  float max = 0;
  for (size_t i = 0; i < n; i++) {
    float v = values[(next + TOP_HISTORY - n + i) % TOP_HISTORY];
    if (v > max)
      max = v;
  }
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && used + 4 < cap; i++) {
    float v = values[(next + TOP_HISTORY - n + i) % TOP_HISTORY];
    int level = max > 0 && v > 0 ? 1 + (int)(v / max * 6.0f + 0.5f) : 0;
    if (level > 7)
      level = 7;
    if (ascii)
      out[used++] = ascii_levels[level];
    else
      used += (size_t)snprintf(out + used, cap - used, "%s", blocks[level]);
    out[used] = '\0';
  }
}

static enum top_style frame_state_style(enum top_state st)
{
  switch (st) {
  case TOP_STATE_BUSY: return TOP_STYLE_BUSY;
  case TOP_STATE_STUCK: return TOP_STYLE_STUCK;
  case TOP_STATE_WAITING: return TOP_STYLE_WAITING;
  case TOP_STATE_DEADLOCK: return TOP_STYLE_BANNER;
  case TOP_STATE_STOPPED: return TOP_STYLE_DIM;
  default: return TOP_STYLE_NORMAL;
  }
}

/* Appends TEXT fitted to column C of the row being built. */
static void row_cell(char *row, size_t cap, size_t *used, const struct layout *l, int c,
                     const char *text, int ascii)
{
  if (!l->shown[c])
    return;
  if (*used && *used + 1 < cap)
    row[(*used)++] = ' ';
  *used += top_text_fit(row + *used, cap - *used, text, l->width[c], columns[c].right, ascii);
}

static void frame_column_titles(struct top_canvas *c, const struct top_screen *s,
                                const struct layout *l)
{
  char row[2048], title[32];
  size_t used = 0;
  for (int col = 0; col < COL_COUNT; col++) {
    int sorted = columns[col].sort == (int)s->view.sort;
    snprintf(title, sizeof title, "%s%s", columns[col].title,
             sorted ? (s->view.reverse ? "^" : "*") : "");
    row_cell(row, sizeof row, &used, l, col, title, 1);
  }
  top_canvas_add(c, TOP_STYLE_COLUMNS, "%s", row);
}

/* The indent and tree mark before a row's name. */
static void frame_row_prefix(char *out, size_t cap, const struct top_screen *s,
                             const struct top_row *r)
{
  unsigned depth = r->depth > 10 ? 10 : r->depth;
  const char *mark = "";
  if (!s->view.flat && !s->view.filter.n_terms)
    mark = !r->has_children ? "  "
           : r->collapsed   ? (s->ascii ? "+ " : "\u25b8 ")
                            : (s->ascii ? "- " : "\u25be ");
  snprintf(out, cap, "%*s%s", (int)depth * 2, "", mark);
}

static void frame_row(struct top_canvas *c, const struct top_screen *s, const struct layout *l,
                      const struct top_row *r, const char *name, int selected)
{
  const struct as_rec_snapshot *snap = &s->model.snap->snapshot;
  const struct as_rec_actor *a = &snap->actors[r->actor];
  const struct top_actor_view *v = &s->model.views[r->actor];
  char row[4096], text[512];
  size_t used = 0;
  int ascii = s->ascii;

  snprintf(text, sizeof text, "%lld", (long long)a->id);
  row_cell(row, sizeof row, &used, l, COL_ID, text, ascii);
  frame_row_prefix(text, sizeof text, s, r);
  snprintf(text + strlen(text), sizeof text - strlen(text), "%s", name);
  row_cell(row, sizeof row, &used, l, COL_NAME, text, ascii);
  row_cell(row, sizeof row, &used, l, COL_RT, a->runtime, ascii);
  int state_from = top_text_width(row) + (used ? 1 : 0);
  top_state_text(text, sizeof text, a, v->state, ascii);
  row_cell(row, sizeof row, &used, l, COL_STATE, text, ascii);
  row_cell(row, sizeof row, &used, l, COL_HANDLER, a->has_handling ? a->handling_type : "", ascii);
  frame_number(text, sizeof text, (double)a->queued_all, 0);
  row_cell(row, sizeof row, &used, l, COL_MBOX, text, ascii);
  frame_number(text, sizeof text, (double)a->queued_all_max, 0);
  row_cell(row, sizeof row, &used, l, COL_MAX, text, ascii);
  frame_number(text, sizeof text, v->rate, 1);
  row_cell(row, sizeof row, &used, l, COL_RATE, text, ascii);
  frame_sparkline(text, sizeof text, v->history.rate, v->history.count, v->history.next,
                  l->width[COL_TREND], ascii);
  row_cell(row, sizeof row, &used, l, COL_TREND, text, ascii);
  frame_number(text, sizeof text, (double)a->received_all, 0);
  row_cell(row, sizeof row, &used, l, COL_RECV, text, ascii);
  frame_number(text, sizeof text, (double)a->exceptions, 0);
  row_cell(row, sizeof row, &used, l, COL_EXC, text, ascii);
  show_duration(top_actor_age_ns(snap, a), SHOW_DURATION_COMPACT, text, sizeof text);
  row_cell(row, sizeof row, &used, l, COL_AGE, text, ascii);

  struct top_line *line =
      top_canvas_add(c, selected ? TOP_STYLE_SELECTED : TOP_STYLE_NORMAL, "%s", row);
  if (line && v->state != TOP_STATE_RUNNING) {
    line->span_from = state_from;
    line->span_to = state_from + l->width[COL_STATE];
    line->span_style = frame_state_style(v->state);
  }
}

static void frame_header(struct top_canvas *c, const struct top_screen *s)
{
  const struct top_model *m = &s->model;
  const struct as_rec_snapshot *snap = m->snap ? &m->snap->snapshot : NULL;
  const struct as_rec_header *h = m->snap ? &m->snap->header : NULL;
  char up[48] = "", who[300] = "(no snapshot yet)";
  if (snap) {
    memcpy(up, " - up ", 7);
    show_duration(snap->uptime_ns, 0, up + 6, sizeof up - 6);
  }
  if (h) {
    snprintf(who, sizeof who, "%s pid %lld", h->name && *h->name ? h->name : "?",
             (long long)h->pid);
  }
  /* The state before the source: a long path may be cut, "waiting" or "ended" must not be. */
  top_canvas_add(c, TOP_STYLE_TITLE, "%s%s - %s - %s", who, up, s->state, s->source);
  if (s->note[0])
    top_canvas_add(c, TOP_STYLE_DIM, "%s", s->note);
  if (!snap) {
    top_canvas_add(c, TOP_STYLE_NORMAL, "actors: -");
    return;
  }
  /* The counts report and the HTML print (the recording's), over the actors the table lists. */
  struct rm_counts counts;
  size_t states[TOP_STATE_COUNT] = {0};
  recording_counts(&s->run, &counts);
  for (size_t i = 0; i < snap->n_actors && i < m->n_views; i++)
    if (actor_model_visible(snap->actors[i].internal, s->view.internal))
      states[m->views[i].state]++;
  /* The table lists the stopped actors of the grave window; when more stopped (reaped since, or
   * listed once in an earlier line), the run's count follows, the one report prints. */
  char all_stopped[48] = "";
  if (counts.stopped > (long long)states[TOP_STATE_STOPPED])
    snprintf(all_stopped, sizeof all_stopped, " (%lld in all)", (long long)counts.stopped);
  top_canvas_add(c, TOP_STYLE_NORMAL,
                 "actors: %lld alive (at most %lld at once), %zu busy, %zu stuck, %zu waiting, "
                 "%zu deadlocked, %zu stopped%s",
                 (long long)counts.alive, (long long)counts.max_alive, states[TOP_STATE_BUSY],
                 states[TOP_STATE_STUCK], states[TOP_STATE_WAITING], states[TOP_STATE_DEADLOCK],
                 states[TOP_STATE_STOPPED], all_stopped);
  if (counts.hidden)
    top_canvas_add(c, TOP_STYLE_DIM,
                   "%zu runtime-internal actors hidden (I or --internal shows "
                   "them)",
                   counts.hidden);
  struct as_rec_running running;
  as_rec_running_of(snap, &running);
  if (running.known) {
    char note[160];
    top_canvas_add(c, TOP_STYLE_NORMAL, "%s", as_rec_running_note(&running, note, sizeof note));
  }
  char rate[32], cost[96] = "tracer cost n/a";
  frame_number(rate, sizeof rate, m->message_rate, 1);
  if (m->has_cost) {
    double kb = (double)m->cost_bytes / 1024.0;
    char took[SHOW_DURATION_MAX];
    snprintf(cost, sizeof cost, "tracer %s, %.1f %s a snapshot",
             show_duration(m->cost_ns, 0, took, sizeof took), kb < 1024 ? kb : kb / 1024,
             kb < 1024 ? "KB" : "MB");
  }
  char end[96] = "";
  if (snap->signal)
    snprintf(end, sizeof end, " - final: died of %s", snap->signal);
  else if (snap->final && snap->ended_by && strcmp(snap->ended_by, "exit") != 0)
    snprintf(end, sizeof end, " - final: ended by %s", snap->ended_by);
  else if (snap->final)
    snprintf(end, sizeof end, " - final");
  char found[48] = "";
  if (counts.found_at_attach)
    snprintf(found, sizeof found, " (%lld found at attach)", (long long)counts.found_at_attach);
  top_canvas_add(c, TOP_STYLE_NORMAL, "messages: %s/s, %lld in all, %lld spawned%s - %s%s", rate,
                 (long long)counts.messages, (long long)counts.spawned, found, cost, end);
}

static void frame_banner(struct top_canvas *c, const struct top_screen *s, int all)
{
  const struct as_rec_snapshot *snap = s->model.snap ? &s->model.snap->snapshot : NULL;
  size_t n = snap ? snap->n_deadlocks : 0;
  const char *arrow = s->ascii ? "->" : "\u2192";
  for (size_t i = 0; i < n; i++) {
    if (!all && i == FRAME_BANNER_MAX - 1 && n > FRAME_BANNER_MAX) {
      top_canvas_add(c, TOP_STYLE_BANNER, "DEADLOCK: %zu more cycles", n - i);
      return;
    }
    char text[1024];
    size_t used = (size_t)snprintf(text, sizeof text, "DEADLOCK:");
    const struct as_rec_cycle *cy = &snap->deadlocks[i];
    for (size_t k = 0; k < cy->n_actors && used < sizeof text; k++)
      used +=
          (size_t)snprintf(text + used, sizeof text - used, " #%lld %s %s",
                           (long long)cy->actors[k], k < cy->n_names ? cy->names[k] : "?", arrow);
    if (cy->n_actors && used < sizeof text)
      snprintf(text + used, sizeof text - used, " #%lld", (long long)cy->actors[0]);
    top_canvas_add(c, TOP_STYLE_BANNER, "%s", text);
  }
}

struct warn_emit {
  struct top_canvas *c;
  size_t shown, limit, total;
};

/* All of them when they fit; else all but one and a line saying how many more. */
static void frame_warning(void *ctx, const char *text)
{
  struct warn_emit *w = ctx;
  if (w->limit && w->shown >= w->limit)
    return;
  if (w->limit && w->total > w->limit && w->shown + 1 == w->limit)
    top_canvas_add(w->c, TOP_STYLE_WARNING, "! %zu more warnings: press w to list them",
                   w->total - w->shown);
  else
    top_canvas_add(w->c, TOP_STYLE_WARNING, "! %s", text);
  w->shown++;
}

static void frame_count_warning(void *ctx, const char *text)
{
  (void)text;
  ((struct warn_emit *)ctx)->total++;
}

static void frame_warnings(struct top_canvas *c, struct top_screen *s, size_t limit)
{
  struct warn_emit w = {c, 0, limit, 0};
  top_warn_each(&s->warnings, &s->model, frame_count_warning, &w);
  top_warn_each(&s->warnings, &s->model, frame_warning, &w);
}

static void frame_footer(struct top_canvas *c, const struct top_screen *s)
{
  if (s->prompt_label[0]) {
    top_canvas_add(c, TOP_STYLE_SELECTED, "%s%s_", s->prompt_label, s->prompt);
    return;
  }
  if (s->message[0]) {
    top_canvas_add(c, TOP_STYLE_WARNING, "%s", s->message);
    return;
  }
  /* What is in force first: the hints may be cut on a narrow screen, the filter must not. */
  char filter[200] = "";
  if (s->view.filter.n_terms)
    snprintf(filter, sizeof filter, "filter '%s': %zu of %zu - ", s->view.filter.text,
             s->view.n_rows, s->model.snap ? s->model.snap->snapshot.n_actors : 0);
  top_canvas_add(c, TOP_STYLE_DIM, "%s%ssort %s%s%s - %s", s->paused ? "PAUSED - " : "", filter,
                 top_sort_name(s->view.sort), s->view.reverse ? " (inverted)" : "",
                 s->view.flat ? " - flat" : "", top_keys_hint(s));
}

/* The lines above the table: how many, for paging. */
static void frame_top(struct top_canvas *c, struct top_screen *s, int all)
{
  frame_header(c, s);
  frame_banner(c, s, all);
  frame_warnings(c, s, all ? 0 : FRAME_WARNINGS_MAX);
}

size_t top_frame_table_rows(struct top_screen *s, int width, int height)
{
  struct top_canvas c;
  top_canvas_init(&c, width, s->ascii);
  frame_top(&c, s, 0);
  long rows = (long)height - (long)c.count - 2; /* column titles and footer */
  top_canvas_free(&c);
  return rows > 1 ? (size_t)rows : 1;
}

static void frame_panel(struct top_canvas *c, struct top_screen *s, int height)
{
  struct top_canvas panel;
  top_canvas_init(&panel, c->width, s->ascii);
  if (s->mode == TOP_MODE_INSPECT)
    top_inspect_render(&panel, s, s->inspect_id);
  else if (s->mode == TOP_MODE_HELP)
    top_keys_help(&panel, s);
  else {
    top_canvas_add(&panel, TOP_STYLE_COLUMNS, "Warnings");
    frame_warnings(&panel, s, 0);
    frame_banner(&panel, s, 1);
    if (panel.count == 1)
      top_canvas_add(&panel, TOP_STYLE_NORMAL, "none");
  }
  size_t room = height ? (size_t)(height - (int)c->count - 1) : panel.count;
  if (height && s->panel_scroll + room > panel.count)
    s->panel_scroll = panel.count > room ? panel.count - room : 0;
  for (size_t i = s->panel_scroll; i < panel.count && i < s->panel_scroll + room; i++) {
    struct top_line *l = top_canvas_add(c, panel.lines[i].style, "%s", panel.lines[i].text);
    if (l) {
      l->span_from = panel.lines[i].span_from;
      l->span_to = panel.lines[i].span_to;
      l->span_style = panel.lines[i].span_style;
    }
  }
  top_canvas_free(&panel);
}

/* The column titles and rows [FIRST, END) of the view, their names told apart. */
static void frame_table(struct top_canvas *c, struct top_screen *s, size_t first, size_t end,
                        int cursor)
{
  struct top_view *v = &s->view;
  size_t n = end > first && s->model.snap ? end - first : 0;
  int need[COL_COUNT] = {0};
  size_t cap = (size_t)c->width * 4 + 8;
  char **names = calloc(n ? n : 1, sizeof *names);
  const char **full = calloc(n ? n : 1, sizeof *full);
  int *widths = calloc(n ? n : 1, sizeof *widths);
  char *texts = malloc(n * cap + 1);
  int ok = names && full && widths && texts;
  for (size_t k = 0; ok && k < n; k++) {
    const struct top_row *r = &v->rows[first + k];
    const struct as_rec_actor *a = &s->model.snap->snapshot.actors[r->actor];
    char text[512];
    frame_row_prefix(text, sizeof text, s, r);
    widths[k] = top_text_width(text); /* the prefix, until the layout is known */
    full[k] = a->name ? a->name : "";
    names[k] = texts + k * cap;
    if (r->group) { /* a heading: the whole row is its own */
      top_view_group_label(names[k], cap, a);
      widths[k] = -1;
      continue;
    }
    int w = widths[k] + top_text_width(full[k]);
    need[COL_NAME] = w > need[COL_NAME] ? w : need[COL_NAME];
    top_state_text(text, sizeof text, a, s->model.views[r->actor].state, s->ascii);
    w = top_text_width(text);
    need[COL_STATE] = w > need[COL_STATE] ? w : need[COL_STATE];
    w = a->has_handling ? top_text_width(a->handling_type ? a->handling_type : "") : 0;
    need[COL_HANDLER] = w > need[COL_HANDLER] ? w : need[COL_HANDLER];
  }
  struct layout l;
  frame_layout(&l, c->width, need);
  frame_column_titles(c, s, &l);
  if (ok) {
    /* Headings are left as they are: their text is no actor's name. */
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
      if (widths[k] >= 0) {
        names[m] = names[k];
        full[m] = full[k];
        widths[m++] = l.width[COL_NAME] - widths[k] > 0 ? l.width[COL_NAME] - widths[k] : 0;
      }
    top_names_fit(names, cap, full, widths, m, s->ascii);
    for (size_t k = 0; k < n; k++) /* each was fitted in its own place */
      names[k] = texts + k * cap;
  }
  for (size_t k = 0; k < n; k++) {
    const struct top_row *r = &v->rows[first + k];
    if (r->group) {
      char prefix[64];
      frame_row_prefix(prefix, sizeof prefix, s, r);
      top_canvas_add(c, cursor && first + k == v->cursor ? TOP_STYLE_SELECTED : TOP_STYLE_COLUMNS,
                     "%s%s", prefix, ok ? names[k] : "");
      continue;
    }
    const char *name = ok ? names[k] : s->model.snap->snapshot.actors[r->actor].name;
    frame_row(c, s, &l, r, name ? name : "", cursor && first + k == v->cursor);
  }
  free(names);
  free(full);
  free(widths);
  free(texts);
}

void top_frame_render(struct top_canvas *c, struct top_screen *s, int height, size_t rows)
{
  top_canvas_clear(c);
  frame_top(c, s, height == 0);
  if (s->mode != TOP_MODE_TABLE) {
    frame_panel(c, s, height);
  } else {
    size_t room = height ? (size_t)(height > (int)c->count + 2 ? height - (int)c->count - 2 : 0)
                         : (rows ? rows : s->view.n_rows);
    struct top_view *v = &s->view;
    if (height)
      top_view_move(v, 0, room);
    size_t first = height ? v->scroll : 0;
    size_t end = v->n_rows < first + room ? v->n_rows : first + room;
    frame_table(c, s, first, end, height != 0);
    if (!s->model.snap && height)
      top_canvas_add(c, TOP_STYLE_DIM, "  (no snapshot yet)");
  }
  if (height) {
    while ((int)c->count < height - 1)
      top_canvas_add(c, TOP_STYLE_NORMAL, "%s", "");
    while ((int)c->count > height - 1)
      free(c->lines[--c->count].text);
    frame_footer(c, s);
  }
}
