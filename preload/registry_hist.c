/* Message-type tallies past the record's slots and handler-time / mailbox-wait histograms:
 * taken from pools on the hot path, read whole by the collector. */
#include "registry.h"
#include "registry_internal.h"

#include <stdint.h>
#include <string.h>

/* 1.2M tally blocks (104 bytes and the link). */
struct as_blockpool registry_tallies = AS_BLOCKPOOL_INIT(sizeof(struct as_tally_more), 128u << 20);
/* Histograms of busy actors: 420k blocks of 2.5 KB (address space, touched as used). */
struct as_blockpool registry_histograms =
    AS_BLOCKPOOL_INIT(sizeof(struct as_histogram_block), 1ull << 30);
static _Atomic uint64_t registry_histogram_lost;

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

static unsigned registry_histogram_slot(uint64_t w0, uint64_t w1, unsigned i)
{
  uint64_t word = i < AS_HISTOGRAM_INLINE_SLOTS / 2 ? w0 : w1;
  return (unsigned)(word >> (1 + AS_HISTOGRAM_SLOT_BITS * (i % (AS_HISTOGRAM_INLINE_SLOTS / 2)))) &
         ((1u << AS_HISTOGRAM_SLOT_BITS) - 1);
}

/* One inline word's slots (read by shifting it along: most actors have one or two) as sparse
 * words appended to OUT at N; returns the new N, with *ENDED set at an empty slot. */
static unsigned registry_histogram_word_slots(uint64_t word, uint64_t *out, unsigned n, int *ended)
{
  const uint64_t slot_mask = (1u << AS_HISTOGRAM_SLOT_BITS) - 1;
  uint64_t bits = word >> 1;
  for (unsigned i = 0; i < AS_HISTOGRAM_INLINE_SLOTS / 2; i++, bits >>= AS_HISTOGRAM_SLOT_BITS) {
    uint64_t slot = bits & slot_mask;
    if (!slot) {
      *ended = 1;
      return n;
    }
    out[n++] = as_histogram_slot_word(slot);
  }
  return n;
}

/* The inline slots as sparse words (bucket << 48 | count), in slot order. A slot is taken only
 * once those before it are (as__histogram_words_add_slow), so the first empty one ends them. */
static unsigned registry_histogram_inline_words(uint64_t w0, uint64_t w1, uint64_t *out)
{
  int ended = 0;
  unsigned n = registry_histogram_word_slots(w0, out, 0, &ended);
  return ended ? n : registry_histogram_word_slots(w1, out, n, &ended);
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
  /* An actor's first time never comes here: as__histogram_words_add stores it inline. */
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
void registry_histogram_free(_Atomic uint64_t *histogram)
{
  struct as_histogram_block *block =
      as_histogram_word_block(atomic_load_explicit(&histogram[0], memory_order_acquire));
  if (block)
    as_blockpool_give(&registry_histograms, block);
  atomic_store_explicit(&histogram[0], 0, memory_order_relaxed);
  atomic_store_explicit(&histogram[1], 0, memory_order_relaxed);
}

/* Collector: the histogram as sparse words, in place in the collection's pool. Word 0 is read
 * before and after word 1, so the pair is one the actor's thread stored (it changes one word per
 * handler, counts only grow). */
void registry_view_histogram(struct as_registry_collection *c, uint32_t *count,
                             _Atomic uint64_t *histogram)
{
  *count = 0;
  uint64_t w0 = histogram ? atomic_load_explicit(&histogram[0], memory_order_acquire) : 0;
  if (!w0)
    return; /* most actors' mailbox waits, and those of an actor that handled nothing */
  uint64_t *words = registry_pool_room(c, AS_HISTOGRAM_BUCKETS);
  if (!words)
    return;
  unsigned n = 0;
  for (int tries = 0; w0 & 1 && tries < 8; tries++) {
    uint64_t w1 = atomic_load_explicit(&histogram[1], memory_order_acquire);
    uint64_t again = atomic_load_explicit(&histogram[0], memory_order_acquire);
    if (again == w0) {
      n = registry_histogram_inline_words(w0, w1, words);
      break;
    }
    w0 = again;
  }
  const struct as_histogram_block *block = as_histogram_word_block(w0);
  if (block) {
    for (unsigned k = 0; k < sizeof block->used / sizeof block->used[0]; k++)
      for (uint64_t bits = atomic_load_explicit(&block->used[k], memory_order_relaxed); bits;
           bits &= bits - 1) {
        unsigned b = k * 64 + (unsigned)__builtin_ctzll(bits);
        words[n++] =
            (uint64_t)b << AS_TALLY_COUNT_BITS |
            (atomic_load_explicit(&block->counts[b], memory_order_relaxed) & AS_TALLY_COUNT_MASK);
      }
  } else if (n > 1) {
    for (unsigned i = 1; i < n; i++) /* slots fill in arrival order: sort by bucket */
      for (unsigned k = i; k > 0 && words[k - 1] > words[k]; k--) {
        uint64_t t = words[k];
        words[k] = words[k - 1];
        words[k - 1] = t;
      }
  }
  c->id_count += n;
  *count = n;
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
