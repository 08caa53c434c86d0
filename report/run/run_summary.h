/* actorscope run's side of the status channel (preload/run_notes.h): a private directory the
 * traced process tree writes notes into, read once the program has exited. */
#ifndef ACTORSCOPE_RUN_SUMMARY_H
#define ACTORSCOPE_RUN_SUMMARY_H

#include "config.h"

#include <limits.h>
#include <sys/types.h>

struct run_summary {
  char dir[PATH_MAX]; /* "" when it could not be created */
};

/* Creates the private directory (under $TMPDIR, else /tmp). Returns 0 or -errno. */
int run_summary_create(struct run_summary *status);
/* The NAME=VALUE the program's environment needs, for putenv in the child; caller frees. */
char *run_summary_env_entry(const struct run_summary *status);

/* What the run left behind, for the summary. */
struct run_outcome {
  pid_t child;                    /* the program run started */
  int wait_status;                /* how it ended, from waitpid */
  const char *program;            /* as given on the command line */
  const char *destination;        /* a unix:/tcp: address, or NULL for files */
  int secure_execution;           /* the program runs setuid/setgid/with capabilities */
  int adopting;                   /* run is the subreaper of the program's tree (run_detached.h) */
  const struct as_config *config; /* what the program's processes were told */
};

/* Reads every note, prints the summary on stderr ("actorscope: snapshots in PATH" and what
 * each file holds, which descendants still run detached from the program, or why nothing was
 * written), then removes the directory. A descendant still running that has not noted a file
 * yet (a daemon just forked, its first snapshot 10 ms after its first actor) is given up to
 * RUN_DETACHED_WAIT_MS to do so. */
void run_summary_report(struct run_summary *status, const struct run_outcome *outcome);

#endif
