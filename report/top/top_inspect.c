/* actorscope top: the inspect panel — everything one actor's snapshot holds, its whole wait
 * chain, its relatives by name, its spawn stack, and the history of its mailbox and rate. */
#define _GNU_SOURCE
#include "histogram.h"
#include "show.h"
#include "top_peers.h"
#include "top_screen.h"

#include <stdio.h>
#include <string.h>

#define INSPECT_LIST_MAX 24 /* relatives named one per line before "and N more" */

static void inspect_ids(struct top_canvas *c, const struct as_rec_snapshot *s,
                        const struct recording *run, const char *label, const int64_t *ids,
                        size_t n)
{
  if (n == 0) {
    top_canvas_add(c, TOP_STYLE_NORMAL, "%-10s none", label);
    return;
  }
  top_canvas_add(c, TOP_STYLE_NORMAL, "%-10s %zu", label, n);
  char buf[96];
  for (size_t i = 0; i < n && i < INSPECT_LIST_MAX; i++)
    top_canvas_add(c, TOP_STYLE_NORMAL, "  #%lld %s", (long long)ids[i],
                   top_peers_actor_name(s, run, ids[i], buf, sizeof buf));
  if (n > INSPECT_LIST_MAX)
    top_canvas_add(c, TOP_STYLE_DIM, "  and %zu more", n - INSPECT_LIST_MAX);
}

/* p50/p90/p99 of a histogram's PAIRS (FORMAT.md) after LEAD: the actor's finished handlers
 * (MAX_NS their longest), or its messages' waits in the mailbox (MAX_NS 0: no exact longest,
 * so the top bucket's middle is shown as max, with the count). */
static void inspect_percentiles(struct top_canvas *c, const char *lead, const int64_t *pairs,
                                size_t n_pairs, int64_t max_ns, int64_t tick_fs)
{
  if (!n_pairs || tick_fs <= 0)
    return;
  struct as_histogram_bin bins[AS_HISTOGRAM_BUCKETS];
  size_t n = n_pairs < AS_HISTOGRAM_BUCKETS ? n_pairs : AS_HISTOGRAM_BUCKETS;
  uint64_t count = 0;
  for (size_t i = 0; i < n; i++) {
    bins[i] = (struct as_histogram_bin){(uint32_t)pairs[2 * i], (uint64_t)pairs[2 * i + 1]};
    count += bins[i].count;
  }
  const double ps[] = {50, 90, 99, 100};
  char text[4][SHOW_DURATION_MAX];
  uint64_t max_ticks = max_ns > 0 ? as_histogram_ns_to_ticks(max_ns, tick_fs) : UINT64_MAX;
  for (int k = 0; k < 4; k++) {
    uint64_t ticks =
        as_histogram_percentile(bins, n, ps[k], max_ticks < UINT64_MAX ? max_ticks + 1 : 0);
    int64_t ns = as_histogram_ticks_to_ns(ticks, tick_fs);
    show_duration(max_ns > 0 && ns > max_ns ? max_ns : ns, 0, text[k], sizeof text[k]);
  }
  if (max_ns > 0)
    top_canvas_add(c, TOP_STYLE_NORMAL, "%-10s p50 %s, p90 %s, p99 %s", lead, text[0], text[1],
                   text[2]);
  else
    top_canvas_add(c, TOP_STYLE_NORMAL, "%-10s p50 %s, p90 %s, p99 %s, max %s of %llu timed", lead,
                   text[0], text[1], text[2], text[3], (unsigned long long)count);
}

/* Who waits on whom from this actor on, until an actor waits on nobody or the chain comes back
 * to an actor already in it (a deadlock). */
/* The actor's longest stuck handler run (kept after it ended) and where it was; files from
 * before the tracer kept it: the stack of the handler running now. */
static void inspect_stuck(struct top_canvas *c, const struct as_rec_actor *a)
{
  const char *const *frames = a->has_stuck ? a->stuck_stack : a->handling_stack;
  size_t n = a->has_stuck ? a->n_stuck_stack : a->n_handling_stack;
  if (a->has_stuck) {
    char d1[SHOW_DURATION_MAX], how[256];
    show_duration(a->stuck_handler_ns, 0, d1, sizeof d1);
    top_canvas_add(c, TOP_STYLE_NORMAL, "stuck      %s handling %s%s, %s", d1, a->stuck_type,
                   a->stuck_running ? " (still running)" : "",
                   show_stack_source(a->stuck_source, a->stuck_complete, a->stuck_end,
                                     a->stuck_cpu_ns, a->stuck_cpu_window_ns, how, sizeof how));
  }
  for (size_t k = 0; k < n; k++)
    top_canvas_add(c, TOP_STYLE_NORMAL, "%s %s", k ? "          " : "stuck in  ", frames[k]);
}

