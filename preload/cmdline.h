/* The process's own command line, as the kernel shows it (/proc/self/cmdline). */
#ifndef AS_CMDLINE_H
#define AS_CMDLINE_H

#include <stddef.h>

/* Reads the command line into BUF (LEN bytes) and points up to MAX entries of ARGV at its
 * words, in order; a word cut by BUF's end is left out rather than named wrongly. Returns how
 * many (0 when it cannot be read). */
size_t as_cmdline_read(char *buf, size_t len, const char **argv, size_t max);

#endif
