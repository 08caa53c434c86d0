/* Version 3's compact "ended" actors, as stopped actors of their line (format/reader_ended.h). */
#include "reader_ended.h"

#include <stdlib.h>

void as_ended_complete(struct as_rec_actor *a)
{
  a->ended = 1;
  a->has_origin = 1;
  a->status = AS_STATUS_STOPPED;
  a->has_stopped = 1;
  a->mailbox_kind = AS_MAILBOX_UNBOUNDED;
  a->mailbox_len =
      a->mailbox_enqueued > a->messages_received ? a->mailbox_enqueued - a->messages_received : 0;
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
