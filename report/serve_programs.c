/* Per-program counters across processes (serve_programs.h). */
#define _GNU_SOURCE
#include "serve_programs.h"

#include "export_escape.h"
#include "export_grow.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The program's entry, added when ADD (NULL when out of memory or past the maximum). */
static struct serve_program *programs_find(struct serve_programs *ps, const char *program, int add)
{
  if (!program)
    return NULL;
  for (size_t i = 0; i < ps->n; i++)
    if (strcmp(ps->items[i].program, program) == 0)
      return &ps->items[i];
  if (!add || ps->n >= SERVE_PROGRAMS_MAX ||
      export_grow((void **)&ps->items, &ps->cap, ps->n, sizeof *ps->items) < 0)
    return NULL;
  char *copy = strdup(program);
  if (!copy)
    return NULL;
  ps->items[ps->n] = (struct serve_program){copy, {0, 0, 0, 0}};
  return &ps->items[ps->n++];
}

static void programs_add(struct serve_program_totals *t, const struct serve_process *p)
{
  t->processes++;
  t->spawned += p->spawned;
  t->stopped += p->stopped;
  t->received += p->received;
}

void serve_programs_fold(struct serve_programs *ps, const struct serve_process *p)
{
  struct serve_program *program = programs_find(ps, p->program, 1);
  if (program)
    programs_add(&program->ended, p);
}

struct programs_family {
  const char *name, *help;
  int64_t (*value)(const struct serve_program_totals *t);
};

static int64_t t_processes(const struct serve_program_totals *t) { return t->processes; }
static int64_t t_spawned(const struct serve_program_totals *t) { return t->spawned; }
static int64_t t_stopped(const struct serve_program_totals *t) { return t->stopped; }
static int64_t t_received(const struct serve_program_totals *t) { return t->received; }

static const struct programs_family programs_families[] = {
    {"actorscope_program_processes", "traced processes of the program (ended ones included)",
     t_processes},
    {"actorscope_program_actors_spawned", "actors spawned by every process of the program",
     t_spawned},
    {"actorscope_program_actors_stopped", "actors stopped in every process of the program",
     t_stopped},
    {"actorscope_program_messages_received",
     "messages received by every process of the program (ended ones included)", t_received},
};

int serve_programs_render(FILE *out, int om, struct serve_programs *ps,
                          struct serve_process *const *processes, const int *joined, size_t n)
{
  /* Every program with a live process has an entry, so its series exists from its first
   * scrape (at 0 until a process joins). */
  for (size_t i = 0; i < n; i++)
    programs_find(ps, processes[i]->program, 1);
  struct serve_program_totals *now = calloc(ps->n ? ps->n : 1, sizeof *now);
  if (!now)
    return -1;
  for (size_t k = 0; k < ps->n; k++)
    now[k] = ps->items[k].ended;
  for (size_t i = 0; i < n; i++) {
    struct serve_program *program = joined[i] ? programs_find(ps, processes[i]->program, 0) : NULL;
    if (program)
      programs_add(&now[program - ps->items], processes[i]);
  }
  for (size_t f = 0; f < sizeof programs_families / sizeof programs_families[0]; f++) {
    const struct programs_family *family = &programs_families[f];
    const char *suffix = om ? "" : "_total";
    fprintf(out, "# HELP %s%s %s\n# TYPE %s%s counter\n", family->name, suffix, family->help,
            family->name, suffix);
    for (size_t k = 0; k < ps->n; k++) {
      fprintf(out, "%s_total{program=\"", family->name);
      export_label_value(out, ps->items[k].program);
      fprintf(out, "\"} %" PRId64 "\n", family->value(&now[k]));
    }
  }
  free(now);
  return 0;
}

void serve_programs_free(struct serve_programs *ps)
{
  for (size_t i = 0; i < ps->n; i++)
    free(ps->items[i].program);
  free(ps->items);
  memset(ps, 0, sizeof *ps);
}
