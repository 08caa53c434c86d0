/* Helpers for tests that run real programs under the preload and read their snapshots. */
#ifndef AS_TEST_HARNESS_H
#define AS_TEST_HARNESS_H

#include <jansson.h>
#include <stddef.h>

struct as_test_run {
  int status;   /* exit status, or 128 + signal number */
  char *out;    /* everything the program wrote to stdout */
  char *err;    /* ... and to stderr */
  char dir[64]; /* its working directory, fresh per run */
};

/* Runs argv (argv[0] is a program name under tests/programs unless it has a '/') in a fresh
 * working directory. env: extra "NAME=VALUE" strings, NULL-terminated (may be NULL).
 * preload: whether LD_PRELOAD names libactorscope.so. */
void as_test_run(const char *const *argv, const char *const *env, int preload,
                 struct as_test_run *run);
/* Runs the program twice, untraced and traced, and asserts the exit status and (when
 * same_stdout) stdout are identical. Returns the traced run in `traced`. */
void as_test_run_both(const char *const *argv, const char *const *env, int same_stdout,
                      struct as_test_run *traced);
void as_test_run_free(struct as_test_run *run);
/* Writes TEXT into a new file at PATH (a planted name, a leftover of a run). */
void as_test_write_text(const char *path, const char *text);
/* Removes a directory and everything in it (not following links). */
void as_test_remove_tree(const char *dir);

/* The lines of the one snapshot file a run left in its directory (asserts there is one). */
json_t *as_test_run_lines(const struct as_test_run *run);
/* The first line reporting a deadlock, or NULL. */
json_t *as_test_first_deadlock(json_t *lines);

/* A whole file's text, malloc()ed; "" when it cannot be read. */
char *as_test_read_file(const char *path);
/* Path of the one actorscope.*.jsonl in dir (asserts there is exactly one); caller frees. */
char *as_test_only_output(const char *dir);
/* Number of actorscope.*.jsonl files in dir. */
int as_test_count_outputs(const char *dir);
/* Every line of a JSON Lines file, parsed (asserts each parses). */
json_t *as_test_load_lines(const char *path);
/* The last snapshot line (with the actors earlier lines listed as "ended" added, in id order),
 * and the n-th snapshot line. */
json_t *as_test_last_snapshot(json_t *lines);
/* A line's actors: its "actors" and its "ended" ones as the full objects they stand for (a new
 * array). */
json_t *as_test_line_actors(json_t *line);
/* An ended actor's compact object (format version 3) as the full actor object it stands for. */
json_t *as_test_expand_ended(json_t *ended);
/* A version 5 actor object with the members it left out at their defaults put back (FORMAT.md
 * "Defaults"), in place; KEYFRAME: a snapshot line's, whose actors have children. Done by
 * as_test_load_lines, so tests read every actor in full. */
void as_test_expand_defaults(json_t *actor, int keyframe);
/* The first actor called `name` in a snapshot, or NULL. */
json_t *as_test_actor_named(json_t *snapshot, const char *name);
json_t *as_test_actor_by_id(json_t *snapshot, json_int_t id);
size_t as_test_count_named(json_t *snapshot, const char *name);
/* Every actor called `name`, in id order: up to max of them into out; returns how many. */
size_t as_test_actors_named(json_t *snapshot, const char *name, json_t **out, size_t max);
/* The integer at a dotted path ("counters.messages_received"); asserts it exists. */
json_int_t as_test_int(json_t *object, const char *path);
/* The string at a dotted path, or NULL. */
const char *as_test_str(json_t *object, const char *path);
/* The first object of ARRAY whose string member KEY is VALUE, or NULL (ARRAY may be NULL). */
json_t *as_test_find(json_t *array, const char *key, const char *value);
/* How many messages of `type` an actor received (0 when absent). */
json_int_t as_test_type_count(json_t *actor, const char *type);
/* Messages in a histogram ([bucket, count] pairs; 0 for none). */
json_int_t as_test_histogram_count(json_t *histogram);
/* Messages an actor got from a thread that runs no actor (its peers' from_thread), 0 if none. */
json_int_t as_test_from_thread_count(json_t *actor, const char *thread);

#endif
