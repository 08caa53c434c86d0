/* Version 3's compact "ended" actors (preload/FORMAT.md "Ended actors"), as format/reader.c
 * gives them: stopped actors of the line that lists them, reaped by the line after it; and
 * version 5's actor objects, which leave out members at their defaults. */
#ifndef ACTORSCOPE_READER_ENDED_H
#define ACTORSCOPE_READER_ENDED_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

/* Fills in what an ended actor's compact form leaves out (status stopped, mailbox unbounded,
 * its length from enqueued and received, no handler, wait, links, monitors or sockets), and the
 * members version 4 leaves out at the value the others imply. SEEN: the members it had (the
 * reader's frame, reader_member_bit). */
void as_ended_complete(struct as_rec_actor *a, uint64_t seen);

/* Version 5 (FORMAT.md "Defaults"): what an actor's object left out at its default. SEEN: the
 * actor object's members met. status: stopped beside a "stopped" object, else running;
 * mailbox.kind: unbounded; a runtime_id left out beside a runtime_scope: the actor's id. The
 * rest's default is the record's zero. */
void as_actor_defaults_complete(struct as_rec_actor *a, uint64_t seen);
/* A handler_ns object of version 5: a max left out is its total. */
void as_handler_defaults_complete(struct as_rec_actor *a, uint64_t seen);

/* A line's actors are its "actors" then its "ended", each sorted by id: sorts them as one list.
 * Returns 0, or the id of an actor listed in both (the list is then sorted, but invalid). */
int64_t as_ended_merge(struct as_rec_actor *actors, size_t n);

#endif
