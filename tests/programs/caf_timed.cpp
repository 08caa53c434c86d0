// A function-based CAF actor handles argv[1] "fast" requests (no wait), argv[2] "slow" ones
// (each sleeps 100 ms), then one "stuck" that sleeps argv[3] ms in nanosleep called from
// stuck_in_nanosleep: handler times the tests know. Prints "timed done", exits 0.
#include <caf/all.hpp>

#include <cstdlib>
#include <ctime>
#include <iostream>

using namespace caf;

using fast_atom = atom_constant<atom("fast")>;
using slow_atom = atom_constant<atom("slow")>;
using stuck_atom = atom_constant<atom("stuck")>;

static int stuck_ms;

extern "C" __attribute__((noinline)) void stuck_in_nanosleep(int ms)
{
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
  __asm__ volatile("" ::: "memory"); // keeps this frame: no tail call
}

behavior timed_worker(event_based_actor *)
{
  return {[](fast_atom) { return 0; },
          [](slow_atom) {
            stuck_in_nanosleep(100);
            return 0;
          },
          [](stuck_atom) {
            stuck_in_nanosleep(stuck_ms);
            return 0;
          }};
}

int main(int argc, char **argv)
{
  int fast = argc > 1 ? std::atoi(argv[1]) : 10;
  int slow = argc > 2 ? std::atoi(argv[2]) : 3;
  stuck_ms = argc > 3 ? std::atoi(argv[3]) : 0;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  {
    actor_system system{cfg};
    auto w = system.spawn(timed_worker);
    scoped_actor self{system};
    auto ask = [&](auto atom) {
      self->request(w, infinite, atom).receive([](int) {}, [](error &) {});
    };
    for (int i = 0; i < fast; i++)
      ask(fast_atom::value);
    for (int i = 0; i < slow; i++)
      ask(slow_atom::value);
    if (stuck_ms > 0)
      ask(stuck_atom::value);
    self->send_exit(w, exit_reason::user_shutdown);
  }
  std::cout << "timed done" << std::endl;
  return 0;
}
