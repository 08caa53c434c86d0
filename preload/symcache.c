#include "symcache.h"
#include "ptrmap.h"
#include "stack.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct as_ptrmap symcache_frames = AS_PTRMAP_INIT;
static struct as_ptrmap symcache_functions = AS_PTRMAP_INIT;
static struct as_ptrmap symcache_tasks = AS_PTRMAP_INIT;
static const char symcache_unknown[] = "";

const char *as_symcache_frame(const void *return_addr)
{
  const char *text = as_ptrmap_get(&symcache_frames, (uintptr_t)return_addr);
  if (text)
    return text;
  char buf[512];
  /* A return address points after the call: look up the call itself. */
  as_stack_describe((const char *)return_addr - 1, buf, sizeof buf);
  char *copy = strdup(buf);
  if (!copy)
    return "?";
  as_ptrmap_put(&symcache_frames, (uintptr_t)return_addr, copy);
  return copy;
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
