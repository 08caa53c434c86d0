// Actor populations: "spawn N" spawns N short-lived actors one after another (each answers one
// message and quits); "wide N MS" keeps N idle actors alive for MS milliseconds.
#include <caf/all.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace caf;

using work_atom = atom_constant<atom("work")>;

behavior short_lived(event_based_actor* self)
{
  return {[=](work_atom) {
    self->quit();
    return 1;
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
    for (long i = 0; i < n; i++) {
      auto a = system.spawn(short_lived);
      self->request(a, std::chrono::seconds(10), work_atom::value).receive([](int) {}, [](error&) {});
    }
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
