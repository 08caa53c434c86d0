#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *as_test_read_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return strdup("");
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len < 2)
      buf = realloc(buf, cap *= 2);
  }
  buf[len] = '\0';
  fclose(f);
  return buf;
}

void as_test_run(const char *const *argv, const char *const *env, int preload,
                 struct as_test_run *run)
{
  memset(run, 0, sizeof *run);
  snprintf(run->dir, sizeof run->dir, "/tmp/actorscope-test-XXXXXX");
  cr_assert_not_null(mkdtemp(run->dir));
  char program[1024];
  if (strchr(argv[0], '/'))
    snprintf(program, sizeof program, "%s", argv[0]);
  else
    snprintf(program, sizeof program, "%s/%s", AS_TEST_PROGRAMS, argv[0]);

  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    char path[128];
    if (chdir(run->dir) < 0)
      _exit(126);
    snprintf(path, sizeof path, "%s/stdout", run->dir);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    snprintf(path, sizeof path, "%s/stderr", run->dir);
    int err = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    unsetenv("LD_PRELOAD");
    /* Full lines only, so a test reads every actor in every line; tests of delta lines set
     * their own interval. */
    setenv("ACTORSCOPE_KEYFRAME_S", "0", 1);
    for (const char *const *e = env; e && *e; e++)
      putenv((char *)*e);
    if (preload)
      setenv("LD_PRELOAD", AS_TEST_PRELOAD, 1);
    execv(program, (char *const *)argv);
    _exit(127);
  }
  int status = 0;
  pid_t waited;
  while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
    ;
  cr_assert_eq(waited, pid, "waitpid: %s", strerror(errno));
  run->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  char path[128];
  snprintf(path, sizeof path, "%s/stdout", run->dir);
  run->out = as_test_read_file(path);
  snprintf(path, sizeof path, "%s/stderr", run->dir);
  run->err = as_test_read_file(path);
}

void as_test_run_both(const char *const *argv, const char *const *env, int same_stdout,
                      struct as_test_run *traced)
{
  struct as_test_run plain;
  as_test_run(argv, env, 0, &plain);
  as_test_run(argv, env, 1, traced);
  cr_assert_eq(traced->status, plain.status, "%s: exit status %d traced, %d untraced\n%s", argv[0],
               traced->status, plain.status, traced->err);
  if (same_stdout)
    cr_assert_str_eq(traced->out, plain.out, "%s: stdout differs when traced:\n%s---\n%s", argv[0],
                     traced->out, plain.out);
  cr_assert_eq(as_test_count_outputs(plain.dir), 0);
  as_test_run_free(&plain);
}

static int harness_remove(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void as_test_write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "cannot write %s", path);
  fputs(text, f);
  fclose(f);
}

void as_test_remove_tree(const char *dir) { nftw(dir, harness_remove, 16, FTW_DEPTH | FTW_PHYS); }

void as_test_run_free(struct as_test_run *run)
{
  free(run->out);
  free(run->err);
  run->out = run->err = NULL;
  /* Keep the files of a failed test for a look; a passing one cleans up after itself. */
  if (run->dir[0])
    as_test_remove_tree(run->dir);
  run->dir[0] = '\0';
}

static int harness_is_output(const char *name)
{
  size_t n = strlen(name);
  return strncmp(name, "actorscope.", 11) == 0 && n > 6 && strcmp(name + n - 6, ".jsonl") == 0;
}

int as_test_count_outputs(const char *dir)
{
  DIR *d = opendir(dir);
  cr_assert_not_null(d);
  int count = 0;
  for (struct dirent *e; (e = readdir(d));)
    count += harness_is_output(e->d_name);
  closedir(d);
  return count;
}

char *as_test_only_output(const char *dir)
{
  cr_assert_eq(as_test_count_outputs(dir), 1, "expected one snapshot file in %s", dir);
  DIR *d = opendir(dir);
  char *path = NULL;
  for (struct dirent *e; (e = readdir(d));)
    if (harness_is_output(e->d_name))
      cr_assert(asprintf(&path, "%s/%s", dir, e->d_name) > 0);
  closedir(d);
  return path;
}

