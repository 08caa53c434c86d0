/* A snapshot line: its header, totals, deadlocks, diagnostics and costs around the actors
 * (snapshot_actor.c) and spawn sites (snapshot_sites.c); and the file's header line. */
#include "snapshot.h"
#include "snapshot_internal.h"
#include "jsonw.h"
#include "mailwait.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void as_snapshot_format_time(uint64_t wall_ns, char out[32])
{
  time_t secs = (time_t)(wall_ns / 1000000000u);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char date[24];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, 32, "%s.%03uZ", date, (unsigned)(wall_ns / 1000000u % 1000u));
}

/* The header goes through the same writer as snapshots: a program path or argument that is not
 * UTF-8 is written with U+FFFD like any name, never dropped. */
char *as_snapshot_encode_header(const struct as_header_info *h)
{
  struct as_jsonw w;
  as_jsonw_init(&w, 512);
  as_jsonw_lit(&w, "{" AS_KEY(AS_M_TYPE) "\"" AS_LINE_HEADER "\"," AS_KEY(AS_M_FORMAT));
  as_jsonw_str(&w, AS_FORMAT_NAME);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_VERSION), AS_FORMAT_VERSION);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_PID), (uint64_t)h->pid);
  as_jsonw_lit(&w, "," AS_KEY(AS_M_PROGRAM));
  as_jsonw_str(&w, h->program ? h->program : "");
  as_jsonw_lit(&w, "," AS_KEY(AS_M_ARGV) "[");
  for (size_t i = 0; i < h->argc; i++) {
    if (i > 0)
      as_jsonw_lit(&w, ",");
    as_jsonw_str(&w, h->argv[i]);
  }
  char started[32];
  as_snapshot_format_time(h->started_wall_ns, started);
  as_jsonw_lit(&w, "]," AS_KEY(AS_M_STARTED_AT));
  as_jsonw_str(&w, started);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_STARTED_AT_NS), h->started_wall_ns);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_CONFIG) "{" AS_KEY(AS_M_INTERVAL_MS), h->interval_ms);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_GRAVE_MS), h->grave_ms);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_STACK_DEPTH), h->stack_depth);
  as_jsonw_lit_u64(&w, "," AS_KEY(AS_M_MAILBOX_WAIT_EVERY), as_mailwait_every());
  as_jsonw_lit(&w, "}}");
  return as_jsonw_finish(&w);
}

/* What encoding a line needs per actor besides the views (the views in id order, children,
 * spawn sites), kept from line to line: a keyframe of 100k actors would otherwise fault in
 * some 5 MB of fresh pages every time (18-20 µs a page on a VM). The encoder runs on one thread
 * at a time (the collector's, under its write lock). */
struct snapshot_scratch {
  const struct as_actor_view **by_id;
  size_t by_id_capacity;
  struct snapshot_family family;
  struct snapshot_sites sites;
};
static struct snapshot_scratch snapshot_scratch;

void as_snapshot_trim(size_t actors)
{
  struct snapshot_scratch *s = &snapshot_scratch;
  if (s->by_id_capacity <= actors + 1)
    return;
  free(s->by_id);
  s->by_id = NULL;
  s->by_id_capacity = 0;
  snapshot_family_free(&s->family);
  snapshot_sites_free(&s->sites);
}

/* Sorts the views by id: in a delta line they come in the order of their records' addresses,
 * which a pool of reused blocks scrambles. Ids are unique and a line's span few bits, so a
 * radix sort of (id - smallest) in 11-bit digits takes two or three passes, a few instructions
 * an actor (a comparison sort took over a hundred). tmp has room for n views. */
#define SNAPSHOT_RADIX_BITS 11
#ifndef SNAPSHOT_RADIX_MIN
#define SNAPSHOT_RADIX_MIN 256
#endif

