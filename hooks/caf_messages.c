/* C++ Actor Framework 0.17.6 hooks: an actor's messages, sent (every enqueue override, an io
 * broker's network events) and handled (consume, the mailbox visitors). The hot path of CAF
 * tracing: see docs/hooks.md and docs/performance.md for what each costs. Built with
 * -fexceptions: handler exceptions unwind through these frames, and cleanup handlers record
 * them. */
#define _GNU_SOURCE
#include "caf_actor.h"
#include "events.h"
#include "peers.h"

#include <stdatomic.h>
#include <stdbool.h>

/* ---- messages ------------------------------------------------------------------------------ */

/* A response is about to be handled by an actor waiting for one. It ends the wait unless it is
 * known to come from another actor than the one waited on (a late answer to an older request,
 * which CAF will skip): better a wait that ends early than one never ended. */
static __attribute__((noinline)) void caf_response_arrives(struct caf_actor *ca, uint64_t mid,
                                                           uint64_t waited_on)
{
  uint64_t from = caf_request_target(ca, mid);
  if (!from || from == waited_on)
    as_actor_wait_end(caf_record(ca));
}

/* Forwarders (pools, decorators, proxies) hand a message on at once: it is received when it
 * is enqueued, so their mailbox never looks stuck. */
/* Whether the actor's handler runs on this thread and will set the record's change bit as it
 * ends (caf_handler_end), after whatever this hook stores now: a send from a handler (to
 * itself, or its sent count) then leaves the bit to it. */
static AS_HOOK_HOT bool caf_touched_at_end(const struct caf_actor *ca)
{
  return ca == caf_here.consuming && as_actor_is_handling(caf_record((struct caf_actor *)ca));
}

static AS_HOOK_HOT void caf_on_enqueue(struct caf_actor *target, const void *element,
                                       bool forwarder)
{
  /* Sent from the target's own handler, on its thread: counted without a locked add. */
  uint64_t seq = caf_touched_at_end(target) ? as_actor_enqueue_own_quiet(caf_record(target))
                                            : as_actor_enqueue(caf_record(target));
  if (forwarder) {
    caf_launched(target); /* forwarders are never launched */
    as_actor_receive_shared(caf_record(target), caf_layout_message_type(&caf_here.memo, element));
  } else {
    /* CAF's mailbox is not one queue (priorities, messages skipped while awaiting a
     * response), so its consumer cannot tell a timed message by its number: the element,
     * alive until its handler is done, names the message with its receiver; a handler looks
     * it up while a timed message of its actor may be queued (as_actor_mailwait_pending). */
    if (as_mailwait_sampled(seq))
      as_mailwait_stamp(as_mailwait_key_object(element, as_actor_id(caf_record(target))),
                        as_clock_now());
  }
  /* A message to oneself (a loop driving itself) names its own actor: no look-up. */
  const void *from = caf_actor_of_ctrl(caf_read_ptr(element, CAF_ELEMENT_SENDER));
  struct caf_actor *sender = from == target->object ? target : caf_find_or_adopt(from);
  /* Without a sender (anon_send), the actor running here sends: its sent count, its peers and
   * the event log name it (until session 21 its sent count did not). A thread that runs no
   * actor counts in the target's record. */
  bool named = sender != NULL;
  if (!named)
    sender = caf_here.consuming;
  /* The element names the message until its handler is done (forwarders pass it on). */
  if (!forwarder)
    as_events_send(sender ? caf_record(sender) : NULL, caf_record(target), (uintptr_t)element);
  if (!sender) {
    as_peers_count_touch(NULL, caf_record(target));
    return;
  }
  if (sender == target)
    return;
  /* Only the sender's own thread bumps its counts, but for forwarded messages (its record's
   * change bit is set once, by the sent count). */
  if (sender == caf_here.consuming) {
    as_peers_count_sent(caf_record(sender), caf_record(target), 1);
    if (as_actor_is_handling(caf_record(sender)))
      as_actor_count_sent_quiet(caf_record(sender));
    else
      as_actor_count_sent(caf_record(sender));
  } else {
    as_peers_count_sent(caf_record(sender), caf_record(target), 0);
    as_actor_count_sent_shared(caf_record(sender));
  }
  /* A request is its named sender's (a request id is unique per requester only). */
  uint64_t mid = caf_read_u64(element, CAF_ELEMENT_MID);
  if (named && (mid & CAF_MID_REQUEST_ID_MASK) && !(mid & CAF_MID_RESPONSE_FLAG))
    caf_remember_request(sender, mid, as_actor_id(caf_record(target)));
}

