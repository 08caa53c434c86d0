#include "registry.h"
#include "blockpool.h"
#include "config.h"
#include "intern.h"
#include "resolve.h"
#include "stack.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
/* The record whose runtime object the collector may be reading. With the record's probing
 * flag it makes a two-flag handshake (both sequentially consistent): as_actor_probe_forget
 * clears the flag, then waits while this names its record; the collector names the record,
 * then reads the flag. One of them sees the other's write, so an object is never read after
 * its runtime lets it go — and a runtime thread never waits on a lock the collector holds
 * for a whole pass. */
static const struct as_actor *_Atomic registry_probing_now;
/* Every listed record, in spawn (id) order: an array, not a list, so the collector can fetch
 * records ahead of the one it copies instead of chasing pointers one cache miss at a time.
 * A reaped record leaves a NULL until the array is compacted (when half of it is holes), so
 * reaping one actor does not move them all. */
static struct as_actor **registry_actors;
static size_t registry_actor_count, registry_actor_capacity, registry_actor_holes;
/* Records come from two pools, not malloc: spawning then never contends for the host's malloc
 * arena with the threads that free its actors, and a record's place in its pool is its bit in
 * the bitmap of changed actors (changes.h). The small pool (up to 8 bytes of runtime state,
 * e.g. CAF's) holds 4.1M records at once, the large one (up to 248 bytes, e.g. CZMQ's) 1.1M;
 * an actor beyond that is counted as untraced. */
static struct as_blockpool registry_records[AS_RECORD_SPACES] = {
    AS_BLOCKPOOL_INIT(AS_RECORD_STRIDE_SMALL - 8, AS_RECORD_REGION_SMALL),
    AS_BLOCKPOOL_INIT(AS_RECORD_STRIDE_LARGE - 8, AS_RECORD_REGION_LARGE),
};
struct as__record_space as__record_spaces[AS_RECORD_SPACES];
_Static_assert(sizeof(struct as_actor) + 8 <= AS_RECORD_STRIDE_SMALL - 8, "small blocks fit");
/* What the collector last saw of the record in each block: the actor it belonged to (a block
 * is reused after reaping), its received count (for the process's total) and whether it was
 * seen stopped (for the stopped total and the grave). Under the registry lock. */
struct registry_shadow {
  uint64_t id;
  uint64_t received;
  uint64_t channel_received; /* its channels' received, summed */
  uint64_t signature; /* of everything a line says of the actor but times of capture */
  uint8_t stopped;
};
struct registry_space {
  uint64_t *listed;  /* a bit per block: a published record not yet reaped */
  uint64_t *recheck; /* the bits the previous collection took: read once more */
  struct registry_shadow *shadow;
  size_t blocks; /* how many of the arrays above exist */
};
static struct registry_space registry_spaces[AS_RECORD_SPACES];
/* Actors seen stopped, oldest first: reaped from the front once their grave window passed. */
struct registry_grave {
  struct as_actor *actor;
  uint64_t stopped_at;
};
static struct registry_grave *registry_graves;
static size_t registry_grave_first, registry_grave_count, registry_grave_capacity;
/* Totals as the collector saw them, so that every snapshot's totals agree with its actors. */
static uint64_t registry_seen_stopped, registry_seen_received, registry_seen_channel_received;
/* 1.2M tally blocks (104 bytes and the link). */
static struct as_blockpool registry_tallies =
    AS_BLOCKPOOL_INIT(sizeof(struct as_tally_more), 128u << 20);
/* Histograms of busy actors: 420k blocks of 2.5 KB (address space, touched as used). */
static struct as_blockpool registry_histograms =
    AS_BLOCKPOOL_INIT(sizeof(struct as_histogram_block), 1ull << 30);
static _Atomic uint64_t registry_histogram_lost;
static void registry_histogram_free(_Atomic uint64_t *histogram);
/* How many records ahead the collector prefetches. */
#define REGISTRY_PREFETCH_AHEAD 8
/* Runtimes seen so far: a record keeps the index, one byte. */
#define REGISTRY_RUNTIMES_MAX 16
static const struct as_runtime *_Atomic registry_runtimes[REGISTRY_RUNTIMES_MAX];
static uint64_t registry_next_id = 1;
/* Actors left untraced because a record (or a runtime's own state) could not be allocated. */
static _Atomic uint64_t registry_untraced;
static void (*registry_first_spawn_callback)(void);
static _Atomic int registry_first_spawn_done;

static __thread struct as_actor *registry_current __attribute__((tls_model("initial-exec")));
__thread uint32_t as__registry_tid __attribute__((tls_model("initial-exec")));

uint32_t as__registry_tid_fetch(void)
{
  as__registry_tid = (uint32_t)syscall(SYS_gettid);
  return as__registry_tid;
}

struct as_actor *as_registry_current(void) { return registry_current; }
void as_registry_current_set(struct as_actor *actor) { registry_current = actor; }

void as_registry_on_first_spawn(void (*callback)(void)) { registry_first_spawn_callback = callback; }


/* Our own frames (hook, registry) lead the stack: they are skipped, not counted. */
#define REGISTRY_OWN_FRAMES_MAX 8

#define REGISTRY_ORIGIN_WORDS (sizeof(struct as_origin) / sizeof(void *))
_Static_assert(sizeof(struct as_origin) % sizeof(void *) == 0, "frames follow whole words");

static const struct as_origin *registry_origin(const void *name_addr, unsigned depth)
{
  union {
    struct as_origin origin;
    void *words[REGISTRY_ORIGIN_WORDS + AS_STACK_DEPTH_MAX + REGISTRY_OWN_FRAMES_MAX];
  } buf;
  memset(&buf, 0, sizeof(struct as_origin));
  void **frames = buf.words + REGISTRY_ORIGIN_WORDS;
  unsigned keep = 0;
  if (depth > 0) {
    unsigned n = as_stack_capture(frames, depth + REGISTRY_OWN_FRAMES_MAX);
    unsigned skip = 0;
    while (skip < n && as_resolve_is_own_address(frames[skip]))
      skip++;
    keep = n - skip < depth ? n - skip : depth;
    memmove(frames, frames + skip, keep * sizeof(void *));
  }
  if (!name_addr && keep == 0)
    return NULL;
  buf.origin.name_addr = name_addr;
  buf.origin.count = keep;
  return as_intern_bytes(&buf, sizeof(void *) * (REGISTRY_ORIGIN_WORDS + keep));
}

/* Lock-free (a record learns its runtime before it is published). A runtime past the table's
 * end shares the last index. */
