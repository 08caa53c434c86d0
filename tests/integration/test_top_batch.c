/* actorscope top --batch: golden frames from recorded runs (tests/data/top/CASE/args, run in
 * tests/data; expected.out, expected.status and, when present, expected.err). With
 * AS_TOP_UPDATE_GOLDEN=1 the expected files are rewritten from what the tool prints now. */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct top_result {
  char *out, *err;
  int status;
};

/* Runs the tool in tests/data with the case's argument lines; stdout and stderr to files. */
static void top_run_case(const char *dir, struct top_result *r)
{
  char path[700], out_path[64], err_path[64];
  snprintf(path, sizeof path, "%s/args", dir);
  char *args = as_test_read_file(path);
  cr_assert(args[0], "%s has no args", dir);
  char *argv[48] = {AS_TEST_CLI};
  int argc = 1;
  for (char *save = NULL, *l = strtok_r(args, "\n", &save); l && argc < 47;
       l = strtok_r(NULL, "\n", &save))
    argv[argc++] = l;
  argv[argc] = NULL;
  snprintf(out_path, sizeof out_path, "/tmp/as-top-out.%d", getpid());
  snprintf(err_path, sizeof err_path, "/tmp/as-top-err.%d", getpid());
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0 || chdir(AS_TEST_DATA) < 0)
      _exit(126);
    dup2(out, 1);
    dup2(err, 2);
    unsetenv("NO_COLOR");
    execv(AS_TEST_CLI, argv);
    _exit(127);
  }
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  r->out = as_test_read_file(out_path);
  r->err = as_test_read_file(err_path);
  unlink(out_path);
  unlink(err_path);
  free(args);
}

static void top_write(const char *dir, const char *name, const char *text)
{
  char path[700];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "cannot write %s", path);
  fputs(text, f);
  fclose(f);
}

static void top_golden(const char *name)
{
  char dir[512], path[700], status[16];
  snprintf(dir, sizeof dir, "%s/top/%s", AS_TEST_DATA, name);
  struct top_result r;
  top_run_case(dir, &r);
  snprintf(status, sizeof status, "%d\n", r.status);
  const char *update = getenv("AS_TOP_UPDATE_GOLDEN");
  if (update && strcmp(update, "1") == 0) {
    top_write(dir, "expected.out", r.out);
    top_write(dir, "expected.status", status);
    if (r.err[0])
      top_write(dir, "expected.err", r.err);
  }
  snprintf(path, sizeof path, "%s/expected.status", dir);
  char *expected = as_test_read_file(path);
  cr_expect_str_eq(status, expected, "%s: exit status\n%s", name, r.err);
  free(expected);
  snprintf(path, sizeof path, "%s/expected.out", dir);
  expected = as_test_read_file(path);
  cr_expect_str_eq(r.out, expected, "%s: the frames differ", name);
  free(expected);
  snprintf(path, sizeof path, "%s/expected.err", dir);
  expected = as_test_read_file(path);
  cr_expect_str_eq(r.err, expected, "%s: stderr differs", name);
  free(expected);
  free(r.out);
  free(r.err);
}

TestSuite(top_batch, .timeout = 30);

Test(top_batch, a_deadlock_recording_shows_its_banner_then_the_cycle_resolving_frame_by_frame)
{
  top_golden("deadlock-ascii");
}

Test(top_batch, a_tree_at_80_columns_keeps_the_main_columns_and_shows_stop_reasons)
{
  top_golden("tree-80-unicode");
}

Test(top_batch, a_flat_list_sorted_by_rate_puts_the_busiest_actor_first)
{
  top_golden("supervisor-flat-rate");
}

Test(top_batch, a_state_filter_lists_only_the_stopped_actors) { top_golden("tree-filter-stopped"); }

Test(top_batch, broken_rules_are_listed_as_warnings_from_the_snapshot_that_broke_them)
{
  top_golden("demo-rules");
}

