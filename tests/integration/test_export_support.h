/* What the export and serve tests share: the recording's view of every actor, and promtool. */
#ifndef AS_TEST_EXPORT_SUPPORT_H
#define AS_TEST_EXPORT_SUPPORT_H

#include <jansson.h>

/* Every actor that appears in any snapshot of LINES (as_test_load_lines), at its last sighting:
 * an object from the id as text to the actor. */
json_t *export_test_last_seen(json_t *lines);
/* Asserts that `promtool check metrics` accepts the file at PATH. */
void export_test_promtool(const char *path);

/* Debian's chromium, headless, quiet and without a sandbox (tests run as root in CI): the start
 * of its argv; a profile directory, the action and the page follow. */
#define EXPORT_TEST_CHROMIUM                                                                       \
  "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",            \
      "--disable-background-networking", "--disable-component-update", "--disable-sync"

#endif
