#include "registry.h"
#include "forklock.h"
#include "registry_internal.h"
#include "blockpool.h"
#include "config.h"
#include "diag.h"
#include "intern.h"
#include "peers.h"
#include "spawn_site.h"

#include <errno.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pthread_mutex_t registry_lock AS_FORK_TOUCHED = PTHREAD_MUTEX_INITIALIZER;
/* The record whose runtime object the collector may be reading. With the record's probing
 * flag it makes a two-flag handshake (both sequentially consistent): as_actor_probe_forget
 * clears the flag, then waits while this names its record; the collector names the record,
 * then reads the flag. One of them sees the other's write, so an object is never read after
 * its runtime lets it go — and a runtime thread never waits on a lock the collector holds
 * for a whole pass. */
const struct as_actor *_Atomic registry_probing_now;
/* Every listed record, in spawn (id) order: an array, not a list, so the collector can fetch
 * records ahead of the one it copies instead of chasing pointers one cache miss at a time.
 * A reaped record leaves a NULL until the array is compacted (when half of it is holes), so
 * reaping one actor does not move them all. */
struct as_actor **registry_actors;
size_t registry_actor_count, registry_actor_capacity, registry_actor_holes;
/* Records come from two pools, not malloc: spawning then never contends for the host's malloc
 * arena with the threads that free its actors, and a record's place in its pool is its bit in
 * the bitmap of changed actors (changes.h). The small pool (up to 8 bytes of runtime state,
 * e.g. CAF's) holds 4.1M records at once, the large one (up to 248 bytes, e.g. CZMQ's) 1.1M;
 * an actor beyond that is counted as untraced. */
struct as_blockpool registry_records[AS_RECORD_SPACES] = {
    AS_BLOCKPOOL_INIT_POPULATED(AS_RECORD_STRIDE_SMALL - 8, AS_RECORD_REGION_SMALL),
    AS_BLOCKPOOL_INIT(AS_RECORD_STRIDE_LARGE - 8, AS_RECORD_REGION_LARGE),
};
struct as__record_space as__record_spaces[AS_RECORD_SPACES];
/* Side blocks (record.h): one for every record the two pools can hold, so none is ever
 * refused while its record exists. Address space, touched as used. */
#define REGISTRY_SIDE_STRIDE (sizeof(struct as_actor_side) + 8)
static struct as_blockpool registry_sides = AS_BLOCKPOOL_INIT(
    sizeof(struct as_actor_side), (AS_RECORD_REGION_SMALL / AS_RECORD_STRIDE_SMALL +
                                   AS_RECORD_REGION_LARGE / AS_RECORD_STRIDE_LARGE) *
                                      REGISTRY_SIDE_STRIDE);
_Static_assert(sizeof(struct as_actor) + 8 <= AS_RECORD_STRIDE_SMALL - 8, "small blocks fit");

/* Grows a bitmap of `from` blocks to `to` (the new bits clear); 0 or -ENOMEM (unchanged). */
static int registry_bits_grow(uint64_t **bits, size_t from, size_t to)
{
  uint64_t *grown = realloc(*bits, to / 64 * sizeof *grown);
  if (!grown)
    return -ENOMEM;
  memset(grown + from / 64, 0, (to - from) / 64 * sizeof *grown);
  *bits = grown;
  return 0;
}
struct registry_space registry_spaces[AS_RECORD_SPACES];
struct registry_grave *registry_graves;
size_t registry_grave_first, registry_grave_count, registry_grave_capacity;
/* Totals as the collector saw them, so that every snapshot's totals agree with its actors. */
uint64_t registry_seen_stopped, registry_seen_received, registry_seen_channel_received;
/* Runtimes seen so far: a record keeps the index, one byte. */
#define REGISTRY_RUNTIMES_MAX 16
static const struct as_runtime *_Atomic registry_runtimes[REGISTRY_RUNTIMES_MAX];
uint64_t registry_next_id = 1;
_Atomic uint64_t as__registry_first_id = 1;
/* Actors left untraced because a record (or a runtime's own state) could not be allocated. */
static _Atomic uint64_t registry_untraced;
static void (*registry_first_spawn_callback)(void);
static void (*_Atomic registry_stops_backlog_callback)(void);
/* Stops since the last collection, and this thread's not yet added to them (one shared
 * counter touched every REGISTRY_STOPS_BATCH stops, not every stop). */
