/* The exact timeline of a run recorded with events (NAME.events beside NAME.jsonl; format:
 * format/events_format.h, docs/events-format.md) as Trace Event JSON, added to the trace
 * export_perfetto.c writes from the snapshots:
 *
 *   handler slices  "X" events on the actor's track (tid = actor id), named by message type,
 *                   exact begin and duration; args: type, mailbox_wait_ns, sender, thread
 *   sends           "X" events of no duration on the sender's track (an actor's, or
 *                   "thread TID" for a thread running no actor: tid 1000000000 + TID), named
 *                   "send"; args: to, handled
 *   flows           from each send to the handler that took the message (flow events v2:
 *                   bind_id with flow_out on the send, flow_in on the handler; or, with
 *                   EXPORT_EVENTS_FLOWS_V1, flow events v1 "s"/"f" named "message" at the two
 *                   slices' times, and both slices in category EXPORT_EVENTS_V1_CATEGORY)
 *   losses          a process instant "events lost" where a full ring dropped records
 * Streams: memory is the handlers open now, the messages sent and not yet taken, and the names
 * of actors and types. */
#ifndef ACTORSCOPE_EXPORT_EVENTS_H
#define ACTORSCOPE_EXPORT_EVENTS_H

#include <stdint.h>
#include <stdio.h>

#include "intern.h"
#include "reader.h"

struct actor_model_view;

/* The actors as the snapshots tell them: their names, for the events' args, and the
 * runtime-internal ones the snapshots left out (HIDDEN, actor_model_snapshot's; NULL: none), whose
 * handlers and messages are left out alike. */
struct export_events_names {
  struct intern_table strings;
  int64_t *ids;
  const char **names;
  size_t n, cap;
  const struct actor_model_view *hidden;
};

void export_events_names_init(struct export_events_names *names);
/* The actor ID is called NAME (from now on). Returns 0 or -ENOMEM. */
int export_events_name(struct export_events_names *names, int64_t id, const char *name);
void export_events_names_free(struct export_events_names *names);

/* The events file beside a run read from SOURCE ("x.jsonl" -> "x.events") into PATH; returns 0
 * when one exists, -ENOENT otherwise. */
int export_events_path(const char *source, char *path, size_t len);

/* Whether the events file at PATH is the run's whose snapshots begin with header RUN (its writer's
 * pid and start time): 1 when it is, or when its header cannot tell (export_events_write then
 * says what is wrong with it); 0 when it is another run's (a stale NAME.events beside a newer
 * snapshot file), with WHY saying whose. */
int export_events_of_run(const char *path, const struct as_rec_header *run, char *why,
                         size_t why_len);

/* Flow events v1 (ph "s"/"f") rather than v2 (bind_id): Chrome DevTools' Performance panel
 * draws only those, and binds each to the event of its own category at its own time. */
#define EXPORT_EVENTS_FLOWS_V1 1u
#define EXPORT_EVENTS_V1_CATEGORY "message"

/* Writes the events of PATH as trace events (each preceded by ",\n": the caller has written at
 * least one event before), for process PID placed OFFSET_NS after the trace's start, FLAGS
 * EXPORT_EVENTS_* or 0. FLOW_ID: the last flow id the trace used; this file's flows take the
 * next ones and it is moved past them (a viewer joins flows by id across the whole trace: two
 * runs each numbering theirs from 1 drew arrows from one process's sends to the other's
 * handlers). Returns 0, or a negative errno with ERR filled. COUNTS: the records read, and
 * those the tracer said it lost at a full ring (LOST records: slices and flows are missing
 * there). */
struct export_events_counts {
  uint64_t records, lost;
};
int export_events_write(FILE *out, const char *path, int64_t pid, int64_t offset_ns,
                        const struct export_events_names *names, unsigned flags, uint64_t *flow_id,
                        struct export_events_counts *counts, struct as_reader_error *err);

#endif
