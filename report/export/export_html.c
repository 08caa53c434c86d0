/* The HTML page (export_html.h). */
#define _GNU_SOURCE
#include "export_html.h"
#include "actor_model.h"
#include "histogram.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "export_html_model.h"
#include "export_html_pairs.h"
#include "export_html_tree.h"
#include "export_svg.h"
#include "show.h"

#define HTML_SLOWEST 10
/* Bytes of an actor's name on a chart's axis or legend: what fits beside its id. */
#define HTML_LABEL_NAME_MAX 31

static const char html_style[] =
    ":root{--fg:#1d2733;--muted:#5b6b7c;--line:#d9e0e8;--bg:#f5f7fa;--card:#fff;--accent:#2f6db5;"
    "--bad:#c8423b;--badbg:#fdeceb;--ok:#2e9e6a;--warn:#c98a1a}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "main{max-width:1540px;margin:0 auto;padding:24px 28px 40px}"
    "header h1{margin:0;font-size:26px;font-weight:650}header h1 .pid{color:var(--muted);"
    "font-weight:400;font-size:18px;margin-left:8px}"
    ".cmd{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--muted);"
    "margin:6px 0 2px;word-break:break-all}.meta{color:var(--muted);margin:0 0 18px}"
    "h2{font-size:18px;margin:28px 0 12px;font-weight:650}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:12px}"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px "
    "14px}"
    ".card .v{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}"
    ".card .k{color:var(--muted);font-size:13px}"
    ".card.bad{border-color:var(--bad);background:var(--badbg)}.card.bad .v{color:var(--bad)}"
    ".deadlocks{border:2px solid var(--bad);background:var(--badbg);border-radius:10px;"
    "padding:10px 16px;margin-top:16px}.deadlocks h2{color:var(--bad);margin:4px 0 8px}"
    ".deadlocks li{margin:4px 0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:14px}"
    ".plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:14px;margin-"
    "top:16px}"
    ".plot{margin:0;background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:6px 8px}.plot svg{width:100%;height:auto;display:block}"
    ".plot-title{font-size:15px;font-weight:650;fill:var(--fg)}.tick{font-size:11.5px;"
    "fill:var(--muted)}.unit{font-size:12px;fill:var(--muted)}.legend{font-size:12.5px;"
    "fill:var(--fg)}.grid{stroke:#e8edf2}.axis{stroke:#9aa7b5}.empty{fill:var(--muted);"
    "font-size:14px}.bar-label{font-size:12.5px;fill:var(--fg)}.bar-value{font-size:12px;"
    "fill:var(--muted)}.note{color:var(--muted);font-size:13px}"
    ".tools button{font:inherit;font-size:13px;padding:3px 10px;margin-right:6px;border:1px solid "
    "var(--line);background:var(--card);border-radius:6px;cursor:pointer}"
    ".tree,.tree ul{list-style:none;margin:0;padding-left:22px}.tree{padding:8px 12px;"
    "background:var(--card);border:1px solid var(--line);border-radius:10px}"
    ".tree li{margin:2px 0}.tree summary,.tree .leaf{padding:2px 4px;border-radius:5px}"
    ".tree .leaf{padding-left:20px}.tree summary{cursor:pointer}"
    ".tree li.dl>details>summary,.tree li.dl>.leaf{background:var(--badbg);outline:1px solid "
    "var(--bad)}"
    ".id{color:var(--muted);font-variant-numeric:tabular-nums}.nm{font-weight:600}"
    ".st{display:inline-block;font-size:11.5px;padding:0 7px;border-radius:9px;margin-left:6px;"
    "color:#fff;vertical-align:1px}.st-running{background:var(--ok)}.st-starting{background:var(--"
    "accent)}"
    ".st-stopping{background:var(--warn)}.st-stopped{background:#8593a3}.st-dl{background:var(--"
    "bad)}"
    ".facts{color:var(--muted);font-size:13px;margin-left:8px}.rt{font-size:11.5px;color:var(--"
    "muted);"
    "border:1px solid var(--line);border-radius:4px;padding:0 4px;margin-left:6px}"
    /* The tables of names and of pairs look alike. */
    "table.names,table.pairs{border-collapse:collapse;width:100%;background:var(--card);"
    "border:1px solid var(--line);border-radius:10px;overflow:hidden;font-size:14px}"
    ":is(.names,.pairs) :is(th,td){padding:5px 8px;text-align:right;border-bottom:1px solid "
    "#edf1f5;font-variant-numeric:tabular-nums}"
    ":is(.names,.pairs) th{background:#eef2f6;font-weight:600;color:var(--muted)}"
    ".names :is(td,th):first-child,.pairs :is(td,th):not(.num){text-align:left}"
    ".names tr.dl td{background:var(--badbg)}.names td.bad{color:var(--bad);font-weight:600}"
    /* Names without spaces (company::product_line::...) break anywhere rather than widen the
     * page past the window: every column stays in view. */
    ":is(.names,.pairs) td,.tree .nm{overflow-wrap:anywhere}.names td:first-child{min-width:14em}"
    "footer{color:var(--muted);font-size:12.5px;margin-top:26px}";