Test(top_batch, lower_thresholds_turn_a_long_handler_busy_then_stuck)
{
  top_golden("demo-thresholds");
}

Test(top_batch, rows_a_name_filter_and_an_inverted_sort_show_the_last_five_idle_actors_of_250)
{
  top_golden("wide-rows-filter");
}

Test(top_batch, a_missing_recording_is_a_usage_error_naming_it) { top_golden("missing-file"); }

Test(top_batch, a_malformed_recording_names_the_line_and_member)
{
  top_golden("malformed-wrong-types");
}

Test(top_batch, a_truncated_recording_replays_its_complete_snapshots_and_says_so)
{
  top_golden("truncated");
}

Test(top_batch, a_bad_option_value_is_refused_with_the_usage) { top_golden("bad-frames"); }

Test(top_batch, a_handler_past_five_seconds_is_stuck_and_counted_in_the_header)
{
  top_golden("stuck-handler");
}

Test(top_batch, a_run_ended_by_a_signal_names_it_in_the_last_frame)
{
  top_golden("died-of-signal");
}

Test(top_batch, a_parent_cycle_in_a_hostile_file_lists_each_actor_once)
{
  top_golden("cyclic-tree");
}

Test(top_batch, a_sixty_actor_cycle_fits_its_banner_into_80_columns)
{
  top_golden("long-cycle-80");
}

Test(top_batch, counters_near_the_int64_limit_are_shortened_not_overflowed)
{
  top_golden("huge-counters");
}

/* Runs the tool with ARGV (in tests/data) and returns its stdout; stderr into *ERR. */
static char *top_run_argv(const char *const *argv, char **err, int *status)
{
  char dir[] = "/tmp/as-top-argv-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char args[700];
  snprintf(args, sizeof args, "%s/args", dir);
  FILE *f = fopen(args, "w");
  cr_assert_not_null(f);
  for (size_t i = 0; argv[i]; i++)
    fprintf(f, "%s\n", argv[i]);
  fclose(f);
  struct top_result r;
  top_run_case(dir, &r);
  unlink(args);
  rmdir(dir);
  *err = r.err;
  *status = r.status;
  return r.out;
}

static size_t top_count(const char *text, const char *what)
{
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
    n++;
  return n;
}

Test(top_batch, follow_prints_each_snapshot_as_a_growing_file_gets_it_until_the_final_one)
{
  char path[] = "/tmp/as-top-follow-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  char *run = as_test_read_file(AS_TEST_DATA "/runs/deadlock.jsonl");
  char *third = strchr(strchr(strchr(run, '\n') + 1, '\n') + 1, '\n') + 1;
  cr_assert_eq(write(fd, run, (size_t)(third - run)), third - run); /* header + 2 snapshots */
  pid_t writer = fork();
  if (writer == 0) {
    usleep(300000);
    ssize_t n = write(fd, third, strlen(third));
    _exit(n == (ssize_t)strlen(third) ? 0 : 1);
  }
  const char *argv[] = {"top", "--batch", "--ascii", "--follow", path, NULL};
  char *err;
  int status;
  char *out = top_run_argv(argv, &err, &status);
  cr_expect_eq(status, 0, "%s", err);
  cr_expect_eq(top_count(out, "czmq_deadlock pid 27613"), 7, "%s", out);
  cr_expect(strstr(out, "- live -"), "a followed file is live:\n%s", out);
  cr_expect(strstr(out, "- final\n"), "%s", out);
  int ws;
  waitpid(writer, &ws, 0);
  close(fd);
  unlink(path);
  free(run);
  free(out);
  free(err);
}

/* Entries of DIR (not . and ..). */
static int top_entries(const char *dir)
{
  char cmd[300];
  snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
  FILE *p = popen(cmd, "r");
  int n = -1;
  cr_assert_eq(fscanf(p, "%d", &n), 1);
  pclose(p);
  return n;
}

