/* actorscope top: the screen's state, applied snapshot by snapshot. */
#include "top_screen.h"

#include <errno.h>
#include <string.h>

void top_screen_init(struct top_screen *s, const struct top_thresholds *thresholds)
{
  memset(s, 0, sizeof *s);
  top_model_init(&s->model, thresholds);
  top_view_init(&s->view);
  s->inspect_id = -1;
}

void top_screen_free(struct top_screen *s)
{
  top_model_free(&s->model);
  top_view_free(&s->view);
  top_warn_free(&s->warnings);
  recording_free(&s->run);
}

void top_screen_show_internal(struct top_screen *s, int on)
{
  s->view.internal = on;
  s->run.include_internal = on;
  /* What broke with the other setting may not break with this one: judge afresh. */
  top_warn_reset(&s->warnings);
  if (s->model.snap)
    top_warn_check(&s->warnings, &s->run, s->model.snap->snapshot.final);
  top_view_rebuild(&s->view, &s->model);
}

int top_screen_apply(struct top_screen *s, struct top_snap *snap)
{
  if (!s->run_started) {
    if (recording_start(&s->run, s->source, &snap->header, s->view.internal) < 0) {
      top_snap_free(snap);
      return -ENOMEM;
    }
    s->run_started = 1;
  }
  if (recording_add(&s->run, &snap->snapshot) < 0) {
    top_snap_free(snap);
    return -ENOMEM;
  }
  int final = snap->snapshot.final;
  /* The message rate of the actors the table lists, as every view counts their messages. */
  struct rm_counts counts;
  recording_counts(&s->run, &counts);
  int rc = top_model_apply(&s->model, snap, counts.messages);
  if (rc < 0)
    return rc;
  top_warn_check(&s->warnings, &s->run, final);
  return top_view_rebuild(&s->view, &s->model);
}

void top_screen_drop_snapshot(struct top_screen *s)
{
  top_model_drop_snapshot(&s->model);
  s->view.n_rows = 0;
}

void top_screen_reset(struct top_screen *s)
{
  top_model_reset(&s->model);
  top_warn_reset(&s->warnings);
  recording_free(&s->run);
  s->run_started = 0;
  s->view.n_rows = 0;
}
