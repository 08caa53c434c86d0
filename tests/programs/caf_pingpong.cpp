// Ping-pong between two function-based CAF actors: argv[1] "ping"s, each answered by a
// "pong". Prints the count and exits 6 so tests can see the status pass through.
#include <caf/all.hpp>

#include <cstdlib>
#include <iostream>

using namespace caf;

using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;

behavior pong(event_based_actor *)
{
  return {[](ping_atom, int n) { return std::make_tuple(pong_atom::value, n); }};
}

behavior ping(event_based_actor *self, actor buddy, int rounds)
{
  self->send(buddy, ping_atom::value, rounds);
  return {[=](pong_atom, int n) {
    if (n <= 1) {
      std::cout << "rounds=" << rounds << std::endl;
      self->send_exit(buddy, exit_reason::user_shutdown);
      self->quit();
      return;
    }
    self->send(buddy, ping_atom::value, n - 1);
  }};
}

int main(int argc, char **argv)
{
  int rounds = argc > 1 ? std::atoi(argv[1]) : 1000;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  {
    actor_system system{cfg};
    auto p = system.spawn(pong);
    system.spawn(ping, p, rounds);
  }
  return 6;
}