json_t *as_test_load_lines(const char *path)
{
  char *text = as_test_read_file(path);
  json_t *lines = json_array();
  char *save = NULL;
  int lineno = 0;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    json_error_t error;
    json_t *value = json_loads(line, 0, &error);
    lineno++;
    cr_assert_not_null(value, "%s:%d: %s", path, lineno, error.text);
    json_array_append_new(lines, value);
  }
  free(text);
  /* Version 5 leaves out members at their defaults: tests read every actor in full. */
  json_t *header = json_array_get(lines, 0);
  if (json_integer_value(json_object_get(header, "version")) >= 5) {
    size_t i, k;
    json_t *line, *actor;
    json_array_foreach(lines, i, line)
    {
      const char *type = json_string_value(json_object_get(line, "type"));
      json_array_foreach(json_object_get(line, "actors"), k, actor)
          as_test_expand_defaults(actor, type && strcmp(type, "snapshot") == 0);
    }
  }
  cr_assert_gt(json_array_size(lines), 0, "%s is empty", path);
  return lines;
}

/* Sets KEY to VALUE (stolen) unless OBJECT has it. */
static void harness_default(json_t *object, const char *key, json_t *value)
{
  if (json_object_get(object, key))
    json_decref(value);
  else
    json_object_set_new(object, key, value);
}

void as_test_expand_defaults(json_t *a, int keyframe)
{
  json_t *stopped = json_object_get(a, "stopped");
  harness_default(a, "status", json_string(json_is_object(stopped) ? "stopped" : "running"));
  if (json_object_get(a, "runtime")) { /* the origin members: a delta may leave them all out */
    harness_default(a, "spawn_site", json_null());
    harness_default(a, "parent", json_null());
    if (json_object_get(a, "runtime_scope"))
      harness_default(a, "runtime_id", json_incref(json_object_get(a, "id")));
  }
  if (keyframe)
    harness_default(a, "children", json_array());
  harness_default(a, "stopped", json_null());
  harness_default(a, "mailbox", json_object());
  json_t *mailbox = json_object_get(a, "mailbox");
  harness_default(mailbox, "kind", json_string("unbounded"));
  const char *zero_mailbox[] = {"len", "max", "enqueued"};
  for (size_t i = 0; i < 3; i++)
    harness_default(mailbox, zero_mailbox[i], json_integer(0));
  harness_default(a, "outbox", json_pack("{s:i}", "len", 0));
  harness_default(a, "counters", json_object());
  const char *zero_counters[] = {"messages_received", "messages_sent", "replies", "handled",
                                 "exceptions"};
  for (size_t i = 0; i < 5; i++)
    harness_default(json_object_get(a, "counters"), zero_counters[i], json_integer(0));
  harness_default(a, "handler_ns", json_object());
  json_t *handler = json_object_get(a, "handler_ns");
  harness_default(handler, "total", json_integer(0));
  harness_default(handler, "max", json_incref(json_object_get(handler, "total")));
  harness_default(a, "handling", json_null());
  harness_default(a, "waiting_on", json_null());
  harness_default(a, "message_types", json_array());
  harness_default(a, "links", json_array());
  harness_default(a, "monitors", json_array());
}

/* A member of an ended actor (FORMAT.md, version 3) under another name, when present. */
static void harness_move(json_t *to, const char *to_key, json_t *from, const char *from_key,
                         json_int_t absent)
{
  json_t *value = json_object_get(from, from_key);
  json_object_set_new(to, to_key, value ? json_incref(value) : json_integer(absent));
}

/* An ended actor's compact object as the full actor object it stands for (what the reader,
 * format/reader.c, makes of it), so tests read every stopped actor one way. */