static uint8_t registry_runtime_index(const struct as_runtime *runtime)
{
  for (unsigned i = 0; i < REGISTRY_RUNTIMES_MAX; i++) {
    const struct as_runtime *seen = atomic_load(&registry_runtimes[i]);
    if (!seen && atomic_compare_exchange_strong(&registry_runtimes[i], &seen, runtime))
      return (uint8_t)i;
    if (seen == runtime)
      return (uint8_t)i;
  }
  return REGISTRY_RUNTIMES_MAX - 1;
}

static const struct as_runtime *registry_runtime_of(const struct as_actor *a)
{
  return atomic_load_explicit(&registry_runtimes[a->runtime], memory_order_relaxed);
}

/* Under the registry lock. */
static int registry_actors_grow(void)
{
  size_t capacity = registry_actor_capacity ? registry_actor_capacity * 2 : 1024;
  struct as_actor **grown = realloc(registry_actors, capacity * sizeof *grown);
  if (!grown)
    return -ENOMEM;
  registry_actors = grown;
  registry_actor_capacity = capacity;
  return 0;
}

static unsigned registry_change_shift(int space)
{
  return space == 0 ? AS_CHANGES_SHIFT_SMALL : AS_CHANGES_SHIFT_LARGE;
}

/* Makes the per-block arrays of a space cover `block`. Under the registry lock. */
static int registry_space_fit(int space, size_t block)
{
  struct registry_space *sp = &registry_spaces[space];
  if (block < sp->blocks)
    return 0;
  size_t blocks = sp->blocks ? sp->blocks : 4096;
  while (blocks <= block)
    blocks *= 2;
  uint64_t *listed = realloc(sp->listed, blocks / 64 * sizeof *listed);
  if (listed)
    sp->listed = listed;
  uint64_t *recheck = listed ? realloc(sp->recheck, blocks / 64 * sizeof *recheck) : NULL;
  if (recheck)
    sp->recheck = recheck;
  /* The first array comes from calloc: its fresh pages are zero already, where a memset
   * would fault in all 40 of them at a process's first spawn (some 20 µs each on a VM). */
  int fresh = sp->shadow == NULL;
  struct registry_shadow *shadow =
      !recheck ? NULL : fresh ? calloc(blocks, sizeof *shadow) : realloc(sp->shadow, blocks * sizeof *shadow);
  if (!shadow)
    return -ENOMEM;
  sp->shadow = shadow;
  memset(sp->listed + sp->blocks / 64, 0, (blocks - sp->blocks) / 64 * sizeof *listed);
  memset(sp->recheck + sp->blocks / 64, 0, (blocks - sp->blocks) / 64 * sizeof *recheck);
  if (!fresh)
    memset(sp->shadow + sp->blocks, 0, (blocks - sp->blocks) * sizeof *shadow);
  sp->blocks = blocks;
  return 0;
}

