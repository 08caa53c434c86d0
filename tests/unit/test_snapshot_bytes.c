/* The snapshot line is a public contract down to its bytes: lines of varied actors (every
 * member each form can hold, strings the encoder's caches keep and ones too long for them,
 * escapes, numbers of every length) must encode exactly as tests/data/encoder/varied.jsonl,
 * which the encoder of main a0f288d wrote (before session 10 rewrote its cursors and number
 * formatting). AS_ENCODER_GOLDEN_WRITE=PATH writes the lines there instead (regenerate only
 * for a deliberate format change, and review the diff). */
#include "snapshot.h"
#include "peers.h"
#include "typetab.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VARIED_ACTORS 120
#define VARIED_POOL (VARIED_ACTORS * 160)

static uint64_t varied_state = 0x9e3779b97f4a7c15ull;
static uint64_t varied_next(void)
{
  varied_state ^= varied_state << 13;
  varied_state ^= varied_state >> 7;
  varied_state ^= varied_state << 17;
  return varied_state;
}
static uint64_t varied_below(uint64_t n) { return varied_next() % n; }

/* A number of any length, small ones most often (as counters are). */
static uint64_t varied_number(void)
{
  switch (varied_below(6)) {
  case 0: return 0;
  case 1: return varied_below(10);
  case 2: return varied_below(1000);
  case 3: return varied_below(100000000);
  case 4: return varied_next() >> varied_below(64);
  default: return varied_next();
  }
}

static char long_name[220], long_reason[200], long_runtime[180], long_thread[170];
static const char *const names[] = {
    "worker", "front", "printer_actor", "q\"uote\\d\n", "bad\xff", long_name, NULL, ""};
static const char *const runtimes[] = {"caf", "czmq", long_runtime};
static const char *const reasons[] = {"normal", "", "user_shutdown", long_reason, "e\"x\x01"};
static const char *const threads[] = {"main", "caf.worker", long_thread, "t\"h"};
static const char *const type_names[] = {
    "work",       "ping", "caf::atom_constant<caf::atom_value>",
    "long\"type", "t4",   "t5",
    "t6",         "t7",   "t8",
    "t9",         "t10",  "t11",
    "t12",        "t13",  "t14",
    "t15",        "t16",  "t17"};

static void varied_strings(void)
{
  memset(long_name, 'n', sizeof long_name - 1);
  memset(long_reason, 'r', sizeof long_reason - 1);
  memset(long_runtime, 'u', sizeof long_runtime - 1);
  memset(long_thread, 't', sizeof long_thread - 1);
}

/* Histogram words (bucket << 48 | count) by bucket. */
static uint32_t varied_histogram(uint64_t *words)
{
  uint32_t n = (uint32_t)varied_below(4) ? (uint32_t)varied_below(4) : (uint32_t)varied_below(40);
  uint64_t bucket = varied_below(20);
  for (uint32_t i = 0; i < n; i++) {
    words[i] = bucket << 48 | (1 + varied_number() % 100000);
    bucket += 1 + varied_below(9);
  }
  return n;
}