#define REGISTRY_STOPS_BATCH 32u
_Atomic uint32_t registry_stops_unseen;
static __thread uint32_t registry_stops_here __attribute__((tls_model("initial-exec")));
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

void as_registry_on_first_spawn(void (*callback)(void))
{
  registry_first_spawn_callback = callback;
}

static _Atomic as_runtime_running_fn registry_runtime_running;

void as_registry_on_stops_backlog(void (*callback)(void))
{
  atomic_store_explicit(&registry_stops_backlog_callback, callback, memory_order_release);
}

static void registry_stops_count(void)
{
  if (++registry_stops_here < REGISTRY_STOPS_BATCH)
    return;
  registry_stops_here = 0;
  uint32_t before =
      atomic_fetch_add_explicit(&registry_stops_unseen, REGISTRY_STOPS_BATCH, memory_order_relaxed);
  if (before < AS_REGISTRY_STOPS_BACKLOG &&
      before + REGISTRY_STOPS_BATCH >= AS_REGISTRY_STOPS_BACKLOG) {
    void (*callback)(void) =
        atomic_load_explicit(&registry_stops_backlog_callback, memory_order_acquire);
    if (callback)
      callback();
  }
}

void as_registry_on_runtime_running(as_runtime_running_fn fn)
{
  atomic_store(&registry_runtime_running, fn);
}

void as_registry_runtime_running(struct as_registry_totals *totals)
{
  as_runtime_running_fn fn = atomic_load(&registry_runtime_running);
  uint64_t running = 0;
  int known = fn && fn(&running) == 0;
  totals->runtime_running = known ? running : 0;
  totals->runtime_running_known = (uint64_t)known;
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

const struct as_runtime *registry_runtime_of(const struct as_actor *a)
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

unsigned registry_change_shift(int space)
{
  return space == 0 ? AS_CHANGES_SHIFT_SMALL : AS_CHANGES_SHIFT_LARGE;
}

size_t registry_space_blocks(int space)
{
  return registry_records[space].region_bytes / (registry_records[space].block_size + 8);
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
  /* No more than the pool holds (its stride need not divide its region into a power of two),
   * in whole bitmap words. */
  size_t most = (registry_space_blocks(space) + 63) / 64 * 64;
  if (blocks > most)
    blocks = most;
  /* A bitmap grown while another fails stays grown: the next call finds it big enough. */
  if (registry_bits_grow(&sp->listed, sp->blocks, blocks) < 0 ||
      registry_bits_grow(&sp->recheck, sp->blocks, blocks) < 0 ||
      registry_bits_grow(&sp->known, sp->blocks, blocks) < 0 ||
      registry_bits_grow(&sp->stopped, sp->blocks, blocks) < 0)
    return -ENOMEM;
  /* The shadows: address space for every block of the pool, reserved once and touched only
   * where a collection writes one, 16 bytes an actor (growing by realloc and zeroing the new
   * half touched up to twice that; a fresh mapping's pages are zero already). */
  if (!sp->shadow) {
    void *shadow = mmap(NULL, most * sizeof *sp->shadow, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (shadow == MAP_FAILED)
      return -ENOMEM;
    sp->shadow = shadow;
  }
  if (sp->channel_received) {
    uint64_t *grown = realloc(sp->channel_received, blocks * sizeof *grown);
    if (!grown)
      return -ENOMEM;
    memset(grown + sp->blocks, 0, (blocks - sp->blocks) * sizeof *grown);
    sp->channel_received = grown;
  }
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
    const char *region = atomic_load_explicit((char *_Atomic *)&as__record_spaces[space].region,
                                              memory_order_acquire);
    size_t stride = registry_records[space].block_size + 8;
    if (region && (const char *)p >= region &&
        (size_t)((const char *)p - region) < registry_records[space].region_bytes &&
        (size_t)((const char *)p - region) % stride == 0)
      return 1;
  }
  return 0;
}

/* Set once every region a record may need is reserved: a spawn then checks one flag, not six
 * pools one by one (each an atomic load and a call). */
static _Atomic int registry_reserved_all;

/* Address space the reservations take besides the registry's own pools: the peers pool and
 * tables, the mailbox-wait words, the change bitmaps and CZMQ's tables (~400 MiB, rounded up). */
#define REGISTRY_OTHER_RESERVED_BYTES (512ull << 20)

/* Whether a finite address-space limit (ulimit -v) leaves room for the reservations (~3.5 GiB of
 * address space, touched only as used) and as much again as the program uses now, at least
 * 1 GiB, for its own growth: under a 1.8 GB limit they left CAF too little to start a thread,
 * and the program died (std::system_error) where it ran untraced. Said once on stderr. */
static int registry_address_space_allows(void)
{
  struct rlimit limit;
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return 1;
  unsigned long long pages = 0;
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char text[64];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n > 0) {
      text[n] = '\0';
      pages = strtoull(text, NULL, 10);
    }
  }
  unsigned long long used = pages * (unsigned long long)sysconf(_SC_PAGESIZE);
  unsigned long long reserved = REGISTRY_OTHER_RESERVED_BYTES;
  for (int space = 0; space < AS_RECORD_SPACES; space++)
    reserved += registry_records[space].region_bytes;
  reserved += registry_sides.region_bytes + registry_tallies.region_bytes +
              registry_histograms.region_bytes;
  unsigned long long growth = used > (1ull << 30) ? used : 1ull << 30;
  if ((unsigned long long)limit.rlim_cur >= used + reserved + growth)
    return 1;
  as_diag_report("address_space_limit",
                 "the address-space limit (ulimit -v) of %llu MiB leaves too little room for the "
                 "tracer's reservations (%llu MiB) beside the program's %llu MiB: actors are not "
                 "traced",
                 (unsigned long long)limit.rlim_cur >> 20, reserved >> 20, used >> 20);
  return 0;
}