static const char html_script[] = "function setAll(o){document.querySelectorAll('#tree "
                                  "details').forEach(function(d){d.open=o;});}";

/* ---- summary ------------------------------------------------------------------------------- */

/* What no handler ran has: no time at all, not "0 ns". */
static void html_none(FILE *out, int64_t unused)
{
  (void)unused;
  fputs("\xe2\x80\x94", out);
}

static void html_card(FILE *out, const char *key, int bad, void (*fmt)(FILE *, int64_t),
                      int64_t value, const char *suffix)
{
  fprintf(out, "<div class=\"card%s\"><div class=\"v\">", bad ? " bad" : "");
  fmt(out, value);
  if (suffix)
    export_svg_text(out, suffix);
  fputs("</div><div class=\"k\">", out);
  export_svg_text(out, key);
  fputs("</div></div>", out);
}

/* Messages per second up to snapshot I (>= 1): over the span since the snapshot before, or,
 * when that span is less than half the one before it (the final snapshot, written at exit a
 * moment after the last periodic one), since the snapshot before that: a short last span never
 * makes a peak. Returns 0, or -1 when there is no span. */
static int html_rate_at(const struct html_model *m, size_t i, double *rate)
{
  const struct html_point *p = m->points;
  size_t from = i - 1;
  if (i >= 2 && (p[i].t - p[i - 1].t) * 2 < p[i - 1].t - p[i - 2].t)
    from = i - 2;
  double dt = p[i].t - p[from].t;
  if (!(dt > 0))
    return -1;
  *rate = (double)(p[i].received - p[from].received) / dt;
  return 0;
}

static double html_peak_rate(const struct html_model *m)
{
  double peak = 0, r;
  for (size_t i = 1; i < m->n_points; i++)
    if (html_rate_at(m, i, &r) == 0 && r > peak)
      peak = r;
  return peak;
}

static void html_summary(FILE *out, const struct html_model *m)
{
  int64_t exceptions = 0, longest = 0, deepest = 0, messages = 0;
  int ran = 0;
  for (size_t i = 0; i < m->n_actors; i++) {
    ran |= html_actor_ran(&m->actors[i]);
    exceptions = as_sat_add(exceptions, m->actors[i].exceptions);
    if (html_actor_longest_ns(&m->actors[i]) > longest)
      longest = html_actor_longest_ns(&m->actors[i]);
    if (m->actors[i].mailbox_max > deepest)
      deepest = m->actors[i].mailbox_max;
  }
  if (m->n_points)
    messages = m->counts.messages;
  fputs("<section id=\"summary\" class=\"cards\">", out);
  /* The counts report and top print: the model's, over the actors the page lists. */
  html_card(out, "actors spawned", 0, escape_html_count, m->counts.spawned, NULL);
  html_card(out, "most alive at once", 0, escape_html_count, m->counts.max_alive, NULL);
  int exited = recording_end_exited(m->run.end);
  html_card(out, exited ? "alive at exit" : "alive at the last snapshot",
            exited && m->counts.alive > 0, escape_html_count, m->counts.alive, NULL);
  html_card(out, "messages received", 0, escape_html_count, messages, NULL);
  html_card(out, "peak messages/s", 0, escape_html_count, (int64_t)(html_peak_rate(m) + 0.5), NULL);
  html_card(out, "deadlock cycles", m->n_cycles > 0, escape_html_count, (int64_t)m->n_cycles, NULL);
  html_card(out, "exceptions", exceptions > 0, escape_html_count, exceptions, NULL);
  html_card(out, "longest handler", 0, ran ? escape_html_duration : html_none, longest, NULL);
  html_card(out, "deepest mailbox", 0, escape_html_count, deepest, NULL);
  fputs("</section>\n", out);
  if (m->counts.hidden) {
    fputs("<p class=\"note\" id=\"internal-note\">", out);
    escape_html_count(out, (int64_t)m->counts.hidden);
    fputs(" runtime-internal actors (CAF's spawn server, middleman ...) are left out of every "
          "number and table here, as in actorscope report; --internal includes them.</p>\n",
          out);
  }
  /* What the tracer said about itself, as report says it under its header. */
  const struct recording *run = &m->run;
  for (size_t k = 0; k < run->n_diagnostics; k++) {
    fputs("<p class=\"note tracer-said\">the tracer said: <b>", out);
    export_svg_text(out, strtab_text(&run->strings, run->diagnostics[2 * k]));
    fputs("</b>: ", out);
    export_svg_text(out, strtab_text(&run->strings, run->diagnostics[2 * k + 1]));
    fputs("</p>\n", out);
  }
}

