/* actorscope top -- PROGRAM: runs the program under `actorscope run`, traced onto a unix socket
 * in a private directory (mode 0700, made by mkdtemp), its standard output and error going to a
 * file in that directory so they never reach the screen. */
#ifndef ACTORSCOPE_TOP_PROGRAM_H
#define ACTORSCOPE_TOP_PROGRAM_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct top_program {
  pid_t pid;
  int exited, status; /* once reaped: the wait status */
  int stopped;        /* top ended it (quit, --frames), rather than it ending by itself */
  char dir[256];
  char socket[300];
  char source[310]; /* "unix:" socket */
  char output[300]; /* the program's stdout and stderr */
  char events[300]; /* with events: the events file beside the socket, else "" */
};

/* Starts ARGV[0] with ARGV. INTERVAL_MS: NULL for the default. EVENTS: record events too
 * (`run --events`: they go beside the socket, p->events). Returns 0, or -1 with ERR. */
int top_program_start(struct top_program *p, char *const *argv, const char *interval_ms, int events,
                      char *err, size_t cap);
/* Reaps the program if it has ended (without waiting). Returns 1 once it has. */
int top_program_poll(struct top_program *p);
/* "exited with status 3", "killed by SIGSEGV". */
void top_program_describe(const struct top_program *p, char *out, size_t cap);
/* Gives the program WAIT_MS to end on its own, then stops it if it still runs (SIGTERM, then
 * SIGKILL after 2 s); removes the socket, and the directory when the output file is empty and
 * no events were written. Returns whether the output file was kept. */
int top_program_finish(struct top_program *p, int wait_ms);
/* Copies to TO the lines `actorscope run` wrote into the program's output file (its summary,
 * or why the program could not be started). */
void top_program_relay_run_lines(const struct top_program *p, FILE *to);
/* top's exit status for a program it ran: the program's own when it ended by itself with
 * one (`run`'s: 127 when it could not be started; 128 + N when killed by signal N), else 0. */
int top_program_exit_status(const struct top_program *p);

#endif
