/* The name people know a traced program by, one definition for every view (report, top, the
 * exports, serve's labels): from the header's `program` (the executable) and `argv`, so files
 * of every format version get it.
 *
 * - A compiled program: the executable's file name, "czmq_demo".
 * - An interpreter (python, pypy, perl, ruby, node, lua, a shell: sh, bash, dash, zsh,
 *   ksh …, with or without a version, "python3.11") running a script: the script's file name
 *   and the interpreter's, "broker_pubsub.py (python3.11)". The script is the first word of
 *   argv after the interpreter's own options (`python3 -u -X dev app.py`, `bash -o pipefail
 *   job.sh`, `node --require ts-node/register srv.ts`); a module run as a program names it
 *   (`python3 -m http.server` → "http.server (python3.11)").
 * - An interpreter with no script (code on the command line: `python3 -c`, `perl -e`,
 *   `sh -c`; stdin; an interactive session): the interpreter's name.
 * Allocation-free. */
#ifndef AS_PROGRAM_H
#define AS_PROGRAM_H

#include <stddef.h>

/* Writes the name into OUT (at most CAP bytes, NUL included; cut if longer) and returns OUT.
 * PROGRAM may be NULL or "" (then argv[0] stands for it); an empty result means nothing is
 * known. */
const char *as_program_name(const char *program, const char *const *argv, size_t argc, char *out,
                            size_t cap);

/* The longest name as_program_name writes for names of usual length (callers' buffers). */
#define AS_PROGRAM_NAME_MAX 512

#endif