static void html_deadlocks(FILE *out, const struct html_model *m)
{
  if (!m->n_cycles)
    return;
  fputs("<section id=\"deadlocks\" class=\"deadlocks\"><h2>Deadlocks</h2><ul>", out);
  for (size_t i = 0; i < m->n_cycles; i++) {
    fputs("<li>", out);
    export_svg_text(out, m->cycles[i].text);
    fprintf(out, " <span class=\"note\">first seen at %.3f s, last at %.3f s</span></li>",
            m->cycles[i].first_s, m->cycles[i].last_s);
  }
  fputs("</ul></section>\n", out);
}

/* ---- plots --------------------------------------------------------------------------------- */

/* Under the slowest handlers: where those of them that got stuck were. The bars' labels are
 * the actors' whole ones (their tooltips, set just before), in the chart's order. */
static void html_stuck_list(FILE *out, const struct export_svg_bar *bars,
                            const struct html_actor *const *actors, size_t nb)
{
  int open = 0;
  for (size_t k = 0; k < nb; k++) {
    const struct html_actor *a = actors[k];
    if (!a || !a->stuck_in || !*a->stuck_in)
      continue;
    if (!open++)
      fputs("<ul class=\"stuck\">\n", out);
    fputs("<li>", out);
    escape_html_text(out, bars[k].tip); /* as shown on the chart */
    fputs(": ", out);
    escape_html_duration(out, a->stuck_ns);
    fputs(" stuck in <code>", out);
    export_svg_text(out, a->stuck_in);
    fputs("</code> (", out);
    export_svg_text(out, a->stuck_how);
    fputs(")</li>\n", out);
  }
  if (open)
    fputs("</ul>\n", out);
}