typedef void (*caf_enqueue_fn)(void *, void **, void *);

/* The per-message paths below leave errno alone: only their first-time slow paths (naming,
 * interning a type) can touch it, and those save them themselves. */
/* A handler's message to its own actor looks the actor up too: a handler that began before a
 * detach may still run after the next attach, whose record for its actor is another. */
static AS_HOOK_HOT void caf_enqueue_count(void *self, void **element, bool forwarder)
{
  struct caf_actor *target;
  if (element && *element && caf_active() && (target = caf_find_or_adopt(self)))
    caf_on_enqueue(target, *element, forwarder);
}

/* Nothing to do once the real enqueue returns: the compiler jumps to it. */
static AS_HOOK_HOT void caf_enqueue(caf_enqueue_fn real, void *self, void **element, void *host,
                                    bool forwarder)
{
  if (!real)
    return;
  if (caf_here.enqueue_self != self)
    caf_enqueue_count(self, element, forwarder);
  real(self, element, host);
}

#define CAF_ENQUEUE_HOOK(sym, forwarder)                                                           \
  AS_HOOK_EXPORT void sym(void *self, void **element, void *host)                                  \
  {                                                                                                \
    caf_enqueue((caf_enqueue_fn)CAF_REAL(sym), self, element, host, forwarder);                    \
  }

CAF_ENQUEUE_HOOK(
    _ZN3caf15scheduled_actor7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    false)
CAF_ENQUEUE_HOOK(
    _ZN3caf14blocking_actor7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    false)
CAF_ENQUEUE_HOOK(
    _ZN3caf15actor_companion7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    false)
/* abstract_broker::enqueue calls its base's, scheduled_actor::enqueue, with the same message:
 * counted once, here (the only enqueue that calls another of this actor's). */
AS_HOOK_EXPORT void
_ZN3caf2io15abstract_broker7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE(
    void *self, void **element, void *host)
{
  caf_enqueue_fn real = (caf_enqueue_fn)CAF_REAL(
      _ZN3caf2io15abstract_broker7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE);
  if (!real)
    return;
  const void *outer = caf_here.enqueue_self;
  if (outer != self)
    caf_enqueue_count(self, element, false);
  caf_here.enqueue_self = self;
  real(self, element, host);
  caf_here.enqueue_self = outer;
}
CAF_ENQUEUE_HOOK(
    _ZN3caf10actor_pool7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    true)
CAF_ENQUEUE_HOOK(
    _ZN3caf22forwarding_actor_proxy7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    true)
CAF_ENQUEUE_HOOK(
    _ZN3caf9decorator8splitter7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    true)
CAF_ENQUEUE_HOOK(
    _ZN3caf9decorator9sequencer7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,
    true)

/* ---- messages handed to a broker outside its mailbox --------------------------------------- */

/* A broker's servants (libcaf_io's scribes, doormen and datagram servants) hand it the network's
 * events one at a time, not through its mailbox (activate below), and a servant detached with
 * its closing message hands that to its consume() itself (detach below). Each is counted as put
 * in as it is handed over, so that the mailbox's length (put in minus taken) stays true while
 * messages wait in it: before, a broker that took 180 such events read 180 fewer queued than it
 * held, down to 0. It comes from the thread that hands it (the multiplexer's), which is counted
 * as its sender once the broker took it. It never waited in the mailbox, so it is not timed
 * there (mailbox-wait.md). */
struct caf_handover {
  struct as_actor *to;
  bool own;       /* counted as the broker's own (handed over inside its handler, on its thread) */
  uint64_t taken; /* the broker's receive count before */
};

