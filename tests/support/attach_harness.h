/* The attach tests' programs and tool runs (tests/integration/test_attach_cli.c,
 * test_attach_again.c): a target started in a fresh directory, the tool run on it. */
#ifndef AS_TEST_ATTACH_HARNESS_H
#define AS_TEST_ATTACH_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

struct target {
  pid_t pid;
  char dir[64];
  char pid_text[16]; /* the pid as `actorscope attach` takes it */
  char dest[128];    /* where an attach with -o writes: snap.jsonl in its directory */
};

/* Starts a program in a fresh directory, its stdout and stderr in files there, and waits for
 * it to say "ready" on stderr when it does; PRELOAD: with the library preloaded, writing to
 * t->dest every 50 ms. */
void target_start_with(struct target *t, const char *const *argv, int wait_ready, uid_t user,
                       int preload);
void target_start_as(struct target *t, const char *const *argv, int wait_ready, uid_t user);
void target_start(struct target *t, const char *const *argv, int wait_ready);
/* Zeek's Broker in /usr/bin/python3 publishing ROUNDS times 10 ms apart
 * (tests/data/attach/broker_pubsub.py); the test is skipped without python3-broker. */
void target_start_broker(struct target *t, const char *rounds);
/* Its exit status, or 128 + the signal that ended it. */
int target_wait(struct target *t);
void target_kill(struct target *t);
/* A file of its directory, read whole (malloc'ed). */
char *target_file(const struct target *t, const char *name);
/* Whether it said WORD on stderr within 10 s. */
int target_said(const struct target *t, const char *word);
/* Creates an empty file in its directory (what a target waits for to go on). */
void target_touch(const struct target *t, const char *name);
/* `actorscope attach -o t->dest -i INTERVAL_MS`, which must succeed. */
void target_attach(const struct target *t, const char *interval_ms);
/* Runs the tool, optionally as another user; returns its exit status, its stdout and stderr
 * together in out. */
int cli(char *out, size_t len, uid_t as_user, const char *a1, const char *a2, const char *a3,
        const char *a4, const char *a5, const char *a6, const char *a7);
/* The number after key in text (a failed assertion when key is missing). */
int parse_after(const char *err, const char *key);

#endif
