/* A CZMQ program shaped like a real server (malamute, zyre): its actors do their work on their
 * own sockets, and their pipes carry a few commands.
 *
 *   czmq_server_request_dispatch_engine  a ROUTER front end answering REQUEST with REPLY, a PUB
 *                                        publishing a TICK every TICK_EVERY requests, a side
 *                                        pipe of JOBs from main (handled slowly, so a backlog
 *                                        forms), all in one zpoller_wait loop with a timeout
 *   czmq_server_ingest_worker (x WORKERS) each binds its own PULL (inproc://czmq-server-ingest-N)
 *                                        and reads ITEMs with zsock_recv and a receive timeout,
 *                                        looking at its pipe between timeouts
 *   czmq_server_tick_listener            a SUB reading TICKs, zclock_sleep in its handler
 *
 * Usage: czmq_server [REQUESTS [ITEMS [JOBS]]]. Prints what it sent and what came back; exit
 * status 0 when everything came back. */
#include <czmq.h>

#define WORKERS 3
#define TICK_EVERY 10
#define FRONTEND "inproc://czmq-server-frontend"
#define TICKS "inproc://czmq-server-ticks"

static void czmq_server_request_dispatch_engine(zsock_t *pipe, void *args)
{
  zsock_t *jobs = args;
  zsock_t *router = zsock_new_router(FRONTEND);
  zsock_t *pub = zsock_new_pub(TICKS);
  zpoller_t *poller = zpoller_new(pipe, router, jobs, NULL);
  long requests = 0, done = 0;
  zsock_signal(pipe, 0);
  while (!zsys_interrupted) {
    zsock_t *which = zpoller_wait(poller, 50);
    if (which == router) {
      zmsg_t *msg = zmsg_recv(router);
      zframe_t *identity = zmsg_pop(msg);
      zmsg_destroy(&msg);
      zframe_send(&identity, router, ZFRAME_MORE);
      zstr_send(router, "REPLY");
      if (++requests % TICK_EVERY == 0)
        zstr_sendx(pub, "TICK", "now", NULL);
    } else if (which == jobs) {
      char *job = zstr_recv(jobs);
      zstr_free(&job);
      zclock_sleep(2); /* a slow job: main's next ones wait in the side pipe */
      done++;
    } else if (which == pipe) {
      char *cmd = zstr_recv(pipe);
      int term = !cmd || streq(cmd, "$TERM");
      if (cmd && streq(cmd, "STATS"))
        zsock_send(pipe, "88", (int64_t)requests, (int64_t)done);
      zstr_free(&cmd);
      if (term)
        break;
    } else if (zpoller_terminated(poller)) {
      break;
    }
  }
  zpoller_destroy(&poller);
  zsock_destroy(&pub);
  zsock_destroy(&router);
}

static void czmq_server_ingest_worker(zsock_t *pipe, void *args)
{
  int index = *(int *)args;
  zsock_t *pull = zsock_new(ZMQ_PULL);
  zsock_bind(pull, "inproc://czmq-server-ingest-%d", index);
  zsock_set_rcvtimeo(pull, 20);
  zsock_signal(pipe, 0);
  long items = 0;
  for (;;) {
    char *item = NULL;
    if (zsock_recv(pull, "s", &item) == 0) {
      items++;
      zstr_free(&item);
      continue;
    }
    /* The receive timed out: anything on the pipe? */
    zpoller_t *peek = zpoller_new(pipe, NULL);
    int command = zpoller_wait(peek, 0) == pipe;
    zpoller_destroy(&peek);
    if (!command)
      continue;
    char *cmd = zstr_recv(pipe);
    int term = !cmd || streq(cmd, "$TERM");
    if (cmd && streq(cmd, "COUNT"))
      zsock_send(pipe, "8", (int64_t)items);
    zstr_free(&cmd);
    if (term)
      break;
  }
  zsock_destroy(&pull);
}

