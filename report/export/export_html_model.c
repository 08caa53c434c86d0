/* Gathering a run for the HTML page (export_html_model.h). */
#define _GNU_SOURCE
#include "export_html_model.h"
#include "actor_model.h"
#include "show.h"

#include "escape.h"
#include "grow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct html_track {
  int64_t id;
  size_t at; /* position in model->actors; SIZE_MAX: not listed (runtime-internal) */
};

static int actor_seen(void *state, const struct as_rec_actor *a, int is_new, void *ctx)
{
  struct html_model *m = ctx;
  struct html_track *t = state;
  if (is_new && !actor_model_visible(a->internal, m->include_internal))
    t->at = SIZE_MAX;
  if (t->at == SIZE_MAX)
    return 0;
  if (is_new) {
    if (grow_array((void **)&m->actors, &m->cap_actors, m->n_actors, sizeof *m->actors) < 0)
      return -ENOMEM;
    t->at = m->n_actors++;
    struct html_actor *h = &m->actors[t->at];
    memset(h, 0, sizeof *h);
    h->id = a->id;
    h->name = intern_string(&m->strings, a->name);
    h->runtime = intern_string(&m->strings, a->runtime);
    if (!h->name || !h->runtime)
      return -ENOMEM;
    h->spawned_at_ns = a->spawned_at_ns;
    h->stopped_at_ns = -1;
  }
  struct html_actor *h = &m->actors[t->at];
  /* The name it has last (a runtime may name an actor only after a while). */
  if (strcmp(h->name, a->name) != 0 && !(h->name = intern_string(&m->strings, a->name)))
    return -ENOMEM;
  h->parent = a->has_parent ? a->parent : -1;
  h->has_system = a->has_runtime_id;
  h->system = a->runtime_scope;
  h->status = a->status;
  h->received = a->received_all;
  h->sent = a->sent_all;
  h->exceptions = a->exceptions;
  h->handled = a->handled;
  if (is_new || a->queued_all_max > h->mailbox_max)
    h->mailbox_max_s = m->now_s;
  h->mailbox_max = a->queued_all_max;
  h->handler_max_ns = a->handler_max_ns;
  h->handler_total_ns = a->handler_total_ns;
  if (a->n_wait_histogram) {
    int64_t *waits = realloc(h->waits, a->n_wait_histogram * 2 * sizeof *waits);
    if (!waits)
      return -ENOMEM;
    memcpy(waits, a->wait_histogram, a->n_wait_histogram * 2 * sizeof *waits);
    h->waits = waits;
    h->n_waits = a->n_wait_histogram;
  }
  if (a->has_handling && a->handling_elapsed_ns > h->running_max_ns) {
    h->running_max_ns = a->handling_elapsed_ns;
    h->slow_type = intern_string(&m->strings, a->handling_type ? a->handling_type : "");
  }
  if (a->has_stuck && (!h->stuck_in || a->stuck_handler_ns >= h->stuck_ns)) {
    char line[512], how[256];
    show_stack_line(a->stuck_stack, a->n_stuck_stack, line, sizeof line);
    show_stack_source(a->stuck_source, a->stuck_complete, a->stuck_end, a->stuck_cpu_ns,
                      a->stuck_cpu_window_ns, how, sizeof how);
    h->stuck_in = intern_string(&m->strings, line);
    h->stuck_how = intern_string(&m->strings, how);
    h->stuck_ns = a->stuck_handler_ns;
    if (!h->stuck_in || !h->stuck_how)
      return -ENOMEM;
  }
  if (a->has_stopped && !h->reason) {
    h->stopped_at_ns = a->stopped_at_ns;
    h->reason = intern_string(&m->strings, a->stop_reason ? a->stop_reason : "");
  }
  return 0;
}

#define HTML_CYCLES_MAX 200

