/* Helpers of the export and serve tests (test_export_support.h). */
#define _GNU_SOURCE
#include "test_export_support.h"

#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

json_t *export_test_last_seen(json_t *lines)
{
  json_t *last = json_object();
  for (size_t l = 1; l < json_array_size(lines); l++) {
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(json_array_get(lines, l), "actors"), i, a)
    {
      char id[32];
      snprintf(id, sizeof id, "%lld", (long long)as_test_int(a, "id"));
      json_object_set(last, id, a);
    }
  }
  return last;
}

void export_test_promtool(const char *path)
{
  char script[1200];
  snprintf(script, sizeof script, "promtool check metrics < '%s'", path);
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  struct as_test_run run;
  as_test_run(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 0, "promtool check metrics: %s%s", run.out, run.err);
  as_test_run_free(&run);
}
