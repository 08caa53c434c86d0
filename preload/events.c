/* Per-thread event rings (events.h): the host threads' side, and the drain the writer calls. */
#define _GNU_SOURCE
#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

_Atomic int as__events_on;

enum { RING_OWNED, RING_EXITED, RING_FREE };

/* One thread's ring. head is written by its thread alone, tail by the writer alone: each on a
 * cache line of its own. Rings are never unmapped while the process runs: a thread that exits
 * leaves its ring to be drained, and a later thread takes it over. */
struct events_ring {
  _Atomic uint64_t head;
  char pad_head[56];
  _Atomic uint64_t tail;
  char pad_tail[56];
  _Atomic uint64_t lost; /* records dropped because the ring was full: by its thread */
  uint64_t lost_said;    /* by the writer */
  uint32_t tid_said;     /* by the writer: the thread it last told of (events_drain.thread) */
  char name[AS_EV_THREAD_NAME_MAX + 1]; /* its thread's, when it took the ring */
  _Atomic uint32_t tid;
  _Atomic int state;
  uint32_t mask;
  size_t map_bytes;
  struct events_ring *next; /* set before the ring is pushed, never changed */
  struct as_events_record records[];
};

/* This thread's ring; RING_GONE once the thread's exit gave it back. */
#define RING_GONE ((struct events_ring *)1)
static __thread struct events_ring *events_mine __attribute__((tls_model("initial-exec")));
/* Set while this thread writes a record: a signal handler's hook meeting it drops its own. */
static __thread int events_busy __attribute__((tls_model("initial-exec")));

static struct events_ring *_Atomic events_rings;
static _Atomic uint32_t events_capacity = 16384;
static pthread_key_t events_key;
static pthread_once_t events_key_once = PTHREAD_ONCE_INIT;
static int events_key_ok;

void as__events_ring_capacity_set(uint32_t records)
{
  if (records >= 16 && !(records & (records - 1)))
    atomic_store(&events_capacity, records);
}

/* The thread exits: its ring is drained by the writer, then free for another thread. */
static void events_thread_exit(void *p)
{
  struct events_ring *r = p;
  events_mine = RING_GONE;
  if (r)
    atomic_store_explicit(&r->state, RING_EXITED, memory_order_release);
}

static void events_key_create(void)
{
  events_key_ok = pthread_key_create(&events_key, events_thread_exit) == 0;
}

/* A drained ring given back by an exited thread, or a new one. Off the message path: once per
 * thread. */
static __attribute__((noinline)) struct events_ring *events_ring_claim(void)
{
  int saved = errno;
  pthread_once(&events_key_once, events_key_create);
  struct events_ring *r = NULL;
  for (struct events_ring *it = atomic_load(&events_rings); it && !r; it = it->next) {
    int free_state = RING_FREE;
    if (atomic_compare_exchange_strong(&it->state, &free_state, RING_OWNED))
      r = it;
  }
  if (!r) {
    uint32_t capacity = atomic_load(&events_capacity);
    size_t bytes = sizeof *r + (size_t)capacity * sizeof(struct as_events_record);
    void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
      events_mine = RING_GONE; /* no memory: this thread records nothing */
      errno = saved;
      return NULL;
    }
    r = map;
    r->mask = capacity - 1;
    r->map_bytes = bytes;
    atomic_store(&r->state, RING_OWNED);
    struct events_ring *head = atomic_load(&events_rings);
    do
      r->next = head;
    while (!atomic_compare_exchange_weak(&events_rings, &head, r));
  }
  atomic_store_explicit(&r->tid, as_registry_thread_tid(), memory_order_relaxed);
  /* For a thread gone before the writer reads its name (events_drain.thread). */
  memset(r->name, 0, sizeof r->name);
  prctl(PR_GET_NAME, r->name);
  if (events_key_ok)
    pthread_setspecific(events_key, r);
  events_mine = r;
  errno = saved;
  return r;
}

