/* Who talks to whom, over a recorded run: each actor's peers as its last listing has them
 * (the tracer's `peers`, FORMAT.md), added up per pair of actor names or per pair of actors.
 * A thread that runs no actor (the main thread, a Python thread) is a peer by its name. Every
 * view (report, check, diff, the exports, serve, top) takes its pair counts from here. */
#ifndef ACTORSCOPE_PAIRS_H
#define ACTORSCOPE_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

struct recording;
struct rm_actor;

/* One of an actor's peers, as recorded (rm_actor.peers). */
struct rm_peer {
  int64_t to;          /* a peer actor's id; 0: the thread named `thread` */
  uint32_t thread;     /* interned thread name, RM_NONE for an actor */
  uint8_t from_thread; /* the thread sent to this actor (else this actor sent to the peer) */
  int64_t count;
};

/* Keeps R's peers in A (its last listing's). Returns 0, or -1 out of memory. */
int rm_peers_update(struct recording *m, struct rm_actor *a, const struct as_rec_actor *r);

/* Messages from one talker to another: by name (from_id and to_id 0), or by actor (an id, or 0
 * for a thread, which is known by its name only). */
struct rm_pair {
  uint32_t from, to; /* interned names */
  int64_t from_id, to_id;
  int64_t count;
};

/* How every view names rm_pairs.other (a printf format taking AS_PEERS_PER_ACTOR_MAX). */
#define PAIRS_OTHER_TEXT "to or from peers past each actor's first %d"

struct rm_pairs {
  struct rm_pair *items; /* by count, highest first, then by names */
  size_t n;
  int64_t other; /* messages to or from peers past each actor's listed ones: no pair known */
  int any;       /* the run recorded peers at all (tracers before them did not) */
};

/* The pairs among visible actors (recording_visible) and threads, BY_ACTOR or by name. Returns
 * 0, or -1 out of memory. */
int recording_pairs(const struct recording *m, int by_actor, struct rm_pairs *out);
void recording_pairs_free(struct rm_pairs *pairs);
/* The messages from actor name (or thread) FROM to TO in by-name pairs; 0 when none. */
int64_t recording_pairs_between(const struct recording *m, const struct rm_pairs *pairs,
                                const char *from, const char *to);

struct rm_names;
/* check's no-messages FROM TO: 0 when it holds, else 1 (or -1 when it cannot be checked) with
 * DETAIL saying why. */
int pairs_check_no_messages(const struct recording *m, const struct rm_names *names,
                            const char *from, const char *to, char *detail, size_t len);

/* diff: calls ROW for each name pair either run has, by label ("FROM → TO"), with its counts
 * in A and B. Returns 0, or -1 out of memory. */
int pairs_diff_each(const struct recording *a, const struct recording *b,
                    void (*row)(const char *label, int64_t a, int64_t b, void *ctx), void *ctx);

/* The text report's section "Messages between actors" (nothing for a run without peers): by
 * name, and with ALL by actor too; at most LINES rows each unless ALL. */
void report_pairs_print(const struct recording *m, int all, size_t lines);
/* The same numbers for report --json: a member "messages_between" ({"by_name": [{"from",
 * "to", "count"}], "others": N} and with ALL "by_actor": [{"from", "from_id", "to", "to_id",
 * "count"}], a thread's id null), every pair (no line budget); nothing for a run without
 * peers. Returns 0, or -1 out of memory. */
struct jsonout;
int report_pairs_json(struct jsonout *j, const struct recording *m, int all);

#endif
