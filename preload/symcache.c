#include "symcache.h"
#include "ptrmap.h"
#include "stack.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct as_ptrmap symcache_frames = AS_PTRMAP_INIT;
static struct as_ptrmap symcache_functions = AS_PTRMAP_INIT;
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
