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

static const char *const vocab_socket_kinds[] = {
    "PAIR", "PUB",    "SUB",    "REQ",    "REP",   "DEALER", "ROUTER", "PULL",    "PUSH", "XPUB",
    "XSUB", "STREAM", "SERVER", "CLIENT", "RADIO", "DISH",   "GATHER", "SCATTER", "DGRAM"};
#define VOCAB_SOCKET_KINDS (int)(sizeof vocab_socket_kinds / sizeof vocab_socket_kinds[0])

const char *as_socket_kind_name(int zmq_type)
{
  return zmq_type >= 0 && zmq_type < VOCAB_SOCKET_KINDS ? vocab_socket_kinds[zmq_type] : NULL;
}

/* The length of the socket kind TEXT starts with when an endpoint follows it ("ROUTER "), or 0. */
static size_t vocab_kind_before_endpoint(const char *text)
{
  for (int i = 0; i < VOCAB_SOCKET_KINDS; i++) {
    size_t len = strlen(vocab_socket_kinds[i]);
    if (strncmp(text, vocab_socket_kinds[i], len) == 0 && text[len] == ' ' && text[len + 1])
      return len;
  }
  return 0;
}

const char *as_type_without_endpoint(const char *type, char *out, size_t size)
{
  /* The last " (KIND endpoint" in the name: a frame's own text may hold " (" too. The type
   * may have been cut at AS_TYPE_NAME_MAX bytes, its ")" with it. */
  const char *found = NULL;
  size_t kind = 0;
  for (const char *p = strstr(type, " ("); p; p = strstr(p + 1, " ("))
    if ((kind = vocab_kind_before_endpoint(p + 2)) != 0)
      found = p;
  if (!found)
    return type;
  kind = vocab_kind_before_endpoint(found + 2);
  size_t head = (size_t)(found - type) + 2 + kind;
  if (head + 2 > size)
    return type;
  memcpy(out, type, head);
  out[head] = ')';
  out[head + 1] = '\0';
  return out;
}
