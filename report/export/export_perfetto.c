/* The Perfetto / Chrome trace writer (export_perfetto.h). */
#include "export_perfetto.h"
#include "export_events.h"
#include "actor_model.h"
#include "show.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "actor_table.h"
#include "destination.h"
#include "escape.h"
#include "intern.h"

#include <sys/stat.h>

struct pf_actor {
  int64_t id;
  uint64_t name_hash;    /* of the name its track shows */
  int64_t mailbox_shown; /* depth last written to its counter track */
  int stop_shown;
  int in_handler;                            /* a "B" is written and its "E" is not */
  int64_t handler_handled, handler_received; /* the actor's counters when it was first seen */
  int64_t handler_seen_ns;                   /* the last capture that saw it running */
  int64_t handler_elapsed_ns;
  char *stuck_args; /* the open handler's stack, as args of its "E" (malloc'd JSON members) */
};

struct pf_writer {
  FILE *out;
  int events;      /* events written so far: commas */
  int with_events; /* runs whose events file was read */
  /* The run being written has an events file: its exact handler slices replace the sampled. */
  char events_path[4096];
  int include_internal;         /* runtime-internal actors' tracks too (--internal) */
  unsigned event_flags;         /* EXPORT_EVENTS_* */
  uint64_t flow_id;             /* the last flow id used: unique in the whole trace */
  struct actor_model_view view; /* the snapshot as read through the model (actor_model.h) */
  /* The run being written. */
  int64_t pid;
  int64_t offset_ns;  /* its start after the earliest run's start */
  int64_t capture_ns; /* the snapshot being written: uptime */
  struct actor_table actors;
  /* Its previous snapshot: for rates and for cycles that are new. */
  int have_previous;
  int64_t previous_ns, previous_received;
  double last_rate;
  char **cycles;
  size_t n_cycles;
  struct export_events_names names; /* every actor's name, for the events' args */
};

