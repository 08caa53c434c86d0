/* The hooks' own state that is not a runtime's (hook.h). */
#include "hook.h"

AS_HOOK_TLS int *as__hook_errno_at;

/* errno's address is the thread's for its whole life (a fork child's thread keeps it). */
int *as__hook_errno_find(void)
{
  as__hook_errno_at = &errno;
  return as__hook_errno_at;
}