static int html_plots(FILE *out, const struct html_model *m)
{
  size_t n = m->n_points;
  double *t = calloc(n + 1, sizeof *t), *alive = calloc(n + 1, sizeof *alive);
  double *rt = calloc(n + 1, sizeof *rt), *rate = calloc(n + 1, sizeof *rate);
  struct export_svg_bar *bars = calloc(HTML_SLOWEST, sizeof *bars);
  char *labels = calloc(HTML_SLOWEST + HTML_DEEPEST, 600), *labels_full = calloc(HTML_SLOWEST, 600);
  if (!t || !alive || !rt || !rate || !bars || !labels || !labels_full) {
    free(t), free(alive), free(rt), free(rate), free(bars), free(labels), free(labels_full);
    return -ENOMEM;
  }
  size_t nr = 0;
  for (size_t i = 0; i < n; i++) {
    t[i] = m->points[i].t;
    alive[i] = (double)m->points[i].alive;
    if (i && html_rate_at(m, i, &rate[nr]) == 0)
      rt[nr++] = m->points[i].t;
  }
  fputs("<section id=\"plots\" class=\"plots\">", out);
  /* Every chart over time spans the whole traced time. */
  double end = n ? m->points[n - 1].t : 1;
  /* The samples are what each snapshot saw; the exact most-alive count (from spawn and stop
   * instants) is marked where it happened. */
  double most_at = (double)m->counts.max_alive_at_ns / 1e9;
  int64_t most = m->counts.max_alive;
  struct export_svg_series s_alive = {"alive actors", t, alive, n, most > 0, most_at, (double)most};
  export_svg_line_chart(out, "alive", "Alive actors (sampled; \xe2\x97\x86 exact most at once)",
                        "since tracing started", "actors", &s_alive, 1, 0, end);
  struct export_svg_series s_rate = {"messages/s", rt, rate, nr, 0, 0, 0};
  export_svg_line_chart(out, "rate", "Messages received per second (average between snapshots)",
                        "since tracing started", "messages/s", &s_rate, 1, 0, end);

  struct export_svg_series deep[HTML_DEEPEST];
  size_t n_deep = m->deep_unavailable ? 0 : m->n_deep;
  for (size_t k = 0; k < n_deep; k++) {
    const struct html_actor *a = html_model_actor(m, m->deep_ids[k]);
    char *label = labels + k * 600;
    char name[HTML_LABEL_NAME_MAX + 4];
    export_svg_cut(a->name, HTML_LABEL_NAME_MAX, name, sizeof name);
    snprintf(label, 600, "#%" PRId64 " %s (max %" PRId64 ")", a->id, name, a->mailbox_max);
    deep[k] =
        (struct export_svg_series){label, m->deep_t,        m->deep_depth[k],      m->n_deep_points,
                                   1,     a->mailbox_max_s, (double)a->mailbox_max};
  }
  export_svg_line_chart(out, "mailbox",
                        "Deepest mailboxes (sampled; \xe2\x97\x86 exact maximum, reached by then)",
                        "since tracing started", "messages waiting", deep, n_deep, 0, end);

  /* The slowest handlers: finished, or still running when a snapshot saw them. */
  size_t nb = 0;
  for (size_t i = 0; i < m->n_actors; i++) {
    const struct html_actor *a = &m->actors[i];
    int64_t v = html_actor_longest_ns(a);
    if (v <= 0)
      continue;
    size_t k = nb < HTML_SLOWEST ? nb++ : HTML_SLOWEST;
    if (k == HTML_SLOWEST) {
      if (bars[k - 1].value >= (double)v)
        continue;
      k--;
    }
    while (k > 0 && bars[k - 1].value < (double)v) {
      bars[k] = bars[k - 1];
      k--;
    }
    bars[k] =
        (struct export_svg_bar){NULL, (double)v, a->running_max_ns > a->handler_max_ns, NULL, NULL};
    bars[k].label = (const char *)a; /* resolved below */
  }
  const struct html_actor *bar_actors[HTML_SLOWEST];
  for (size_t k = 0; k < nb; k++) {
    const struct html_actor *a = (const struct html_actor *)bars[k].label;
    bar_actors[k] = a;
    /* The axis shows the id and the name cut in its middle; the tooltip and the list of stuck
     * handlers the whole name and, for one still running, its message type. */
    char *label = labels + (HTML_DEEPEST + k) * 600, *full = labels_full + k * 600;
    char name[HTML_LABEL_NAME_MAX + 4];
    export_svg_cut(a->name, HTML_LABEL_NAME_MAX, name, sizeof name);
    snprintf(label, 600, "#%" PRId64 " %s", a->id, name);
    char whole[400], type[150];
    export_svg_readable(a->name, whole, sizeof whole);
    if (bars[k].highlight && a->slow_type && *a->slow_type)
      snprintf(full, 600, "#%" PRId64 " %s (%s)", a->id, whole,
               export_svg_readable(a->slow_type, type, sizeof type));
    else
      snprintf(full, 600, "#%" PRId64 " %s", a->id, whole);
    bars[k].label = label;
    bars[k].tip = full;
  }
  /* The axis in the unit that suits the slowest; each bar's value in its own. */
  struct show_unit unit = show_duration_unit(nb ? (int64_t)bars[0].value : 0);
  char texts[HTML_SLOWEST][SHOW_DURATION_MAX];
  for (size_t k = 0; k < nb; k++) {
    bars[k].text = show_duration((int64_t)bars[k].value, 0, texts[k], sizeof texts[k]);
    bars[k].value /= (double)unit.ns;
  }
  export_svg_bar_chart(out, "handlers", "Slowest handlers", unit.name, bars, nb,
                       "longest finished handler", "still running when captured");
  html_stuck_list(out, bars, bar_actors, nb);
  fputs("</section>\n", out);
  if (m->deep_unavailable)
    fputs("<p class=\"note\">Mailbox depth over time needs a recorded file (this run was read "
          "from a stream).</p>\n",
          out);
  free(t), free(alive), free(rt), free(rate), free(bars), free(labels), free(labels_full);
  return 0;
}

/* ---- actors by name ------------------------------------------------------------------------ */

#define HTML_NAMES_MAX 200

struct name_row {
  const char *name; /* interned: equal strings are equal pointers */
  struct actor_group group;
  int64_t actors, alive, received, mailbox_max, longest_ns, exceptions, deadlocked;
  int ran;             /* some actor of the name ran a handler */
  int64_t wait_p99_ns; /* -1: no wait measured */
};