json_t *as_test_expand_ended(json_t *e)
{
  json_t *a = json_deep_copy(e);
  const char *flat[] = {"stopped_at_ns", "reason",           "enqueued",
                        "mailbox_max",   "outbox_len",       "messages_received",
                        "messages_sent", "replies",          "handled",
                        "exceptions",    "handler_total_ns", "handler_max_ns"};
  for (size_t i = 0; i < sizeof flat / sizeof flat[0]; i++)
    json_object_del(a, flat[i]);
  json_object_set_new(a, "status", json_string("stopped"));
  json_object_set_new(a, "ended", json_true());
  json_t *stopped = json_object();
  harness_move(stopped, "at_ns", e, "stopped_at_ns", 0);
  json_object_set(stopped, "reason", json_object_get(e, "reason"));
  json_object_set_new(a, "stopped", stopped);
  json_int_t enqueued = json_integer_value(json_object_get(e, "enqueued"));
  json_int_t received = json_integer_value(json_object_get(e, "messages_received"));
  json_t *mailbox = json_pack("{s:s, s:I}", "kind", "unbounded", "len",
                              (json_int_t)(enqueued > received ? enqueued - received : 0));
  harness_move(mailbox, "max", e, "mailbox_max", 0);
  harness_move(mailbox, "enqueued", e, "enqueued", 0);
  json_object_set_new(a, "mailbox", mailbox);
  json_t *outbox = json_object();
  harness_move(outbox, "len", e, "outbox_len", 0);
  json_object_set_new(a, "outbox", outbox);
  json_t *counters = json_object();
  harness_move(counters, "messages_received", e, "messages_received", 0);
  harness_move(counters, "messages_sent", e, "messages_sent", 0);
  harness_move(counters, "replies", e, "replies", 0);
  harness_move(counters, "handled", e, "handled", 0);
  harness_move(counters, "exceptions", e, "exceptions", 0);
  json_object_set_new(a, "counters", counters);
  json_t *handler = json_object();
  harness_move(handler, "total", e, "handler_total_ns", 0);
  /* Version 4 leaves out a handler_max_ns equal to handler_total_ns, a runtime_id equal to id. */
  harness_move(handler, "max", e,
               json_object_get(e, "handler_max_ns") ? "handler_max_ns" : "handler_total_ns", 0);
  json_object_set_new(a, "handler_ns", handler);
  if (json_object_get(e, "runtime_scope") && !json_object_get(e, "runtime_id"))
    json_object_set(a, "runtime_id", json_object_get(e, "id"));
  if (!json_object_get(a, "parent"))
    json_object_set_new(a, "parent", json_null());
  if (!json_object_get(a, "spawn_site"))
    json_object_set_new(a, "spawn_site", json_null());
  json_object_set_new(a, "handling", json_null());
  json_object_set_new(a, "waiting_on", json_null());
  json_object_set_new(a, "links", json_array());
  json_object_set_new(a, "monitors", json_array());
  json_object_set_new(a, "children", json_array());
  if (!json_object_get(a, "message_types")) /* version 5: none received */
    json_object_set_new(a, "message_types", json_array());
  return a;
}

json_t *as_test_line_actors(json_t *line)
{
  json_t *all = json_copy(json_object_get(line, "actors"));
  if (!all)
    all = json_array();
  size_t i;
  json_t *ended;
  json_array_foreach(json_object_get(line, "ended"), i, ended)
      json_array_append_new(all, as_test_expand_ended(ended));
  return all;
}

static int harness_id_order(const void *x, const void *y)
{
  json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "id"));
  json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "id"));
  return a < b ? -1 : a > b;
}

/* The last snapshot line, with every actor an earlier or this line listed as ended (a
 * stopped actor listed once, compactly, and reaped at once) added to its actors, in id order:
 * what the run's actors were, as the grave window kept them before version 3. Done once. */
json_t *as_test_last_snapshot(json_t *lines)
{
  for (size_t i = json_array_size(lines); i-- > 0;) {
    json_t *line = json_array_get(lines, i);
    if (strcmp(json_string_value(json_object_get(line, "type")), "snapshot") != 0)
      continue;
    if (json_object_get(line, "_with_ended"))
      return line;
    json_t *actors = json_object_get(line, "actors");
    for (size_t k = 0; k <= i; k++) {
      size_t e;
      json_t *ended;
      json_array_foreach(json_object_get(json_array_get(lines, k), "ended"), e, ended)
          json_array_append_new(actors, as_test_expand_ended(ended));
    }
    size_t n = json_array_size(actors);
    json_t **sorted = calloc(n + 1, sizeof *sorted);
    for (size_t k = 0; k < n; k++)
      sorted[k] = json_incref(json_array_get(actors, k));
    qsort(sorted, n, sizeof *sorted, harness_id_order);
    json_array_clear(actors);
    for (size_t k = 0; k < n; k++)
      json_array_append_new(actors, sorted[k]);
    free(sorted);
    /* An ended actor reaped before this line is no longer among its parent's children here:
     * put it back (ids in order), as the parent link says. */
    size_t k;
    json_t *a;
    json_array_foreach(actors, k, a)
    {
      json_t *parent = json_object_get(a, "parent");
      if (!json_is_true(json_object_get(a, "ended")) || !json_is_integer(parent))
        continue;
      json_t *up = as_test_actor_by_id(line, json_integer_value(parent));
      json_t *children = up ? json_object_get(up, "children") : NULL;
      if (!json_is_array(children))
        continue;
      json_int_t id = json_integer_value(json_object_get(a, "id"));
      size_t at = 0, c;
      json_t *child;
      json_array_foreach(children, c, child)
      {
        if (json_integer_value(child) == id)
          break;
        if (json_integer_value(child) < id)
          at = c + 1;
      }
      if (c == json_array_size(children))
        json_array_insert_new(children, at, json_integer(id));
    }
    json_object_set_new(line, "_with_ended", json_true());
    return line;
  }
  cr_assert_fail("no snapshot line");
  return NULL;
}

