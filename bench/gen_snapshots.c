/* Writes a synthetic actorscope run for the reader benchmarks: a header, then SNAPSHOTS
 * snapshot lines of ACTORS live CAF-like actors each (about 500 bytes an actor, counters growing
 * from line to line, a deadlock in the last line), shaped like the tracer's own output. With
 * DELTA_PCT, format 2: a keyframe first and last, delta lines listing DELTA_PCT % of the actors
 * in between.
 *   bench_gen_snapshots ACTORS SNAPSHOTS [DELTA_PCT] > run.jsonl */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: bench_gen_snapshots ACTORS SNAPSHOTS [DELTA_PCT]\n");
    return 2;
  }
  long actors = atol(argv[1]), snapshots = atol(argv[2]);
  long delta_pct = argc == 4 ? atol(argv[3]) : -1;
  long stride = delta_pct > 0 ? 100 / delta_pct : 1;
  static char buf[1 << 20];
  setvbuf(stdout, buf, _IOFBF, sizeof buf);
  printf("{\"type\":\"header\",\"format\":\"actorscope\",\"version\":%d,\"pid\":4242,"
         "\"program\":\"/usr/bin/bench\",\"argv\":[\"bench\",\"wide\"],\"started_at\":"
         "\"2026-11-24T06:00:00.000Z\",\"started_at_ns\":1795500000000000000,\"config\":"
         "{\"interval_ms\":500,\"grave_ms\":5000,\"stack_depth\":8}}\n",
         delta_pct >= 0 ? 2 : 1);
  for (long s = 0; s < snapshots; s++) {
    long long up = (s + 1) * 500000000LL;
    int final = s == snapshots - 1;
    int delta = delta_pct >= 0 && s > 0 && !final;
    printf("{\"type\":\"%s\",\"seq\":%ld,\"captured_at\":\"2026-11-24T06:00:00.500Z\","
           "\"captured_at_ns\":%lld,\"uptime_ns\":%lld,\"final\":%s,\"totals\":{\"alive\":%ld,"
           "\"total_spawned\":%ld,\"total_stopped\":0,\"messages_received\":%lld},"
           "\"deadlocks\":%s,\"diagnostics\":[],\"last_cost\":%s,\"spawn_sites\":"
           "[[\"worker_loop+0x1a (bench)\",\"caf::detail::spawn+0x40 (libcaf_core.so.0.17.6)\"]],"
           "\"actors\":[",
           delta ? "delta" : "snapshot", s, 1795500000000000000LL + up, up,
           final ? "true" : "false", actors, actors, (long long)actors * (s + 1) * 3,
           final ? "[{\"actors\":[1,2],\"names\":[\"bench::(anonymous namespace)::worker\","
                   "\"bench::(anonymous namespace)::worker\"]}]"
                 : "[]",
           s ? "{\"collect_ns\":9000000,\"encode_ns\":12000000,\"write_ns\":10000000,"
               "\"bytes\":49000000}"
             : "null");
    int first = 1;
    for (long a = 1; a <= actors; a++) {
      if (delta && (delta_pct == 0 || (a + s) % stride != 0))
        continue;
      long long n = (s + 1) * 3 + a % 7;
      printf("%s{\"id\":%ld,\"name\":\"bench::(anonymous namespace)::worker\",\"runtime\":\"caf\","
             "\"status\":\"running\",\"spawned_at_ns\":%ld,\"spawn_site\":0,\"parent\":%s,"
             "\"children\":[],\"stopped\":null,\"mailbox\":{\"kind\":\"unbounded\",\"len\":%lld,"
             "\"max\":%lld,\"enqueued\":%lld},\"outbox\":{\"len\":0},\"counters\":"
             "{\"messages_received\":%lld,\"messages_sent\":%lld,\"replies\":0,\"handled\":%lld,"
             "\"exceptions\":0},\"handler_ns\":{\"total\":%lld,\"max\":%ld},\"handling\":%s,"
             "\"waiting_on\":null,\"message_types\":[{\"name\":\"ping\",\"count\":%lld},"
             "{\"name\":\"i32, i32\",\"count\":%lld}],\"runtime_id\":%ld,\"runtime_scope\":1,"
             "\"refs\":{\"strong\":1,\"weak\":1},\"links\":[],\"monitors\":[]}",
             first ? "" : ",", a, 1000 + a * 10, a > 1 ? "1" : "null", n % 3, n % 5 + 2, n, n, n, n,
             n * 1200, 4000 + a % 100,
             a % 1000 == 0 ? "{\"type\":\"ping\",\"elapsed_ns\":250000}" : "null", n - n / 3, n / 3,
             a + 10);
      first = 0;
    }
    printf("]}\n");
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
