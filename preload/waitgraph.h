/* Deadlock detection over wait-for edges. Each actor waits on at most one other, so the graph
 * is a functional graph and every cycle is found by walking chains. */
#ifndef AS_WAITGRAPH_H
#define AS_WAITGRAPH_H

#include <stddef.h>
#include <stdint.h>

struct as_wait_edge {
  uint64_t from;
  uint64_t to;
};

struct as_waitgraph_cycles {
  /* Every cycle's members, one after another, each cycle starting at its smallest id. */
  uint64_t *members;
  size_t member_count;
  /* Where each cycle starts in members, and how long it is. */
  size_t *starts;
  size_t *lengths;
  size_t cycle_count;
};

/* Finds every cycle. Edges may be in any order; duplicates of `from` keep the first.
 * Returns 0 or -ENOMEM. Free the result with as_waitgraph_cycles_free. */
int as_waitgraph_find_cycles(const struct as_wait_edge *edges, size_t count,
                             struct as_waitgraph_cycles *out);
void as_waitgraph_cycles_free(struct as_waitgraph_cycles *cycles);

#endif
