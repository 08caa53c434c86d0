#include "waitgraph.h"

#include <criterion/criterion.h>

static void check_cycle(const struct as_waitgraph_cycles *c, size_t index, const uint64_t *ids,
                        size_t n)
{
  cr_assert_eq(c->lengths[index], n);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(c->members[c->starts[index] + i], ids[i], "member %zu", i);
}

Test(waitgraph, no_edges_no_cycles_and_chains_are_not_cycles)
{
  struct as_waitgraph_cycles c;
  cr_assert_eq(as_waitgraph_find_cycles(NULL, 0, &c), 0);
  cr_assert_eq(c.cycle_count, 0);
  struct as_wait_edge chain[] = {{1, 2}, {2, 3}, {3, 4}, {5, 3}};
  cr_assert_eq(as_waitgraph_find_cycles(chain, 4, &c), 0);
  cr_assert_eq(c.cycle_count, 0);
  as_waitgraph_cycles_free(&c);
}

Test(waitgraph, a_two_actor_cycle_is_found_once_starting_at_its_smallest_id)
{
  struct as_wait_edge edges[] = {{9, 4}, {4, 9}};
  struct as_waitgraph_cycles c;
  cr_assert_eq(as_waitgraph_find_cycles(edges, 2, &c), 0);
  cr_assert_eq(c.cycle_count, 1);
  check_cycle(&c, 0, (uint64_t[]){4, 9}, 2);
  as_waitgraph_cycles_free(&c);
}

Test(waitgraph, separate_cycles_and_tails_leading_into_them)
{
  /* 1->2->3->1, a tail 7->1, and 10->11->12->10 entered from 13. */
  struct as_wait_edge edges[] = {{7, 1},   {3, 1},   {13, 12}, {1, 2},
                                 {12, 10}, {10, 11}, {2, 3},   {11, 12}};
  struct as_waitgraph_cycles c;
  cr_assert_eq(as_waitgraph_find_cycles(edges, 8, &c), 0);
  cr_assert_eq(c.cycle_count, 2);
  check_cycle(&c, 0, (uint64_t[]){1, 2, 3}, 3);
  check_cycle(&c, 1, (uint64_t[]){10, 11, 12}, 3);
  as_waitgraph_cycles_free(&c);
}

Test(waitgraph, edges_to_unknown_actors_end_the_chain)
{
  struct as_wait_edge edges[] = {{1, 99}, {2, 1}};
  struct as_waitgraph_cycles c;
  cr_assert_eq(as_waitgraph_find_cycles(edges, 2, &c), 0);
  cr_assert_eq(c.cycle_count, 0);
  as_waitgraph_cycles_free(&c);
}
