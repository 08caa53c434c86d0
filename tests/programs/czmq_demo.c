/* The demo traced by scripts/demo: a dispatcher actor hands jobs to three workers round-robin
 * and reports each result to main. Every tenth job is slow. Exit status 0. */
#include <czmq.h>
#include <stdlib.h>

#define WORKERS 3

static void worker(zsock_t *pipe, void *args)
{
  zsock_signal(pipe, 0);
  for (;;) {
    char *cmd = NULL, *job = NULL;
    if (zstr_recvx(pipe, &cmd, &job, NULL) < 1)
      break;
    int term = streq(cmd, "$TERM");
    if (streq(cmd, "SLOW_JOB"))
      zclock_sleep(150);
    if (!term)
      zstr_sendx(pipe, "RESULT", job ? job : "?", NULL);
    zstr_free(&cmd);
    zstr_free(&job);
    if (term)
      break;
  }
}

static void dispatcher(zsock_t *pipe, void *args)
{
  zactor_t *workers[WORKERS];
  for (int i = 0; i < WORKERS; i++)
    workers[i] = zactor_new(worker, NULL);
  zsock_signal(pipe, 0);
  for (int next = 0;; next = (next + 1) % WORKERS) {
    char *cmd = NULL, *job = NULL;
    if (zstr_recvx(pipe, &cmd, &job, NULL) < 1)
      break;
    int term = streq(cmd, "$TERM");
    if (!term) {
      int slow = atoi(job) % 10 == 9;
      zstr_sendx(workers[next], slow ? "SLOW_JOB" : "FAST_JOB", job, NULL);
      char *result = NULL, *done = NULL;
      zstr_recvx(workers[next], &result, &done, NULL);
      zstr_sendx(pipe, "DONE", done ? done : "?", NULL);
      zstr_free(&result);
      zstr_free(&done);
    }
    zstr_free(&cmd);
    zstr_free(&job);
    if (term)
      break;
  }
  for (int i = 0; i < WORKERS; i++)
    zactor_destroy(&workers[i]);
}

int main(int argc, char **argv)
{
  int jobs = argc > 1 ? atoi(argv[1]) : 30;
  zactor_t *d = zactor_new(dispatcher, NULL);
  int done = 0;
  for (int i = 0; i < jobs; i++) {
    char id[16];
    snprintf(id, sizeof id, "%d", i);
    zstr_sendx(d, "JOB", id, NULL);
    char *word = NULL, *which = NULL;
    zstr_recvx(d, &word, &which, NULL);
    done += word && streq(word, "DONE");
    zstr_free(&word);
    zstr_free(&which);
  }
  zactor_destroy(&d);
  printf("demo: %d of %d jobs done\n", done, jobs);
  return done == jobs ? 0 : 1;
}