static int fold_cycles(struct html_model *m, const struct as_rec_snapshot *s, double t)
{
  for (size_t i = 0; i < s->n_deadlocks; i++) {
    const struct as_rec_cycle *c = &s->deadlocks[i];
    for (size_t k = 0; k < c->n_actors; k++) {
      struct html_track *tr = actor_table_find(&m->index, c->actors[k]);
      if (tr && tr->at != SIZE_MAX)
        m->actors[tr->at].deadlocked = 1;
    }
    char *text = escape_cycle_text(c, " \xe2\x86\x92 ");
    if (!text)
      return -ENOMEM;
    size_t k = 0;
    while (k < m->n_cycles && strcmp(m->cycles[k].text, text) != 0)
      k++;
    if (k < m->n_cycles) {
      m->cycles[k].last_s = t;
      free(text);
      continue;
    }
    if (m->n_cycles >= HTML_CYCLES_MAX ||
        grow_array((void **)&m->cycles, &m->cap_cycles, m->n_cycles, sizeof *m->cycles) < 0) {
      free(text);
      if (m->n_cycles >= HTML_CYCLES_MAX)
        continue;
      return -ENOMEM;
    }
    m->cycles[m->n_cycles++] = (struct html_cycle){text, t, t};
  }
  return 0;
}

static int fold_snapshot(struct html_model *m, const struct as_rec_snapshot *s)
{
  double t = (double)s->uptime_ns / 1e9;
  m->now_s = t;
  int rc = actor_table_update(&m->index, s, actor_seen, NULL, m);
  if (rc < 0 || (rc = recording_add(&m->run, s)) < 0)
    return rc;
  if (grow_array((void **)&m->points, &m->cap_points, m->n_points, sizeof *m->points) < 0)
    return -ENOMEM;
  /* Alive over time: the actors the page lists, as the model counts them. */
  int64_t alive = 0;
  for (size_t i = 0; i < s->n_actors; i++)
    alive += s->actors[i].status != AS_STATUS_STOPPED &&
             actor_model_visible(s->actors[i].internal, m->include_internal);
  /* Messages over time likewise: the model's count of what the listed actors received. */
  struct rm_counts counts;
  recording_counts(&m->run, &counts);
  m->points[m->n_points++] = (struct html_point){t, alive, counts.messages};
  if (s->tick_fs > 0)
    m->tick_fs = s->tick_fs;
  return fold_cycles(m, s, t);
}

static int by_id(const void *a, const void *b)
{
  const struct html_actor *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

const struct html_actor *html_model_actor(const struct html_model *m, int64_t id)
{
  struct html_actor key = {.id = id};
  return m->n_actors ? bsearch(&key, m->actors, m->n_actors, sizeof key, by_id) : NULL;
}

/* The deepest mailboxes (by high-water mark), largest first. */
static void pick_deepest(struct html_model *m)
{
  m->n_deep = 0;
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct html_actor *a = &m->actors[i];
    if (a->mailbox_max <= 0)
      continue;
    size_t k = m->n_deep < HTML_DEEPEST ? m->n_deep++ : HTML_DEEPEST;
    if (k == HTML_DEEPEST) {
      if (html_model_actor(m, m->deep_ids[k - 1])->mailbox_max >= a->mailbox_max)
        continue;
      k--;
    }
    while (k > 0 && html_model_actor(m, m->deep_ids[k - 1])->mailbox_max < a->mailbox_max) {
      m->deep_ids[k] = m->deep_ids[k - 1];
      k--;
    }
    m->deep_ids[k] = a->id;
  }
}

