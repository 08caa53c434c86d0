/* Where an export goes: standard output, or a file that appears whole. A file is written under
 * a temporary name in the same directory and renamed over FILE once complete, so a reader (a
 * node_exporter textfile collector, a browser, a CI artifact upload) never sees half of it. */
#ifndef ACTORSCOPE_EXPORT_OUTPUT_H
#define ACTORSCOPE_EXPORT_OUTPUT_H

#include <stdio.h>

struct export_output {
  FILE *stream;    /* write here */
  char *path;      /* the final name; NULL for standard output */
  char *temp_path; /* the temporary name while writing */
};

/* Opens PATH (NULL or "-": standard output). Returns 0, or -1 with a message on stderr
 * prefixed by WHO. */
int export_output_open(struct export_output *output, const char *path, const char *who);
/* Flushes and, for a file, syncs and renames it into place. Returns 0, or -1 with a message. */
int export_output_commit(struct export_output *output, const char *who);
/* Gives up: closes and removes the temporary file. */
void export_output_abandon(struct export_output *output);

#endif
