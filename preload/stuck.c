#define _GNU_SOURCE
#include "stuck.h"
#include "clock.h"
#include "diag.h"

#include <stdatomic.h>
#include <string.h>

/* Stuck runs kept at once (running, and each actor's longest that ended): about 28 KB. */
#define STUCK_RECORDS_MAX 64
/* Threads looked at in one line (a perf sample may take up to 100 ms): the rest at the next. */
#define STUCK_CAPTURES_PER_LINE 4
/* CPU time moves in clock ticks (10 ms): a stuck run is listed again when it used that much. */
#define STUCK_CPU_STEP_NS 10000000u

static struct as_stuck_stack stuck_records[STUCK_RECORDS_MAX];
/* Set while the collector unwinds: a fork then may leave libunwind's locks held in the child. */
static _Atomic int stuck_looking;
/* Whether any record is in use: a keyframe of 100k actors asks for each. */
static int stuck_any;

const struct as_stuck_stack *as_stuck_find(uint64_t id, uint64_t since)
{
  if (!stuck_any)
    return NULL;
  for (size_t i = 0; i < STUCK_RECORDS_MAX; i++) {
    const struct as_stuck_stack *r = &stuck_records[i];
    if (r->slot_used && r->running && r->id == id && r->since == since)
      return r;
  }
  return NULL;
}

const struct as_stuck_stack *as_stuck_longest(uint64_t id)
{
  const struct as_stuck_stack *best = NULL;
  if (!stuck_any)
    return NULL;
  for (size_t i = 0; i < STUCK_RECORDS_MAX; i++) {
    const struct as_stuck_stack *r = &stuck_records[i];
    if (r->slot_used && r->id == id && (!best || r->handler_ticks > best->handler_ticks))
      best = r;
  }
  return best;
}

static const struct as_actor_view *stuck_view_in(const struct as_actor_view *views, size_t count,
                                                 uint64_t id)
{
  for (size_t i = 0; i < count; i++)
    if (views[i].id == id)
      return &views[i];
  return NULL;
}

/* A run that ended: its length is exact when the actor finished just this one handler since it
 * was looked at (its total grew by that run alone); else, when the actor's longest handler grew
 * since then to a length this run can have had (between the last look and now), that is this
 * run; else the last look's lower bound. Then only the actor's longest ended run is kept. */
static void stuck_settle(struct as_stuck_stack *r, const struct as_registry_collection *changed,
                         uint64_t now)
{
  r->running = 0;
  const struct as_actor_view *v = stuck_view_in(changed->views, changed->count, r->id);
  if (v && v->handled == r->handled + 1 && v->handler_ticks_total >= r->handler_ticks_total &&
      v->handler_ticks_total - r->handler_ticks_total >= r->handler_ticks)
    r->handler_ticks = v->handler_ticks_total - r->handler_ticks_total;
  else if (v && v->handler_ticks_max > r->handler_ticks_max &&
           v->handler_ticks_max >= r->handler_ticks && now >= r->since &&
           v->handler_ticks_max <= now - r->since)
    r->handler_ticks = v->handler_ticks_max;
  for (size_t i = 0; i < STUCK_RECORDS_MAX; i++) {
    struct as_stuck_stack *o = &stuck_records[i];
    if (o == r || !o->slot_used || o->running || o->id != r->id)
      continue;
    if (o->handler_ticks >= r->handler_ticks) {
      r->slot_used = 0;
      return;
    }
    o->slot_used = 0;
  }
}

static void stuck_update_cpu(struct as_stuck_stack *r, const struct as_actor_view *v, uint64_t now)
{
  uint64_t cpu;
  r->handler_ticks = now - r->since;
  if (as_stuck_thread_cpu_ns(r->tid, &cpu) < 0 || cpu < r->cpu_first_ns)
    return;
  uint64_t used = cpu - r->cpu_first_ns;
  r->cpu_window_ticks = now - r->captured_at;
  if (used >= r->cpu_ns + STUCK_CPU_STEP_NS)
    as_registry_relist(v->actor); /* spinning: the next line says how much */
  r->cpu_ns = used;
}

/* A free record, else the shortest ended run's (a longer stuck run matters more). */
static struct as_stuck_stack *stuck_slot(void)
{
  struct as_stuck_stack *victim = NULL;
  for (size_t i = 0; i < STUCK_RECORDS_MAX; i++) {
    struct as_stuck_stack *r = &stuck_records[i];
    if (!r->slot_used)
      return r;
    if (!r->running && (!victim || r->handler_ticks < victim->handler_ticks))
      victim = r;
  }
  return victim;
}

static void stuck_capture(const struct as_actor_view *v, uint64_t now)
{
  struct as_stuck_stack *r = stuck_slot();
  if (!r) {
    as_diag_note("stuck_records_full",
                 "more than %d handlers are stuck at once: the others' stacks are not read",
                 STUCK_RECORDS_MAX);
    return;
  }
  memset(r, 0, offsetof(struct as_stuck_stack, frames));
  r->id = v->id;
  r->since = v->handling_since;
  r->tid = v->handler_tid;
  r->type = v->handling_type;
  r->handled = v->handled;
  r->handler_ticks_total = v->handler_ticks_total;
  r->handler_ticks_max = v->handler_ticks_max;
  atomic_store(&stuck_looking, 1);
  as_stuck_probe_thread(r->tid, r->frames, AS_STUCK_FRAMES_MAX, &r->probe);
  atomic_store(&stuck_looking, 0);
  r->captured_at = as_clock_now();
  r->handler_ticks = now - r->since;
  if (as_stuck_thread_cpu_ns(r->tid, &r->cpu_first_ns) < 0)
    r->cpu_first_ns = 0;
  r->running = 1;
  r->slot_used = 1;
  stuck_any = 1;
  as_registry_relist(v->actor); /* the next line lists the actor with its stack */
}

void as_stuck_scan(const struct as_waiting *handling, const struct as_registry_collection *changed,
                   uint64_t now, uint64_t threshold, int capture)
{
  /* The records fill pages of their own: a process with no stuck handler never touches them. */
  for (size_t i = 0; stuck_any && i < STUCK_RECORDS_MAX; i++) {
    struct as_stuck_stack *r = &stuck_records[i];
    if (!r->slot_used)
      continue;
    for (size_t k = 0; k < changed->reaped_count; k++)
      if (changed->reaped[k] == r->id)
        r->slot_used = 0;
    if (!r->slot_used || !r->running)
      continue;
    const struct as_actor_view *v = stuck_view_in(handling->views, handling->count, r->id);
    if (v && v->handling_since == r->since && v->handling_type != AS_TYPE_NONE)
      stuck_update_cpu(r, v, now);
    else
      stuck_settle(r, changed, now);
  }
  if (!capture)
    return;
  unsigned captured = 0;
  for (size_t i = 0; i < handling->count && captured < STUCK_CAPTURES_PER_LINE; i++) {
    const struct as_actor_view *v = &handling->views[i];
    if (v->handling_type == AS_TYPE_NONE || now < v->handling_since ||
        now - v->handling_since < threshold || !v->handler_tid ||
        as_stuck_find(v->id, v->handling_since))
      continue;
    captured++;
    stuck_capture(v, now);
  }
}

void as_stuck_reset_after_fork(void)
{
  if (stuck_any)
    memset(stuck_records, 0, sizeof stuck_records);
  stuck_any = 0;
  if (atomic_exchange(&stuck_looking, 0))
    as_stack_remote_disable(); /* the child looks no further than /proc: no stacks */
}
