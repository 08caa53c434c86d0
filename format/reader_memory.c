/* The reader's memory (reader_private.h): what one line's records take, arenas and vectors
 * that the next line reuses, all of it counted against the budget several readers may share. */
#define _GNU_SOURCE
#include "reader_private.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

int reader_account_take(struct reader_account *a, size_t n)
{
  if (!a || !a->budget)
    return 0;
  size_t used = atomic_fetch_add(&a->budget->used, n) + n;
  if (used > a->budget->limit || used < n) {
    atomic_fetch_sub(&a->budget->used, n);
    a->over = 1;
    return -1;
  }
  a->taken += n;
  return 0;
}

void reader_account_give(struct reader_account *a, size_t n)
{
  if (!a || !a->budget)
    return;
  atomic_fetch_sub(&a->budget->used, n);
  a->taken -= n;
}

/* ---- arena: every record and string of one line ------------------------------------------ */

struct reader_arena_block {
  struct reader_arena_block *next;
  size_t used, cap;
  max_align_t data[];
};

void *reader_arena_alloc(struct reader_arena *a, size_t n)
{
  n = (n + 15) & ~(size_t)15;
  while (a->cur && a->cur->used + n > a->cur->cap) {
    a->cur = a->cur->next;
    if (a->cur)
      a->cur->used = 0;
  }
  if (!a->cur) {
    size_t cap = n > (1u << 20) ? n : (1u << 20);
    if (reader_account_take(a->account, sizeof(struct reader_arena_block) + cap) < 0)
      return NULL;
    struct reader_arena_block *b = malloc(sizeof *b + cap);
    if (!b) {
      reader_account_give(a->account, sizeof(struct reader_arena_block) + cap);
      return NULL;
    }
    b->used = 0;
    b->cap = cap;
    /* Appended after the last block, so a reset walks all of them again. */
    b->next = NULL;
    struct reader_arena_block **tail = &a->head;
    while (*tail)
      tail = &(*tail)->next;
    *tail = b;
    a->cur = b;
  }
  void *p = (char *)a->cur->data + a->cur->used;
  a->cur->used += n;
  return p;
}

static void arena_free_blocks(struct reader_arena *a, struct reader_arena_block *b)
{
  for (struct reader_arena_block *next; b; b = next) {
    next = b->next;
    reader_account_give(a->account, sizeof *b + b->cap);
    free(b);
  }
}

/* The blocks the line before did not need are freed: memory follows the lines, and one huge
 * line (a hostile peer's) is not held on to for the rest of the stream. */
void reader_arena_reset(struct reader_arena *a)
{
  if (a->cur) {
    arena_free_blocks(a, a->cur->next);
    a->cur->next = NULL;
  }
  a->cur = a->head;
  if (a->cur)
    a->cur->used = 0;
}

void reader_arena_free(struct reader_arena *a)
{
  arena_free_blocks(a, a->head);
  a->head = a->cur = NULL;
}

/* ---- growable arrays --------------------------------------------------------------------- */

void *reader_vec_push(struct reader_vec *v)
{
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 64;
    if (reader_account_take(v->account, (cap - v->cap) * v->elem) < 0)
      return NULL;
    void *grown = reallocarray(v->data, cap, v->elem);
    if (!grown) {
      reader_account_give(v->account, (cap - v->cap) * v->elem);
      return NULL;
    }
    v->data = grown;
    v->cap = cap;
  }
  void *p = (char *)v->data + v->n++ * v->elem;
  memset(p, 0, v->elem);
  return p;
}
