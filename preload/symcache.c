#include "symcache.h"
#include "ptrmap.h"
#include "stack.h"
#include "symbatch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct as_ptrmap symcache_frames AS_FORK_TOUCHED = AS_PTRMAP_INIT;
static struct as_ptrmap symcache_functions AS_FORK_TOUCHED = AS_PTRMAP_INIT;
static struct as_ptrmap symcache_tasks AS_FORK_TOUCHED = AS_PTRMAP_INIT;
static const char symcache_unknown[] = "";

#define SYMCACHE_FRAME_TEXT 512

/* Keeps a frame's text (NULL: none, without memory). */
static const char *symcache_keep_frame(const void *return_addr, const char *text)
{
  char *copy = strdup(text);
  if (copy)
    as_ptrmap_put(&symcache_frames, (uintptr_t)return_addr, copy);
  return copy;
}

const char *as_symcache_frame(const void *return_addr)
{
  const char *text = as_ptrmap_get(&symcache_frames, (uintptr_t)return_addr);
  if (text)
    return text;
  char buf[SYMCACHE_FRAME_TEXT];
  /* A return address points after the call: look up the call itself. */
  as_stack_describe((const char *)return_addr - 1, buf, sizeof buf);
  text = symcache_keep_frame(return_addr, buf);
  return text ? text : "?";
}

/* Describes the batch's return addresses together and keeps their texts. */
static void symcache_describe_batch(void *const *batch, size_t n)
{
  const void *calls[AS_STACK_DESCRIBE_MANY] = {NULL};
  char *texts = malloc(n * SYMCACHE_FRAME_TEXT);
  if (!texts)
    return; /* as_symcache_frame describes each as it comes */
  for (size_t i = 0; i < n; i++)
    calls[i] = (const char *)batch[i] - 1; /* the call itself, as as_symcache_frame looks up */
  as_stack_describe_many(calls, n, texts, SYMCACHE_FRAME_TEXT);
  for (size_t i = 0; i < n; i++)
    symcache_keep_frame(batch[i], texts + i * SYMCACHE_FRAME_TEXT);
  free(texts);
}

void as_symcache_frames(void *const *frames, size_t n)
{
  void *batch[AS_STACK_DESCRIBE_MANY];
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    if (!frames[i] || as_ptrmap_get(&symcache_frames, (uintptr_t)frames[i]))
      continue;
    size_t k = 0;
    while (k < count && batch[k] != frames[i])
      k++;
    if (k < count)
      continue; /* twice in this batch */
    batch[count++] = frames[i];
    if (count == AS_STACK_DESCRIBE_MANY) {
      symcache_describe_batch(batch, count);
      count = 0;
    }
  }
  if (count)
    symcache_describe_batch(batch, count);
}

const char *as_symcache_function(const void *addr)
{
  const char *name = as_ptrmap_get(&symcache_functions, (uintptr_t)addr);
  if (name)
    return name[0] ? name : NULL;
  char buf[256];
  char *copy = as_stack_function_name(addr, buf, sizeof buf) == 0 ? strdup(buf) : NULL;
  as_ptrmap_put(&symcache_functions, (uintptr_t)addr, copy ? copy : (char *)symcache_unknown);
  return copy;
}

const char *as_symcache_task_in(const void *return_addr)
{
  const char *text = as_ptrmap_get(&symcache_tasks, (uintptr_t)return_addr);
  if (text)
    return text[0] ? text : NULL;
  char fn[256], buf[300];
  /* A return address points after the call: the call itself is in the caller. */
  char *copy = NULL;
  if (as_stack_function_name((const char *)return_addr - 1, fn, sizeof fn) == 0) {
    snprintf(buf, sizeof buf, "<task in %s>", fn);
    copy = strdup(buf);
  }
  as_ptrmap_put(&symcache_tasks, (uintptr_t)return_addr, copy ? copy : (char *)symcache_unknown);
  return copy;
}