Test(top_batch, a_program_run_by_top_gives_a_frame_per_snapshot_its_status_and_its_output_file)
{
  char tmp[] = "/tmp/as-top-prog-XXXXXX";
  cr_assert_not_null(mkdtemp(tmp));
  setenv("TMPDIR", tmp, 1); /* where top makes its private directory */
  const char *argv[] = {
      "top", "--batch", "--ascii", "-i", "50", "--", AS_TEST_PROGRAMS "/czmq_tree", NULL};
  char *err;
  int status;
  char *out = top_run_argv(argv, &err, &status);
  cr_expect_eq(status, 5, "top ends as the program did: %s", err);
  cr_expect_geq(top_count(out, "czmq_tree pid "), 1, "%s", out);
  const char *last = strstr(out, "- final");
  cr_assert_not_null(last, "the final snapshot is a frame:\n%s", out);
  /* Each worker is shown stopped, with its reason, in a frame: an actor that lived and died
   * between two snapshots is listed once (FORMAT.md, "Ended actors"), in that frame only. */
  cr_expect(strstr(out, "Stopped: returned") && strstr(out, "Stopped: terminated") &&
                strstr(out, "Stopped: destroyed"),
            "%s", out);
  cr_expect(strstr(err, "czmq_tree exited with status 5"), "%s", err);
  /* czmq_tree prints a line: its output file is kept, and named. */
  const char *kept = strstr(err, "its output is in ");
  cr_assert_not_null(kept, "%s", err);
  kept += strlen("its output is in ");
  char *file = strndup(kept, strcspn(kept, "\n"));
  cr_expect_eq(strncmp(file, tmp, strlen(tmp)), 0, "%s", file);
  char *text = as_test_read_file(file);
  cr_expect_eq(strncmp(text, "tree done\n", 10), 0, "%s holds '%s'", file, text);
  free(text);
  free(file);
  free(out);
  free(err);
  /* A program that prints nothing leaves nothing behind. */
  char rm[128];
  snprintf(rm, sizeof rm, "rm -rf '%s'/*", tmp);
  cr_assert_eq(system(rm), 0);
  const char *quiet[] = {"top", "--batch", "--", "/bin/true", NULL};
  out = top_run_argv(quiet, &err, &status);
  cr_expect(!strstr(err, "its output is in"), "%s", err);
  cr_expect_eq(top_entries(tmp), 0, "top left files in %s", tmp);
  free(out);
  free(err);
  unsetenv("TMPDIR");
  snprintf(rm, sizeof rm, "rm -rf '%s'", tmp);
  cr_expect_eq(system(rm), 0);
}

/* top -- PROGRAM in a CI job fails with what it watched (it exited 0 whatever happened): the
 * program's own status when it ended by itself, 127 when it could not be started (and run's
 * reason, which went into the hidden output file), 1 when a --rules rule broke. */
Test(top_batch, a_program_run_by_top_passes_its_failure_on_and_so_does_a_broken_rule)
{
  char *err;
  int status;
  const char *missing[] = {"top", "--batch", "--", "/nonexistent-dir/program", NULL};
  char *out = top_run_argv(missing, &err, &status);
  cr_expect_eq(status, 127, "%s", err);
  cr_expect(strstr(err, "cannot run /nonexistent-dir/program: No such file or directory"), "%s",
            err);
  free(out);
  free(err);
  const char *failing[] = {"top", "--batch", "--", "/bin/false", NULL};
  out = top_run_argv(failing, &err, &status);
  cr_expect_eq(status, 1, "%s", err);
  free(out);
  free(err);
  const char *broken[] = {"top", "--batch", "--rules", AS_TEST_DATA "/top/demo.rules",
                          "-i",  "50",      "--",      AS_TEST_PROGRAMS "/czmq_demo",
                          "20",  NULL};
  out = top_run_argv(broken, &err, &status);
  cr_expect(strstr(out, "FAIL "), "%s", out);
  cr_expect_eq(status, 1, "%s", err);
  free(out);
  free(err);
  /* Rules judged on no snapshot at all (a program that ended before top read one) pass nothing. */
  const char *unread[] = {"top", "--batch",   "--rules", AS_TEST_DATA "/top/demo.rules",
                          "--",  "/bin/true", NULL};
  out = top_run_argv(unread, &err, &status);
  cr_expect_eq(status, 1, "%s", err);
  cr_expect(strstr(err, "no snapshot was read: the rules were not checked"), "%s", err);
  free(out);
  free(err);
}

