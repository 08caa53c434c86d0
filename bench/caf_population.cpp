// Actor populations: "spawn N" spawns N short-lived actors one after another (each answers one
// message and quits); "wide N MS" keeps N idle actors alive for MS milliseconds.
#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace caf;

using work_atom = atom_constant<atom("work")>;

behavior short_lived(event_based_actor* self, std::atomic<long>* done)
{
  return {[=](work_atom) {
    done->fetch_add(1);
    self->quit();
  }};
}

behavior idle(event_based_actor*)
{
  return {[](work_atom) { return 1; }};
}

int main(int argc, char** argv)
{
  std::string mode = argc > 1 ? argv[1] : "spawn";
  long n = argc > 2 ? std::atol(argv[2]) : 100000;
  long ms = argc > 3 ? std::atol(argv[3]) : 2000;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  actor_system system{cfg};
  scoped_actor self{system};
  if (mode == "spawn") {
    // At most 10k alive at once, so the run measures churn, not a growing crowd.
    std::atomic<long> done{0};
    for (long i = 0; i < n; i++) {
      anon_send(system.spawn(short_lived, &done), work_atom::value);
      while (i - done.load() > 10000)
        std::this_thread::yield();
    }
    while (done.load() < n)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  } else {
    std::vector<actor> crowd;
    crowd.reserve(n);
    for (long i = 0; i < n; i++)
      crowd.push_back(system.spawn(idle));
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    for (auto& a : crowd)
      self->send_exit(a, exit_reason::user_shutdown);
  }
  return 0;
}
