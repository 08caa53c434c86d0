/* actorscope top: the screen's state, applied snapshot by snapshot. */
#include "top_screen.h"

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
}

int top_screen_apply(struct top_screen *s, struct top_snap *snap)
{
  int rc = top_model_apply(&s->model, snap);
  if (rc < 0)
    return rc;
  top_warn_check(&s->warnings, &s->model);
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
  s->view.n_rows = 0;
}
