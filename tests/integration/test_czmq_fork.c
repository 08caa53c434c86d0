/* After fork the child writes its own file, or stops tracing: never the parent's file. */
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(czmq_fork, .timeout = 60);

static json_t *fork_load(const char *dir, long pid)
{
  char path[256];
  snprintf(path, sizeof path, "%s/actorscope.%ld.jsonl", dir, pid);
  return as_test_load_lines(path);
}

Test(czmq_fork, with_the_pid_in_the_file_name_the_child_writes_a_file_of_its_own)
{
  const char *argv[] = {"czmq_fork", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 14);
  cr_assert_eq(as_test_count_outputs(run.dir), 2);

  long child = 0;
  const char *at = strstr(run.out, "child pid ");
  cr_assert_not_null(at);
  child = strtol(at + 10, NULL, 10);
  json_t *child_lines = fork_load(run.dir, child);
  cr_assert_eq(as_test_int(json_array_get(child_lines, 0), "pid"), child);
  json_t *last = as_test_last_snapshot(child_lines);
  cr_assert_eq(as_test_int(last, "totals.total_spawned"), 1, "the parent's actors leaked in");
  json_t *echo = as_test_actor_named(last, "echo");
  cr_assert_eq(as_test_type_count(echo, "CHILD"), 1);
  cr_assert_eq(as_test_type_count(echo, "PARENT"), 0);

  /* The parent's file: its own header and only its own actor. */
  DIR *d = opendir(run.dir);
  long parent = 0;
  for (struct dirent *e; (e = readdir(d));) {
    long pid = 0;
    if (sscanf(e->d_name, "actorscope.%ld.jsonl", &pid) == 1 && pid != child)
      parent = pid;
  }
  closedir(d);
  json_t *parent_lines = fork_load(run.dir, parent);
  cr_assert_eq(as_test_int(json_array_get(parent_lines, 0), "pid"), parent);
  size_t i;
  json_t *line;
  json_array_foreach(parent_lines, i, line)
      cr_assert_str_eq(as_test_str(line, "type"), i == 0 ? "header" : "snapshot");
  last = as_test_last_snapshot(parent_lines);
  cr_assert_eq(as_test_int(last, "totals.total_spawned"), 1);
  cr_assert_eq(as_test_type_count(as_test_actor_named(last, "echo"), "PARENT"), 1);
  json_decref(child_lines);
  json_decref(parent_lines);
  as_test_run_free(&run);
}

/* A forked worker that ends with _exit (no exit handlers, no destructors) still gets its final
 * line, with its actor as it was then. */
Test(czmq_fork, a_child_ending_with__exit_writes_its_final_line)
{
  const char *argv[] = {"czmq_fork", "quick", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 14);
  /* A disk stalled over a second as the child's collector created its file (seen once in a
   * full ctest beside disk writers): the child ends without its line, and says so. */
  if (strstr(run.err, "(output_slow)"))
    cr_skip_test("the child's file took over a second to create: %s", run.err);
  cr_assert_str_eq(run.err, "", "stderr: %s", run.err);
  const char *at = strstr(run.out, "child pid ");
  cr_assert_not_null(at);
  json_t *child_lines = fork_load(run.dir, strtol(at + 10, NULL, 10));
  json_t *last = as_test_last_snapshot(child_lines);
  cr_assert(json_is_true(json_object_get(last, "final")), "the child's last line is not final");
  cr_assert_str_eq(as_test_str(last, "ended_by"), "exit");
  cr_assert_null(json_object_get(last, "signal"));
  json_t *echo = as_test_actor_named(last, "echo");
  cr_assert_str_eq(as_test_str(echo, "status"), "running");
  cr_assert_eq(as_test_type_count(echo, "CHILD"), 1);
  json_decref(child_lines);
  as_test_run_free(&run);
}

/* When the last line cannot be written within _exit's second, the process still ends on time
 * (its status unchanged), and stderr says the line is missing, once. */
Test(czmq_fork, a_child_whose_last_line_is_late_ends_on_time_and_says_so)
{
  const char *argv[] = {"czmq_fork", "quick-stalled", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 14);
  const char *said = "actorscope: the last snapshot was not written within a second; the process "
                     "ends without it (output_slow)\n";
  cr_assert_str_eq(run.err, said, "stderr: %s", run.err);
  as_test_run_free(&run);
}