static struct caf_handover caf_handover_put(struct caf_actor *ca, const void *element)
{
  struct caf_handover h = {caf_record(ca), caf_touched_at_end(ca), 0};
  as_changes_touch(h.to);
  if (h.own)
    as_actor_enqueue_own_quiet(h.to);
  else
    as_actor_enqueue_quiet(h.to);
  if (element) {
    /* A servant hands every event in the one element it keeps: no stamp left for this broker
     * at that address may time this one. */
    as_mailwait_take(as_mailwait_key_object(element, as_actor_id(h.to)));
    as_events_send(NULL, h.to, (uintptr_t)element);
  }
  h.taken = atomic_load_explicit(&h.to->received, memory_order_relaxed);
  return h;
}

static void caf_handover_counted(const struct caf_handover *h)
{
  as_peers_count_touch(caf_here.consuming ? caf_record(caf_here.consuming) : NULL, h->to);
}

typedef int (*caf_activate_fn)(void *, void *, void *);

/* One the broker does not take (it had quit, or skipped it: CAF drops it then) is taken back. */
AS_HOOK_EXPORT int _ZN3caf15scheduled_actor8activateEPNS_14execution_unitERNS_15mailbox_elementE(
    void *self, void *host, void *element)
{
  caf_activate_fn real = (caf_activate_fn)CAF_REAL(
      _ZN3caf15scheduled_actor8activateEPNS_14execution_unitERNS_15mailbox_elementE);
  if (!real)
    return 0;
  struct caf_actor *ca = element && caf_active() ? caf_find_or_adopt(self) : NULL;
  if (!ca)
    return real(self, host, element);
  struct caf_handover h = caf_handover_put(ca, element);
  int result = real(self, host, element);
  if (atomic_load_explicit(&h.to->received, memory_order_relaxed) != h.taken) {
    caf_handover_counted(&h);
  } else {
    if (h.own)
      as_actor_enqueue_own_undo(h.to);
    else
      as_actor_enqueue_undo(h.to);
    as_events_send_undo(h.to, (uintptr_t)element);
  }
  return result;
}

/* The closing message is made inside the call: the event log shows its handler without a send.
 * If the broker skips it, CAF keeps it in the broker's cache, where it waits like any queued
 * message. The broker is the servant's parent, asked of CAF (manager::parent(); NULL once
 * detached). */
AS_HOOK_REAL_SLOT(_ZN3caf2io7network7manager6parentEv);

AS_HOOK_EXPORT void _ZN3caf2io7network7manager6detachEPNS_14execution_unitEb(void *self, void *host,
                                                                             bool with_message)
{
  typedef void (*detach_fn)(void *, void *, bool);
  typedef void *(*parent_fn)(void *);
  detach_fn real = (detach_fn)CAF_REAL(_ZN3caf2io7network7manager6detachEPNS_14execution_unitEb);
  if (!real)
    return;
  parent_fn parent = (parent_fn)AS_HOOK_REAL(_ZN3caf2io7network7manager6parentEv);
  void *broker = with_message && self && parent && caf_active() ? parent(self) : NULL;
  struct caf_actor *ca = broker ? caf_find_or_adopt(broker) : NULL;
  if (!ca) {
    real(self, host, with_message);
    return;
  }
  struct caf_handover h = caf_handover_put(ca, NULL);
  real(self, host, with_message);
  caf_handover_counted(&h);
}

/* ---- handlers ------------------------------------------------------------------------------ */

struct caf_handling {
  struct caf_actor *ca;
  uint32_t type;
  int result; /* -1 while the handler has not returned */
  int skipped_result;
  /* A blocking actor's receive inside a handler visits messages in a nested handler: the
   * outer one is restored when the nested one ends. */
  struct as_handler_mark outer;
  struct caf_actor *outer_consumer;
  /* The record's change bit, found once: set as the handler begins and as it ends. */
  struct as_changes_ref changes;
  /* The message's time in the mailbox (mailwait.h), counted once it is handled, not skipped:
   * its stamp (0: none, or not looked up: no timed message was pending) and key, and the
   * ticks it waited. */
  uint64_t wait_stamp;
  uint64_t wait_key;
  uint64_t waited;
};

