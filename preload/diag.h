/* Diagnostics: one line on the host's stderr, written with a single write() so it never
 * mixes with the host's own stdio buffers, and kept for the snapshot stream. */
#ifndef AS_DIAG_H
#define AS_DIAG_H

#include <stddef.h>

#define AS_DIAG_MAX 16
#define AS_DIAG_TEXT_MAX 240

struct as_diag_entry {
  char code[32];
  char text[AS_DIAG_TEXT_MAX];
};

/* Notes which file fd 2 is now (at initialisation): lines go to stderr only while it still is. */
void as_diag_remember_stderr(void);
/* Prints "actorscope: <text>" on stderr once per code and records it for snapshots. */
void as_diag_report(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, but only for snapshots (and actorscope run's summary): for what the program does
 * on purpose, which its stderr should not hear about (e.g. it owns a signal we would use). */
void as_diag_note(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "actorscope: <text>" on stderr and records nothing: async-signal-safe (a deadly signal's
 * handler, _exit), for a line about the end of the process, which no later snapshot could hold. */
void as_diag_say_at_end(const char *text);
/* A new attach after a detach: its run starts without the last one's diagnostics (each is said
 * again if it happens again). */
void as_diag_forget(void);
/* In a fork child: the lock may have been held by a thread that does not exist here. */
void as_diag_reset_after_fork(void);
/* Copies the recorded diagnostics; returns how many. */
size_t as_diag_copy(struct as_diag_entry *out, size_t max);

#endif