/* -1 until the first reservation looked at the address-space limit, then whether it allows. */
static _Atomic int registry_room = -1;

/* Both record pools, whichever a record needs: the message path finds a record's pool by its
 * offset from each region in turn (changes.h, peers.h, mailwait.h), and a region not yet
 * reserved would read as starting at address 0, where low mappings (valgrind's) lie. The side,
 * tally and histogram pools and the mailbox-wait words are not required: a record works
 * without them (without a side or a histogram block), so their failure is retried at the next
 * spawn, not refused. Returns 0, or -ENOMEM when a record pool is missing or the address-space
 * limit leaves it no room (asked once). */
static __attribute__((noinline)) int registry_reserve(void)
{
  int room = atomic_load_explicit(&registry_room, memory_order_acquire);
  if (room < 0) {
    int saved = errno;
    room = registry_address_space_allows();
    errno = saved;
    atomic_store_explicit(&registry_room, room, memory_order_release);
  }
  if (!room || registry_space_reserve(0) < 0 || registry_space_reserve(1) < 0)
    return -ENOMEM;
  int optional = as_blockpool_reserve(&registry_sides) | as_blockpool_reserve(&registry_tallies) |
                 as_blockpool_reserve(&registry_histograms) | as_mailwait_reserve();
  if (optional == 0)
    atomic_store_explicit(&registry_reserved_all, 1, memory_order_release);
  return 0;
}

static struct as_actor *registry_record_new(uint32_t private_bytes)
{
  size_t size = sizeof(struct as_actor) + private_bytes;
  int space = size <= registry_records[0].block_size ? 0 : 1;
  if (size > registry_records[space].block_size ||
      (!atomic_load_explicit(&registry_reserved_all, memory_order_acquire) &&
       registry_reserve() < 0))
    return NULL;
  /* Zero: cut from the anonymous mapping, or zeroed as it was freed (registry_record_free). */
  struct as_actor *a = as_blockpool_take(&registry_records[space]);
  as_blockpool_prefetch_next(&registry_records[space]); /* the next spawn's, a spawn ahead */
  return a;
}