/* A timed message may be queued: this one's stamp (0: none) and the ticks it waited, out of
 * line (most messages are not timed). */
struct caf_waited {
  uint64_t stamp, ticks;
};
static __attribute__((noinline)) struct caf_waited caf_mailwait_claim(struct as_actor *a,
                                                                      uint64_t key, uint64_t now)
{
  uint64_t stamp = as_actor_mailwait_claim(a, key);
  return (struct caf_waited){stamp, as_mailwait_since(stamp, now)};
}

static AS_HOOK_HOT struct caf_handling caf_handler_begin(struct caf_actor *ca, const void *element,
                                                         int skipped_result)
{
  struct caf_handling h = {.ca = ca,
                           .type = AS_TYPE_NONE,
                           .result = -1,
                           .skipped_result = skipped_result,
                           .outer_consumer = caf_here.consuming};
  if (!ca)
    return h;
  struct as_actor *a = caf_record(ca);
  caf_here.consuming = ca;
  caf_here.exception_counted = NULL; /* one left by an actor whose own handler took it */
  caf_launched(ca);
  h.type = caf_layout_message_type(&caf_here.memo, element);
  uint64_t mid = caf_read_u64(element, CAF_ELEMENT_MID);
  if (mid & CAF_MID_RESPONSE_FLAG) {
    uint64_t waited_on = as_actor_waiting_on(a);
    if (waited_on)
      caf_response_arrives(ca, mid, waited_on);
  }
  /* A nested handler (a blocking actor's receive inside one) resumes the outer one. */
  if (__builtin_expect(as_actor_is_handling(a), 0))
    h.outer = as_actor_handler_mark(a);
  as_actor_receive_quiet(a, h.type);
  uint64_t now = as_clock_now();
  if (__builtin_expect(as_actor_mailwait_pending(a), 0)) {
    h.wait_key = as_mailwait_key_object(element, as_actor_id(a));
    struct caf_waited w = caf_mailwait_claim(a, h.wait_key, now);
    h.wait_stamp = w.stamp;
    h.waited = w.ticks;
  }
  as_actor_handler_begin_quiet(a, h.type, now);
  h.changes = as_changes_ref_of(a);
  as_changes_touch_ref(h.changes);
  as_events_handler_begin(a, h.type, (uintptr_t)element, now);
  return h;
}

/* Runs when the handler returns or an exception unwinds through it. */
static AS_HOOK_HOT void caf_handler_end(struct caf_handling *h)
{
  if (!h->ca)
    return;
  struct as_actor *a = caf_record(h->ca);
  caf_here.consuming = h->outer_consumer;
  if (h->result < 0) {
    as_actor_count_exception(a);
    caf_here.exception_counted = h->ca;
  }
  /* The record's change bit is set after the stores, and only when there were some: an
   * actor that stopped in its handler (the stop ended it) keeps the record its stop left. */
  int changed = 0;
  if (h->result == h->skipped_result) {
    /* Left in the mailbox (e.g. while awaiting a response): not handled yet. */
    as_actor_receive_undo(a, h->type);
    if (h->wait_stamp)
      as_actor_mailwait_unclaim(a);
    as_events_handler_cancel(a);
    as_actor_handler_cancel(a);
  } else {
    as_events_handler_end(a);
    changed = as_actor_handler_end_quiet(a, as_clock_now());
    if (h->wait_stamp) {
      as_mailwait_take_stamp(h->wait_key, h->wait_stamp);
      as_actor_mailbox_wait_add(a, h->waited);
    }
  }
  if (h->outer.type != AS_TYPE_NONE) {
    as_actor_handler_begin_quiet(a, h->outer.type, h->outer.since);
    changed = 1;
  }
  if (changed)
    as_changes_touch_ref(h->changes);
}

typedef int (*caf_consume_fn)(void *, void *);

static AS_HOOK_HOT int caf_consume(caf_consume_fn real, void *self, void *element)
{
  if (!real)
    return 0;
  struct caf_actor *ca = element && caf_active() ? caf_find_or_adopt(self) : NULL;
  __attribute__((cleanup(caf_handler_end))) struct caf_handling h =
      caf_handler_begin(ca, element, CAF_CONSUME_SKIPPED);
  int result = real(self, element);
  h.result = result;
  return result;
}