static void varied_view(struct as_actor_view *v, uint64_t id, uint64_t *pool, size_t *used,
                        int ended)
{
  memset(v, 0, sizeof *v);
  v->id = id;
  v->parent_id = varied_below(3) ? varied_below(id + 1) : 0;
  v->runtime = runtimes[varied_below(3)];
  v->name = names[varied_below(sizeof names / sizeof names[0])];
  v->full_name = varied_below(5) == 0 ? "caf::(anonymous namespace)::impl<\"x\">" : NULL;
  v->internal = varied_below(6) == 0;
  v->attached_late = varied_below(9) == 0;
  v->unnamed_after_spawner = 0;
  v->spawned_at = 1000 + varied_number() % 1000000000000ull;
  v->status = ended ? AS_STATUS_STOPPED : (int8_t)varied_below(4);
  if (v->status == AS_STATUS_STOPPED) {
    v->stopped_at = v->spawned_at + varied_number() % 1000000000000ull;
    v->stop_reason = reasons[varied_below(sizeof reasons / sizeof reasons[0])];
  } else {
    v->stop_reason = "";
  }
  v->enqueued = varied_number();
  v->received = varied_below(3) ? v->enqueued : varied_number();
  v->mailbox_max = (uint32_t)varied_number();
  v->sent = varied_number();
  v->replies = varied_below(3) ? 0 : varied_number();
  v->replies_taken = varied_below(2) ? v->replies : varied_number();
  v->exceptions = varied_below(4) ? 0 : (uint32_t)varied_number();
  v->handled = varied_number();
  v->handler_ticks_total = varied_number() % 10000000000000ull;
  v->handler_ticks_max = varied_below(2) ? v->handler_ticks_total : v->handler_ticks_total / 3;
  v->runtime_id = varied_below(3) ? (varied_below(2) ? id : varied_number()) : 0;
  v->runtime_scope = (uint8_t)varied_below(4);
  v->known = !ended && varied_below(2);
  v->ended = (uint8_t)ended;
  if (!ended) {
    v->handling_type =
        varied_below(3) ? AS_TYPE_NONE : (uint16_t)as_typetab_intern(type_names[0], 4);
    v->handling_since = varied_below(20000);
    v->wait_target = varied_below(3) ? 0 : varied_number();
    v->wait_kind = (int8_t)varied_below(3);
    v->wait_since = varied_below(20000);
    v->has_refs = varied_below(2);
    v->strong_refs = varied_number();
    v->weak_refs = varied_number();
  }
  /* The pool as the collector lays it out: links, monitors, types, channels, histograms. */
  v->links_at = (uint32_t)*used;
  v->link_count = ended ? 0 : (uint32_t)varied_below(3);
  for (uint32_t i = 0; i < v->link_count; i++)
    pool[(*used)++] = varied_number();
  v->monitors_at = (uint32_t)*used;
  v->monitor_count = ended ? 0 : (uint32_t)varied_below(3);
  for (uint32_t i = 0; i < v->monitor_count; i++)
    pool[(*used)++] = varied_number();
  v->types_at = (uint32_t)*used;
  v->type_count = (uint32_t)(varied_below(3) ? varied_below(3) : varied_below(17));
  for (uint32_t i = 0; i < v->type_count; i++) {
    const char *name = type_names[(i + varied_below(2)) % 18];
    uint64_t type = as_typetab_intern(name, strlen(name));
    pool[(*used)++] = type << 48 | (varied_below(5) ? 1 + varied_below(9) : varied_number() >> 16);
  }
  v->other_types = varied_below(5) ? 0 : varied_number();
  v->channels_at = (uint32_t)*used;
  v->channel_count = ended || varied_below(4) ? 0 : (uint32_t)varied_below(3);
  for (uint32_t i = 0; i < v->channel_count; i++) {
    uint64_t *w = pool + *used;
    w[0] = (uintptr_t)(i ? "PULL" : "SUB");
    w[1] = i ? (uintptr_t) "inproc://side" : 0;
    w[2] = varied_number();
    w[3] = varied_number();
    w[4] = varied_below(2) ? (uint64_t)-1 : varied_below(100);
    w[5] = varied_below(2) ? (uint64_t)-1 : varied_below(100);
    *used += 6;
  }
  v->histogram_count = varied_histogram(pool + *used);
  *used += v->histogram_count;
  v->wait_histogram_count = varied_histogram(pool + *used);
  *used += v->wait_histogram_count;
  if (varied_below(6) == 0) {
    v->peers_at = SIZE_MAX;
  } else {
    v->peers_at = *used;
    v->peer_count = (uint32_t)varied_below(AS_PEERS_LISTED + 1);
    for (uint32_t i = 0; i < v->peer_count; i++) {
      uint64_t key = varied_below(3)
                         ? 1 + varied_below(1u << 20)
                         : (uint64_t)(uintptr_t)threads[varied_below(4)] |
                               (varied_below(2) ? AS_PEERS_TO_THREAD : AS_PEERS_FROM_THREAD);
      pool[*used + 2 * i] = key;
      pool[*used + 2 * i + 1] = varied_below(3) ? 1 + varied_below(9) : 1 + varied_number();
    }
    pool[*used + 2 * v->peer_count] = varied_below(4) ? 0 : varied_number();
    *used += 2 * v->peer_count + 1;
  }
}