static int snapshot_by_id_cmp(const void *a, const void *b)
{
  const struct as_actor_view *x = *(const struct as_actor_view *const *)a;
  const struct as_actor_view *y = *(const struct as_actor_view *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void snapshot_sort_by_id(const struct as_actor_view **by_id,
                                const struct as_actor_view **tmp, size_t n)
{
  static size_t counts[1u << SNAPSHOT_RADIX_BITS];
  if (n < SNAPSHOT_RADIX_MIN) { /* the digits' counts would cost more than the comparisons */
    qsort(by_id, n, sizeof *by_id, snapshot_by_id_cmp);
    return;
  }
  uint64_t low = UINT64_MAX, high = 0;
  for (size_t i = 0; i < n; i++) {
    low = by_id[i]->id < low ? by_id[i]->id : low;
    high = by_id[i]->id > high ? by_id[i]->id : high;
  }
  const struct as_actor_view **from = by_id, **to = tmp;
  for (unsigned shift = 0; shift < 64 && (high - low) >> shift; shift += SNAPSHOT_RADIX_BITS) {
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++)
      counts[(from[i]->id - low) >> shift & ((1u << SNAPSHOT_RADIX_BITS) - 1)]++;
    size_t at = 0;
    for (size_t d = 0; d < 1u << SNAPSHOT_RADIX_BITS; d++) {
      size_t count = counts[d];
      counts[d] = at;
      at += count;
    }
    for (size_t i = 0; i < n; i++)
      to[counts[(from[i]->id - low) >> shift & ((1u << SNAPSHOT_RADIX_BITS) - 1)]++] = from[i];
    const struct as_actor_view **t = from;
    from = to;
    to = t;
  }
  if (from != by_id)
    memcpy(by_id, from, n * sizeof *by_id);
}

/* Cycle members wait, so their names come from the views of the waiting actors (sorted by id):
 * a delta line may not list them. */
static void snapshot_deadlocks(struct as_jsonw *w, const struct as_waitgraph_cycles *cycles,
                               const struct as_actor_view *waiting, size_t n)
{
  as_jsonw_lit(w, "[");
  for (size_t i = 0; cycles && i < cycles->cycle_count; i++) {
    if (i)
      as_jsonw_lit(w, ",");
    const uint64_t *members = cycles->members + cycles->starts[i];
    as_jsonw_lit(w, "{" AS_KEY(AS_M_ACTORS));
    snapshot_ids(w, members, cycles->lengths[i]);
    as_jsonw_lit(w, "," AS_KEY(AS_M_NAMES) "[");
    for (size_t k = 0; k < cycles->lengths[i]; k++) {
      const char *name = "<unknown>";
      size_t lo = 0, hi = n;
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (waiting[mid].id < members[k])
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo < n && waiting[lo].id == members[k])
        name = snapshot_actor_name(&waiting[lo]);
      if (k)
        as_jsonw_lit(w, ",");
      as_jsonw_str(w, name);
    }
    as_jsonw_lit(w, "]}");
  }
  as_jsonw_lit(w, "]");
}

static void snapshot_diagnostics(struct as_jsonw *w, const struct as_snapshot_info *info)
{
  as_jsonw_lit(w, "[");
  for (size_t i = 0; i < info->diagnostic_count; i++) {
    if (i)
      as_jsonw_lit(w, ",");
    as_jsonw_lit(w, "{" AS_KEY(AS_M_CODE));
    as_jsonw_str(w, info->diagnostics[i].code);
    as_jsonw_lit(w, "," AS_KEY(AS_M_MESSAGE));
    as_jsonw_str(w, info->diagnostics[i].text);
    as_jsonw_lit(w, "}");
  }
  as_jsonw_lit(w, "]");
}

static void snapshot_cost(struct as_jsonw *w, const struct as_snapshot_cost *cost)
{
  if (!cost) {
    as_jsonw_lit(w, "null");
    return;
  }
  as_jsonw_lit_u64(w, "{" AS_KEY(AS_M_COLLECT_NS), cost->collect_ns);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_ENCODE_NS), cost->encode_ns);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_WRITE_NS), cost->write_ns);
  as_jsonw_lit_u64(w, "," AS_KEY(AS_M_BYTES), cost->bytes);
  as_jsonw_lit(w, "}");
}

