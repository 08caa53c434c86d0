/* Per-program counters across processes (metrics_programs.h). */
#define _GNU_SOURCE
#include "metrics_programs.h"

#include "escape.h"
#include "grow.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The program's entry, added when ADD (NULL when out of memory or past the maximum). */
static struct metrics_program *programs_find(struct metrics_programs *ps, const char *program,
                                             int add)
{
  if (!program)
    return NULL;
  for (size_t i = 0; i < ps->n; i++)
    if (strcmp(ps->items[i].program, program) == 0)
      return &ps->items[i];
  if (!add || ps->n >= METRICS_PROGRAMS_MAX ||
      grow_array((void **)&ps->items, &ps->cap, ps->n, sizeof *ps->items) < 0)
    return NULL;
  char *copy = strdup(program);
  if (!copy)
    return NULL;
  ps->items[ps->n] = (struct metrics_program){copy, {0, 0, 0, 0}};
  return &ps->items[ps->n++];
}

static void programs_add(struct metrics_program_totals *t, const struct metrics_process *p)
{
  t->processes++;
  t->spawned += p->spawned;
  t->stopped += p->stopped;
  t->received += p->received;
}

void metrics_programs_fold(struct metrics_programs *ps, const struct metrics_process *p)
{
  struct metrics_program *program = programs_find(ps, p->program, 1);
  if (program)
    programs_add(&program->ended, p);
}

struct programs_family {
  const char *name, *help;
  int64_t (*value)(const struct metrics_program_totals *t);
};

static int64_t t_processes(const struct metrics_program_totals *t) { return t->processes; }
static int64_t t_spawned(const struct metrics_program_totals *t) { return t->spawned; }
static int64_t t_stopped(const struct metrics_program_totals *t) { return t->stopped; }
static int64_t t_received(const struct metrics_program_totals *t) { return t->received; }

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

int metrics_programs_render(FILE *out, int om, struct metrics_programs *ps,
                            struct metrics_process *const *processes, const int *joined, size_t n)
{
  /* Every program with a live process has an entry, so its series exists from its first
   * scrape (at 0 until a process joins). */
  for (size_t i = 0; i < n; i++)
    programs_find(ps, processes[i]->program, 1);
  struct metrics_program_totals *now = calloc(ps->n ? ps->n : 1, sizeof *now);
  if (!now)
    return -1;
  for (size_t k = 0; k < ps->n; k++)
    now[k] = ps->items[k].ended;
  for (size_t i = 0; i < n; i++) {
    struct metrics_program *program =
        joined[i] ? programs_find(ps, processes[i]->program, 0) : NULL;
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
      escape_label_value(out, ps->items[k].program);
      fprintf(out, "\"} %" PRId64 "\n", family->value(&now[k]));
    }
  }
  free(now);
  return 0;
}

void metrics_programs_free(struct metrics_programs *ps)
{
  for (size_t i = 0; i < ps->n; i++)
    free(ps->items[i].program);
  free(ps->items);
  memset(ps, 0, sizeof *ps);
}
