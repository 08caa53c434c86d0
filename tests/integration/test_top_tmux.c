/* actorscope top on a real terminal: tmux runs it (a server of its own per test), send-keys
 * types, capture-pane reads what a user would see. Replays of recorded runs, and live runs
 * of the real CZMQ and CAF test programs. Skipped only when tmux is not installed. */
#define _GNU_SOURCE
#include "harness.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMUX_WAIT_MS 15000 /* an upper bound for a screen to show something, not a timing */

struct tmux {
  char server[64];
  char tmpdir[64]; /* $TMPDIR of the command: where `top --` puts its private directories */
};

static void tmux_sleep_ms(int ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int tmux_cmd(const struct tmux *t, const char *fmt, ...)
{
  char args[2048], cmd[2300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "tmux -L %s -f /dev/null %s >/dev/null 2>&1", t->server, args);
  return system(cmd);
}

/* The server of the test running in this process (a copy: a failed assertion leaves the
 * test's frame), stopped by the suite's fini after a failure too. */
static struct tmux tmux_running;

/* Starts COMMAND (a shell command run in tests/data) on a WIDTH x HEIGHT terminal. */
static void tmux_start(struct tmux *t, int width, int height, const char *command)
{
  if (system("command -v tmux >/dev/null 2>&1") != 0)
    cr_skip_test("tmux is not installed (scripts/setup installs it)");
  static int serial;
  snprintf(t->server, sizeof t->server, "astop-%d-%d", getpid(), serial++);
  snprintf(t->tmpdir, sizeof t->tmpdir, "/tmp/as-top-tmp-XXXXXX");
  cr_assert_not_null(mkdtemp(t->tmpdir));
  tmux_running = *t;
  cr_assert_eq(tmux_cmd(t, "new-session -d -x %d -y %d -c '%s' \"TMPDIR=%s %s\"", width, height,
                        AS_TEST_DATA, t->tmpdir, command),
               0, "tmux could not start %s", command);
}

static void tmux_stop(struct tmux *t)
{
  tmux_running.server[0] = '\0';
  tmux_cmd(t, "kill-server");
  char rm[128];
  snprintf(rm, sizeof rm, "rm -rf '%s'", t->tmpdir);
  cr_expect_eq(system(rm), 0);
}

/* The screen as text (ESCAPES: with the colour and attribute escape sequences). */
static char *tmux_screen(const struct tmux *t, int escapes)
{
  char path[96];
  snprintf(path, sizeof path, "/tmp/%s.screen", t->server);
  tmux_cmd(t, "capture-pane %s -t 0 \\; save-buffer %s \\; delete-buffer", escapes ? "-e" : "",
           path);
  char *text = as_test_read_file(path);
  unlink(path);
  return text;
}

/* Waits until two captures in a row show TEXT (a screen is drawn in pieces: the second is
 * a later, whole frame); returns the second (asserts it came). Not "until the screen stops
 * changing": a live screen redraws every 100 ms, and under load two captures (a tmux command
 * each) are that far apart, so it never stopped changing while the state waited for lasted
 * (a deadlock's banner, a stuck handler, "- live -"). */
static char *tmux_wait_for(const struct tmux *t, const char *text)
{
  char *screen = NULL, *before = NULL;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    free(before);
    before = screen;
    screen = tmux_screen(t, 0);
    if (strstr(screen, text) && before && strstr(before, text)) {
      free(before);
      return screen;
    }
    tmux_sleep_ms(30);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 <=
           TMUX_WAIT_MS);
  cr_assert_fail("the screen never showed '%s'; it shows:\n%s", text, screen);
  return NULL;
}

/* Types KEYS: tmux key names ("Enter", "Escape", "Left") or, with literal, text. */
static void tmux_keys(const struct tmux *t, int literal, const char *keys)
{
  cr_assert_eq(tmux_cmd(t, "send-keys -t 0 %s '%s'", literal ? "-l" : "", keys), 0);
}

/* Types KEYS (see tmux_keys), then waits until the screen shows EXPECT; returns the screen. */
static char *tmux_press(const struct tmux *t, int literal, const char *keys, const char *expect)
{
  tmux_keys(t, literal, keys);
  return tmux_wait_for(t, expect);
}

/* The same when only the wait matters. */
static void tmux_step(const struct tmux *t, int literal, const char *keys, const char *expect)
{
  free(tmux_press(t, literal, keys, expect));
}