int as_snapshot_write(struct as_jsonw *w, const struct as_registry_collection *c,
                      const struct as_waitgraph_cycles *deadlocks,
                      const struct as_snapshot_info *info)
{
  size_t n = c->count;
  struct snapshot_scratch *scratch = &snapshot_scratch;
  if (n + 1 > scratch->by_id_capacity) { /* and as much again for sorting */
    const struct as_actor_view **grown = realloc(scratch->by_id, 2 * (n + 1) * sizeof *grown);
    if (grown) {
      scratch->by_id = grown;
      scratch->by_id_capacity = n + 1;
    }
  }
  const struct as_actor_view **by_id = n + 1 <= scratch->by_id_capacity ? scratch->by_id : NULL;
  struct snapshot_family *family = &scratch->family;
  struct snapshot_sites *sites = &scratch->sites;
  size_t ended = 0; /* views listed compactly (as_actor_view.ended) */
  if (!by_id)
    w->failed = 1;
  if (!w->failed) {
    /* The registry lists actors in spawn order, so its views usually come sorted by id. */
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
      by_id[i] = &c->views[i];
      sorted &= i == 0 || c->views[i].id > c->views[i - 1].id;
      ended += c->views[i].ended != 0;
    }
    if (!sorted)
      snapshot_sort_by_id(by_id, by_id + scratch->by_id_capacity, n);
    if ((!info->delta && snapshot_family_build(family, by_id, n) < 0) ||
        snapshot_sites_build(sites, by_id, n, info) < 0)
      w->failed = 1;
  }
  if (!w->failed) {
    char when[32];
    as_snapshot_format_time(info->wall_ns, when);
    if (info->delta)
      as_jsonw_lit_u64(w, "{" AS_KEY(AS_M_TYPE) "\"" AS_LINE_DELTA "\"," AS_KEY(AS_M_SEQ),
                       info->seq);
    else
      as_jsonw_lit_u64(w, "{" AS_KEY(AS_M_TYPE) "\"" AS_LINE_SNAPSHOT "\"," AS_KEY(AS_M_SEQ),
                       info->seq);
    /* A delta line leaves out what did not change since the line before (FORMAT.md): a line
     * in which nothing happened is a few dozen bytes. */
    int full = !info->delta;
    if (full) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_CAPTURED_AT));
      as_jsonw_str(w, when);
    }
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_CAPTURED_AT_NS), info->wall_ns);
    as_jsonw_lit_u64(w, "," AS_KEY(AS_M_UPTIME_NS), info->uptime_ns);
    if (info->final && info->ended_by) {
      /* How the process ended: the reader tells a crash from a normal exit. */
      as_jsonw_lit(w, "," AS_KEY(AS_M_ENDED_BY));
      as_jsonw_str(w, info->ended_by);
      if (info->signal_name) {
        as_jsonw_lit(w, "," AS_KEY(AS_M_SIGNAL));
        as_jsonw_str(w, info->signal_name);
      }
    }
    if (info->final)
      as_jsonw_lit(w, "," AS_KEY(AS_M_FINAL) "true");
    else if (full)
      as_jsonw_lit(w, "," AS_KEY(AS_M_FINAL) "false");
    if (full || info->totals_changed) {
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_TOTALS) "{" AS_KEY(AS_M_ALIVE), c->totals.alive);
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_TOTAL_SPAWNED), c->totals.total_spawned);
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_TOTAL_STOPPED), c->totals.total_stopped);
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_MESSAGES_RECEIVED), c->totals.messages_received);
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_RECEIVED_ALL), c->totals.received_all);
      if (c->totals.runtime_running_known)
        as_jsonw_lit_u64(w, "," AS_KEY(AS_M_RUNTIME_RUNNING), c->totals.runtime_running);
      as_jsonw_lit(w, "}");
    }
    if (full || info->deadlocks_changed) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_DEADLOCKS));
      snapshot_deadlocks(w, deadlocks, info->waiting, info->waiting_count);
    }
    if (full || info->diagnostics_changed) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_DIAGNOSTICS));
      snapshot_diagnostics(w, info);
    }
    as_jsonw_lit(w, "," AS_KEY(AS_M_LAST_COST));
    snapshot_cost(w, info->last_cost);
    if (full || n > 0) /* how long a histogram's tick is, for the actors of this line */
      as_jsonw_lit_u64(w, "," AS_KEY(AS_M_TICK_FS), as_clock_ticks_to_ns(1000000));
    if (full || n > 0) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_SPAWN_SITES));
      snapshot_sites_write(w, sites);
    }
    struct snapshot_strs strs;
    snapshot_strs_init(&strs);
    if (full || n > ended) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_ACTORS) "[");
      size_t k = 0;
      for (size_t i = 0; i < n; i++) {
        if (by_id[i]->ended)
          continue;
        if (k++)
          as_jsonw_lit(w, ",");
        snapshot_actor(w, by_id[i], i, sites->numbers[i], family, c, info, &strs);
      }
      as_jsonw_lit(w, "]");
    }
    if (ended > 0) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_ENDED) "[");
      size_t k = 0;
      for (size_t i = 0; i < n; i++) {
        if (!by_id[i]->ended)
          continue;
        if (k++)
          as_jsonw_lit(w, ",");
        snapshot_ended(w, by_id[i], sites->numbers[i], c, info, &strs);
      }
      as_jsonw_lit(w, "]");
    }
    if (!full && c->reaped_count > 0) {
      as_jsonw_lit(w, "," AS_KEY(AS_M_REAPED));
      snapshot_ids(w, c->reaped, c->reaped_count);
    }
    as_jsonw_lit(w, "}");
  }
  return w->failed ? -1 : as_jsonw_flush(w);
}

char *as_snapshot_encode(const struct as_registry_collection *c,
                         const struct as_waitgraph_cycles *deadlocks,
                         const struct as_snapshot_info *info)
{
  struct as_jsonw w;
  as_jsonw_init(&w, 1024 + c->count * 512);
  as_snapshot_write(&w, c, deadlocks, info);
  return as_jsonw_finish(&w);
}