/* The p99 of the waits in BUCKETS (counts by histogram bucket), in ns; -1 when empty. Empties
 * BUCKETS for the next name. */
static int64_t html_wait_p99(uint64_t *buckets, int64_t tick_fs)
{
  struct as_histogram_bin bins[AS_HISTOGRAM_BUCKETS];
  size_t n = 0;
  for (unsigned b = 0; b < AS_HISTOGRAM_BUCKETS; b++)
    if (buckets[b]) {
      bins[n++] = (struct as_histogram_bin){b, buckets[b]};
      buckets[b] = 0;
    }
  if (!n || tick_fs <= 0)
    return -1;
  return as_histogram_ticks_to_ns(as_histogram_percentile(bins, n, 99, 0), tick_fs);
}

static void html_group(const struct html_actor *a, struct actor_group *g)
{
  *g = (struct actor_group){a->runtime, a->has_system, a->system};
}

static int html_group_cmp(const struct html_actor *x, const struct html_actor *y)
{
  struct actor_group gx, gy;
  html_group(x, &gx);
  html_group(y, &gy);
  return actor_group_cmp(&gx, &gy);
}

/* By group (runtime, CAF actor system: as report), then name. */
static int by_name(const void *a, const void *b)
{
  const struct html_actor *x = *(const struct html_actor *const *)a;
  const struct html_actor *y = *(const struct html_actor *const *)b;
  int c = html_group_cmp(x, y);
  return c ? c : strcmp(x->name, y->name);
}

/* Group by group, the most numerous names first. */
static int by_actors(const void *a, const void *b)
{
  const struct name_row *x = a, *y = b;
  int c = actor_group_cmp(&x->group, &y->group);
  if (c)
    return c;
  if (x->actors != y->actors)
    return x->actors > y->actors ? -1 : 1;
  return x->received > y->received ? -1 : x->received < y->received;
}

static void html_cell_count(FILE *out, int64_t n, int bad)
{
  fputs(bad && n > 0 ? "<td class=\"bad\">" : "<td>", out);
  escape_html_count(out, n);
  fputs("</td>", out);
}

