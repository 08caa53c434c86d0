/* CZMQ actors that were running before the library was attached (attach mode): found on
 * glibc's thread list by hooks/czmq_attach.c, registered by hooks/czmq_zactor.c. */
#ifndef AS_CZMQ_ADOPT_H
#define AS_CZMQ_ADOPT_H

#include "czmq_abi.h"

/* Registers a running actor: its task, argument and its own pipe end's libzmq handle. Known
 * from then on only (attached_late): what it receives, its handlers, its stop; sends to it are
 * counted as it receives them (its zactor_t is not known). An actor our zactor_new spawned
 * before a detach is registered anew under its task. Returns 1 when registered, 0 when known
 * already, -ENOMEM. */
int czmq_adopt(as_zactor_fn *task, void *args, void *handle);
/* A new attach after a detach: every handle mapped so far forgotten (czmq.c). */
void czmq_forget_for_attach(void);
/* The actor ended while it was being registered: forget it. */
void czmq_adopt_undo(void *handle);

#endif