static void inspect_wait_chain(struct top_canvas *c, const struct top_screen *s, long at)
{
  const struct as_rec_snapshot *snap = &s->model.snap->snapshot;
  const char *arrow = s->ascii ? "->" : "\u2192";
  char line[2048], d[32];
  size_t used = (size_t)snprintf(line, sizeof line, "wait chain #%lld %s",
                                 (long long)snap->actors[at].id, snap->actors[at].name);
  long visited[64];
  size_t n = 0;
  const char *end = "";
  while (at >= 0 && snap->actors[at].has_waiting && used < sizeof line) {
    visited[n++] = at;
    const struct as_rec_actor *a = &snap->actors[at];
    show_duration(a->waiting_elapsed_ns, 0, d, sizeof d);
    long next = top_snap_find(snap, a->waiting_target);
    used += (size_t)snprintf(line + used, sizeof line - used, " %s(%s %s) #%lld %s", arrow,
                             as_wait_kind_name(a->waiting_kind), d, (long long)a->waiting_target,
                             next >= 0 ? snap->actors[next].name : "(not listed)");
    at = next;
    for (size_t k = 0; k < n && at >= 0; k++)
      if (visited[k] == at) {
        end = " - a cycle: deadlock";
        at = -1;
      }
    if (n == sizeof visited / sizeof visited[0]) {
      end = " ...";
      break;
    }
  }
  if (n == 0) {
    top_canvas_add(c, TOP_STYLE_NORMAL, "wait chain none (waits on nobody)");
    return;
  }
  top_canvas_add(c, *end ? TOP_STYLE_BANNER : TOP_STYLE_WAITING, "%s%s", line, end);
}

static void inspect_history(struct top_canvas *c, const struct top_history *h)
{
  char line[1024];
  size_t used = (size_t)snprintf(line, sizeof line, "  mailbox  ");
  for (size_t i = 0; i < h->count && used < sizeof line; i++)
    used += (size_t)snprintf(line + used, sizeof line - used, " %u",
                             h->mailbox[(h->next + TOP_HISTORY - h->count + i) % TOP_HISTORY]);
  top_canvas_add(c, TOP_STYLE_NORMAL, "%s", line);
  used = (size_t)snprintf(line, sizeof line, "  msg/s    ");
  for (size_t i = 0; i < h->count && used < sizeof line; i++)
    used += (size_t)snprintf(line + used, sizeof line - used, " %.1f",
                             h->rate[(h->next + TOP_HISTORY - h->count + i) % TOP_HISTORY]);
  top_canvas_add(c, TOP_STYLE_NORMAL, "%s", line);
}