/* One row per actor name: how many, how busy, the worst of them. */
static int html_names(FILE *out, const struct html_model *m)
{
  size_t n = m->n_actors, k = 0;
  const struct html_actor **sorted = malloc((n + 1) * sizeof *sorted);
  struct name_row *rows = calloc(n + 1, sizeof *rows);
  uint64_t *waits = calloc(AS_HISTOGRAM_BUCKETS, sizeof *waits); /* the current name's */
  if (!sorted || !rows || !waits) {
    free(sorted), free(rows), free(waits);
    return -ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    sorted[i] = &m->actors[i];
  qsort(sorted, n, sizeof *sorted, by_name);
  for (size_t i = 0; i < n; i++) {
    const struct html_actor *a = sorted[i];
    struct actor_group g;
    html_group(a, &g);
    if (!k || rows[k - 1].name != a->name || actor_group_cmp(&rows[k - 1].group, &g) != 0) {
      if (k)
        rows[k - 1].wait_p99_ns = html_wait_p99(waits, m->tick_fs);
      rows[k++] = (struct name_row){.name = a->name, .group = g};
    }
    struct name_row *r = &rows[k - 1];
    for (size_t w = 0; w < a->n_waits; w++)
      if (a->waits[2 * w] >= 0 && a->waits[2 * w] < AS_HISTOGRAM_BUCKETS)
        waits[a->waits[2 * w]] += (uint64_t)a->waits[2 * w + 1];
    r->actors++;
    r->alive += a->status != AS_STATUS_STOPPED;
    r->received = as_sat_add(r->received, a->received);
    r->exceptions = as_sat_add(r->exceptions, a->exceptions);
    r->deadlocked += a->deadlocked;
    if (a->mailbox_max > r->mailbox_max)
      r->mailbox_max = a->mailbox_max;
    if (html_actor_longest_ns(a) > r->longest_ns)
      r->longest_ns = html_actor_longest_ns(a);
    r->ran |= html_actor_ran(a);
  }
  if (k)
    rows[k - 1].wait_p99_ns = html_wait_p99(waits, m->tick_fs);
  free(waits);
  qsort(rows, k, sizeof *rows, by_actors);
  fputs("<section id=\"names\"><h2>Actors by name</h2><table class=\"names\"><thead><tr>"
        "<th>name</th><th>runtime, actor system</th><th>actors</th><th>alive at the end</th>"
        "<th>messages received</th><th>deepest mailbox</th>"
        "<th title=\"99 % of messages waited at most this long from enqueue to the start of "
        "their handler\">mailbox wait p99</th><th>longest handler</th>"
        "<th>exceptions</th><th>deadlocked</th></tr></thead><tbody>",
        out);
  for (size_t i = 0; i < k && i < HTML_NAMES_MAX; i++) {
    const struct name_row *r = &rows[i];
    fprintf(out, "<tr%s><td>", r->deadlocked ? " class=\"dl\"" : "");
    export_svg_text(out, r->name);
    fputs("</td><td>", out);
    char label[300];
    actor_group_label(label, sizeof label, &r->group);
    export_svg_text(out, label);
    fputs("</td>", out);
    html_cell_count(out, r->actors, 0);
    html_cell_count(out, r->alive, 0);
    html_cell_count(out, r->received, 0);
    html_cell_count(out, r->mailbox_max, 0);
    fputs("<td>", out);
    if (r->wait_p99_ns >= 0)
      escape_html_duration(out, r->wait_p99_ns);
    else
      html_none(out, 0);
    fputs("</td><td>", out);
    (r->ran ? escape_html_duration : html_none)(out, r->longest_ns);
    fputs("</td>", out);
    html_cell_count(out, r->exceptions, 1);
    html_cell_count(out, r->deadlocked, 1);
    fputs("</tr>", out);
  }
  if (k > HTML_NAMES_MAX) {
    fputs("<tr><td colspan=\"10\" class=\"note\">… ", out);
    escape_html_count(out, (int64_t)(k - HTML_NAMES_MAX));
    fputs(" more names</td></tr>", out);
  }
  fputs("</tbody></table></section>\n", out);
  free(sorted);
  free(rows);
  return 0;
}

/* ---- the page ------------------------------------------------------------------------------ */

static void html_head(FILE *out, const struct html_model *m)
{
  const char *program = m->program;
  fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        "<title>actorscope: ",
        out);
  export_svg_text(out, program);
  fprintf(out,
          " (pid %" PRId64 ")</title><style>%s</style><script>%s</script></head>\n<body><main>",
          m->pid, html_style, html_script);
  fputs("<header><h1>", out);
  export_svg_text(out, *program ? program : "traced process");
  fprintf(out, "<span class=\"pid\">pid %" PRId64 "</span></h1><p class=\"cmd\">", m->pid);
  export_svg_text(out, m->argv);
  fputs("</p><p class=\"meta\">traced from ", out);
  export_svg_text(out, m->started_at);
  double span = m->n_points ? m->points[m->n_points - 1].t : 0;
  fputs(" for ", out);
  escape_html_duration(out, (int64_t)(span * 1e9 + 0.5));
  fprintf(out, " · %zu snapshots · ", m->n_points);
  /* How it ended in report's words (a detached process ran on: it did not exit). */
  char note[256];
  if (recording_end_note(&m->run, note, sizeof note))
    export_svg_text(out, note);
  else
    fputs("exited normally", out);
  if (m->truncated)
    fputs(" · its last line was cut short and skipped", out);
  fputs("</p></header>\n", out);
}

int export_html_write(FILE *out, struct as_reader *run, const char *source, int include_internal,
                      struct as_reader_error *err)
{
  struct html_model m;
  int rc = html_model_read(&m, run, source, include_internal, err);
  if (rc == 0) {
    html_head(out, &m);
    html_summary(out, &m);
    html_deadlocks(out, &m);
    rc = html_plots(out, &m);
    if (rc == 0)
      rc = html_names(out, &m);
    if (rc == 0)
      rc = export_html_pairs(out, &m);
    if (rc == 0)
      rc = export_html_tree(out, &m);
    fputs("<footer>Made by <b>actorscope export html</b> from ", out);
    export_svg_text(out, source);
    fputs(". Times on the plots' axes are since tracing started. Counts, mailbox maxima and "
          "handler times "
          "are exact; the plots sample each snapshot; a handler shown as still running was seen "
          "in progress at a snapshot.</footer></main></body></html>\n",
          out);
    if (rc < 0) {
      err->code = rc;
      snprintf(err->text, sizeof err->text, "%s: out of memory", source);
    }
  }
  html_model_free(&m);
  if (rc == 0 && ferror(out)) {
    rc = err->code = -EIO;
    snprintf(err->text, sizeof err->text, "writing the page failed");
  }
  return rc;
}