/* `top --batch -- PROG | head -1`: the reader gone, top stops the program and ends as when it
 * stops one itself (SIGPIPE killed top and left the program running on its own). */
Test(top_batch, a_reader_that_goes_away_stops_the_program_top_started)
{
  char status_path[] = "/tmp/as-top-pipe-XXXXXX", command[768];
  int fd = mkstemp(status_path);
  cr_assert_geq(fd, 0);
  close(fd);
  snprintf(command, sizeof command,
           "{ '%s' top --batch -- '%s/czmq_pingpong' 2999917 2>/dev/null; echo $? >'%s'; } | "
           "head -1 >/dev/null",
           AS_TEST_CLI, AS_TEST_PROGRAMS, status_path);
  cr_assert_eq(system(command), 0);
  char *status = as_test_read_file(status_path);
  cr_expect_str_eq(status, "0\n", "top ended with %s", status);
  free(status);
  unlink(status_path);
  cr_expect_neq(system("pgrep -f 'czmq_pingpon[g] 2999917' >/dev/null"), 0,
                "the program runs on after top ended");
  cr_assert_eq(system("pkill -9 -f 'czmq_pingpon[g] 2999917'; true"), 0);
}

/* The screen without a terminal is refused before a program is started for it (it was started,
 * then stopped, then the refusal came). */
Test(top_batch, a_screen_without_a_terminal_is_refused_before_the_program_starts)
{
  const char *argv[] = {"top", "--", AS_TEST_PROGRAMS "/czmq_pingpong", "2999923", NULL};
  char *err;
  int status;
  char *out = top_run_argv(argv, &err, &status);
  cr_expect_eq(status, 2, "%s", err);
  cr_expect_str_eq(err, "actorscope top: needs a terminal; use --batch for text frames\n");
  free(out);
  free(err);
}

/* A real Broker run at 80 columns: a qualified name without room for its first part keeps whole
 * ::parts from its end ("…::core_actor", not "…oker::core_actor"), and never half a "::"
 * ("…middleman_actor", not "…:middleman_actor"). */
Test(top_batch, a_name_cut_keeps_whole_parts_and_no_stray_colon)
{
  top_golden("names-cut-whole-parts");
}

/* A script run by top is named as every view names it, by the script and its interpreter (top
 * said "/usr/bin/python3's output" and "/usr/bin/python3 exited"). */
Test(top_batch, a_script_run_by_top_is_named_by_the_script)
{
  char script[] = "/tmp/as-top-script-XXXXXX.py";
  int fd = mkstemps(script, 3);
  cr_assert_geq(fd, 0);
  close(fd);
  as_test_write_text(script, "print('hello')\n");
  const char *argv[] = {"top", "--batch", "--", "/usr/bin/python3", script, NULL};
  char *err;
  int status;
  char *out = top_run_argv(argv, &err, &status);
  cr_expect_eq(status, 0, "%s", err);
  const char *base = strrchr(script, '/') + 1;
  char expected[128];
  snprintf(expected, sizeof expected, "actorscope top: %s (python3", base);
  cr_expect(strstr(err, expected), "%s", err);
  free(out);
  free(err);
  unlink(script);
}

/* A port nobody listens on now (the kernel's choice). */
static int top_free_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