AS_HOOK_EXPORT int _ZN3caf15scheduled_actor7consumeERNS_15mailbox_elementE(void *self,
                                                                           void *element)
{
  return caf_consume(
      (caf_consume_fn)CAF_REAL(_ZN3caf15scheduled_actor7consumeERNS_15mailbox_elementE), self,
      element);
}

AS_HOOK_EXPORT int _ZN3caf21raw_event_based_actor7consumeERNS_15mailbox_elementE(void *self,
                                                                                 void *element)
{
  return caf_consume(
      (caf_consume_fn)CAF_REAL(_ZN3caf21raw_event_based_actor7consumeERNS_15mailbox_elementE), self,
      element);
}

/* A mailbox visitor's handler (blocking_actor's, scheduled_actor's for stream batches): the
 * visitor's first member is the actor. */
static AS_HOOK_HOT struct caf_handling caf_visitor_handler_begin(void *visitor, void *element)
{
  struct caf_actor *ca =
      visitor && element && caf_active() ? caf_find_or_adopt(caf_read_ptr(visitor, 0)) : NULL;
  return caf_handler_begin(ca, element, CAF_VISIT_SKIP);
}

/* blocking_actor::mailbox_visitor. */
AS_HOOK_EXPORT int _ZN3caf14blocking_actor15mailbox_visitorclERNS_15mailbox_elementE(void *visitor,
                                                                                     void *element)
{
  caf_consume_fn real =
      (caf_consume_fn)CAF_REAL(_ZN3caf14blocking_actor15mailbox_visitorclERNS_15mailbox_elementE);
  if (!real)
    return 0;
  __attribute__((cleanup(caf_handler_end))) struct caf_handling h =
      caf_visitor_handler_begin(visitor, element);
  int result = real(visitor, element);
  h.result = result;
  return result;
}

/* Stream batches (upstream_msg, downstream_msg) bypass consume(): scheduled_actor's mailbox
 * visitor handles them itself. */
typedef int (*caf_upstream_fn)(void *, size_t, void *, void *);
typedef int (*caf_downstream_fn)(void *, size_t, void *, unsigned short, void *, void *);

AS_HOOK_EXPORT int
_ZN3caf15scheduled_actor15mailbox_visitorclEmRNS_9intrusive9drr_queueINS_6policy17upstream_messagesEEERNS_15mailbox_elementE(
    void *visitor, size_t round, void *queue, void *element)
{
  caf_upstream_fn real = (caf_upstream_fn)CAF_REAL(
      _ZN3caf15scheduled_actor15mailbox_visitorclEmRNS_9intrusive9drr_queueINS_6policy17upstream_messagesEEERNS_15mailbox_elementE);
  if (!real)
    return 0;
  __attribute__((cleanup(caf_handler_end))) struct caf_handling h =
      caf_visitor_handler_begin(visitor, element);
  int result = real(visitor, round, queue, element);
  h.result = result;
  return result;
}

AS_HOOK_EXPORT int
_ZN3caf15scheduled_actor15mailbox_visitorclEmRNS_9intrusive30wdrr_dynamic_multiplexed_queueINS_6policy19downstream_messagesEEEtRNS2_9drr_queueINS5_6nestedEEERNS_15mailbox_elementE(
    void *visitor, size_t round, void *queue, unsigned short slot, void *nested, void *element)
{
  caf_downstream_fn real = (caf_downstream_fn)CAF_REAL(
      _ZN3caf15scheduled_actor15mailbox_visitorclEmRNS_9intrusive30wdrr_dynamic_multiplexed_queueINS_6policy19downstream_messagesEEEtRNS2_9drr_queueINS5_6nestedEEERNS_15mailbox_elementE);
  if (!real)
    return 0;
  __attribute__((cleanup(caf_handler_end))) struct caf_handling h =
      caf_visitor_handler_begin(visitor, element);
  int result = real(visitor, round, queue, slot, nested, element);
  h.result = result;
  return result;
}