static int varied_sink_take(void *context, const char *text, size_t len)
{
  return fwrite(text, 1, len, context) == len ? 0 : -1;
}

/* An ended actor like the one before it (as a loop spawns them), but for its id, times and
 * handler histogram, and at times one more field: the encoder's copies of runs it wrote for
 * the one before must be taken exactly when they apply. */
static void varied_clone(struct as_actor_view *v, const struct as_actor_view *prev, uint64_t id,
                         uint64_t *pool, size_t *used)
{
  *v = *prev;
  v->id = id;
  v->spawned_at = prev->spawned_at + varied_below(100000);
  v->stopped_at = v->spawned_at + varied_number() % 100000000;
  v->handler_ticks_total = v->handler_ticks_max = varied_below(3000000);
  size_t at = *used;
  v->links_at = v->monitors_at = v->types_at = (uint32_t)at;
  memcpy(pool + at, pool + prev->types_at, prev->type_count * sizeof *pool);
  at += v->type_count;
  v->channels_at = (uint32_t)at;
  size_t hist = (size_t)prev->histogram_count + prev->wait_histogram_count;
  memcpy(pool + at, pool + prev->channels_at, hist * sizeof *pool);
  if (prev->histogram_count && varied_below(2))
    pool[at] += (uint64_t)1 << 48; /* the next bucket */
  at += hist;
  if (prev->peers_at != SIZE_MAX) {
    v->peers_at = at;
    memcpy(pool + at, pool + prev->peers_at, (2 * (size_t)prev->peer_count + 1) * sizeof *pool);
    at += 2 * (size_t)prev->peer_count + 1;
  }
  *used = at;
  switch (varied_below(28)) {
  case 0: v->stop_reason = reasons[varied_below(sizeof reasons / sizeof reasons[0])]; break;
  case 1: v->enqueued++; break;
  case 2: v->mailbox_max++; break;
  case 3: v->replies++; break;
  case 4: v->replies_taken++; break;
  case 5: v->received++; break;
  case 6: v->sent++; break;
  case 7: v->exceptions++; break;
  case 8: v->handled++; break;
  case 9: v->name = names[varied_below(sizeof names / sizeof names[0])]; break;
  case 10: v->full_name = v->full_name ? NULL : "caf::other<int>"; break;
  case 11: v->runtime = runtimes[varied_below(3)]; break;
  case 12: v->internal = !v->internal; break;
  case 13: v->attached_late = !v->attached_late; break;
  case 14: v->runtime_id = varied_below(2) ? id : 0; break;
  case 15: v->runtime_scope++; break;
  case 16: v->other_types = v->other_types ? 0 : 1; break;
  case 17:
    if (v->type_count)
      pool[v->types_at + varied_below(v->type_count)] += 1;
    break;
  case 18:
    if (v->type_count)
      v->type_count--;
    break;
  case 19:
    if (v->peers_at != SIZE_MAX)
      pool[v->peers_at + varied_below(2 * (size_t)v->peer_count + 1)] += 1;
    break;
  case 20: v->peers_at = SIZE_MAX; break;
  case 21: v->runtime_id = varied_number(); break;
  default: /* the same but for its id and times */ break;
  }
}