Test(top_batch, a_tcp_source_is_waited_for_then_read_frame_by_frame)
{
  char source[32], start[1024];
  int port = top_free_port();
  snprintf(source, sizeof source, "tcp:%d", port);
  /* The program starts after top is already waiting for it. */
  snprintf(start, sizeof start,
           "(sleep 0.3; cd /tmp && exec " AS_TEST_CLI " run -i 100 -o tcp:%d -- " AS_TEST_PROGRAMS
           "/czmq_slow 1000 >/dev/null 2>&1) &",
           port);
  cr_assert_eq(system(start), 0);
  const char *argv[] = {"top", "--batch", "--ascii", "--frames", "3", source, NULL};
  char *err;
  int status;
  char *out = top_run_argv(argv, &err, &status);
  cr_expect_eq(status, 0, "%s", err);
  cr_expect_eq(top_count(out, "- live - tcp:"), 3, "%s", out);
  cr_expect(strstr(out, "     2     slow_worker"), "%s", out);
  cr_expect(strstr(out, "Waiting->#2"), "%s", out);
  free(out);
  free(err);
}

Test(top_batch, a_rotated_set_replays_as_one_run_and_counts_every_file)
{
  top_golden("rotated-set");
}

Test(top_batch, format_2_delta_lines_show_the_whole_state_they_leave_and_their_time)
{
  top_golden("format2-deltas");
}

Test(top_batch, escape_sequences_in_names_and_the_program_path_reach_no_terminal)
{
  top_golden("escapes-in-names");
}

Test(top_batch, a_bad_rules_file_is_refused_naming_its_line) { top_golden("bad-rules"); }

/* A wait rule on a name none of whose messages was timed yet breaks at the run's end only, as
 * a rule on a name not seen yet does: a message may still be timed. */
Test(top_batch, a_wait_rule_on_an_untimed_name_breaks_only_at_the_end)
{
  top_golden("untimed-rules");
}

/* Issue 21 §1: runtime-internal actors are hidden from the table, its counts and the rules,
 * as in report and check; --internal (the I key) lists and counts them. */
Test(top_batch, runtime_internal_actors_are_hidden_and_break_no_rule_as_in_check)
{
  top_golden("systems-internal");
}

Test(top_batch, internal_lists_runtime_internal_actors_and_counts_them_in_rules)
{
  top_golden("systems-show-internal");
}

/* Issue 21 §3: at 80 columns no two different names read the same (the end is kept, NAME takes
 * STATE's and HANDLER's padding, wide characters count two columns); issue 21 §2: each CAF
 * actor system and runtime is a tree level. */
Test(top_batch, names_cut_at_80_columns_stay_apart_under_one_heading_per_actor_system)
{
  top_golden("names-80");
}

Test(top_batch, names_at_120_columns_keep_their_distinguishing_end) { top_golden("names-120"); }

/* hub talks to 10 workers and main but lists 7 of them: the panel says the count is of those
 * listed, and that there are more (report's "others"), not "talks to 7 peers". */
Test(top_batch, inspect_says_an_actor_with_peers_past_its_first_8_talks_to_more_than_it_lists)
{
  top_golden("inspect-peers-past-listed");
}

/* w6 received 8 messages from hub, which hub counts past its listed peers: the panel says others
 * may have sent to it unnamed, not "hears from none seen". */
Test(top_batch, inspect_says_messages_past_other_actors_listed_peers_may_have_come_to_it)
{
  top_golden("inspect-hears-past-listed");
}

/* ponger sent 5 to CAF's spawn server, a runtime-internal actor: without --internal, report
 * leaves that pair out, and so does the panel (helper-57 saw Broker's core_actor list its
 * basp-broker there, a pair report hides). */
Test(top_batch, inspect_leaves_out_runtime_internal_peers_as_report_does)
{
  top_golden("inspect-peers-hides-internal");
}

Test(top_batch, a_system_filter_lists_one_actor_systems_actors)
{
  top_golden("names-filter-system");
}
