/* What actorscope run must know about the program before starting it: where it is, whether
 * the loader will honour LD_PRELOAD for it, and which libraries must be preloaded first. */
#ifndef ACTORSCOPE_LAUNCH_H
#define ACTORSCOPE_LAUNCH_H

#include <stddef.h>

/* The file execvp() would run for name: name itself when it has a '/', else the first
 * executable regular file of that name in $PATH. Returns 0 or -ENOENT. */
int launch_program_find(const char *name, char *out, size_t len);

/* Whether the kernel would run path in secure-execution mode for this user (set-user-ID or
 * set-group-ID of someone else, or file capabilities): the loader then ignores LD_PRELOAD. */
int launch_program_is_secure(const char *path);

/* Writes into out the DT_NEEDED name of the AddressSanitizer runtime the ELF file path
 * depends on ("libasan.so.8"). Returns 1 when there is one, 0 when not (or not a 64-bit ELF
 * file, e.g. a script), -errno when it cannot be read. */
int launch_asan_runtime(const char *path, char *out, size_t len);

/* Sets LD_PRELOAD to: the ASan runtime when asan_runtime is not NULL (an entry already in
 * LD_PRELOAD naming it moves to the front; otherwise the bare name, which ld.so resolves
 * exactly as for the program's own DT_NEEDED, its RUNPATH included), then library, then the
 * other entries already there. Returns 0 or -ENOMEM. */
int launch_preload_set(const char *library, const char *asan_runtime);

/* The library next to this tool (build tree), else where it is installed. Returns 0 or
 * -ENOENT (out then names the installed path). */
int launch_library_find(char *out, size_t len);

/* How a program ended, as its wait status says: "exited with status 3", "killed by SIGKILL"
 * (run's summary and top's last line say it alike). Returns OUT. */
const char *launch_status_text(int wait_status, char *out, size_t cap);

#endif
