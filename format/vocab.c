/* The format's vocabularies: value <-> text, without allocation. */
#include "format.h"

#include <string.h>

static const char *const vocab_status[AS_STATUS_COUNT] = {"starting", "running", "stopping",
                                                          "stopped"};
static const char *const vocab_wait_kind[AS_WAIT_COUNT] = {NULL, "reply", "signal"};

static int vocab_find(const char *const *names, int count, const char *text, size_t len)
{
  for (int i = 0; i < count; i++)
    if (names[i] && strlen(names[i]) == len && memcmp(names[i], text, len) == 0)
      return i;
  return -1;
}

const char *as_status_name(enum as_status status)
{
  return (unsigned)status < AS_STATUS_COUNT ? vocab_status[status] : NULL;
}

const char *as_wait_kind_name(enum as_wait_kind kind)
{
  return (unsigned)kind < AS_WAIT_COUNT ? vocab_wait_kind[kind] : NULL;
}

const char *as_runtime_name(enum as_runtime_kind runtime)
{
  switch (runtime) {
  case AS_RUNTIME_CZMQ: return AS_RUNTIME_NAME_CZMQ;
  case AS_RUNTIME_CAF: return AS_RUNTIME_NAME_CAF;
  default: return NULL;
  }
}

int as_status_parse(const char *text, size_t len, enum as_status *out)
{
  int i = vocab_find(vocab_status, AS_STATUS_COUNT, text, len);
  if (i < 0)
    return -1;
  *out = (enum as_status)i;
  return 0;
}

int as_wait_kind_parse(const char *text, size_t len, enum as_wait_kind *out)
{
  int i = vocab_find(vocab_wait_kind, AS_WAIT_COUNT, text, len);
  if (i < 0)
    return -1;
  *out = (enum as_wait_kind)i;
  return 0;
}

enum as_runtime_kind as_runtime_parse(const char *text, size_t len)
{
  static const char *const names[] = {AS_RUNTIME_NAME_CZMQ, AS_RUNTIME_NAME_CAF};
  int i = vocab_find(names, 2, text, len);
  return i == 0 ? AS_RUNTIME_CZMQ : i == 1 ? AS_RUNTIME_CAF : AS_RUNTIME_OTHER;
}
