/* Version 3's compact "ended" actors, as stopped actors of their line (format/reader_ended.h). */
#include "reader_ended.h"
#include "reader_private.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The bits, in an ended actor's `seen`, of the members version 4 may leave out for the value
 * the others imply, and of runtime_scope (which says a runtime_id was meant). */
static uint64_t ended_bit_handler_max, ended_bit_runtime_id, ended_bit_runtime_scope;

static uint64_t ended_bit(const char *key)
{
  const struct member *m =
      reader_member_find(K_ENDED, NULL, (const unsigned char *)key, strlen(key));
  return m ? reader_member_bit(K_ENDED, m) : 0;
}

static void ended_bits_init(void)
{
  ended_bit_handler_max = ended_bit(AS_M_HANDLER_MAX_NS);
  ended_bit_runtime_id = ended_bit(AS_M_RUNTIME_ID);
  ended_bit_runtime_scope = ended_bit(AS_M_RUNTIME_SCOPE);
}

void as_ended_complete(struct as_rec_actor *a, uint64_t seen)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, ended_bits_init);
  a->ended = 1;
  a->has_origin = 1;
  a->status = AS_STATUS_STOPPED;
  a->has_stopped = 1;
  a->mailbox_kind = AS_MAILBOX_UNBOUNDED;
  a->mailbox_len =
      a->mailbox_enqueued > a->messages_received ? a->mailbox_enqueued - a->messages_received : 0;
  /* Version 4 (FORMAT.md "Ended actors"): messages_sent left out is 0 (the record's zero), a
   * handler_max_ns left out is handler_total_ns, a runtime_id left out beside a runtime_scope
   * is the actor's id. A version 3 file has them all. */
  if (!(seen & ended_bit_handler_max))
    a->handler_max_ns = a->handler_total_ns;
  if (!(seen & ended_bit_runtime_id) && (seen & ended_bit_runtime_scope)) {
    a->runtime_id = a->id;
    a->has_runtime_id = 1;
  }
  as_rec_actor_derive(a); /* no sockets: its traffic and mailbox are the pipe's */
}

static int ended_id_cmp(const void *x, const void *y)
{
  int64_t a = ((const struct as_rec_actor *)x)->id, b = ((const struct as_rec_actor *)y)->id;
  return a < b ? -1 : a > b;
}

int64_t as_ended_merge(struct as_rec_actor *actors, size_t n)
{
  qsort(actors, n, sizeof *actors, ended_id_cmp);
  for (size_t i = 1; i < n; i++)
    if (actors[i].id == actors[i - 1].id)
      return actors[i].id;
  return 0;
}
