/* What the CAF hooks' files share (caf.c: lifecycle, links, waits; caf_messages.c: sends and
 * handlers): an actor's hook record, this thread's state, finding an actor from its object,
 * and whom a request went to. The message path's pieces are inline: a call costs more than
 * most of them do. */
#ifndef AS_CAF_ACTOR_H
#define AS_CAF_ACTOR_H

#include "caf_layout.h"
#include "caf_symbols.h"
#include "attach.h"
#include "hook.h"
#include "recent.h"
#include "registry.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* What the hooks keep of an actor, after its registry record (as_actor_private): 8 bytes,
 * so that record and all fit one 240-byte block. Whom its requests went to is kept in the
 * shared table of recent facts (recent.h), by (actor, request id). */
struct caf_actor {
  const void *object;
};

static AS_HOOK_HOT struct as_actor *caf_record(struct caf_actor *ca)
{
  return as_actor_of_private(ca);
}

enum caf_state { CAF_UNCHECKED, CAF_READY, CAF_REFUSED };

extern _Atomic int caf_state __attribute__((visibility("hidden")));

/* This thread's state of the hooks, one initial-exec block: a hook reaches all of it from one
 * address (each thread variable of a shared library costs a load of its offset first). */
struct caf_thread {
  struct caf_type_memo memo;   /* caf_layout_message_type's */
  const void *enqueue_self;    /* abstract_broker::enqueue calls the base's */
  struct caf_actor *consuming; /* the actor whose handler runs on this thread */
  /* The actor whose handler just unwound with an exception (counted already): CAF then calls
   * its exception handler, which must not count it again. */
  struct caf_actor *exception_counted;
};
extern AS_HOOK_TLS struct caf_thread caf_here __attribute__((visibility("hidden")));

#define CAF_REAL_SLOT(sym, what) AS_HOOK_REAL_SLOT(sym);
CAF_CORE_HOOKS(CAF_REAL_SLOT)
CAF_IO_HOOKS(CAF_REAL_SLOT)

#define CAF_REAL(sym) AS_HOOK_REAL(sym)

int caf_state_checked(void);

/* Whether hooks may read CAF objects: tracing is on and the layouts were verified. */
static AS_HOOK_HOT bool caf_active(void)
{
  if (!as_tracing_active())
    return false;
  int state = atomic_load_explicit(&caf_state, memory_order_acquire);
  if (__builtin_expect(state == CAF_READY, 1))
    return true;
  return (state == CAF_UNCHECKED ? caf_state_checked() : state) == CAF_READY;
}

/* The record slot in the control block's padding. Once the layout is verified, every actor
 * constructed gets its slot written (the record, or NULL), so a slot is never read unset. */
static inline struct caf_actor *_Atomic *caf_slot(const void *object)
{
  return (struct caf_actor * _Atomic *)((char *)caf_ctrl_of_actor(object) + CAF_CTRL_PADDING);
}

/* Whether a slot read after attach is this object's record (caf.c says when it is not). */
bool caf_slot_is_ours(const struct caf_actor *ca, const void *object);

static AS_HOOK_HOT struct caf_actor *caf_find(const void *object)
{
  if (!object)
    return NULL;
  struct caf_actor *ca = atomic_load_explicit(caf_slot(object), memory_order_acquire);
  if (as_attached() && ca && !caf_slot_is_ours(ca, object))
    return NULL;
  return ca;
}

/* Found at its first enqueue or handler after attach (caf.c). */
struct caf_actor *caf_adopt(const void *object);

/* An actor met by a message hook: attached, one not seen before is adopted. */
static AS_HOOK_HOT struct caf_actor *caf_find_or_adopt(const void *object)
{
  struct caf_actor *ca = caf_find(object);
  if (__builtin_expect(!ca, 0) && object && as_attached())
    ca = caf_adopt(object);
  return ca;
}

/* Names the actor and marks it running, the first time it is seen launched (caf.c). */
void caf_launch_seen(struct caf_actor *ca);

static AS_HOOK_HOT void caf_launched(struct caf_actor *ca)
{
  if (ca && as_actor_is_starting(caf_record(ca)))
    caf_launch_seen(ca);
}

static inline void caf_remember_request(struct caf_actor *sender, uint64_t mid, uint64_t target_id)
{
  as_recent_put(sender, mid & CAF_MID_REQUEST_ID_MASK, target_id);
}

/* Whom the request behind this message id went to; 0 when forgotten. */
static inline uint64_t caf_request_target(struct caf_actor *requester, uint64_t mid)
{
  uint64_t id = mid & CAF_MID_REQUEST_ID_MASK;
  return id ? as_recent_get(requester, id) : 0;
}

#endif