/* Appends one line (a keyframe, then deltas, some views out of id order) to out. */
static void varied_line(FILE *out, int delta, uint64_t seq, struct as_actor_view *views,
                        uint64_t *pool)
{
  size_t used = 0;
  uint64_t id = 1 + seq * 10000;
  for (size_t i = 0; i < VARIED_ACTORS; i++) {
    id += 1 + varied_below(3);
    if (delta && i > 0 && views[i - 1].ended && varied_below(4) != 0)
      varied_clone(&views[i], &views[i - 1], id, pool, &used);
    else
      varied_view(&views[i], id, pool, &used, delta && varied_below(3) != 0);
  }
  if (seq % 2) /* in record order, not id order: the encoder sorts */
    for (size_t i = VARIED_ACTORS - 1; i > 0; i--) {
      size_t k = varied_below(i + 1);
      struct as_actor_view t = views[i];
      views[i] = views[k];
      views[k] = t;
    }
  uint64_t reaped[3] = {5, 6, 7};
  struct as_registry_collection c = {.views = views,
                                     .count = VARIED_ACTORS,
                                     .capacity = VARIED_ACTORS,
                                     .ids = pool,
                                     .id_count = used,
                                     .id_capacity = VARIED_POOL,
                                     .reaped = reaped,
                                     .reaped_count = delta ? 3 : 0,
                                     .totals = {2, 3, 1, 42, 43, 4, 1}};
  cr_assert_lt(used, VARIED_POOL);
  struct as_snapshot_info info = {.seq = seq,
                                  .wall_ns = 1795500000123000000ULL + seq,
                                  .uptime_ns = 5000,
                                  .start_ticks = 1000,
                                  .now_ticks = 30000,
                                  .delta = delta,
                                  .totals_changed = 1,
                                  .final = seq == 3};
  char *line = as_snapshot_encode(&c, NULL, &info);
  cr_assert_not_null(line);
  /* Streamed through a buffer smaller than an actor's reservation: the same bytes. */
  char *streamed = NULL;
  size_t streamed_len = 0;
  FILE *sink = open_memstream(&streamed, &streamed_len);
  struct as_jsonw w;
  as_jsonw_init_streaming(&w, 256, varied_sink_take, sink);
  cr_assert_eq(as_snapshot_write(&w, &c, NULL, &info), 0);
  as_jsonw_release(&w);
  fclose(sink);
  cr_assert_eq(streamed_len, strlen(line));
  cr_assert(memcmp(streamed, line, streamed_len) == 0, "line %llu streamed differs",
            (unsigned long long)seq);
  free(streamed);
  fprintf(out, "%s\n", line);
  free(line);
}

static char *varied_text(size_t *len)
{
  varied_strings();
  varied_state = 0x9e3779b97f4a7c15ull;
  struct as_actor_view *views = calloc(VARIED_ACTORS, sizeof *views);
  uint64_t *pool = calloc(VARIED_POOL, sizeof *pool);
  char *text = NULL;
  FILE *out = open_memstream(&text, len);
  cr_assert(views && pool && out);
  for (uint64_t seq = 0; seq < 4; seq++)
    varied_line(out, seq != 0, seq, views, pool);
  fclose(out);
  free(views);
  free(pool);
  return text;
}

Test(snapshot_bytes, varied_actors_encode_exactly_as_the_recorded_lines)
{
  size_t len;
  char *text = varied_text(&len);
  const char *write_to = getenv("AS_ENCODER_GOLDEN_WRITE");
  if (write_to) {
    FILE *f = fopen(write_to, "w");
    cr_assert_not_null(f);
    fwrite(text, 1, len, f);
    fclose(f);
  }
  FILE *f = fopen(AS_TEST_DATA "/encoder/varied.jsonl", "r");
  cr_assert_not_null(f, "no recorded lines");
  char *expected = malloc(len + 2);
  size_t got = fread(expected, 1, len + 1, f);
  fclose(f);
  cr_assert_eq(got, len, "recorded %zu bytes, encoded %zu", got, len);
  size_t at = 0;
  while (at < len && expected[at] == text[at])
    at++;
  size_t from = at > 80 ? at - 80 : 0;
  cr_assert_eq(at, len, "first difference at byte %zu:\nrecorded ...%.160s\nencoded  ...%.160s", at,
               expected + from, text + from);
  free(expected);
  free(text);
}