/* Reserves a record pool and its bitmap of changes (address space, touched as used). */
static int registry_space_reserve(int space)
{
  if (atomic_load_explicit((char *_Atomic *)&as__record_spaces[space].region, memory_order_acquire))
    return 0;
  struct as_blockpool *pool = &registry_records[space];
  size_t words = ((pool->region_bytes >> registry_change_shift(space)) + 63) / 64;
  void *dirty = mmap(NULL, words * 8, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (dirty == MAP_FAILED)
    return -ENOMEM;
  pthread_mutex_lock(&registry_lock);
  int rc = 0;
  if (!as__record_spaces[space].region) {
    if (as_blockpool_reserve(pool) == 0) {
      as__record_spaces[space].dirty = dirty;
      atomic_store_explicit((char *_Atomic *)&as__record_spaces[space].region,
                            atomic_load(&pool->region), memory_order_release);
      dirty = NULL;
    } else {
      rc = -ENOMEM;
    }
  }
  pthread_mutex_unlock(&registry_lock);
  if (dirty)
    munmap(dirty, words * 8);
  return rc;
}

int as_registry_owns_record(const void *p)
{
  for (int space = 0; space < AS_RECORD_SPACES; space++) {
    const char *region =
        atomic_load_explicit((char *_Atomic *)&as__record_spaces[space].region, memory_order_acquire);
    size_t stride = registry_records[space].block_size + 8;
    if (region && (const char *)p >= region &&
        (size_t)((const char *)p - region) < registry_records[space].region_bytes &&
        (size_t)((const char *)p - region) % stride == 0)
      return 1;
  }
  return 0;
}

static int registry_space_of(const struct as_actor *a)
{
  return as_blockpool_owns(&registry_records[0], a) ? 0 : 1;
}

static size_t registry_block_of(int space, const struct as_actor *a)
{
  return (size_t)((const char *)a - as__record_spaces[space].region) /
         (registry_records[space].block_size + 8);
}

static struct as_actor *registry_record_at(int space, size_t block)
{
  return (struct as_actor *)(as__record_spaces[space].region +
                             block * (registry_records[space].block_size + 8));
}

static struct as_actor *registry_record_new(uint32_t private_bytes)
{
  size_t size = sizeof(struct as_actor) + private_bytes;
  int space = size <= registry_records[0].block_size ? 0 : 1;
  if (size > registry_records[space].block_size || registry_space_reserve(space) < 0)
    return NULL;
  as_mailwait_reserve(); /* without it, no mailbox waits: the record works all the same */
  void *block = as_blockpool_take(&registry_records[space]);
  return block ? memset(block, 0, size) : NULL;
}

static void registry_record_free(struct as_actor *a)
{
  as_blockpool_give(&registry_records[registry_space_of(a)], a);
}

struct as_actor *as_registry_prepare(const struct as_spawn *spawn)
{
  struct as_actor *a = registry_record_new(spawn->private_bytes);
  if (!a) {
    as_registry_count_untraced();
    return NULL;
  }
  if (spawn->name)
    atomic_init(&a->name, as_actor_name_intern(spawn->name, NULL, 0));
  a->parent_id = spawn->parent ? spawn->parent->id : 0;
  a->runtime_id = spawn->runtime_id;
  a->runtime_scope = spawn->runtime_scope;
  atomic_init(&a->probing, spawn->probe && spawn->runtime->probe_refs);
  a->spawned_at = as_clock_now();
  a->origin = registry_origin(spawn->name_addr, spawn->stack_depth);
  atomic_init(&a->status, AS_STATUS_STARTING);
  atomic_init(&a->refs, 2); /* the caller's and the registry's */
  a->runtime = registry_runtime_index(spawn->runtime);
  return a;
}

int as_registry_publish(struct as_actor *a)
{
  as_blockpool_reserve(&registry_tallies);
  as_blockpool_reserve(&registry_histograms);
  pthread_mutex_lock(&registry_lock);
  int space = registry_space_of(a);
  size_t block = registry_block_of(space, a);
  if ((registry_actor_count == registry_actor_capacity && registry_actors_grow() < 0) ||
      registry_space_fit(space, block) < 0) {
    pthread_mutex_unlock(&registry_lock);
    registry_record_free(a);
    as_registry_count_untraced();
    return -ENOMEM;
  }
  a->id = registry_next_id++;
  registry_actors[registry_actor_count++] = a;
  registry_spaces[space].listed[block / 64] |= 1ull << (block % 64);
  as_changes_touch(a); /* the next collection copies it, whichever kind */
  pthread_mutex_unlock(&registry_lock);

  if (!atomic_exchange_explicit(&registry_first_spawn_done, 1, memory_order_acq_rel) &&
      registry_first_spawn_callback)
    registry_first_spawn_callback();
  return 0;
}

struct as_actor *as_registry_spawn(const struct as_spawn *spawn)
{
  struct as_actor *a = as_registry_prepare(spawn);
  return a && as_registry_publish(a) == 0 ? a : NULL;
}

void as_registry_count_untraced(void)
{
  atomic_fetch_add_explicit(&registry_untraced, 1, memory_order_relaxed);
}

uint64_t as_registry_untraced_count(void)
{
  return atomic_load_explicit(&registry_untraced, memory_order_relaxed);
}

void as_actor_release(struct as_actor *actor)
{
  if (actor && atomic_fetch_sub_explicit(&actor->refs, 1, memory_order_acq_rel) == 1) {
    const struct as_runtime *runtime = registry_runtime_of(actor);
    if (runtime && runtime->release)
      runtime->release(actor);
    as_blockpool_give(&registry_tallies,
                      atomic_load_explicit(&actor->type_tally_more, memory_order_acquire));
    registry_histogram_free(actor->handler_histogram);
    _Atomic uint64_t *waits = as_mailwait_words(actor);
    if (waits)
      registry_histogram_free(waits);
    if (actor->relations) {
      free(actor->relations->links);
      free(actor->relations->monitors);
      free(actor->relations);
    }
    registry_record_free(actor);
  }
}

void as_actor_retain(struct as_actor *actor)
{
  atomic_fetch_add_explicit(&actor->refs, 1, memory_order_relaxed);
}

const struct as_actor_name *as_actor_name_intern(const char *text, const char *full, int internal)
{
  if (!text)
    return NULL;
  size_t len = strlen(text);
  union {
    struct as_actor_name name;
    char bytes[sizeof(struct as_actor_name) + 1024];
  } buf;
  if (len >= sizeof buf.bytes - sizeof(struct as_actor_name))
    len = sizeof buf.bytes - sizeof(struct as_actor_name) - 1;
  memset(&buf.name, 0, sizeof buf.name);
  buf.name.full = full && strcmp(full, text) != 0 ? as_intern_string(full) : NULL;
  buf.name.internal = internal != 0;
  memcpy(buf.name.text, text, len);
  buf.name.text[len] = '\0';
  /* Only the bytes up to the text's end: the padding after it is not part of the name. */
  return as_intern_bytes(&buf, offsetof(struct as_actor_name, text) + len + 1);
}

void as_actor_set_interned_name(struct as_actor *actor, const struct as_actor_name *interned)
{
  if (interned) {
    atomic_store_explicit(&actor->name, interned, memory_order_release);
    as_changes_touch(actor);
  }
}

void as_actor_set_name(struct as_actor *actor, const char *name)
{
  as_actor_set_interned_name(actor, as_actor_name_intern(name, NULL, 0));
}

/* Appends id to a growable id list unless present. Under the registry lock. */
static void registry_ids_add(uint64_t **ids, uint32_t *count, uint32_t *capacity, uint64_t id)
{
  for (uint32_t i = 0; i < *count; i++)
    if ((*ids)[i] == id)
      return;
  if (*count == *capacity) {
    uint32_t grown = *capacity ? *capacity * 2 : 4;
    uint64_t *bigger = realloc(*ids, grown * sizeof **ids);
    if (!bigger)
      return;
    *ids = bigger;
    *capacity = grown;
  }
  (*ids)[(*count)++] = id;
}

static void registry_ids_remove(uint64_t *ids, uint32_t *count, uint64_t id)
{
  for (uint32_t i = 0; i < *count; i++) {
    if (ids[i] == id) {
      ids[i] = ids[--*count];
      return;
    }
  }
}

/* Under the registry lock; NULL on ENOMEM (the link or monitor is then not shown). */
static struct as_relations *registry_relations(struct as_actor *a)
{
  if (!a->relations)
    a->relations = calloc(1, sizeof *a->relations);
  return a->relations;
}

void as_registry_link(struct as_actor *a, struct as_actor *b)
{
  pthread_mutex_lock(&registry_lock);
  struct as_relations *ra = registry_relations(a), *rb = registry_relations(b);
  if (ra && rb) {
    registry_ids_add(&ra->links, &ra->link_count, &ra->link_capacity, b->id);
    registry_ids_add(&rb->links, &rb->link_count, &rb->link_capacity, a->id);
  }
  as_changes_touch(a);
  as_changes_touch(b);
  pthread_mutex_unlock(&registry_lock);
}

void as_registry_unlink(struct as_actor *a, struct as_actor *b)
{
  pthread_mutex_lock(&registry_lock);
  if (a->relations && b->relations) {
    registry_ids_remove(a->relations->links, &a->relations->link_count, b->id);
    registry_ids_remove(b->relations->links, &b->relations->link_count, a->id);
  }
  as_changes_touch(a);
  as_changes_touch(b);
  pthread_mutex_unlock(&registry_lock);
}

void as_registry_monitor(struct as_actor *watcher, struct as_actor *watched)
{
  pthread_mutex_lock(&registry_lock);
  struct as_relations *r = registry_relations(watcher);
  if (r)
    registry_ids_add(&r->monitors, &r->monitor_count, &r->monitor_capacity, watched->id);
  as_changes_touch(watcher);
  pthread_mutex_unlock(&registry_lock);
}

void as_actor_probe_forget(struct as_actor *actor)
{
  atomic_store(&actor->probing, 0);
  while (atomic_load(&registry_probing_now) == actor)
    sched_yield(); /* a sample of this very object is in progress: a few loads long */
}

void as_actor_mark_running(struct as_actor *actor)
{
  uint8_t expected = AS_STATUS_STARTING;
  atomic_compare_exchange_strong_explicit(&actor->status, &expected, AS_STATUS_RUNNING,
                                          memory_order_release, memory_order_relaxed);
  as_changes_touch(actor);
}

void as_actor_mark_stopping(struct as_actor *actor)
{
  uint8_t status = atomic_load_explicit(&actor->status, memory_order_relaxed);
  while (status < AS_STATUS_STOPPING &&
         !atomic_compare_exchange_weak_explicit(&actor->status, &status, AS_STATUS_STOPPING,
                                                memory_order_release, memory_order_relaxed))
    ;
  as_changes_touch(actor);
}

/* Most actors stop for one of a few reasons: remember the last one per thread rather than take
 * the intern table's lock for every stop. */
static const char *registry_intern_reason(const char *reason)
{
  static __thread char last_text[AS_ACTOR_REASON_MAX];
  static __thread const char *last_interned;
  char cut[AS_ACTOR_REASON_MAX];
  snprintf(cut, sizeof cut, "%s", reason);
  if (last_interned && strcmp(cut, last_text) == 0)
    return last_interned;
  const char *interned = as_intern_string(cut);
  if (interned) {
    memcpy(last_text, cut, sizeof cut);
    last_interned = interned;
  }
  return interned;
}

void as_actor_mark_stopped(struct as_actor *actor, const char *reason)
{
  if (atomic_load_explicit(&actor->status, memory_order_acquire) == AS_STATUS_STOPPED)
    return;
  uint64_t now = as_clock_now();
  as_actor_handler_end(actor, now);
  as_actor_wait_end(actor);
  actor->stop_reason = registry_intern_reason(reason ? reason : "");
  atomic_store_explicit(&actor->stopped_at, now, memory_order_relaxed);
  atomic_store_explicit(&actor->status, AS_STATUS_STOPPED, memory_order_release);
  as_changes_touch(actor);
}



void as__actor_tally_more(struct as_actor *actor, uint32_t type, int shared)
{
  struct as_tally_more *more = atomic_load_explicit(&actor->type_tally_more, memory_order_acquire);
  if (!more) {
    struct as_tally_more *fresh = as_blockpool_take(&registry_tallies);
    if (!fresh)
      return; /* the pool is used up: the type is in messages_received only */
    memset(fresh, 0, sizeof *fresh);
    if (atomic_compare_exchange_strong_explicit(&actor->type_tally_more, &more, fresh,
                                                memory_order_acq_rel, memory_order_acquire))
      more = fresh;
    else
      as_blockpool_give(&registry_tallies, fresh); /* a forwarder's other sender was first */
  }
  if (!as__tally_slots(more->slots, AS_TALLY_MORE_SLOTS, type, shared))
    as__counter_bump_maybe_shared(&more->other, 1, shared);
}

/* Takes one message of this type back from the first slot that holds it; 0 if none does. */
static int registry_untally_slots(_Atomic uint64_t *slots, int count, uint32_t type)
{
  for (int i = 0; i < count; i++) {
    if (atomic_load_explicit(&slots[i], memory_order_relaxed) >> AS_TALLY_COUNT_BITS == type) {
      atomic_fetch_sub_explicit(&slots[i], 1, memory_order_relaxed);
      return 1;
    }
  }
  return 0;
}

uint64_t as_registry_tally_blocks_in_use(void) { return as_blockpool_in_use(&registry_tallies); }
uint64_t as_registry_histogram_blocks_in_use(void)
{
  return as_blockpool_in_use(&registry_histograms);
}
uint64_t as_registry_histogram_lost(void)
{
  return atomic_load_explicit(&registry_histogram_lost, memory_order_relaxed);
}

/* ---- handler-time histograms: the inline slots, then a block -------------------------------- */

static size_t registry_pool_ids(struct as_registry_collection *c, const uint64_t *ids,
                                uint32_t count, uint32_t *copied);

static unsigned registry_histogram_slot(uint64_t w0, uint64_t w1, unsigned i)
{
  uint64_t word = i < AS_HISTOGRAM_INLINE_SLOTS / 2 ? w0 : w1;
  return (unsigned)(word >> (1 + AS_HISTOGRAM_SLOT_BITS * (i % (AS_HISTOGRAM_INLINE_SLOTS / 2)))) &
         ((1u << AS_HISTOGRAM_SLOT_BITS) - 1);
}

/* The inline slots as sparse words (bucket << 48 | count), in slot order. */
static unsigned registry_histogram_inline_words(uint64_t w0, uint64_t w1, uint64_t *out)
{
  unsigned n = 0;
  for (unsigned i = 0; i < AS_HISTOGRAM_INLINE_SLOTS; i++) {
    unsigned slot = registry_histogram_slot(w0, w1, i);
    if (slot)
      out[n++] = (uint64_t)((slot >> AS_HISTOGRAM_SLOT_COUNT_BITS) - 1) << AS_TALLY_COUNT_BITS |
                 (slot & ((1u << AS_HISTOGRAM_SLOT_COUNT_BITS) - 1));
  }
  return n;
}

/* The actor's thread only: the inline slots are full (or one would overflow), so they move into
 * a block, published after it holds them (the collector reads either form whole). */
static void registry_histogram_spill(_Atomic uint64_t *histogram, uint64_t w0, uint64_t w1,
                                     unsigned bucket)
{
  struct as_histogram_block *block = as_blockpool_take(&registry_histograms);
  if (!block) {
    atomic_fetch_add_explicit(&registry_histogram_lost, 1, memory_order_relaxed);
    return; /* the pool is used up: counted in handled and handler_ns, not here */
  }
  memset(block, 0, sizeof *block);
  uint64_t words[AS_HISTOGRAM_INLINE_SLOTS];
  unsigned n = registry_histogram_inline_words(w0, w1, words);
  for (unsigned i = 0; i < n; i++) {
    unsigned b = as_tally_word_type(words[i]);
    atomic_init(&block->counts[b], as_tally_word_count(words[i]));
    block->used[b / 64] |= 1ull << (b % 64);
  }
  atomic_store_explicit(&histogram[0], (uint64_t)(uintptr_t)block, memory_order_release);
  as__histogram_words_add(histogram, as_histogram_bucket_low(bucket));
}

void as__histogram_words_add_slow(_Atomic uint64_t *histogram, unsigned bucket)
{
  uint64_t w[2] = {atomic_load_explicit(&histogram[0], memory_order_relaxed),
                   atomic_load_explicit(&histogram[1], memory_order_relaxed)};
  unsigned count_max = (1u << AS_HISTOGRAM_SLOT_COUNT_BITS) - 1;
  for (unsigned i = 0; i < AS_HISTOGRAM_INLINE_SLOTS; i++) {
    unsigned slot = registry_histogram_slot(w[0], w[1], i);
    if (slot && (slot >> AS_HISTOGRAM_SLOT_COUNT_BITS) != bucket + 1)
      continue;
    if (slot && (slot & count_max) == count_max)
      break; /* this bucket's slot is full */
    unsigned shift = 1 + AS_HISTOGRAM_SLOT_BITS * (i % (AS_HISTOGRAM_INLINE_SLOTS / 2));
    unsigned next = slot ? slot + 1 : (bucket + 1) << AS_HISTOGRAM_SLOT_COUNT_BITS | 1;
    uint64_t *word = &w[i / (AS_HISTOGRAM_INLINE_SLOTS / 2)];
    *word = (*word & ~((uint64_t)((1u << AS_HISTOGRAM_SLOT_BITS) - 1) << shift)) |
            (uint64_t)next << shift | (i < AS_HISTOGRAM_INLINE_SLOTS / 2);
    atomic_store_explicit(&histogram[i / (AS_HISTOGRAM_INLINE_SLOTS / 2)], *word,
                          memory_order_release);
    return;
  }
  registry_histogram_spill(histogram, w[0], w[1], bucket);
}

/* Gives back a histogram's block, if it has one, and empties it (the record is freed). */
static void registry_histogram_free(_Atomic uint64_t *histogram)
{
  uint64_t w0 = atomic_load_explicit(&histogram[0], memory_order_acquire);
  if (w0 && !(w0 & 1))
    as_blockpool_give(&registry_histograms, (void *)(uintptr_t)w0);
  atomic_store_explicit(&histogram[0], 0, memory_order_relaxed);
  atomic_store_explicit(&histogram[1], 0, memory_order_relaxed);
}

/* Collector: the histogram as sparse words. Word 0 is read before and after word 1, so the pair
 * is one the actor's thread stored (it changes one word per handler, counts only grow). */
static void registry_view_histogram(struct as_registry_collection *c, uint32_t *count,
                                    _Atomic uint64_t *histogram)
{
  uint64_t words[AS_HISTOGRAM_BUCKETS];
  unsigned n = 0;
  uint64_t w0 = histogram ? atomic_load_explicit(&histogram[0], memory_order_acquire) : 0;
  for (int tries = 0; w0 & 1 && tries < 8; tries++) {
    uint64_t w1 = atomic_load_explicit(&histogram[1], memory_order_acquire);
    uint64_t again = atomic_load_explicit(&histogram[0], memory_order_acquire);
    if (again == w0) {
      n = registry_histogram_inline_words(w0, w1, words);
      break;
    }
    w0 = again;
  }
  if (w0 && !(w0 & 1)) {
    const struct as_histogram_block *block = (const struct as_histogram_block *)(uintptr_t)w0;
    for (unsigned k = 0; k < sizeof block->used / sizeof block->used[0]; k++)
      for (uint64_t bits = atomic_load_explicit(&block->used[k], memory_order_relaxed); bits;
           bits &= bits - 1) {
        unsigned b = k * 64 + (unsigned)__builtin_ctzll(bits);
        words[n++] = (uint64_t)b << AS_TALLY_COUNT_BITS |
                     (atomic_load_explicit(&block->counts[b], memory_order_relaxed) &
                      AS_TALLY_COUNT_MASK);
      }
  } else if (n > 1) {
    for (unsigned i = 1; i < n; i++) /* slots fill in arrival order: sort by bucket */
      for (unsigned k = i; k > 0 && words[k - 1] > words[k]; k--) {
        uint64_t t = words[k];
        words[k] = words[k - 1];
        words[k - 1] = t;
      }
  }
  registry_pool_ids(c, words, n, count);
}

void as_actor_receive_undo(struct as_actor *actor, uint32_t type)
{
  as_changes_touch(actor);
  atomic_fetch_sub_explicit(&actor->received, 1, memory_order_relaxed);
  if (type == AS_TYPE_NONE ||
      registry_untally_slots(actor->type_tally, AS_ACTOR_TYPE_SLOTS_INLINE, type))
    return;
  struct as_tally_more *more = atomic_load_explicit(&actor->type_tally_more, memory_order_acquire);
  if (more && !registry_untally_slots(more->slots, AS_TALLY_MORE_SLOTS, type))
    atomic_fetch_sub_explicit(&more->other, 1, memory_order_relaxed);
}

void as_actor_handler_cancel(struct as_actor *actor)
{
  as_changes_touch(actor);
  atomic_store_explicit(&actor->handling_type, AS_TYPE_NONE, memory_order_relaxed);
}



void as_actor_wait_begin(struct as_actor *actor, uint64_t target_id, enum as_wait_kind kind,
                         uint64_t now)
{
  atomic_fetch_add_explicit(&actor->wait_seq, 1, memory_order_relaxed);
  atomic_store_explicit(&actor->wait_since, now, memory_order_relaxed);
  atomic_store_explicit(&actor->wait_kind, (uint8_t)kind, memory_order_relaxed);
  atomic_store_explicit(&actor->wait_target, target_id, memory_order_release);
  as_changes_touch(actor);
}

void as_actor_wait_end(struct as_actor *actor)
{
  atomic_store_explicit(&actor->wait_target, 0, memory_order_release);
  as_changes_touch(actor);
}

/* Copies an id list into the collection's pool; returns where it starts. */
static size_t registry_pool_ids(struct as_registry_collection *c, const uint64_t *ids,
                                uint32_t count, uint32_t *copied)
{
  size_t at = c->id_count;
  *copied = 0;
  if (count == 0)
    return at;
  if (c->id_count + count > c->id_capacity) {
    size_t capacity = c->id_capacity ? c->id_capacity : 256;
    while (capacity < c->id_count + count)
      capacity *= 2;
    uint64_t *grown = realloc(c->ids, capacity * sizeof *grown);
    if (!grown)
      return at;
    c->ids = grown;
    c->id_capacity = capacity;
  }
  memcpy(c->ids + at, ids, count * sizeof *ids);
  c->id_count += count;
  *copied = count;
  return at;
}

/* Tally slots fill in order, so the first empty one ends the list. */
static void registry_view_tally(struct as_registry_collection *c, struct as_actor_view *v,
                                const struct as_actor *a)
{
  uint64_t words[AS_ACTOR_TYPE_SLOTS];
  uint32_t n = 0;
  const struct as_tally_more *more = atomic_load_explicit(&a->type_tally_more, memory_order_acquire);
  for (int i = 0; i < AS_ACTOR_TYPE_SLOTS; i++) {
    const _Atomic uint64_t *slot = i < AS_ACTOR_TYPE_SLOTS_INLINE ? &a->type_tally[i]
                                   : more ? &more->slots[i - AS_ACTOR_TYPE_SLOTS_INLINE]
                                          : NULL;
    uint64_t word = slot ? atomic_load_explicit(slot, memory_order_relaxed) : 0;
    if (word == 0)
      break;
    words[n++] = word;
  }
  v->types_at = registry_pool_ids(c, words, n, &v->type_count);
  v->other_types = more ? atomic_load_explicit(&more->other, memory_order_relaxed) : 0;
}

/* The runtime's channels of an actor, into the collection's pool. */
static void registry_view_channels(struct as_registry_collection *c, struct as_actor_view *v,
                                   const struct as_actor *a)
{
  const struct as_runtime *runtime = registry_runtime_of(a);
  v->channel_count = 0;
  v->channels_at = c->id_count;
  if (!runtime->channels)
    return;
  struct as_channel channels[AS_CHANNELS_MAX];
  size_t n = runtime->channels(a, channels, AS_CHANNELS_MAX);
  uint64_t words[AS_CHANNELS_MAX * AS_CHANNEL_WORDS];
  for (size_t i = 0; i < n; i++) {
    uint64_t *w = words + i * AS_CHANNEL_WORDS;
    w[0] = (uintptr_t)channels[i].kind;
    w[1] = (uintptr_t)channels[i].endpoint;
    w[2] = channels[i].received;
    w[3] = channels[i].sent;
    w[4] = (uint64_t)channels[i].depth;
    w[5] = (uint64_t)channels[i].max;
  }
  uint32_t copied;
  v->channels_at = registry_pool_ids(c, words, (uint32_t)(n * AS_CHANNEL_WORDS), &copied);
  v->channel_count = copied / AS_CHANNEL_WORDS;
}

static void registry_view_fill(struct as_registry_collection *c, struct as_actor_view *v,
                               struct as_actor *a)
{
  v->actor = a;
  v->runtime_id = a->runtime_id;
  v->runtime_scope = a->runtime_scope;
  v->has_refs = 0;
  const struct as_relations *r = a->relations;
  v->links_at = registry_pool_ids(c, r ? r->links : NULL, r ? r->link_count : 0, &v->link_count);
  v->monitors_at =
      registry_pool_ids(c, r ? r->monitors : NULL, r ? r->monitor_count : 0, &v->monitor_count);
  v->id = a->id;
  v->parent_id = a->parent_id;
  v->runtime = registry_runtime_of(a)->name;
  v->unnamed_after_spawner = registry_runtime_of(a)->unnamed_after_spawner;
  v->attached_late = registry_runtime_of(a)->attached_late;
  v->name_addr = a->origin ? a->origin->name_addr : NULL;
  const struct as_actor_name *name = atomic_load_explicit(&a->name, memory_order_acquire);
  v->name = name ? name->text : NULL;
  v->full_name = name ? name->full : NULL;
  v->internal = name ? (int)name->internal : 0;
  v->spawned_at = a->spawned_at;
  v->spawn_frames = a->origin ? a->origin->frames : NULL;
  v->spawn_frame_count = a->origin ? a->origin->count : 0;
  v->status = atomic_load_explicit(&a->status, memory_order_acquire);
  if (v->status == AS_STATUS_STOPPED) {
    v->stopped_at = atomic_load_explicit(&a->stopped_at, memory_order_relaxed);
    v->stop_reason = a->stop_reason ? a->stop_reason : "";
  } else {
    v->stopped_at = 0;
    v->stop_reason = "";
  }
  v->received = atomic_load_explicit(&a->received, memory_order_relaxed);
  v->enqueued = atomic_load_explicit(&a->enqueued, memory_order_relaxed);
  v->mailbox_max = atomic_load_explicit(&a->mailbox_max, memory_order_relaxed);
  v->sent = atomic_load_explicit(&a->sent, memory_order_relaxed);
  v->replies = atomic_load_explicit(&a->replies, memory_order_relaxed);
  v->replies_taken = atomic_load_explicit(&a->replies_taken, memory_order_relaxed);
  v->exceptions = atomic_load_explicit(&a->exceptions, memory_order_relaxed);
  v->handling_type = atomic_load_explicit(&a->handling_type, memory_order_acquire);
  v->handling_since = atomic_load_explicit(&a->handling_since, memory_order_relaxed);
  v->handled = atomic_load_explicit(&a->handled, memory_order_relaxed);
  v->handler_ticks_total = atomic_load_explicit(&a->handler_ticks_total, memory_order_relaxed);
  v->handler_ticks_max = atomic_load_explicit(&a->handler_ticks_max, memory_order_relaxed);
  v->handler_tid = atomic_load_explicit(&a->handler_tid, memory_order_relaxed);
  v->wait_seq = atomic_load_explicit(&a->wait_seq, memory_order_relaxed);
  v->wait_target = atomic_load_explicit(&a->wait_target, memory_order_acquire);
  v->wait_kind = atomic_load_explicit(&a->wait_kind, memory_order_relaxed);
  v->wait_since = atomic_load_explicit(&a->wait_since, memory_order_relaxed);
  registry_view_tally(c, v, a);
  registry_view_channels(c, v, a);
  /* The handler histogram right after the channels, the mailbox waits right after it. */
  registry_view_histogram(c, &v->histogram_count, a->handler_histogram);
  registry_view_histogram(c, &v->wait_histogram_count, as_mailwait_words(a));
}

int as_registry_wait_unchanged(const struct as_actor_view *view)
{
  const struct as_actor *a = view->actor;
  uint64_t target = atomic_load_explicit(&a->wait_target, memory_order_acquire);
  uint64_t seq = atomic_load_explicit(&a->wait_seq, memory_order_relaxed);
  return target == view->wait_target && seq == view->wait_seq;
}

/* Collector only (see registry_probing_now). */
static void registry_view_sample_refs(struct as_actor_view *v, const struct as_actor *a)
{
  /* Once cleared, the flag stays clear: no handshake for actors already let go. */
  if (!atomic_load_explicit(&a->probing, memory_order_relaxed))
    return;
  atomic_store(&registry_probing_now, a);
  if (atomic_load(&a->probing) &&
      registry_runtime_of(a)->probe_refs(a, &v->strong_refs, &v->weak_refs) == 0)
    v->has_refs = 1;
}

/* Fetches a record ahead of its copy: all of its cache lines and the runtime state after it. */
static void registry_prefetch(const struct as_actor *a)
{
  for (size_t at = 0; at < sizeof *a + 32; at += 64)
    __builtin_prefetch((const char *)a + at);
}

/* Under the registry lock. A full queue grows; when it cannot, the actor is simply reaped at a
 * later full collection. */
static void registry_grave_push(struct as_actor *a, uint64_t stopped_at)
{
  if (registry_grave_count == registry_grave_capacity) {
    size_t capacity = registry_grave_capacity ? registry_grave_capacity * 2 : 256;
    struct registry_grave *grown = malloc(capacity * sizeof *grown);
    if (!grown)
      return;
    for (size_t i = 0; i < registry_grave_count; i++)
      grown[i] = registry_graves[(registry_grave_first + i) % registry_grave_capacity];
    free(registry_graves);
    registry_graves = grown;
    registry_grave_first = 0;
    registry_grave_capacity = capacity;
  }
  registry_graves[(registry_grave_first + registry_grave_count++) % registry_grave_capacity] =
      (struct registry_grave){a, stopped_at};
}

static int registry_is_listed(int space, size_t block)
{
  const struct registry_space *sp = &registry_spaces[space];
  return block < sp->blocks && (sp->listed[block / 64] >> (block % 64) & 1);
}

static int registry_reaped_add(struct as_registry_collection *out, uint64_t id)
{
  if (out->reaped_count == out->reaped_capacity) {
    size_t capacity = out->reaped_capacity ? out->reaped_capacity * 2 : 64;
    uint64_t *grown = realloc(out->reaped, capacity * sizeof *grown);
    if (!grown)
      return -ENOMEM;
    out->reaped = grown;
    out->reaped_capacity = capacity;
  }
  out->reaped[out->reaped_count++] = id;
  return 0;
}

/* Unlists the actors whose grave window has passed. Their records leave the spawn-ordered array
 * (and are let go) at its next compaction, so reaping one actor does not move all the others. */
static int registry_reap(struct as_registry_collection *out, uint64_t now, uint64_t grave_ns)
{
  int rc = 0;
  while (registry_grave_count > 0) {
    struct registry_grave *g = &registry_graves[registry_grave_first];
    if (now < g->stopped_at || now - g->stopped_at < grave_ns)
      break;
    int space = registry_space_of(g->actor);
    size_t block = registry_block_of(space, g->actor);
    registry_spaces[space].listed[block / 64] &= ~(1ull << (block % 64));
    registry_actor_holes++;
    if (registry_reaped_add(out, g->actor->id) < 0)
      rc = -ENOMEM;
    registry_grave_first = (registry_grave_first + 1) % registry_grave_capacity;
    registry_grave_count--;
  }
  return rc;
}

/* Drops the reaped records from the spawn-ordered array and lets them go. */
static void registry_compact(void)
{
  size_t kept = 0;
  for (size_t i = 0; i < registry_actor_count; i++) {
    struct as_actor *a = registry_actors[i];
    int space = registry_space_of(a);
    if (registry_is_listed(space, registry_block_of(space, a)))
      registry_actors[kept++] = a;
    else
      as_actor_release(a);
  }
  registry_actor_count = kept;
  registry_actor_holes = 0;
}

/* A number for what a line would say of the actor (times of capture aside): a record read
 * again only to catch a late store is left out when it is unchanged. */
static uint64_t registry_view_signature(const struct as_registry_collection *c,
                                        const struct as_actor_view *v)
{
  const uint64_t fields[] = {
      (uint64_t)(uintptr_t)v->name, (uint64_t)v->status, v->stopped_at,
      (uint64_t)(uintptr_t)v->stop_reason, v->enqueued, v->received, v->mailbox_max, v->sent,
      v->replies, v->replies_taken, v->exceptions, v->handling_type, v->handling_since,
      v->handled, v->handler_ticks_total, v->handler_ticks_max, v->wait_target, v->wait_since,
      v->wait_seq, (uint64_t)v->wait_kind, v->other_types, v->link_count, v->monitor_count,
      v->type_count, v->strong_refs, v->weak_refs};
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    h = (h ^ fields[i]) * 1099511628211ull;
  const uint64_t *ids = c->ids ? c->ids + v->links_at : NULL;
  for (size_t i = 0; ids && i < (size_t)v->link_count + v->monitor_count; i++)
    h = (h ^ ids[i]) * 1099511628211ull; /* links then monitors: pooled one after the other */
  const uint64_t *types = as_view_type_words(c, v);
  for (size_t i = 0; types && i < v->type_count; i++)
    h = (h ^ types[i]) * 1099511628211ull;
  const uint64_t *channels = c->ids ? c->ids + v->channels_at : NULL;
  for (size_t i = 0; channels && i < (size_t)v->channel_count * AS_CHANNEL_WORDS; i++)
    h = (h ^ channels[i]) * 1099511628211ull;
  const uint64_t *histogram = as_view_histogram_words(c, v);
  for (size_t i = 0; histogram && i < (size_t)v->histogram_count + v->wait_histogram_count; i++)
    h = (h ^ histogram[i]) * 1099511628211ull; /* handler times then mailbox waits */
  return h;
}

/* Copies one listed record into out and notes what the collector saw of it. Looking for
 * changes (`changes_only`), a record it already listed is dropped when nothing a line says of
 * it changed: read once more for a late store, sharing a bit with a busy neighbour, or changed
 * and changed back. */
static int registry_copy(struct as_registry_collection *out, struct as_actor *a, int space,
                         size_t block, int changes_only)
{
  if (out->count == out->capacity) {
    size_t capacity = out->capacity ? out->capacity * 2 : 256;
    struct as_actor_view *views = realloc(out->views, capacity * sizeof *views);
    if (!views)
      return -ENOMEM;
    out->views = views;
    out->capacity = capacity;
  }
  struct as_actor_view *v = &out->views[out->count++];
  registry_view_fill(out, v, a);
  registry_view_sample_refs(v, a);
  struct registry_shadow *seen = &registry_spaces[space].shadow[block];
  v->known = seen->id == v->id;
  if (!v->known)
    *seen = (struct registry_shadow){v->id, 0, 0, 0, 0};
  uint64_t signature = registry_view_signature(out, v);
  if (changes_only && v->known && signature == seen->signature) {
    out->count--;
    out->id_count = v->links_at; /* its links, monitors and types were pooled last */
    return 0;
  }
  seen->signature = signature;
  /* Modular: a receive taken back makes the count smaller. */
  registry_seen_received += v->received - seen->received;
  seen->received = v->received;
  uint64_t channel_received = 0;
  for (uint32_t i = 0; i < v->channel_count; i++)
    channel_received += as_view_channel(out, v, i).received;
  registry_seen_channel_received += channel_received - seen->channel_received;
  seen->channel_received = channel_received;
  if (v->status == AS_STATUS_STOPPED && !seen->stopped) {
    seen->stopped = 1;
    registry_seen_stopped++;
    registry_grave_push(a, v->stopped_at);
  }
  return 0;
}

void as_registry_relist(struct as_actor *a)
{
  pthread_mutex_lock(&registry_lock);
  int space = registry_space_of(a);
  size_t block = registry_block_of(space, a);
  if (registry_is_listed(space, block))
    registry_spaces[space].shadow[block].signature ^= 1; /* no copy will match it */
  as_changes_touch(a);
  pthread_mutex_unlock(&registry_lock);
}

/* Takes the bits of one word of changes: what changed since the last look becomes what the
 * next look reads once more; returns those and the bits of the look before. */
static uint64_t registry_take_changes(int space, size_t word)
{
  _Atomic uint64_t *dirty = &as__record_spaces[space].dirty[word];
  uint64_t bits = atomic_load_explicit(dirty, memory_order_relaxed)
                      ? atomic_exchange_explicit(dirty, 0, memory_order_acq_rel)
                      : 0;
  uint64_t *recheck = &registry_spaces[space].recheck[word];
  uint64_t both = bits | *recheck;
  *recheck = bits;
  return both;
}

/* Words of the change bitmap that cover the blocks a space has lists for. */
static size_t registry_change_words(int space)
{
  size_t bytes = registry_spaces[space].blocks * (registry_records[space].block_size + 8);
  size_t words = ((bytes >> registry_change_shift(space)) + 63) / 64;
  return words < registry_spaces[space].blocks / 64 ? words : registry_spaces[space].blocks / 64;
}

/* Every snapshot's totals come from what the collector saw, so they agree with its actors. */
static void registry_totals(struct as_registry_collection *out)
{
  out->totals.total_spawned = registry_next_id - 1;
  out->totals.total_stopped = registry_seen_stopped;
  out->totals.alive = out->totals.total_spawned - out->totals.total_stopped;
  out->totals.messages_received = registry_seen_received;
  out->totals.received_all = registry_seen_received + registry_seen_channel_received;
}

static void registry_collection_reset(struct as_registry_collection *out)
{
  out->count = 0;
  out->id_count = 0;
  out->reaped_count = 0;
}

int as_registry_collect(struct as_registry_collection *out, uint64_t now, uint64_t grave_ns)
{
  registry_collection_reset(out);
  pthread_mutex_lock(&registry_lock);
  int rc = registry_reap(out, now, grave_ns);
  registry_compact();
  for (int space = 0; space < AS_RECORD_SPACES; space++)
    for (size_t word = 0; word < registry_change_words(space); word++)
      registry_take_changes(space, word);
  for (size_t i = 0; i < registry_actor_count; i++) {
    struct as_actor *a = registry_actors[i];
    if (i + REGISTRY_PREFETCH_AHEAD < registry_actor_count)
      registry_prefetch(registry_actors[i + REGISTRY_PREFETCH_AHEAD]);
    int space = registry_space_of(a);
    if (registry_copy(out, a, space, registry_block_of(space, a), 0) < 0)
      rc = -ENOMEM;
  }
  registry_totals(out);
  atomic_store(&registry_probing_now, NULL);
  pthread_mutex_unlock(&registry_lock);
  return rc;
}

int as_registry_collect_changes(struct as_registry_collection *out, uint64_t now,
                                uint64_t grave_ns)
{
  registry_collection_reset(out);
  pthread_mutex_lock(&registry_lock);
  int rc = registry_reap(out, now, grave_ns);
  if (registry_actor_holes * 2 > registry_actor_count)
    registry_compact();
  for (int space = 0; space < AS_RECORD_SPACES; space++) {
    size_t stride = registry_records[space].block_size + 8, next = 0;
    unsigned shift = registry_change_shift(space);
    for (size_t word = 0; word < registry_change_words(space); word++) {
      for (uint64_t bits = registry_take_changes(space, word); bits; bits &= bits - 1) {
        /* The blocks this bit's bytes overlap, each once (the previous bit may have had it). */
        size_t at = (word * 64 + (size_t)__builtin_ctzll(bits)) << shift;
        size_t first = at / stride, last = (at + ((size_t)1 << shift) - 1) / stride;
        for (size_t block = first > next ? first : next; block <= last; block++) {
          if (registry_is_listed(space, block) &&
              registry_copy(out, registry_record_at(space, block), space, block, 1) < 0)
            rc = -ENOMEM;
          next = block + 1;
        }
      }
    }
  }
  registry_totals(out);
  atomic_store(&registry_probing_now, NULL);
  pthread_mutex_unlock(&registry_lock);
  return rc;
}

void as_registry_collection_free(struct as_registry_collection *c)
{
  free(c->views);
  free(c->ids);
  free(c->reaped);
  c->views = NULL;
  c->ids = NULL;
  c->reaped = NULL;
  c->count = c->capacity = c->id_count = c->id_capacity = 0;
  c->reaped_count = c->reaped_capacity = 0;
}

void as_registry_lock_for_fork(void)
{
  pthread_mutex_lock(&registry_lock);
}

void as_registry_unlock_for_fork(void)
{
  pthread_mutex_unlock(&registry_lock);
}

void as_registry_reset_after_fork(void)
{
  /* The parent's records stay allocated: hooks of this child may still point at them. */
  pthread_mutex_init(&registry_lock, NULL);
  atomic_store(&registry_probing_now, NULL);
  registry_actor_count = 0; /* the array is reused; the parent's records are not freed */
  registry_next_id = 1;
  registry_actor_holes = 0;
  registry_grave_count = registry_grave_first = 0;
  registry_seen_stopped = registry_seen_received = registry_seen_channel_received = 0;
  /* Nothing of the parent's is listed here, and none of its changes are ours. */
  for (int space = 0; space < AS_RECORD_SPACES; space++) {
    struct registry_space *sp = &registry_spaces[space];
    if (sp->blocks) {
      memset(sp->listed, 0, sp->blocks / 64 * sizeof *sp->listed);
      memset(sp->recheck, 0, sp->blocks / 64 * sizeof *sp->recheck);
      memset(sp->shadow, 0, sp->blocks * sizeof *sp->shadow);
    }
    if (as__record_spaces[space].dirty)
      memset((void *)as__record_spaces[space].dirty, 0, registry_change_words(space) * 8);
  }
  atomic_store(&registry_untraced, 0);
  atomic_store(&registry_first_spawn_done, 0);
  registry_current = NULL;
  as__registry_tid = 0; /* the child's thread has an id of its own */
}
