// An actor that sends itself argv[1] messages, one after another: the mailbox never empties
// long enough to sleep, so this measures the per-message cost with no wake-ups.
#include <caf/all.hpp>

#include <cstdlib>

using namespace caf;

using tick_atom = atom_constant<atom("tick")>;

behavior self_sender(event_based_actor *self, long total)
{
  self->send(self, tick_atom::value, total);
  return {[=](tick_atom, long left) {
    if (left <= 1)
      self->quit();
    else
      self->send(self, tick_atom::value, left - 1);
  }};
}

int main(int argc, char **argv)
{
  long total = argc > 1 ? std::atol(argv[1]) : 2000000;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  actor_system system{cfg};
  system.spawn(self_sender, total);
  return 0;
}
