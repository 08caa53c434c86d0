/* Recorded runs as a Prometheus textfile (export_prometheus.h). */
#include "export_prometheus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "metrics.h"

int export_prometheus_write(FILE *out, struct as_reader *const *runs, size_t n_runs,
                            long per_actor_cap, int include_internal, struct as_reader_error *err)
{
  struct metrics_process **processes = calloc(n_runs ? n_runs : 1, sizeof *processes);
  int rc = processes ? 0 : -ENOMEM;
  for (size_t i = 0; i < n_runs && rc == 0; i++) {
    const struct as_rec_header *h = as_reader_header(runs[i]);
    for (size_t k = 0; k < i && rc == 0; k++)
      if (metrics_process_is(processes[k], h)) {
        rc = -EINVAL;
        snprintf(err->text, sizeof err->text, "%s: the same process (pid %" PRId64 ") as %s",
                 as_reader_source(runs[i]), h->pid, as_reader_source(runs[k]));
      }
    if (rc == 0 && !(processes[i] = metrics_process_new(h)))
      rc = -ENOMEM;
    if (rc == 0)
      processes[i]->include_internal = include_internal;
    const struct as_rec_snapshot *snap;
    while (rc == 0 && (rc = as_reader_next(runs[i], &snap, err)) > 0)
      rc = metrics_process_update(processes[i], snap);
    if (rc == -ENOMEM)
      snprintf(err->text, sizeof err->text, "%s: out of memory", as_reader_source(runs[i]));
  }
  if (rc == 0) {
    struct metrics_render_options options = {0, per_actor_cap};
    metrics_render(out, processes, n_runs, NULL, 0, &options);
  }
  for (size_t i = 0; processes && i < n_runs; i++)
    metrics_process_free(processes[i]);
  free(processes);
  if (rc < 0)
    err->code = rc;
  return rc < 0 ? rc : 0;
}
