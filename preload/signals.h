/* Deadly signals with their default action: the state at that moment is what a user most
 * wants to see. Where the host has installed no handler of its own, ours has the collector
 * write a final line naming the signal, then dies of the same signal exactly as the default
 * action would (same exit status, same core dump). A host that installs a handler later gets
 * exactly what it asked for, and one that asks what is installed sees the default. */
#ifndef AS_SIGNALS_H
#define AS_SIGNALS_H

#include <signal.h>

/* What a thread meeting a deadly signal lets go of before it waits for the last line: locks it
 * may hold that the collector needs (init.c: fork's, when the signal comes inside fork()). */
void as_signals_let_go_with(void (*let_go)(void));
/* At the first spawn: takes every deadly signal whose disposition is still the default. */
void as_signals_install(void);
/* At detach: gives back every one still ours (a later attach takes them again). */
void as_signals_uninstall(void);

/* Outside a handler: dies of sig as its default action would (the default restored, the
 * signal raised and unblocked). Async-signal-safe. */
void as_signals_die_of(int sig);

/* The host's sigaction: as the real one, but a deadly signal set back to its default action
 * once ours were installed gets ours again (a program may undo the handler CZMQ's zsys_init
 * installs), and ours is shown to the host as the default it replaced, flags and mask too. */
int as_signals_set(int sig, const struct sigaction *act, struct sigaction *old);
/* The host just set SIG to its default action another way (signal() and its variants): ours
 * takes its place again, as above. */
void as_signals_defaulted(int sig);

/* A thread of the host ends the process (exit, _exit, quick_exit): while another thread of it
 * is dying of a deadly signal (its line being written), it waits for that death, bounded (the
 * signal would have ended the process before untraced). */
void as_signals_before_exit(void);

/* _exit or its kin, while tracing: claims the process's ending for this exit, so that a deadly
 * signal meeting another thread meanwhile lets the exit end the process (and its line say so),
 * as the exit would have untraced; blocks every signal on this thread. 0: a deadly signal
 * claimed it first (the caller then waits for that death: as_signals_before_exit). */
int as_signals_claim_exit(void);
/* Whether a disposition the kernel returned is ours: the host is then shown SIG_DFL. */
int as_signals_is_ours(const struct sigaction *old);
int as_signals_handler_is_ours(void (*handler)(int));

#endif