json_t *as_test_actor_named(json_t *snapshot, const char *name)
{
  size_t i;
  json_t *actor;
  json_array_foreach(json_object_get(snapshot, "actors"), i,
                     actor) if (strcmp(json_string_value(json_object_get(actor, "name")), name) ==
                                0) return actor;
  return NULL;
}

json_t *as_test_actor_by_id(json_t *snapshot, json_int_t id)
{
  size_t i;
  json_t *actor;
  json_array_foreach(json_object_get(snapshot, "actors"), i,
                     actor) if (json_integer_value(json_object_get(actor, "id")) ==
                                id) return actor;
  return NULL;
}

size_t as_test_actors_named(json_t *snapshot, const char *name, json_t **out, size_t max)
{
  size_t i, count = 0;
  json_t *actor;
  json_array_foreach(json_object_get(snapshot, "actors"), i, actor)
  {
    if (strcmp(json_string_value(json_object_get(actor, "name")), name) != 0)
      continue;
    if (count < max)
      out[count] = actor;
    count++;
  }
  return count;
}

size_t as_test_count_named(json_t *snapshot, const char *name)
{
  return as_test_actors_named(snapshot, name, NULL, 0);
}

static json_t *harness_path(json_t *object, const char *path)
{
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  char *save = NULL;
  json_t *at = object;
  for (char *key = strtok_r(buf, ".", &save); key && at; key = strtok_r(NULL, ".", &save))
    at = json_object_get(at, key);
  return at;
}

json_int_t as_test_int(json_t *object, const char *path)
{
  json_t *value = harness_path(object, path);
  cr_assert(json_is_integer(value), "no integer at %s", path);
  return json_integer_value(value);
}

const char *as_test_str(json_t *object, const char *path)
{
  return json_string_value(harness_path(object, path));
}

json_int_t as_test_type_count(json_t *actor, const char *type)
{
  size_t i;
  json_t *row;
  json_array_foreach(json_object_get(actor, "message_types"), i,
                     row) if (strcmp(json_string_value(json_object_get(row, "name")), type) ==
                              0) return json_integer_value(json_object_get(row, "count"));
  return 0;
}

json_int_t as_test_histogram_count(json_t *histogram)
{
  json_int_t total = 0;
  size_t i;
  json_t *pair;
  json_array_foreach(histogram, i, pair) total += json_integer_value(json_array_get(pair, 1));
  return total;
}

json_int_t as_test_from_thread_count(json_t *actor, const char *thread)
{
  size_t i;
  json_t *peer;
  json_array_foreach(json_object_get(actor, "peers"), i, peer)
  {
    const char *from = json_string_value(json_object_get(peer, "from_thread"));
    if (from && strcmp(from, thread) == 0)
      return json_integer_value(json_object_get(peer, "count"));
  }
  return 0;
}

json_t *as_test_run_lines(const struct as_test_run *run)
{
  char *path = as_test_only_output(run->dir);
  json_t *lines = as_test_load_lines(path);
  free(path);
  return lines;
}

json_t *as_test_first_deadlock(json_t *lines)
{
  size_t i;
  json_t *line;
  json_array_foreach(lines, i,
                     line) if (json_array_size(json_object_get(line, "deadlocks")) > 0) return line;
  return NULL;
}

json_t *as_test_find(json_t *array, const char *key, const char *value)
{
  size_t i;
  json_t *item;
  json_array_foreach(array, i, item)
  {
    const char *text = json_string_value(json_object_get(item, key));
    if (text && strcmp(text, value) == 0)
      return item;
  }
  return NULL;
}
