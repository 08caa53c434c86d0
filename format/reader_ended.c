/* Version 3's compact "ended" actors, as stopped actors of their line, and what version 5's
 * actor objects leave out at its default (format/reader_ended.h). */
#include "reader_ended.h"
#include "reader_private.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The bits, in an ended actor's `seen`, of the members version 4 may leave out for the value
 * the others imply, and of runtime_scope (which says a runtime_id was meant). */
static uint64_t ended_bit_handler_max, ended_bit_runtime_id, ended_bit_runtime_scope;
/* Likewise in an actor's object and its handler_ns (version 5). */
static uint64_t actor_bit_status, actor_bit_runtime_id, actor_bit_runtime_scope, handler_bit_max;
static pthread_once_t bits_once = PTHREAD_ONCE_INIT;

static uint64_t ended_bit_of(int kind, const char *key)
{
  const struct member *m = reader_member_find(kind, NULL, (const unsigned char *)key, strlen(key));
  return m ? reader_member_bit(kind, m) : 0;
}

static void ended_bits_init(void)
{
  ended_bit_handler_max = ended_bit_of(K_ENDED, AS_M_HANDLER_MAX_NS);
  ended_bit_runtime_id = ended_bit_of(K_ENDED, AS_M_RUNTIME_ID);
  ended_bit_runtime_scope = ended_bit_of(K_ENDED, AS_M_RUNTIME_SCOPE);
  actor_bit_status = ended_bit_of(K_ACTOR, AS_M_STATUS);
  actor_bit_runtime_id = ended_bit_of(K_ACTOR, AS_M_RUNTIME_ID);
  actor_bit_runtime_scope = ended_bit_of(K_ACTOR, AS_M_RUNTIME_SCOPE);
  handler_bit_max = ended_bit_of(K_HANDLER, AS_M_MAX);
}

/* A runtime_id left out beside its runtime_scope is the actor's id (version 4's ended actors,
 * version 5's actor objects): CAF's id is ours for the first actor system's actors. */
static void ended_runtime_id(struct as_rec_actor *a, uint64_t seen, uint64_t id_bit,
                             uint64_t scope_bit)
{
  if (!(seen & id_bit) && (seen & scope_bit)) {
    a->runtime_id = a->id;
    a->has_runtime_id = 1;
  }
}

void as_ended_complete(struct as_rec_actor *a, uint64_t seen)
{
  pthread_once(&bits_once, ended_bits_init);
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
  ended_runtime_id(a, seen, ended_bit_runtime_id, ended_bit_runtime_scope);
  as_rec_actor_derive(a); /* no sockets: its traffic and mailbox are the pipe's */
}

void as_actor_defaults_complete(struct as_rec_actor *a, uint64_t seen)
{
  pthread_once(&bits_once, ended_bits_init);
  if (!(seen & actor_bit_status))
    a->status = a->has_stopped ? AS_STATUS_STOPPED : AS_STATUS_RUNNING;
  if (!a->mailbox_kind)
    a->mailbox_kind = AS_MAILBOX_UNBOUNDED;
  ended_runtime_id(a, seen, actor_bit_runtime_id, actor_bit_runtime_scope);
}

void as_handler_defaults_complete(struct as_rec_actor *a, uint64_t seen)
{
  pthread_once(&bits_once, ended_bits_init);
  if (!(seen & handler_bit_max))
    a->handler_max_ns = a->handler_total_ns;
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
