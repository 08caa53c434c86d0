/* The status channel from the library to `actorscope run`: which file each traced process
 * really wrote and every diagnostic it reported, so the launcher can say what happened in the
 * whole process tree (a daemon's forked child, a file that already existed, a refused runtime)
 * instead of guessing.
 *
 * `actorscope run` creates a private directory (mode 0700, its own) and names it in
 * AS_RUN_NOTES_ENV; every descendant inherits the variable. Each note is one file in that
 * directory, "PID.N", created O_EXCL|O_NOFOLLOW, mode 0600, written whole and then ended by
 * the line "end" (a reader skips a file without it: still being written):
 *
 *   actorscope-run-status 1
 *   pid 1234
 *   ppid 1200
 *   program /path/of/the/executable
 *   arg python3                                 (one line a word of the command line, the
 *   arg app.py                                   first 32; none from an older library)
 *   output /abs/path/actorscope.1234.jsonl     (or: diag CODE TEXT)
 *   end
 *
 * Values have every byte below 0x20, 0x7f and the backslash written as \xHH, so a value is
 * one line and safe to print. A directory that is missing, not a directory, not owned by this
 * uid or not mode 0700 is ignored, and so is everything in secure-execution mode. */
#ifndef AS_RUN_NOTES_H
#define AS_RUN_NOTES_H

#include <stddef.h>

#define AS_RUN_NOTES_ENV "ACTORSCOPE_RUN_DIR"
#define AS_RUN_NOTES_MAGIC "actorscope-run-status 1"

/* Notes the output file this process has just created. No malloc, errno kept. */
void as_run_notes_note_output(const char *path);
/* Notes a diagnostic (code as in the snapshot's diagnostics, text as printed). No malloc,
 * errno kept: may run inside a hook. */
void as_run_notes_note_diag(const char *code, const char *text);

/* One byte of a value as written in a note: itself, or \xHH for control bytes, DEL and the
 * backslash. Returns how many characters it put in out. Shared with the launcher, which
 * prints untrusted text the same way. */
size_t as_run_notes_escape_byte(unsigned char c, char out[4]);

#endif