void as__events_put(unsigned kind, uint64_t actor, uint64_t peer, uint64_t msg, uint32_t type,
                    uint64_t ticks)
{
  struct events_ring *r = events_mine;
  if (__builtin_expect(r == NULL, 0))
    r = events_ring_claim();
  if (__builtin_expect(r == NULL || r == RING_GONE, 0))
    return;
  if (__builtin_expect(events_busy, 0)) {
    atomic_store_explicit(&r->lost, atomic_load_explicit(&r->lost, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    return;
  }
  events_busy = 1;
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
  /* Full for records one slot early (the same compare): the last slot marks where a run of
   * drops begins (GAP), so a reader knows which handlers may have lost their END. */
  if (head - tail >= r->mask) {
    atomic_store_explicit(&r->lost, atomic_load_explicit(&r->lost, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    if (head - tail == r->mask) {
      struct as_events_record *rec = &r->records[head & r->mask];
      *rec = (struct as_events_record){.time_ns = ticks, .actor = actor, .kind = AS_EV_GAP};
      atomic_store_explicit(&r->head, head + 1, memory_order_release);
    }
  } else {
    struct as_events_record *rec = &r->records[head & r->mask];
    rec->time_ns = ticks;
    rec->actor = actor;
    rec->peer = peer;
    rec->msg = msg;
    rec->type = (uint16_t)type;
    rec->kind = (uint8_t)kind;
    /* The record is whole before the writer can see it. */
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
  }
  events_busy = 0;
}

void as__events_handler_end(const struct as_actor *actor)
{
  if (as_actor_is_handling(actor))
    as__events_put(AS_EV_END, as_actor_id(actor), 0, 0, 0, as_clock_now());
}

void as__events_stop(const struct as_actor *actor)
{
  uint64_t now = as_clock_now();
  if (as_actor_is_handling(actor))
    as__events_put(AS_EV_END, as_actor_id(actor), 0, 0, 0, now);
  as__events_put(AS_EV_STOP, as_actor_id(actor), 0, 0, 0, now);
}

uint64_t as__events_drain(const struct as_events_drain *d, uint64_t limit)
{
  uint64_t passed = 0;
  for (struct events_ring *r = atomic_load(&events_rings); r; r = r->next) {
    int state = atomic_load_explicit(&r->state, memory_order_acquire);
    if (state == RING_FREE)
      continue;
    uint32_t tid = atomic_load_explicit(&r->tid, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (tail != head || atomic_load_explicit(&r->lost, memory_order_relaxed) != r->lost_said) {
      d->thread(d->ctx, tid, tid != r->tid_said, r->name);
      r->tid_said = tid;
    }
    for (; tail != head; tail++, passed++) {
      struct as_events_record rec = r->records[tail & r->mask];
      if (rec.time_ns > limit)
        break; /* stamped after the drain began: the next drain takes it */
      rec.tid = tid;
      rec.flags = 0;
      d->record(d->ctx, &rec);
    }
    atomic_store_explicit(&r->tail, tail, memory_order_release);
    uint64_t lost = atomic_load_explicit(&r->lost, memory_order_relaxed);
    if (lost != r->lost_said) {
      d->lost(d->ctx, tid, lost - r->lost_said, as_clock_now());
      r->lost_said = lost;
    }
    /* Its thread is gone and everything it wrote is out: another thread may take it. */
    if (state == RING_EXITED && tail == head) {
      atomic_store_explicit(&r->head, 0, memory_order_relaxed);
      atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
      atomic_store_explicit(&r->lost, 0, memory_order_relaxed);
      r->lost_said = 0;
      r->tid_said = 0; /* the next owner is told of, even a thread given the same tid */
      atomic_store_explicit(&r->state, RING_FREE, memory_order_release);
    }
  }
  return passed;
}

void as__events_rings_forget_after_fork(void)
{
  /* Only this thread exists in the child: every ring, its own included, belongs to the
   * parent's threads' records, which the parent writes. */
  struct events_ring *r = atomic_load(&events_rings);
  atomic_store(&events_rings, NULL);
  while (r) {
    struct events_ring *next = r->next;
    munmap(r, r->map_bytes);
    r = next;
  }
  if (events_key_ok)
    pthread_setspecific(events_key, NULL);
  events_mine = NULL;
  events_busy = 0;
}