/* The text between "[" after KEY and the line's end (or the next array's), of one line. */
static const char *memo_array(const char *line, const char *key, size_t *len)
{
  const char *at = strstr(line, key);
  cr_assert_not_null(at, "no %s in %s", key, line);
  at += strlen(key);
  const char *end = strstr(at, "],\"" AS_M_ENDED "\":[");
  if (!end)
    end = line + strlen(line) - 2; /* "]}" */
  *len = (size_t)(end - at);
  return at;
}

/* Full and ended actors each like the one before of its form but for one field at times (as a
 * storm lists them): the runs the encoder copies from the actor before (snapshot_memo) must read
 * exactly as each actor written alone, in a line of its own, where nothing is copied. */
Test(snapshot_bytes, runs_copied_from_the_actor_before_read_as_each_actor_alone)
{
  enum { N = 240 };
  varied_strings();
  varied_state = 0x2545f4914f6cdd1dull;
  struct as_actor_view *views = calloc(N, sizeof *views);
  uint64_t *pool = calloc((size_t)N * 160, sizeof *pool);
  cr_assert(views && pool);
  size_t used = 0;
  const struct as_actor_view *last[2] = {NULL, NULL}; /* the last full, the last ended */
  for (size_t i = 0; i < N; i++) {
    int ended = varied_below(3) == 0;
    uint64_t id = 10 + 3 * i;
    if (last[ended] && varied_below(5) != 0) {
      varied_clone(&views[i], last[ended], id, pool, &used);
    } else {
      varied_view(&views[i], id, pool, &used, ended);
      /* Relations and sockets out (varied_clone copies neither): the histograms stay where
       * as_view_histogram_words finds them. */
      views[i].channels_at += (uint32_t)(views[i].channel_count * AS_CHANNEL_WORDS);
      views[i].link_count = views[i].monitor_count = views[i].channel_count = 0;
    }
    views[i].spawn_frame_count = 0; /* no site: numbered per line */
    last[ended] = &views[i];
  }
  struct as_snapshot_info info = {.seq = 1, .start_ticks = 1000, .now_ticks = 30000, .delta = 1};
  struct as_registry_collection all = {
      .views = views, .count = N, .capacity = N, .ids = pool, .id_count = used};
  char *line = as_snapshot_encode(&all, NULL, &info);
  cr_assert_not_null(line);
  size_t full_len, ended_len;
  const char *full = memo_array(line, "\"" AS_M_ACTORS "\":[", &full_len);
  const char *ended = memo_array(line, "\"" AS_M_ENDED "\":[", &ended_len);
  size_t full_at = 0, ended_at = 0;
  for (size_t i = 0; i < N; i++) {
    struct as_registry_collection one = all;
    one.views = &views[i];
    one.count = one.capacity = 1;
    char *alone = as_snapshot_encode(&one, NULL, &info);
    cr_assert_not_null(alone);
    size_t len;
    const char *object =
        memo_array(alone, views[i].ended ? "\"" AS_M_ENDED "\":[" : "\"" AS_M_ACTORS "\":[", &len);
    const char *in = views[i].ended ? ended : full;
    size_t *at = views[i].ended ? &ended_at : &full_at;
    size_t limit = views[i].ended ? ended_len : full_len;
    if (*at)
      cr_assert_eq(in[(*at)++], ',', "actor %zu: no comma before it", i);
    cr_assert(*at + len <= limit && memcmp(in + *at, object, len) == 0,
              "actor %zu (%s) differs from itself alone:\nalone %.*s\nline  %.*s", i,
              views[i].ended ? "ended" : "full", (int)len, object, (int)len, in + *at);
    *at += len;
    free(alone);
  }
  cr_assert_eq(full_at, full_len);
  cr_assert_eq(ended_at, ended_len);
  free(line);
  free(views);
  free(pool);
}