static void czmq_server_tick_listener(zsock_t *pipe, void *args)
{
  zsock_t *sub = zsock_new_sub(TICKS, "TICK");
  zpoller_t *poller = zpoller_new(pipe, sub, NULL);
  long ticks = 0;
  zsock_signal(pipe, 0);
  for (;;) {
    zsock_t *which = zpoller_wait(poller, -1);
    if (which == sub) {
      zmsg_t *msg = zmsg_recv(sub);
      zmsg_destroy(&msg);
      ticks++;
      zclock_sleep(1);
    } else if (which == pipe) {
      char *cmd = zstr_recv(pipe);
      int term = !cmd || streq(cmd, "$TERM");
      if (cmd && streq(cmd, "COUNT"))
        zsock_send(pipe, "8", (int64_t)ticks);
      zstr_free(&cmd);
      if (term)
        break;
    } else {
      break;
    }
  }
  zpoller_destroy(&poller);
  zsock_destroy(&sub);
}

int main(int argc, char **argv)
{
  long requests = argc > 1 ? atol(argv[1]) : 200;
  long items = argc > 2 ? atol(argv[2]) : 300;
  long jobs = argc > 3 ? atol(argv[3]) : 40;
  zsock_t *jobs_back = NULL;
  zsock_t *jobs_front = zsys_create_pipe(&jobs_back);
  zactor_t *engine = zactor_new(czmq_server_request_dispatch_engine, jobs_back);
  zactor_t *listener = zactor_new(czmq_server_tick_listener, NULL);
  zclock_sleep(50); /* the SUB's subscription reaches the PUB before the first TICK */
  int index[WORKERS];
  zactor_t *workers[WORKERS];
  zsock_t *pushes[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    index[i] = i;
    workers[i] = zactor_new(czmq_server_ingest_worker, &index[i]);
    pushes[i] = zsock_new(ZMQ_PUSH);
    zsock_connect(pushes[i], "inproc://czmq-server-ingest-%d", i);
  }
  /* The jobs all at once (they pile up in the side pipe), then the requests one by one. */
  for (long i = 0; i < jobs; i++)
    zstr_send(jobs_front, "JOB");
  zsock_t *client = zsock_new_dealer(FRONTEND);
  zsock_set_rcvtimeo(client, 5000);
  long replies = 0;
  for (long i = 0; i < requests; i++) {
    zstr_send(client, "REQUEST");
    char *reply = zstr_recv(client);
    replies += reply && streq(reply, "REPLY");
    zstr_free(&reply);
  }
  for (long i = 0; i < items; i++)
    zstr_send(pushes[i % WORKERS], "ITEM");
  /* Wait until every worker has had its items, asking over its pipe. */
  long got_items = 0;
  for (int i = 0; i < WORKERS; i++) {
    long want = items / WORKERS + (i < items % WORKERS);
    int64_t count = 0;
    for (int tries = 0; tries < 500 && count < want; tries++) {
      zstr_send(workers[i], "COUNT");
      zsock_recv(workers[i], "8", &count);
      if (count < want)
        zclock_sleep(10);
    }
    got_items += count;
  }
  int64_t answered = 0, done = 0;
  for (int tries = 0; tries < 500 && done < jobs; tries++) {
    zstr_send(engine, "STATS");
    zsock_recv(engine, "88", &answered, &done);
    if (done < jobs)
      zclock_sleep(10);
  }
  int64_t ticks = 0;
  for (int tries = 0; tries < 200 && ticks < requests / TICK_EVERY; tries++) {
    zstr_send(listener, "COUNT");
    zsock_recv(listener, "8", &ticks);
    if (ticks < requests / TICK_EVERY)
      zclock_sleep(10);
  }
  for (int i = 0; i < WORKERS; i++) {
    zactor_destroy(&workers[i]);
    zsock_destroy(&pushes[i]);
  }
  zclock_sleep(200); /* winding down: the workers are gone, the engine still serves */
  zactor_destroy(&listener);
  zactor_destroy(&engine);
  zsock_destroy(&client);
  zsock_destroy(&jobs_front);
  zsock_destroy(&jobs_back);
  printf("requests %ld replies %ld items %ld received %ld jobs %ld done %lld ticks %lld\n",
         requests, replies, items, got_items, jobs, (long long)done, (long long)ticks);
  return replies == requests && got_items == items && done == jobs && ticks == requests / TICK_EVERY
             ? 0
             : 1;
}