void top_inspect_render(struct top_canvas *c, const struct top_screen *s, int64_t id)
{
  const struct as_rec_snapshot *snap = s->model.snap ? &s->model.snap->snapshot : NULL;
  long at = snap ? top_snap_find(snap, id) : -1;
  if (at < 0) {
    top_canvas_add(c, TOP_STYLE_WARNING, "actor #%lld is not in this snapshot (reaped)",
                   (long long)id);
    return;
  }
  const struct as_rec_actor *a = &snap->actors[at];
  const struct top_actor_view *v = &s->model.views[at];
  const struct recording *run = s->run_started ? &s->run : NULL;
  char parent[96];
  char state[256], d1[32], d2[32], d3[32];
  top_state_text(state, sizeof state, a, v->state, s->ascii);
  top_canvas_add(c, TOP_STYLE_COLUMNS, "#%lld %s", (long long)a->id, a->name);
  if (a->full_name)
    top_canvas_add(c, TOP_STYLE_NORMAL, "full name  %s", a->full_name);
  top_canvas_add(c, TOP_STYLE_NORMAL, "runtime    %s%s", a->runtime,
                 a->internal ? " (runtime-internal actor)" : "");
  if (a->has_runtime_id)
    top_canvas_add(c, TOP_STYLE_NORMAL, "CAF id     %lld in actor system %lld",
                   (long long)a->runtime_id, (long long)a->runtime_scope);
  top_canvas_add(c, TOP_STYLE_NORMAL, "status     %s - %s", as_status_name(a->status), state);
  show_duration(a->spawned_at_ns, 0, d1, sizeof d1);
  int64_t age = snap->uptime_ns - a->spawned_at_ns;
  show_duration(age > 0 ? age : 0, 0, d2, sizeof d2);
  top_canvas_add(c, TOP_STYLE_NORMAL, "spawned    at %s of uptime, %s ago", d1, d2);
  if (a->has_stopped) {
    show_duration(a->stopped_at_ns, 0, d1, sizeof d1);
    top_canvas_add(c, TOP_STYLE_NORMAL, "stopped    at %s: %s", d1,
                   a->stop_reason ? a->stop_reason : "?");
  }
  if (a->has_handling) {
    show_duration(a->handling_elapsed_ns, 0, d1, sizeof d1);
    top_canvas_add(c, TOP_STYLE_NORMAL, "handling   %s for %s", a->handling_type, d1);
  } else {
    top_canvas_add(c, TOP_STYLE_NORMAL, "handling   nothing now");
  }
  show_duration(a->handler_total_ns, 0, d1, sizeof d1);
  show_duration(a->handler_max_ns, 0, d2, sizeof d2);
  show_duration(a->handled > 0 ? a->handler_total_ns / a->handled : 0, 0, d3, sizeof d3);
  if (a->handled > 0 || a->handler_max_ns > 0)
    top_canvas_add(c, TOP_STYLE_NORMAL,
                   "handlers   %lld done, %s in all, %s on average, %s longest",
                   (long long)a->handled, d1, d3, d2);
  else /* no time at all, not "0 ns" */
    top_canvas_add(c, TOP_STYLE_NORMAL, "handlers   none finished yet");
  inspect_percentiles(c, "", a->histogram, a->n_histogram, a->handler_max_ns, snap->tick_fs);
  inspect_stuck(c, a);
  inspect_wait_chain(c, s, at);
  if (a->n_sockets)
    top_canvas_add(c, TOP_STYLE_NORMAL, "waiting    %lld now on all its sockets, %lld at most",
                   (long long)a->queued_all, (long long)a->queued_all_max);
  top_canvas_add(c, TOP_STYLE_NORMAL, "%s %lld now, %lld at most, %lld enqueued (%s)",
                 a->n_sockets ? "pipe      " : "mailbox   ", (long long)a->mailbox_len,
                 (long long)a->mailbox_max, (long long)a->mailbox_enqueued,
                 a->mailbox_kind ? a->mailbox_kind : "?");
  inspect_percentiles(c, "  waited", a->wait_histogram, a->n_wait_histogram, 0, snap->tick_fs);
  top_canvas_add(c, TOP_STYLE_NORMAL, "outbox     %lld", (long long)a->outbox_len);
  top_canvas_add(c, TOP_STYLE_NORMAL,
                 "messages   %lld received (%.1f/s), %lld sent, %lld replies, %lld exceptions",
                 (long long)a->received_all, v->rate, (long long)a->sent_all, (long long)a->replies,
                 (long long)a->exceptions);
  if (a->n_sockets)
    top_canvas_add(c, TOP_STYLE_NORMAL, "  on its pipe %lld received, %lld sent to actors",
                   (long long)a->messages_received, (long long)a->messages_sent);
  if (a->has_refs)
    top_canvas_add(c, TOP_STYLE_NORMAL, "refs       %lld strong, %lld weak",
                   (long long)a->refs_strong, (long long)a->refs_weak);
  if (a->has_parent)
    top_canvas_add(c, TOP_STYLE_NORMAL, "parent     #%lld %s", (long long)a->parent,
                   top_peers_actor_name(snap, run, a->parent, parent, sizeof parent));
  else
    top_canvas_add(c, TOP_STYLE_NORMAL, "parent     none (spawned outside any actor)");
  inspect_ids(c, snap, run, "children", a->children, a->n_children);
  inspect_ids(c, snap, run, "links", a->links, a->n_links);
  inspect_ids(c, snap, run, "monitors", a->monitors, a->n_monitors);
  top_canvas_add(c, TOP_STYLE_NORMAL, "message types %zu", a->n_message_types);
  for (size_t i = 0; i < a->n_message_types; i++)
    top_canvas_add(c, TOP_STYLE_NORMAL, "  %10lld  %s", (long long)a->message_types[i].count,
                   a->message_types[i].name);
  top_inspect_peers(c, snap, run, a, s->view.internal);
  if (a->n_sockets) {
    top_canvas_add(c, TOP_STYLE_NORMAL, "sockets    %zu besides its pipe", a->n_sockets);
    for (size_t i = 0; i < a->n_sockets; i++) {
      const struct as_rec_socket *k = &a->sockets[i];
      char depth[48] = "";
      if (k->has_depth)
        snprintf(depth, sizeof depth, ", %lld queued (%lld at most)", (long long)k->depth,
                 (long long)(k->has_max ? k->max : k->depth));
      top_canvas_add(c, TOP_STYLE_NORMAL, "  %-10s %s: %lld received, %lld sent%s", k->kind,
                     k->endpoint ? k->endpoint : "(no endpoint)", (long long)k->received,
                     (long long)k->sent, depth);
    }
  }
  if (a->has_spawn_site && a->spawn_site < (int64_t)snap->n_spawn_sites) {
    const struct as_rec_site *site = &snap->spawn_sites[a->spawn_site];
    top_canvas_add(c, TOP_STYLE_NORMAL, "spawn stack (innermost first)");
    for (size_t i = 0; i < site->n_frames; i++)
      top_canvas_add(c, TOP_STYLE_NORMAL, "  %s", site->frames[i]);
  } else {
    top_canvas_add(c, TOP_STYLE_NORMAL, "spawn stack not recorded");
  }
  top_canvas_add(c, TOP_STYLE_NORMAL, "history, oldest first (one point a snapshot)");
  inspect_history(c, &v->history);
}