/* The block is zeroed as it goes back, so that the spawn taking it next does not zero it: a
 * record is freed on the collector's thread (or the actor's, at its destruction), while a
 * spawner's thread is the critical path of spawn-heavy programs. */
static void registry_record_free(struct as_actor *a)
{
  struct as_blockpool *pool = &registry_records[registry_space_of(a)];
  memset(a, 0, pool->block_size);
  as_blockpool_give(pool, a);
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
  a->origin = as_spawn_site_origin(spawn->name_addr, spawn->stack_depth);
  atomic_init(&a->status, AS_STATUS_STARTING);
  atomic_init(&a->refs, 2); /* the caller's and the registry's */
  a->runtime = registry_runtime_index(spawn->runtime);
  return a;
}

struct as_actor_side *as__actor_side_take(struct as_actor *actor)
{
  struct as_actor_side *side = atomic_load_explicit(&actor->side, memory_order_acquire);
  if (side)
    return side;
  struct as_actor_side *fresh = as_blockpool_take(&registry_sides);
  if (!fresh)
    return NULL; /* never reserved (out of address space at the first spawn) */
  memset(fresh, 0, sizeof *fresh);
  if (atomic_compare_exchange_strong_explicit(&actor->side, &side, fresh, memory_order_acq_rel,
                                              memory_order_acquire))
    return fresh;
  as_blockpool_give(&registry_sides, fresh); /* another thread's came first */
  return side;
}

uint64_t as_registry_side_blocks_in_use(void) { return as_blockpool_in_use(&registry_sides); }

