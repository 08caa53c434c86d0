// Actor populations: "spawn N" spawns N short-lived actors one after another (each answers one
// message and quits); "wide N MS" keeps N idle actors alive for MS milliseconds; "busy N MS P"
// does the same while P per mille of them get a message every millisecond (the rest idle);
// "daemon N MS" keeps N actors that each get one message a second, like a quiet server.
#include <caf/all.hpp>

#include <condition_variable>
#include <mutex>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace caf;

using work_atom = atom_constant<atom("work")>;

struct completion {
  std::mutex lock;
  std::condition_variable changed;
  long done = 0;
};

behavior short_lived(event_based_actor *self, completion *c)
{
  return {[=](work_atom) {
    {
      std::lock_guard<std::mutex> guard{c->lock};
      c->done++;
    }
    c->changed.notify_one();
    self->quit();
  }};
}

behavior idle(event_based_actor *)
{
  return {[](work_atom) { return 1; }};
}

static void print_live_rss()
{
  std::FILE *status = std::fopen("/proc/self/status", "r");
  char line[256];
  while (status && std::fgets(line, sizeof line, status))
    if (std::strncmp(line, "VmHWM:", 6) == 0)
      std::printf("%ld\n", std::atol(line + 6));
  if (status)
    std::fclose(status);
}

int main(int argc, char **argv)
{
  std::string mode = argc > 1 ? argv[1] : "spawn";
  long n = argc > 2 ? std::atol(argv[2]) : 100000;
  long ms = argc > 3 ? std::atol(argv[3]) : 2000;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  actor_system system{cfg};
  scoped_actor self{system};
  if (mode == "spawn") {
    // Batches of 1000, each awaited before the next: the run measures churn, not a crowd.
    completion c;
    for (long i = 0; i < n; i++) {
      anon_send(system.spawn(short_lived, &c), work_atom::value);
      if ((i + 1) % 1000 == 0 || i + 1 == n) {
        std::unique_lock<std::mutex> guard{c.lock};
        c.changed.wait(guard, [&] { return c.done == i + 1; });
      }
    }
  } else {
    std::vector<actor> crowd;
    crowd.reserve(n);
    for (long i = 0; i < n; i++)
      crowd.push_back(system.spawn(idle));
    long per_mille = argc > 4 ? std::atol(argv[4]) : 0;
    long active = mode == "busy" ? n * per_mille / 1000 : mode == "daemon" ? n : 0;
    auto step = std::chrono::milliseconds(mode == "daemon" ? 1000 : 1);
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (active > 0 && std::chrono::steady_clock::now() + step <= end) {
      for (long i = 0; i < active; i++)
        anon_send(crowd[i], work_atom::value);
      std::this_thread::sleep_for(step);
    }
    std::this_thread::sleep_until(end);
    // The crowd at its peak, before anything is torn down: what holding N live actors costs
    // (the tracer's final snapshot at exit, which lists them all, is a cost of its own).
    if (std::getenv("BENCH_PRINT_LIVE_RSS"))
      print_live_rss();
    for (auto &a : crowd)
      self->send_exit(a, exit_reason::user_shutdown);
  }
  return 0;
}