Test(czmq_fork, with_a_fixed_file_name_the_child_stops_tracing)
{
  const char *argv[] = {"czmq_fork", NULL};
  const char *env[] = {"ACTORSCOPE_OUTPUT=file:fixed.jsonl", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 0, &run);
  cr_assert_eq(run.status, 14);
  char path[256];
  snprintf(path, sizeof path, "%s/fixed.jsonl", run.dir);
  json_t *lines = as_test_load_lines(path);
  json_t *header = json_array_get(lines, 0);
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    cr_assert_str_eq(as_test_str(line, "type"), i == 0 ? "header" : "snapshot",
                     "line %zu: two writers on one file", i + 1);
    if (i > 0)
      cr_assert_eq(as_test_type_count(as_test_actor_named(line, "echo"), "CHILD"), 0);
  }
  cr_assert_neq(strstr(run.out, "child pid "), NULL);
  long child = strtol(strstr(run.out, "child pid ") + 10, NULL, 10);
  cr_assert_neq(as_test_int(header, "pid"), child);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(czmq_fork, with_a_fixed_file_name_the_child_of_a_process_not_yet_writing_is_traced)
{
  const char *argv[] = {"czmq_fork", "early", NULL};
  const char *env[] = {"ACTORSCOPE_OUTPUT=file:fixed.jsonl", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 0, &run);
  cr_assert_eq(run.status, 14);
  char path[256];
  snprintf(path, sizeof path, "%s/fixed.jsonl", run.dir);
  json_t *lines = as_test_load_lines(path);
  cr_assert_neq(strstr(run.out, "child pid "), NULL);
  long child = strtol(strstr(run.out, "child pid ") + 10, NULL, 10);
  cr_assert_eq(as_test_int(json_array_get(lines, 0), "pid"), child);
  json_t *last = as_test_last_snapshot(lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  cr_assert_eq(as_test_type_count(as_test_actor_named(last, "echo"), "CHILD"), 1);
  json_decref(lines);
  as_test_run_free(&run);
}

/* czmq_fork MODE forks while a thread of the parent holds a lock of ours (the child inherits
 * it as it was, without that thread): the child must still trace its actor to the end, write
 * its own file and end as it would untraced, with nothing said on stderr. */
static void fork_assert_child_traced(const char *mode, const char *const *env)
{
  const char *argv[] = {"czmq_fork", mode, NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 0, &run);
  cr_assert_eq(run.status, 14);
  cr_assert_str_eq(run.err, "", "stderr: %s", run.err);
  cr_assert_eq(as_test_count_outputs(run.dir), 2);
  const char *at = strstr(run.out, "child pid ");
  cr_assert_not_null(at);
  json_t *child_lines = fork_load(run.dir, strtol(at + 10, NULL, 10));
  json_t *last = as_test_last_snapshot(child_lines);
  cr_assert(json_is_true(json_object_get(last, "final")));
  json_t *echo = as_test_actor_named(last, "echo");
  cr_assert_not_null(echo, "the child's actor is not listed by name");
  cr_assert_eq(as_test_type_count(echo, "CHILD"), 1);
  cr_assert_str_eq(as_test_str(echo, "status"), "stopped");
  size_t i;
  json_t *actor;
  json_array_foreach(json_object_get(last, "actors"), i, actor)
      cr_assert_gt(as_test_int(actor, "id"), 0, "a record read after it was freed");
  json_decref(child_lines);
  as_test_run_free(&run);
}

/* Forked while the parent's collector holds the symbol reader's lock (naming the parent's
 * actor): without the child forgetting it, the child's collector waited for it forever, wrote
 * no file, and its exit said "the last snapshot took too long". */
Test(czmq_fork, a_child_forked_while_the_collector_holds_a_lock_still_writes_its_file)
{
  fork_assert_child_traced("locked", NULL);
}

/* Forked while another host thread, spawning an actor, holds the intern table's lock: without
 * fork taking it first, the child's main thread (interning its actor's stop reason) waited for
 * it forever: the host's child hung. */
Test(czmq_fork, a_child_forked_while_another_thread_spawns_an_actor_never_hangs)
{
  fork_assert_child_traced("interning", NULL);
}

/* Forked while the parent's collector lets go of records it took off its list (outside the
 * registry lock, which fork takes): the child let go of them again, though the parent had
 * freed them and the child's own actor had one of them by then. Freed while listed, the
 * child's actor was read zeroed (id 0, no name) in its last line. */
Test(czmq_fork, a_child_forked_while_the_collector_lets_go_of_records_keeps_its_own)
{
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=20", NULL};
  fork_assert_child_traced("releasing", env);
}

/* Forked by a thread that had sent messages (named "forker"): in the child that thread is the
 * main thread, named "main" like any main thread (docs/peers.md). Its name as a peer, read at
 * its first message in the parent, was kept: the child's messages read "forker → echo", while
 * the same child forked by a thread that had sent nothing read "main → echo". */
Test(czmq_fork, a_child_forked_by_another_thread_names_its_main_thread_main)
{
  const char *argv[] = {"czmq_fork", "thread", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 0, &run);
  cr_assert_eq(run.status, 14);
  const char *at = strstr(run.out, "child pid ");
  cr_assert_not_null(at);
  long child = strtol(at + 10, NULL, 10);
  json_t *child_lines = fork_load(run.dir, child);
  json_t *echo = as_test_actor_named(as_test_last_snapshot(child_lines), "echo");
  cr_assert_eq(as_test_type_count(echo, "CHILD"), 1);
  cr_expect_eq(as_test_from_thread_count(echo, "forker"), 0);
  cr_expect_eq(as_test_from_thread_count(echo, "main"), 2, "the CHILD and $TERM from main");

  /* The parent's sender is the thread by its name. */
  json_t *parent_lines = NULL;
  DIR *d = opendir(run.dir);
  for (struct dirent *e; (e = readdir(d));) {
    long pid = 0;
    if (sscanf(e->d_name, "actorscope.%ld.jsonl", &pid) == 1 && pid != child)
      parent_lines = fork_load(run.dir, pid);
  }
  closedir(d);
  cr_assert_not_null(parent_lines);
  echo = as_test_actor_named(as_test_last_snapshot(parent_lines), "echo");
  cr_expect_eq(as_test_from_thread_count(echo, "forker"), 2);
  json_decref(child_lines);
  json_decref(parent_lines);
  as_test_run_free(&run);
}