int as_registry_publish(struct as_actor *a)
{
  pthread_mutex_lock(&registry_lock);
  int space = registry_space_of(a);
  size_t block = registry_block_of(space, a);
  if ((registry_actor_count == registry_actor_capacity && registry_actors_grow() < 0) ||
      (block >= registry_spaces[space].blocks && registry_space_fit(space, block) < 0)) {
    pthread_mutex_unlock(&registry_lock);
    registry_record_free(a);
    as_registry_count_untraced();
    return -ENOMEM;
  }
  a->id = registry_next_id++;
  registry_actors[registry_actor_count++] = a;
  struct registry_space *sp = &registry_spaces[space];
  registry_bit_set(sp->listed, block);
  registry_bit_clear(sp->known, block); /* a reused block: nothing seen of this actor yet */
  registry_bit_clear(sp->stopped, block);
  as_changes_touch(a); /* the next collection copies it, whichever kind */
  pthread_mutex_unlock(&registry_lock);

  /* Read first: a locked exchange at every spawn would cost more than the rest of this. */
  if (!atomic_load_explicit(&registry_first_spawn_done, memory_order_acquire) &&
      !atomic_exchange_explicit(&registry_first_spawn_done, 1, memory_order_acq_rel) &&
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
    /* Most short-lived actors have no tally block, side block or histogram block: no call for
     * those (a storm lets go of thousands a line). */
    struct as_tally_more *more =
        atomic_load_explicit(&actor->type_tally_more, memory_order_acquire);
    if (more)
      as_blockpool_give(&registry_tallies, more);
    as_peers_release(actor);
    /* The record's own words are zeroed with it (registry_record_free): only a block to give. */
    if (as_histogram_word_block(
            atomic_load_explicit(&actor->handler_histogram[0], memory_order_acquire)))
      registry_histogram_free(actor->handler_histogram);
    _Atomic uint64_t *waits = as_mailwait_words(actor);
    if (waits && atomic_load_explicit(&waits[0], memory_order_relaxed))
      registry_histogram_free(waits);
    struct as_actor_side *side = atomic_load_explicit(&actor->side, memory_order_acquire);
    if (side) {
      if (side->relations) {
        free(side->relations->links);
        free(side->relations->monitors);
        free(side->relations);
      }
      as_blockpool_give(&registry_sides, side);
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
  /* Named again with the name it has (at launch, after its class named it): nothing changed. */
  if (interned && atomic_load_explicit(&actor->name, memory_order_relaxed) != interned) {
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
  struct as_actor_side *side = as_actor_side(a);
  if (side && !side->relations)
    side->relations = calloc(1, sizeof *side->relations);
  return side ? side->relations : NULL;
}

/* Under the registry lock; NULL when the actor has none yet. */
static struct as_relations *registry_relations_peek(const struct as_actor *a)
{
  const struct as_actor_side *side = as_actor_side_peek(a);
  return side ? side->relations : NULL;
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
  /* A link is kept in both actors' side blocks: without either block there is none to remove,
   * and no lock to take (CAF removes links at every exit, most actors never had one). */
  if (!as_actor_side_peek(a) || !as_actor_side_peek(b))
    return;
  pthread_mutex_lock(&registry_lock);
  struct as_relations *ra = registry_relations_peek(a), *rb = registry_relations_peek(b);
  if (ra && rb) {
    registry_ids_remove(ra->links, &ra->link_count, b->id);
    registry_ids_remove(rb->links, &rb->link_count, a->id);
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
  static __thread char last_text[AS_ACTOR_REASON_MAX] __attribute__((tls_model("initial-exec")));
  static __thread const char *last_interned __attribute__((tls_model("initial-exec")));
  /* Cut to AS_ACTOR_REASON_MAX - 1 bytes, as snprintf would (without its cost). */
  size_t len = strnlen(reason, AS_ACTOR_REASON_MAX - 1);
  if (last_interned && last_text[len] == '\0' && memcmp(last_text, reason, len) == 0)
    return last_interned;
  char cut[AS_ACTOR_REASON_MAX];
  memcpy(cut, reason, len);
  cut[len] = '\0';
  const char *interned = as_intern_string(cut);
  if (interned) {
    memcpy(last_text, cut, len + 1);
    last_interned = interned;
  }
  return interned;
}

static int registry_is_stopped(const struct as_actor *actor)
{
  return atomic_load_explicit(&actor->status, memory_order_acquire) == AS_STATUS_STOPPED;
}

static inline __attribute__((always_inline)) void
registry_mark_stopped(struct as_actor *actor, const char *interned_reason);

void as_actor_mark_stopped(struct as_actor *actor, const char *reason)
{
  if (!registry_is_stopped(actor))
    registry_mark_stopped(actor, registry_intern_reason(reason ? reason : ""));
}

void as_actor_mark_stopped_static(struct as_actor *actor, const char *reason)
{
  static __thread struct {
    const char *text, *interned;
  } last __attribute__((tls_model("initial-exec")));
  if (registry_is_stopped(actor))
    return;
  if (__builtin_expect(last.text != reason || !last.interned, 0)) {
    last.interned = registry_intern_reason(reason);
    last.text = reason;
  }
  registry_mark_stopped(actor, last.interned);
}

static inline __attribute__((always_inline)) void registry_mark_stopped(struct as_actor *actor,
                                                                        const char *interned_reason)
{
  uint64_t now = as_clock_now();
  as_actor_handler_end(actor, now);
  as_actor_wait_end(actor);
  actor->stop_reason = interned_reason;
  atomic_store_explicit(&actor->stopped_at, now, memory_order_relaxed);
  atomic_store_explicit(&actor->status, AS_STATUS_STOPPED, memory_order_release);
  as_changes_touch(actor);
  registry_stops_count();
}

void as_actor_handler_cancel(struct as_actor *actor)
{
  as_changes_touch(actor);
  atomic_store_explicit(&actor->handling_type, AS_TYPE_NONE, memory_order_relaxed);
}

void as_actor_wait_begin(struct as_actor *actor, uint64_t target_id, enum as_wait_kind kind,
                         uint64_t now)
{
  struct as_actor_side *side = as_actor_side(actor);
  if (!side)
    return;
  atomic_fetch_add_explicit(&side->wait_seq, 1, memory_order_relaxed);
  atomic_store_explicit(&side->wait_since, now, memory_order_relaxed);
  atomic_store_explicit(&side->wait_kind, (uint8_t)kind, memory_order_relaxed);
  atomic_store_explicit(&side->wait_target, target_id, memory_order_release);
  as_changes_touch(actor);
}

void as_actor_wait_end(struct as_actor *actor)
{
  struct as_actor_side *side = atomic_load_explicit(&actor->side, memory_order_acquire);
  if (!side || !atomic_load_explicit(&side->wait_target, memory_order_relaxed))
    return; /* not waiting: nothing changed */
  atomic_store_explicit(&side->wait_target, 0, memory_order_release);
  as_changes_touch(actor);
}

void as_registry_lock_for_fork(void) { pthread_mutex_lock(&registry_lock); }

void as_registry_unlock_for_fork(void) { pthread_mutex_unlock(&registry_lock); }

/* Zeroes a range of an anonymous private mapping: its whole pages given back (they read as zero
 * again, touched anew only where used), the edges cleared. A fork child's memset would copy
 * every page the parent had touched first (~20 page faults a fork, each some 20 us). */
static void registry_zero_mapped(void *start, size_t bytes)
{
  uintptr_t from = (uintptr_t)start, to = from + bytes;
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t inner_from = (from + page - 1) & ~(page - 1), inner_to = to & ~(page - 1);
  int saved = errno; /* inside the host's fork() */
  int given_back = inner_from < inner_to &&
                   madvise((void *)inner_from, inner_to - inner_from, MADV_DONTNEED) == 0;
  errno = saved;
  if (!given_back) {
    memset(start, 0, bytes);
    return;
  }
  memset(start, 0, inner_from - from);
  memset((void *)inner_to, 0, to - inner_to);
}

/* The lists, graves, totals and bitmaps emptied: nothing listed is left. Under the registry
 * lock (or in a fork child, alone). */
static void registry_unlist_all(void)
{
  registry_actor_count = 0; /* the array is reused; the records are not freed */
  registry_actor_holes = 0;
  registry_grave_count = registry_grave_first = 0;
  registry_seen_stopped = registry_seen_received = registry_seen_channel_received = 0;
  for (int space = 0; space < AS_RECORD_SPACES; space++) {
    struct registry_space *sp = &registry_spaces[space];
    if (sp->blocks) {
      memset(sp->listed, 0, sp->blocks / 64 * sizeof *sp->listed);
      memset(sp->recheck, 0, sp->blocks / 64 * sizeof *sp->recheck);
      memset(sp->known, 0, sp->blocks / 64 * sizeof *sp->known);
      memset(sp->stopped, 0, sp->blocks / 64 * sizeof *sp->stopped);
      registry_zero_mapped(sp->shadow, sp->blocks * sizeof *sp->shadow);
      if (sp->channel_received)
        memset(sp->channel_received, 0, sp->blocks * sizeof *sp->channel_received);
    }
    if (as__record_spaces[space].dirty)
      registry_zero_mapped((void *)as__record_spaces[space].dirty,
                           registry_change_words(space) * 8);
  }
  atomic_store(&registry_untraced, 0);
}

void as_registry_forget_all(void)
{
  pthread_mutex_lock(&registry_lock);
  registry_unlist_all();
  atomic_store(&as__registry_first_id, registry_next_id);
  pthread_mutex_unlock(&registry_lock);
}

void as_registry_reset_after_fork(void)
{
  /* The parent's records stay allocated: hooks of this child may still point at them. */
  pthread_mutex_init(&registry_lock, NULL);
  atomic_store(&registry_probing_now, NULL);
  registry_unlist_all();
  registry_unheld_forget_after_fork();
  registry_next_id = 1;
  atomic_store(&as__registry_first_id, 1);
  atomic_store(&registry_first_spawn_done, 0);
  registry_current = NULL;
  as__registry_tid = 0; /* the child's thread has an id of its own */
  /* ... and is the child's main thread, whatever thread of the parent forked: its name as a
   * peer ("main") is read again at its next message. */
  as__peers_thread = 0;
}