static void pf_ts(struct pf_writer *w, int64_t uptime_ns)
{
  int64_t ns = as_sat_add(w->offset_ns, uptime_ns);
  fprintf(w->out, ",\"ts\":%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
}

/* Opens an event object; the caller adds members and calls pf_close. TID < 0: none. */
static void pf_open(struct pf_writer *w, const char *ph, int64_t tid)
{
  fputs(w->events++ ? ",\n" : "\n", w->out);
  fprintf(w->out, "{\"ph\":\"%s\",\"pid\":%" PRId64, ph, w->pid);
  if (tid >= 0)
    fprintf(w->out, ",\"tid\":%" PRId64, tid);
}

static void pf_name(struct pf_writer *w, const char *name)
{
  fputs(",\"name\":", w->out);
  escape_json_string(w->out, name);
}

/* "PREFIX#ID NAME" as a JSON string. */
static void pf_actor_label(FILE *out, const char *prefix, int64_t id, const char *name)
{
  fprintf(out, "\"%s#%" PRId64 " ", prefix, id);
  escape_json_chars(out, name);
  fputc('"', out);
}

static void pf_close(struct pf_writer *w) { fputc('}', w->out); }

/* The name and sort order of a track: "process" (TID < 0) or "thread" metadata. The name's
 * JSON string is written by the caller between the two calls. */
static void pf_meta_name(struct pf_writer *w, int64_t tid)
{
  pf_open(w, "M", tid);
  pf_name(w, tid < 0 ? "process_name" : "thread_name");
  fputs(",\"args\":{\"name\":", w->out);
}

static void pf_meta_sort(struct pf_writer *w, int64_t tid, int64_t index)
{
  fputs("}", w->out);
  pf_close(w);
  pf_open(w, "M", tid);
  pf_name(w, tid < 0 ? "process_sort_index" : "thread_sort_index");
  fprintf(w->out, ",\"args\":{\"sort_index\":%" PRId64 "}", index);
  pf_close(w);
}

static void pf_process_meta(struct pf_writer *w, const struct as_rec_header *h)
{
  pf_meta_name(w, -1);
  escape_json_string(w->out, *h->name ? h->name : "traced process");
  pf_meta_sort(w, -1, w->pid);
}

static void pf_actor_meta(struct pf_writer *w, const struct as_rec_actor *a)
{
  pf_meta_name(w, a->id);
  pf_actor_label(w->out, "", a->id, a->name);
  pf_meta_sort(w, a->id, a->id);
}

/* An actor running before `actorscope attach` was not spawned when the tracer found it: its
 * instant says so, as report's "[running before attach: counted since]" does (it read "spawn"
 * at the attach). */
static void pf_spawn(struct pf_writer *w, const struct as_rec_actor *a)
{
  pf_open(w, "i", a->id);
  pf_name(w, a->attached_late ? "found running at attach" : "spawn");
  pf_ts(w, a->spawned_at_ns);
  fprintf(w->out, ",\"s\":\"t\",\"cat\":\"lifecycle\",\"args\":{%s\"name\":",
          a->attached_late ? "\"attached_late\":true," : "");
  escape_json_string(w->out, a->name);
  fputs(",\"runtime\":", w->out);
  escape_json_string(w->out, a->runtime);
  if (a->has_parent)
    fprintf(w->out, ",\"parent\":%" PRId64, a->parent);
  if (a->has_runtime_id)
    fprintf(w->out, ",\"runtime_id\":%" PRId64 ",\"runtime_scope\":%" PRId64, a->runtime_id,
            a->runtime_scope);
  fputs("}", w->out);
  pf_close(w);
}

static void pf_stop(struct pf_writer *w, const struct as_rec_actor *a)
{
  pf_open(w, "i", a->id);
  pf_name(w, "stop");
  pf_ts(w, a->stopped_at_ns);
  fputs(",\"s\":\"t\",\"cat\":\"lifecycle\",\"args\":{\"reason\":", w->out);
  escape_json_string(w->out, a->stop_reason ? a->stop_reason : "");
  fprintf(w->out,
          ",\"messages_received\":%" PRId64 ",\"handled\":%" PRId64 ",\"exceptions\":%" PRId64
          ",\"handler_total_ns\":%" PRId64 ",\"handler_max_ns\":%" PRId64
          ",\"mailbox_max\":%" PRId64 "}",
          a->received_all, a->handled, a->exceptions, a->handler_total_ns, a->handler_max_ns,
          a->queued_all_max);
  pf_close(w);
}

static void pf_handler_end(struct pf_writer *w, struct pf_actor *s, int still_running)
{
  pf_open(w, "E", s->id);
  pf_ts(w, s->handler_seen_ns);
  fprintf(w->out, ",\"args\":{\"elapsed_ns_at_last_capture\":%" PRId64 ",\"end\":\"%s\"%s}",
          s->handler_elapsed_ns,
          still_running ? "still running at the last capture"
                        : "sampled: the last capture that saw it running",
          s->stuck_args ? s->stuck_args : "");
  pf_close(w);
  s->in_handler = 0;
  free(s->stuck_args);
  s->stuck_args = NULL;
}

/* The handler open now got stuck and its stack was read: kept for the slice's args ("E" args
 * join the "B" ones). */
static void pf_handler_stuck(struct pf_actor *s, const struct as_rec_actor *a)
{
  if (!s->in_handler || !a->has_stuck || !a->has_handling || !a->has_handling_since ||
      a->stuck_since_ns != a->handling_since_ns)
    return;
  char *text = NULL, line[512];
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return;
  fputs(",\"stuck_in\":", f);
  escape_json_string(f, show_stack_line(a->stuck_stack, a->n_stuck_stack, line, sizeof line));
  if (a->stuck_source) {
    fputs(",\"stack_source\":", f);
    escape_json_string(f, a->stuck_source);
  }
  fprintf(f, ",\"stack_complete\":%s,\"on_cpu\":%s,\"cpu_ns\":%" PRId64 ",\"stack\":[",
          a->stuck_complete ? "true" : "false", a->stuck_on_cpu ? "true" : "false",
          a->stuck_cpu_ns);
  for (size_t k = 0; k < a->n_stuck_stack; k++) {
    if (k)
      fputc(',', f);
    escape_json_string(f, a->stuck_stack[k]);
  }
  fputc(']', f);
  if (fclose(f) != 0) {
    free(text);
    return;
  }
  free(s->stuck_args);
  s->stuck_args = text;
}

static void pf_handler_begin(struct pf_writer *w, struct pf_actor *s, const struct as_rec_actor *a)
{
  /* Version 2 says when the handler began; version 1 gives its age at the capture. */
  int64_t start = a->has_handling_since                    ? a->handling_since_ns
                  : a->handling_elapsed_ns > w->capture_ns ? 0
                                                           : w->capture_ns - a->handling_elapsed_ns;
  const char *type = a->handling_type ? a->handling_type : "";
  pf_open(w, "B", a->id);
  pf_name(w, *type ? type : "handler");
  pf_ts(w, start);
  fputs(",\"cat\":\"handler\",\"args\":{\"type\":", w->out);
  escape_json_string(w->out, type);
  fputs(",\"start\":\"exact\"}", w->out);
  pf_close(w);
  s->in_handler = 1;
  s->handler_handled = a->handled;
  s->handler_received = a->received_all;
}

static void pf_mailbox(struct pf_writer *w, const struct as_rec_actor *a)
{
  pf_open(w, "C", -1);
  fputs(",\"name\":", w->out);
  pf_actor_label(w->out, "mailbox ", a->id, a->name);
  pf_ts(w, w->capture_ns);
  fprintf(w->out, ",\"args\":{\"depth\":%" PRId64 "}", a->queued_all);
  pf_close(w);
}

static int pf_actor_seen(void *state, const struct as_rec_actor *a, int is_new, void *ctx)
{
  struct pf_writer *w = ctx;
  struct pf_actor *s = state;
  /* A runtime may name an actor only after a while: the track is renamed. */
  uint64_t name_hash = intern_fnv1a(INTERN_HASH_SEED, a->name);
  if (is_new || name_hash != s->name_hash) {
    pf_actor_meta(w, a);
    if (export_events_name(&w->names, a->id, a->name) < 0)
      return -ENOMEM;
  }
  s->name_hash = name_hash;
  if (is_new)
    pf_spawn(w, a);
  /* The same handler as before while the actor has neither finished it nor taken another
   * message (both counters move when a handler ends or begins). */
  int same = s->in_handler && a->has_handling && a->handled == s->handler_handled &&
             a->received_all == s->handler_received;
  if (w->events_path[0])
    same = 1, s->in_handler = 0; /* exact slices come from the events file */
  if (s->in_handler && !same)
    pf_handler_end(w, s, 0);
  if (a->has_handling && !same)
    pf_handler_begin(w, s, a);
  pf_handler_stuck(s, a);
  if (a->has_handling) {
    s->handler_seen_ns = w->capture_ns;
    s->handler_elapsed_ns = a->handling_elapsed_ns;
  }
  if (a->queued_all != s->mailbox_shown) {
    pf_mailbox(w, a);
    s->mailbox_shown = a->queued_all;
  }
  if (a->has_stopped && !s->stop_shown) {
    pf_stop(w, a);
    s->stop_shown = 1;
  }
  return ferror(w->out) ? -EIO : 0;
}

/* Reaped, or the end of the run: a handler still open ends at its last sighting. */
static int pf_actor_gone(void *state, void *ctx)
{
  struct pf_actor *s = state;
  if (s->in_handler)
    pf_handler_end(ctx, s, 0);
  return 0;
}

static int pf_actor_at_end(void *state, void *ctx)
{
  struct pf_actor *s = state;
  if (s->in_handler)
    pf_handler_end(ctx, s, 1);
  return 0;
}

static int pf_cycle_known(const struct pf_writer *w, const char *text)
{
  for (size_t i = 0; i < w->n_cycles; i++)
    if (strcmp(w->cycles[i], text) == 0)
      return 1;
  return 0;
}

static void pf_free_cycles(char **cycles, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(cycles[i]);
  free(cycles);
}

static int pf_deadlocks(struct pf_writer *w, const struct as_rec_snapshot *snap)
{
  char **now = calloc(snap->n_deadlocks + 1, sizeof *now);
  if (!now)
    return -ENOMEM;
  for (size_t i = 0; i < snap->n_deadlocks; i++) {
    const struct as_rec_cycle *c = &snap->deadlocks[i];
    now[i] = escape_cycle_text(c, " -> ");
    if (!now[i]) {
      pf_free_cycles(now, i);
      return -ENOMEM;
    }
    if (pf_cycle_known(w, now[i]))
      continue;
    pf_open(w, "i", -1);
    pf_name(w, "deadlock");
    pf_ts(w, w->capture_ns);
    fputs(",\"s\":\"p\",\"cat\":\"deadlock\",\"args\":{\"cycle\":", w->out);
    escape_json_string(w->out, now[i]);
    fputs(",\"actors\":[", w->out);
    for (size_t k = 0; k < c->n_actors; k++)
      fprintf(w->out, "%s%" PRId64, k ? "," : "", c->actors[k]);
    fputs("]}", w->out);
    pf_close(w);
    for (size_t k = 0; k < c->n_actors; k++) {
      pf_open(w, "i", c->actors[k]);
      pf_name(w, "deadlock");
      pf_ts(w, w->capture_ns);
      fputs(",\"s\":\"t\",\"cat\":\"deadlock\",\"args\":{\"cycle\":", w->out);
      escape_json_string(w->out, now[i]);
      fputs("}", w->out);
      pf_close(w);
    }
  }
  pf_free_cycles(w->cycles, w->n_cycles);
  w->cycles = now;
  w->n_cycles = snap->n_deadlocks;
  return 0;
}

static void pf_counter(struct pf_writer *w, const char *name, const char *key, int64_t at_ns,
                       double value)
{
  pf_open(w, "C", -1);
  pf_name(w, name);
  pf_ts(w, at_ns);
  fprintf(w->out, ",\"args\":{\"%s\":%.10g}", key, value);
  pf_close(w);
}

static int pf_snapshot(struct pf_writer *w, const struct as_rec_snapshot *snap)
{
  w->capture_ns = snap->uptime_ns;
  int rc = actor_table_update(&w->actors, snap, pf_actor_seen, pf_actor_gone, w);
  if (rc < 0)
    return rc;
  pf_counter(w, "actors", "alive", w->capture_ns, (double)snap->alive);
  /* messages/s over [previous capture, this one], shown from the previous capture on. */
  if (w->have_previous && snap->uptime_ns > w->previous_ns) {
    int64_t delta = snap->received_all - w->previous_received;
    double seconds = (double)(snap->uptime_ns - w->previous_ns) / 1e9;
    w->last_rate = delta > 0 ? (double)delta / seconds : 0;
    pf_counter(w, "messages", "received/s", w->previous_ns, w->last_rate);
  }
  w->have_previous = 1;
  w->previous_ns = snap->uptime_ns;
  w->previous_received = snap->received_all;
  rc = pf_deadlocks(w, snap);
  if (rc < 0)
    return rc;
  return ferror(w->out) ? -EIO : 0;
}

/* The run's exact timeline, when it was recorded with events (export_events.h). */
static int pf_events(struct pf_writer *w, struct as_reader *run, struct as_reader_error *err)
{
  struct export_events_counts counts;
  (void)run;
  if (!w->events_path[0])
    return 0;
  w->names.hidden = &w->view; /* every runtime-internal actor the snapshots left out */
  int rc = export_events_write(w->out, w->events_path, w->pid, w->offset_ns, &w->names,
                               w->event_flags, &w->flow_id, &counts, err);
  w->with_events += rc == 0;
  /* The trace marks where on its thread's track; the reader of the command is told once. */
  if (rc == 0 && counts.lost)
    fprintf(stderr,
            "actorscope export: %s: the tracer lost %llu event records at full rings (marked "
            "\"events lost\" in the trace): slices and flows are missing there\n",
            w->events_path, (unsigned long long)counts.lost);
  return rc;
}

/* A rotated recording keeps its older events beside (NAME.1.events ...): only the newest file
 * is drawn, and the one who counts the slices against report's messages is told why they are
 * fewer. */
static void pf_say_older_events(const char *events_path)
{
  char older[4096];
  struct stat st;
  if (!events_path[0] || as_dest_rotated_name(events_path, 1, older, sizeof older) < 0 ||
      stat(older, &st) != 0)
    return;
  fprintf(stderr,
          "actorscope export: %s is the newest of a rotated set: its events are drawn, the "
          "older ones (%s ...) are not; handlers and sends before it are missing\n",
          events_path, older);
}

static int pf_run(struct pf_writer *w, struct as_reader *run, struct as_reader_error *err)
{
  const struct as_rec_snapshot *snap;
  int rc;
  actor_table_init(&w->actors, sizeof(struct pf_actor));
  actor_model_view_free(&w->view); /* the hidden actors another run's totals held */
  if (export_events_path(as_reader_source(run), w->events_path, sizeof w->events_path) < 0)
    w->events_path[0] = '\0';
  /* A NAME.events another run left beside this one's snapshots is not this run's timeline. */
  char why[160];
  if (w->events_path[0] &&
      !export_events_of_run(w->events_path, as_reader_header(run), why, sizeof why)) {
    fprintf(stderr,
            "actorscope export: %s is another run's (%s): its events are left out, handlers "
            "are sampled from the snapshots\n",
            w->events_path, why);
    w->events_path[0] = '\0';
  }
  pf_say_older_events(w->events_path);
  w->have_previous = 0;
  w->last_rate = 0;
  pf_process_meta(w, as_reader_header(run));
  while ((rc = as_reader_next(run, &snap, err)) > 0) {
    struct as_rec_snapshot visible;
    const struct as_rec_snapshot *shown =
        actor_model_snapshot(snap, w->include_internal, &w->view, &visible);
    rc = shown ? pf_snapshot(w, shown) : -ENOMEM;
    if (rc < 0)
      break;
  }
  if (rc == 0) {
    /* The rate of the last interval holds until the last capture. */
    if (w->have_previous)
      pf_counter(w, "messages", "received/s", w->previous_ns, w->last_rate);
    actor_table_each(&w->actors, pf_actor_at_end, w);
    rc = pf_events(w, run, err);
  } else if (rc != err->code) {
    err->code = rc;
    snprintf(err->text, sizeof err->text, "%s: %s", as_reader_source(run),
             rc == -ENOMEM ? "out of memory" : "writing the trace failed");
  }
  actor_table_free(&w->actors);
  export_events_names_free(&w->names);
  pf_free_cycles(w->cycles, w->n_cycles);
  w->cycles = NULL;
  w->n_cycles = 0;
  return rc < 0 ? rc : 0;
}

int export_perfetto_write(FILE *out, struct as_reader *const *runs, size_t n_runs,
                          int include_internal, int flows_v1, struct as_reader_error *err)
{
  unsigned event_flags = flows_v1 ? EXPORT_EVENTS_FLOWS_V1 : 0;
  struct pf_writer w = {
      .out = out, .include_internal = include_internal, .event_flags = event_flags};
  int64_t t0 = INT64_MAX;
  for (size_t i = 0; i < n_runs; i++)
    if (as_reader_header(runs[i])->started_at_ns < t0)
      t0 = as_reader_header(runs[i])->started_at_ns;
  fputs("{\"traceEvents\":[", out);
  for (size_t i = 0; i < n_runs; i++) {
    const struct as_rec_header *h = as_reader_header(runs[i]);
    w.pid = h->pid;
    w.offset_ns = h->started_at_ns - t0;
    int rc = pf_run(&w, runs[i], err);
    if (rc < 0) {
      actor_model_view_free(&w.view);
      return rc;
    }
  }
  actor_model_view_free(&w.view);
  fputs("\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"actorscope export perfetto\","
        "\"timing\":\"ts in microseconds from the earliest run's start. Exact: spawn and stop "
        "instants, handler starts. Sampled at each snapshot: handler ends (the last capture that "
        "saw the handler running), counters, deadlocks (first capture that found them).\"",
        out);
  if (w.with_events)
    fprintf(out,
            ",\"events\":\"recorded with events: handler slices of category '%s' named by "
            "message type are exact (begin and end), sends and flows (%s) link each message to "
            "the handler that took it\"",
            event_flags & EXPORT_EVENTS_FLOWS_V1 ? EXPORT_EVENTS_V1_CATEGORY : "handler",
            event_flags & EXPORT_EVENTS_FLOWS_V1 ? "flow events v1" : "flow events v2");
  fputs("}}\n", out);
  if (ferror(out)) {
    err->code = -EIO;
    snprintf(err->text, sizeof err->text, "writing the trace failed");
    return -EIO;
  }
  return 0;
}