/* The screen line that contains TEXT (a copy), or "" when none does. */
static char *tmux_line_with(const char *screen, const char *text)
{
  const char *at = strstr(screen, text);
  if (!at)
    return strdup("");
  const char *start = at;
  while (start > screen && start[-1] != '\n')
    start--;
  const char *end = strchr(at, '\n');
  return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

static void tmux_expect_line(const char *screen, const char *row, const char *text)
{
  char *line = tmux_line_with(screen, row);
  cr_expect(strstr(line, text), "the line with '%s' does not show '%s':\n%s", row, text, screen);
  free(line);
}

static void tmux_cleanup(void)
{
  if (tmux_running.server[0]) {
    struct tmux t = tmux_running;
    tmux_stop(&t);
  }
}

TestSuite(top_tmux, .fini = tmux_cleanup, .timeout = 60);

/* ---- replaying recordings ---------------------------------------------------------------- */

Test(top_tmux, replay_shows_the_deadlock_banner_then_steps_and_jumps_to_known_seqs)
{
  struct tmux t;
  tmux_start(&t, 100, 30, AS_TEST_CLI " top --ascii runs/deadlock.jsonl");
  char *s = tmux_wait_for(&t, "replay 1/7 seq 0");
  cr_expect(strstr(s, "DEADLOCK: #1 peer_actor -> #2 peer_actor -> #1"), "%s", s);
  tmux_expect_line(s, "     1   peer_actor", "Deadlock");
  free(s);
  s = tmux_press(&t, 1, "..", "replay 3/7 seq 2");
  cr_expect(!strstr(s, "DEADLOCK"), "the cycle resolved at seq 2:\n%s", s);
  tmux_expect_line(s, "     1   peer_actor", "Running");
  free(s);
  tmux_keys(&t, 1, ":5");
  tmux_step(&t, 0, "Enter", "replay 6/7 seq 5");
  tmux_step(&t, 1, ",", "replay 5/7 seq 4");
  tmux_keys(&t, 1, "@0.5");
  tmux_step(&t, 0, "Enter", "replay 3/7 seq 2"); /* the first at or after 0.5 s of uptime */
  s = tmux_press(&t, 1, "]", "replay 7/7 seq 6");
  tmux_expect_line(s, "     2   peer_actor", "Stopped: destroyed");
  free(s);
  s = tmux_press(&t, 1, "[", "replay 1/7 seq 0");
  cr_expect(strstr(s, "DEADLOCK: #1 peer_actor"), "back at the first snapshot:\n%s", s);
  free(s);
  tmux_step(&t, 1, ">", "replay 7/7 seq 6"); /* ten forward stops at the last */
  tmux_stop(&t);
}

Test(top_tmux, replay_plays_at_recorded_speed_to_the_end)
{
  struct tmux t;
  tmux_start(&t, 100, 30, AS_TEST_CLI " top --ascii runs/deadlock.jsonl");
  free(tmux_wait_for(&t, "replay 1/7 seq 0"));
  tmux_step(&t, 1, "++ ", "playing 4x");
  char *s = tmux_wait_for(&t, "replay 7/7 seq 6");
  free(s);
  s = tmux_wait_for(&t, "Stopped: destroyed");
  free(s);
  tmux_stop(&t);
}

Test(top_tmux, a_state_filter_keeps_only_stopped_actors_and_escape_clears_it)
{
  struct tmux t;
  tmux_start(&t, 100, 30, AS_TEST_CLI " top --ascii runs/tree.jsonl");
  free(tmux_wait_for(&t, "- supervisor"));
  tmux_step(&t, 1, "/state:stopped", "/state:stopped_");
  char *s = tmux_press(&t, 0, "Enter", "filter 'state:stopped': 3 of 4");
  cr_expect(!strstr(s, "supervisor"), "the running supervisor is filtered out:\n%s", s);
  tmux_expect_line(s, "     2 worker", "Stopped: returned");
  tmux_expect_line(s, "     3 worker", "Stopped: terminated");
  free(s);
  /* The prompt opens with the filter in force: rub it out, filter by a part of the name. */
  tmux_keys(&t, 1, "/");
  cr_assert_eq(tmux_cmd(&t, "send-keys -t 0 -N 13 BSpace"), 0);
  tmux_keys(&t, 1, "ork");
  s = tmux_press(&t, 0, "Enter", "filter 'ork': 3 of 4");
  cr_expect(!strstr(s, "supervisor"), "%s", s);
  free(s);
  s = tmux_press(&t, 0, "Escape", "- supervisor");
  cr_expect(!strstr(s, "filter '"), "%s", s);
  free(s);
  tmux_keys(&t, 1, "/state:nonsense");
  tmux_step(&t, 0, "Enter", "unknown state 'nonsense'");
  tmux_stop(&t);
}

Test(top_tmux, the_tree_collapses_expands_and_goes_flat)
{
  struct tmux t;
  tmux_start(&t, 100, 30, AS_TEST_CLI " top --ascii runs/tree.jsonl");
  free(tmux_wait_for(&t, "- supervisor"));
  char *s = tmux_press(&t, 0, "Left", "+ supervisor");
  cr_expect(!strstr(s, "worker"), "collapsed children are hidden:\n%s", s);
  free(s);
  s = tmux_press(&t, 0, "Right", "- supervisor");
  tmux_expect_line(s, "     4     worker", "Stopped: destroyed");
  free(s);
  s = tmux_press(&t, 1, "t", "- flat");
  cr_expect(strstr(s, "     4 worker"), "no indentation when flat:\n%s", s);
  free(s);
  tmux_stop(&t);
}

Test(top_tmux, sort_keys_mark_their_column_and_invert)
{
  struct tmux t;
  tmux_start(&t, 120, 30, AS_TEST_CLI " top --ascii runs/supervisor.jsonl");
  free(tmux_wait_for(&t, "ID* NAME"));
  char *s = tmux_press(&t, 1, "r", "MSG/S*");
  /* The busiest first: the supervisor received 3 messages, at 15/s. */
  char *first = strstr(s, "MSG/S*");
  const char *row = "\n     4 - supervisor";
  cr_expect(first && strncmp(strchr(first, '\n'), row, strlen(row)) == 0, "%s", s);
  free(s);
  tmux_step(&t, 1, "R", "(inverted)");
  tmux_step(&t, 1, "n", "NAME^");
  tmux_stop(&t);
}

Test(top_tmux, enter_inspects_an_actor_with_its_whole_wait_chain_and_escape_returns)
{
  struct tmux t;
  tmux_start(&t, 120, 40, AS_TEST_CLI " top --ascii runs/deadlock.jsonl");
  free(tmux_wait_for(&t, "replay 1/7"));
  char *s = tmux_press(&t, 0, "Enter", "wait chain #1 peer_actor");
  cr_expect(strstr(s, "->(reply 199 ms) #2 peer_actor ->(reply"), "%s", s);
  cr_expect(strstr(s, "a cycle: deadlock"), "%s", s);
  cr_expect(strstr(s, "handling   GO for 199 ms"), "%s", s);
  cr_expect(strstr(s, "main+0x38 (czmq_deadlock)"), "the spawn stack:\n%s", s);
  cr_expect(strstr(s, "message types 2"), "%s", s);
  free(s);
  tmux_step(&t, 0, "Escape", "ID* NAME");
  tmux_stop(&t);
}

Test(top_tmux, help_lists_every_key_and_q_quits)
{
  struct tmux t;
  tmux_start(&t, 100, 60, AS_TEST_CLI " top --ascii runs/tree.jsonl; echo top-ended; sleep 30");
  free(tmux_wait_for(&t, "supervisor"));
  char *s = tmux_press(&t, 1, "?", "Keys (Esc: back to the table)");
  const char *keys[] = {"Up k",
                        "PgDn",
                        "Home g",
                        "End G",
                        "Enter",
                        "Esc",
                        "Left h",
                        "t ",
                        "sort by mailbox",
                        "invert the sort",
                        "filter:",
                        "go to a seq",
                        "go to a time",
                        "play at the recorded speed",
                        "quit"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    cr_expect(strstr(s, keys[i]), "help lacks '%s':\n%s", keys[i], s);
  free(s);
  tmux_step(&t, 0, "Escape", "ID* NAME");
  tmux_step(&t, 1, "?", "Keys (Esc: back to the table)");
  tmux_step(&t, 1, "q", "top-ended"); /* q quits from a panel too */
  tmux_stop(&t);
}

Test(top_tmux, an_80_by_24_terminal_shows_the_header_table_and_footer)
{
  struct tmux t;
  tmux_start(&t, 80, 24, AS_TEST_CLI " top --ascii runs/supervisor.jsonl");
  char *s = tmux_wait_for(&t, "q quit");
  size_t lines = 0;
  for (char *p = s; (p = strchr(p, '\n')); p++)
    lines++;
  cr_expect_eq(lines, 24, "%s", s);
  /* NAME takes STATE's and HANDLER's padding: CAF's long internal names are cut */
  cr_expect(strstr(s, "   ID* NAME                             STATE   HANDLER    MBOX   MSG/S    "
                      "TREND"),
            "%s", s);
  tmux_expect_line(s, "     4 - supervisor", "Running");
  free(s);
  tmux_stop(&t);
}

Test(top_tmux, colours_mark_the_deadlock_unless_no_color_is_set)
{
  struct tmux t;
  tmux_start(&t, 100, 30, AS_TEST_CLI " top --ascii runs/deadlock.jsonl");
  free(tmux_wait_for(&t, "DEADLOCK"));
  char *s = tmux_screen(&t, 1);
  char *banner = tmux_line_with(s, "DEADLOCK");
  cr_expect(strstr(banner, "\033[31m") || strstr(banner, ";31m"), "no red:\n%s", banner);
  free(banner);
  free(s);
  tmux_stop(&t);
  tmux_start(&t, 100, 30, "NO_COLOR=1 " AS_TEST_CLI " top --ascii runs/deadlock.jsonl");
  free(tmux_wait_for(&t, "DEADLOCK"));
  s = tmux_screen(&t, 1);
  banner = tmux_line_with(s, "DEADLOCK");
  cr_expect(!strstr(banner, "31m"), "NO_COLOR still red:\n%s", banner);
  free(banner);
  free(s);
  tmux_stop(&t);
}

/* ---- live programs ------------------------------------------------------------------------ */

#define TOP_LIVE AS_TEST_CLI " top --ascii -i 100 "

Test(top_tmux, a_live_slow_handler_turns_stuck_and_its_client_waits_on_it)
{
  struct tmux t;
  /* Wide: the screen names the program's output file in full, however long the paths. */
  tmux_start(&t, 250, 30,
             TOP_LIVE "--busy-ms 100 --stuck-ms 400 -- " AS_TEST_PROGRAMS "/czmq_slow 2500");
  char *s = tmux_wait_for(&t, "Stuck");
  tmux_expect_line(s, "slow_worker", "Stuck");
  tmux_expect_line(s, "slow_worker", "SLOW");
  tmux_expect_line(s, "- client", "Waiting->#2");
  cr_expect(!strstr(s, "slow done"), "the program's output reached the screen:\n%s", s);
  /* Where the output went, as the screen says. */
  char *note = tmux_line_with(s, "czmq_slow's output: ");
  char *path = strstr(note, ": /");
  cr_assert_not_null(path, "%s", s);
  char *file = strdup(path + 2);
  free(note);
  free(s);
  s = tmux_wait_for(&t, "program exited with status 0");
  cr_expect(strstr(s, "ended"), "%s", s);
  free(s);
  char *out = as_test_read_file(file);
  cr_expect(strstr(out, "slow done"), "%s holds '%s'", file, out);
  struct stat st;
  char *dir = strndup(file, strrchr(file, '/') - file);
  cr_assert_eq(stat(dir, &st), 0);
  cr_expect_eq(st.st_mode & 0777, 0700, "the private directory is %o", st.st_mode & 0777);
  free(out);
  cr_expect_eq(strncmp(dir, t.tmpdir, strlen(t.tmpdir)), 0, "%s is not under $TMPDIR", dir);
  tmux_stop(&t);
  free(dir);
  free(file);
}

Test(top_tmux, a_live_czmq_deadlock_shows_its_banner)
{
  struct tmux t;
  tmux_start(&t, 100, 30, TOP_LIVE "-- " AS_TEST_PROGRAMS "/czmq_deadlock 4000");
  char *s = tmux_wait_for(&t, "DEADLOCK: #1 peer_actor -> #2 peer_actor -> #1");
  tmux_expect_line(s, "     1   peer_actor", "Deadlock");
  tmux_expect_line(s, "actors:", "2 deadlocked");
  free(s);
  tmux_stop(&t);
}

Test(top_tmux, a_live_caf_deadlock_between_blocking_actors_shows_its_banner)
{
  struct tmux t;
  tmux_start(&t, 110, 30, TOP_LIVE "-- " AS_TEST_PROGRAMS "/caf_waits blocking 4000");
  char *s = tmux_wait_for(&t, "DEADLOCK: #");
  tmux_expect_line(s, "DEADLOCK", "blocking_peer -> #");
  tmux_expect_line(s, "blocking_peer  ", "Deadlock"); /* the row, not the banner */
  free(s);
  tmux_stop(&t);
}

Test(top_tmux, live_stopped_actors_show_their_reasons_and_the_end_is_said)
{
  struct tmux t;
  tmux_start(&t, 110, 30, TOP_LIVE "-- " AS_TEST_PROGRAMS "/czmq_tree");
  char *s = tmux_wait_for(&t, "program exited with status 5"); /* czmq_tree's own status */
  /* The supervisor, listed alive before it stopped, stays for the grave window. A worker that
   * lived and died between two snapshots is listed once (format 3 "ended"), in one frame only:
   * the end screen counts it among the spawned. */
  tmux_expect_line(s, "supervisor", "Stopped: destroyed");
  tmux_expect_line(s, "messages:", "4 spawned");
  tmux_expect_line(s, "czmq_tree pid", "ended");
  free(s);
  tmux_stop(&t);
}

Test(top_tmux, attaching_to_a_socket_waits_for_the_process_and_follows_it_across_a_restart)
{
  char dir[] = "/tmp/as-top-attach-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char command[1024], run[1024];
  snprintf(command, sizeof command, AS_TEST_CLI " top --ascii unix:%s/app.sock", dir);
  snprintf(run, sizeof run,
           "cd %s && " AS_TEST_CLI " run -i 100 -o unix:%s/app.sock -- " AS_TEST_PROGRAMS
           "/czmq_slow 1200 >/dev/null 2>&1 &",
           dir, dir);
  struct tmux t;
  tmux_start(&t, 110, 30, command);
  free(tmux_wait_for(&t, "waiting"));
  cr_assert_eq(system(run), 0);
  char *s = tmux_wait_for(&t, "- live -");
  free(s);
  s = tmux_wait_for(&t, "waiting for a restart");
  tmux_expect_line(s, "czmq_slow pid", "ended");
  char *first = tmux_line_with(s, "czmq_slow pid");
  free(s);
  cr_assert_eq(system(run), 0);
  s = tmux_wait_for(&t, "- live -");
  char *second = tmux_line_with(s, "czmq_slow pid");
  /* A new process: another pid. */
  cr_expect(strncmp(first, second, strlen("czmq_slow pid 12345")) != 0, "%s\n%s", first, second);
  free(first);
  free(second);
  free(s);
  free(tmux_wait_for(&t, "waiting for a restart"));
  tmux_stop(&t);
  snprintf(run, sizeof run, "rm -rf '%s'", dir);
  cr_expect_eq(system(run), 0);
}

Test(top_tmux, p_pauses_a_live_screen_and_resumes_it)
{
  struct tmux t;
  /* Live for the whole test, however slow the machine (4 s ended it while paused under load,
   * and the header then said so); stopping tmux ends it. */
  tmux_start(&t, 110, 30, TOP_LIVE "-- " AS_TEST_PROGRAMS "/czmq_slow 60000");
  free(tmux_wait_for(&t, "- live -"));
  char *s = tmux_press(&t, 1, "p", "PAUSED");
  char *frozen = tmux_line_with(s, "czmq_slow pid");
  free(s);
  /* Snapshots keep coming every 100 ms; the paused screen shows none of them. */
  tmux_sleep_ms(600);
  s = tmux_screen(&t, 0);
  char *still = tmux_line_with(s, "czmq_slow pid");
  cr_expect_str_eq(still, frozen, "the screen moved while paused:\n%s", s);
  free(s);
  free(still);
  tmux_keys(&t, 1, "p");
  for (int i = 0; i < TMUX_WAIT_MS / 50; i++) {
    s = tmux_screen(&t, 0);
    still = tmux_line_with(s, "czmq_slow pid");
    int moved = strcmp(still, frozen) != 0;
    free(s);
    free(still);
    if (moved)
      break;
    tmux_sleep_ms(50);
  }
  s = tmux_screen(&t, 0);
  still = tmux_line_with(s, "czmq_slow pid");
  cr_expect_str_neq(still, frozen, "the screen did not resume:\n%s", s);
  cr_expect(!strstr(s, "PAUSED"), "%s", s);
  free(s);
  free(still);
  free(frozen);
  tmux_stop(&t);
}

Test(top_tmux, broken_rules_show_as_warnings_and_w_lists_them_all)
{
  struct tmux t;
  tmux_start(&t, 120, 30, AS_TEST_CLI " top --ascii --rules top/demo.rules runs/demo-40.jsonl");
  char *s = tmux_wait_for(&t, "! FAIL max-alive 3: 4 actors were alive at once");
  cr_expect(strstr(s, "! FAIL expect worker 0..2: 3 actors named worker"), "%s", s);
  free(s);
  s = tmux_press(&t, 1, "w", "Warnings");
  cr_expect(strstr(s, "FAIL max-handler-ms 100 worker: #2 worker handler ran 150 ms"), "%s", s);
  free(s);
  tmux_step(&t, 0, "Escape", "ID* NAME");
  tmux_stop(&t);
}

/* Records `ENV actorscope run -i MS -o DIR/run.jsonl -- PROGRAM` in DIR (made from its
 * template); PATH gets the recording's path. */
static void tmux_record(char *dir, const char *env, const char *ms, const char *program, char *path,
                        size_t len)
{
  char cmd[1024];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, len, "%s/run.jsonl", dir);
  snprintf(cmd, sizeof cmd,
           "cd %s && %s " AS_TEST_CLI " run -i %s -o %s -- " AS_TEST_PROGRAMS "/%s >/dev/null 2>&1",
           dir, env, ms, path, program);
  cr_assert_eq(system(cmd), 0);
}

static void tmux_remove(const char *dir)
{
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_expect_eq(system(cmd), 0);
}

Test(top_tmux, inspect_lists_a_czmq_actors_other_sockets_from_a_recording)
{
  char dir[] = "/tmp/as-top-sockets-XXXXXX", cmd[1024], path[256];
  tmux_record(dir, "", "20", "czmq_sockets", path, sizeof path);
  snprintf(cmd, sizeof cmd, AS_TEST_CLI " top --ascii %s", path);
  struct tmux t;
  /* Tall enough for the whole panel (peers come before the sockets). */
  tmux_start(&t, 110, 60, cmd);
  free(tmux_wait_for(&t, "   server"));
  /* The last snapshot: the first may come before the server's first message. */
  tmux_step(&t, 1, "]", " - final");
  char *s = tmux_press(&t, 0, "Enter", "sockets    2 besides its pipe");
  cr_expect(strstr(s, "ROUTER     inproc://czmq-sockets-router: 5 received, 5 sent"), "%s", s);
  cr_expect(strstr(s, "side pipe  (no endpoint): 4 received, 4 sent, 3 queued"), "%s", s);
  free(s);
  tmux_stop(&t);
  tmux_remove(dir);
}

Test(top_tmux, inspect_shows_handler_percentiles_and_where_a_stuck_handler_is)
{
  char dir[] = "/tmp/as-top-stuck-XXXXXX", cmd[1024], path[256];
  tmux_record(dir, "ACTORSCOPE_STUCK_MS=200", "50", "czmq_timed 20 3 1000", path, sizeof path);
  /* The first line that shows the stack. */
  json_t *lines = as_test_load_lines(path);
  long long seq = -1;
  size_t i;
  json_t *line;
  json_array_foreach(lines, i, line)
  {
    json_t *worker = as_test_actor_named(line, "timed_worker");
    json_t *handling = worker ? json_object_get(worker, "handling") : NULL;
    if (seq < 0 && json_is_object(handling) && json_object_get(handling, "stack"))
      seq = as_test_int(line, "seq");
  }
  json_decref(lines);
  cr_assert_geq(seq, 0, "no line shows the stack");
  snprintf(cmd, sizeof cmd, AS_TEST_CLI " top --ascii %s", path);
  struct tmux t;
  tmux_start(&t, 120, 50, cmd);
  free(tmux_wait_for(&t, "timed_worker"));
  char jump[32], at[64];
  snprintf(jump, sizeof jump, ":%lld", seq);
  snprintf(at, sizeof at, " seq %lld", seq);
  tmux_keys(&t, 1, jump);
  tmux_step(&t, 0, "Enter", at);
  char *s = tmux_press(&t, 0, "Enter", "stuck in  ");
  cr_expect(strstr(s, "stuck_in_nanosleep+0x"), "%s", s);
  cr_expect(strstr(s, "           p50 "), "%s", s);
  free(s);
  tmux_stop(&t);
  tmux_remove(dir);
}
