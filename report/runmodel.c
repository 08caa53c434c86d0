#include "runmodel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int runmodel_id_cmp(const void *a, const void *b)
{
  long long x = snapfile_int(*(json_t *const *)a, "id");
  long long y = snapfile_int(*(json_t *const *)b, "id");
  return x < y ? -1 : x > y;
}

static json_t *runmodel_sorted_values(json_t *object)
{
  size_t n = json_object_size(object), i = 0;
  json_t **sorted = calloc(n + 1, sizeof *sorted);
  const char *key;
  json_t *value;
  json_object_foreach(object, key, value) sorted[i++] = value;
  qsort(sorted, n, sizeof *sorted, runmodel_id_cmp);
  json_t *list = json_array();
  for (i = 0; i < n; i++)
    json_array_append(list, sorted[i]);
  free(sorted);
  return list;
}

static void runmodel_add_int(json_t *object, const char *key, long long delta)
{
  json_object_set_new(object, key,
                      json_integer(json_integer_value(json_object_get(object, key)) + delta));
}

static void runmodel_max_int(json_t *object, const char *key, long long value)
{
  if (value > json_integer_value(json_object_get(object, key)))
    json_object_set_new(object, key, json_integer(value));
}

static void runmodel_scan_snapshot(struct runmodel *m, json_t *snap, json_t *latest, json_t *seen)
{
  json_t *totals = json_object_get(snap, "totals");
  if (snapfile_int(totals, "alive") > m->max_alive)
    m->max_alive = snapfile_int(totals, "alive");
  size_t i;
  json_t *actor;
  json_array_foreach(json_object_get(snap, "actors"), i, actor) {
    char key[32];
    snprintf(key, sizeof key, "%lld", snapfile_int(actor, "id"));
    json_object_set(latest, key, actor);
    json_t *handling = json_object_get(actor, "handling");
    if (json_is_object(handling))
      runmodel_max_int(m->stuck_handlers, key, snapfile_int(handling, "elapsed_ns"));
  }
  json_t *cycle;
  json_array_foreach(json_object_get(snap, "deadlocks"), i, cycle) {
    char *key = json_dumps(json_object_get(cycle, "actors"), JSON_COMPACT);
    if (key && !json_object_get(seen, key)) {
      json_object_set_new(seen, key, json_true());
      json_array_append_new(m->deadlocks,
                            json_pack("{s:I, s:O, s:O}", "first_seq", snapfile_int(snap, "seq"),
                                      "actors", json_object_get(cycle, "actors"), "names",
                                      json_object_get(cycle, "names")));
    }
    free(key);
  }
}

long long runmodel_handler_max_ns(const struct runmodel *m, json_t *actor)
{
  char key[32];
  snprintf(key, sizeof key, "%lld", snapfile_int(actor, "id"));
  long long finished = snapfile_int(json_object_get(actor, "handler_ns"), "max");
  long long running = json_integer_value(json_object_get(m->stuck_handlers, key));
  return finished > running ? finished : running;
}

static void runmodel_aggregate(struct runmodel *m)
{
  size_t i;
  json_t *actor;
  json_array_foreach(m->actors, i, actor) {
    const char *name = snapfile_str(actor, "name");
    json_t *agg = json_object_get(m->by_name, name);
    if (!agg) {
      agg = json_pack("{s:I, s:I, s:I, s:I, s:I, s:{}}", "spawned", 0, "alive_at_end", 0,
                      "mailbox_max", 0, "exceptions", 0, "handler_max_ns", 0, "messages");
      json_object_set_new(m->by_name, name, agg);
    }
    runmodel_add_int(agg, "spawned", 1);
    const char *status = snapfile_str(actor, "status");
    if (status && strcmp(status, "stopped") != 0)
      runmodel_add_int(agg, "alive_at_end", 1);
    runmodel_max_int(agg, "mailbox_max", snapfile_int(json_object_get(actor, "mailbox"), "max"));
    runmodel_add_int(agg, "exceptions", snapfile_int(json_object_get(actor, "counters"), "exceptions"));
    runmodel_max_int(agg, "handler_max_ns", runmodel_handler_max_ns(m, actor));
    size_t k;
    json_t *row;
    json_array_foreach(json_object_get(actor, "message_types"), k, row) {
      const char *type = snapfile_str(row, "name");
      if (type)
        runmodel_add_int(json_object_get(agg, "messages"), type, snapfile_int(row, "count"));
    }
  }
}

int runmodel_build(struct runmodel *m, const struct snapfile *file, long long seq)
{
  memset(m, 0, sizeof *m);
  m->file = file;
  m->at = snapfile_snapshot_at(file, seq);
  if (!m->at)
    return -1;
  size_t i;
  json_t *snap;
  json_array_foreach(file->snapshots, i, snap) if (snap == m->at) m->last_index = i;

  json_t *latest = json_object(), *seen = json_object();
  m->deadlocks = json_array();
  m->stuck_handlers = json_object();
  m->by_name = json_object();
  for (i = 0; i <= m->last_index; i++)
    runmodel_scan_snapshot(m, json_array_get(file->snapshots, i), latest, seen);
  m->actors = runmodel_sorted_values(latest);
  json_decref(latest);
  json_decref(seen);
  runmodel_aggregate(m);
  return 0;
}

void runmodel_free(struct runmodel *m)
{
  json_decref(m->actors);
  json_decref(m->by_name);
  json_decref(m->deadlocks);
  json_decref(m->stuck_handlers);
  memset(m, 0, sizeof *m);
}

int runmodel_load(struct snapfile *file, struct runmodel *model, const char *path, long long seq,
                  const char *command)
{
  struct snapfile_error err;
  if (snapfile_load(file, path, &err) < 0) {
    fprintf(stderr, "actorscope %s: %s\n", command, err.text);
    return -1;
  }
  if (file->truncated)
    fprintf(stderr, "actorscope %s: %s: the last line is cut short and was skipped\n", command,
            path);
  if (runmodel_build(model, file, seq) < 0) {
    if (seq >= 0)
      fprintf(stderr, "actorscope %s: %s has no snapshot %lld\n", command, path, seq);
    else
      fprintf(stderr, "actorscope %s: %s holds no snapshot\n", command, path);
    snapfile_free(file);
    return -1;
  }
  return 0;
}