/* The second pass: the chosen actors' depth at every snapshot (0 when not listed). */
static int read_depths(struct html_model *m, const char *source, struct as_reader_error *err)
{
  struct as_reader_options options = AS_READER_OPTIONS_DEFAULT;
  struct as_reader *run;
  int rc = as_reader_open(&run, source, &options, err);
  if (rc < 0)
    return rc;
  size_t cap = m->n_points ? m->n_points : 1;
  m->deep_t = calloc(cap, sizeof *m->deep_t);
  for (size_t k = 0; k < m->n_deep; k++)
    m->deep_depth[k] = calloc(cap, sizeof *m->deep_depth[k]);
  const struct as_rec_snapshot *s;
  while ((rc = as_reader_next(run, &s, err)) > 0 && m->n_deep_points < cap) {
    if (!m->deep_t) {
      rc = -ENOMEM;
      break;
    }
    size_t i = m->n_deep_points++;
    m->deep_t[i] = (double)s->uptime_ns / 1e9;
    for (size_t k = 0; k < m->n_deep; k++) {
      if (!m->deep_depth[k]) {
        rc = -ENOMEM;
        break;
      }
      size_t lo = 0, hi = s->n_actors;
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->actors[mid].id < m->deep_ids[k])
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo < s->n_actors && s->actors[lo].id == m->deep_ids[k])
        m->deep_depth[k][i] = (double)s->actors[lo].queued_all;
    }
    if (rc < 0)
      break;
  }
  as_reader_close(run);
  if (rc == -ENOMEM)
    snprintf(err->text, sizeof err->text, "%s: out of memory", source);
  return rc < 0 ? rc : 0;
}

static int is_regular_file(const char *source)
{
  struct stat st;
  if (strncmp(source, "file:", 5) == 0)
    source += 5;
  else if (strncmp(source, "unix:", 5) == 0 || strncmp(source, "tcp:", 4) == 0)
    return 0;
  return strcmp(source, "-") != 0 && stat(source, &st) == 0 && S_ISREG(st.st_mode);
}

static int html_header(struct html_model *m, const struct as_rec_header *h)
{
  char *argv = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&argv, &len);
  if (!f)
    return -ENOMEM;
  for (size_t i = 0; i < h->argc; i++)
    fprintf(f, "%s%s", i ? " " : "", h->argv[i]);
  if (fclose(f) != 0)
    return -ENOMEM;
  m->argv = intern_string(&m->strings, argv);
  free(argv);
  m->program = intern_string(&m->strings, h->name);
  m->started_at = intern_string(&m->strings, h->started_at ? h->started_at : "");
  m->pid = h->pid;
  return m->argv && m->program && m->started_at ? 0 : -ENOMEM;
}

int html_model_read(struct html_model *m, struct as_reader *run, const char *source,
                    int include_internal, struct as_reader_error *err)
{
  memset(m, 0, sizeof *m);
  m->include_internal = include_internal;
  actor_table_init(&m->index, sizeof(struct html_track));
  int rc = html_header(m, as_reader_header(run)), folded = 0;
  if (rc == 0)
    rc = recording_start(&m->run, source, as_reader_header(run), include_internal);
  const struct as_rec_snapshot *s;
  while (rc == 0 && folded == 0 && (rc = as_reader_next(run, &s, err)) > 0) {
    folded = fold_snapshot(m, s);
    rc = 0;
  }
  if (folded < 0 || rc == -ENOMEM) {
    rc = -ENOMEM;
    err->code = rc;
    snprintf(err->text, sizeof err->text, "%s: out of memory", source);
  }
  if (rc < 0)
    return rc;
  m->truncated = as_reader_truncated(run);
  recording_finish(&m->run);
  recording_counts(&m->run, &m->counts);
  actor_table_free(&m->index);
  if (m->n_actors)
    qsort(m->actors, m->n_actors, sizeof *m->actors, by_id);
  pick_deepest(m);
  if (!m->n_deep)
    return 0;
  if (!is_regular_file(source)) {
    m->deep_unavailable = 1;
    return 0;
  }
  return read_depths(m, source, err);
}

void html_model_free(struct html_model *m)
{
  actor_table_free(&m->index);
  for (size_t i = 0; i < m->n_actors; i++) {
    free(m->actors[i].waits);
  }
  free(m->actors);
  free(m->points);
  for (size_t i = 0; i < m->n_cycles; i++)
    free(m->cycles[i].text);
  free(m->cycles);
  free(m->deep_t);
  for (size_t k = 0; k < HTML_DEEPEST; k++)
    free(m->deep_depth[k]);
  intern_table_free(&m->strings);
  recording_free(&m->run);
  memset(m, 0, sizeof *m);
}
