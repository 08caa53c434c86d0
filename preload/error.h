/* A caller-owned error report, filled by functions that return a negative errno. */
#ifndef AS_ERROR_H
#define AS_ERROR_H

#include <stdarg.h>

struct as_error {
  char text[256];
};

void as_error_set(struct as_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
