// Holds every spawning thread for 20 ms inside the tracer's spawn hook (between the record's
// creation and its publication), through the tracer's test pause point, while the collector
// snapshots every millisecond: the collector must never read an actor before its hook stored
// the object. Four workers each answer one "job"; prints the sum.
#include <caf/all.hpp>

#include <cstring>
#include <iostream>
#include <unistd.h>

using namespace caf;

using job_atom = atom_constant<atom("job")>;

extern "C" __attribute__((visibility("default"))) void actorscope_test_pause(const char *where)
{
  if (std::strcmp(where, "caf_spawn") == 0)
    usleep(20000);
}

behavior worker(event_based_actor *)
{
  return {[](job_atom, int n) { return n * 2; }};
}

int main()
{
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  int sum = 0;
  {
    actor_system system{cfg};
    scoped_actor self{system};
    for (int i = 1; i <= 4; i++) {
      auto w = system.spawn(worker);
      self->request(w, infinite, job_atom::value, i)
          .receive([&](int r) { sum += r; }, [](error &) {});
      anon_send_exit(w, exit_reason::user_shutdown);
    }
  }
  std::cout << "sum " << sum << std::endl;
  return 0;
}
