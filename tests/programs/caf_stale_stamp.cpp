// Sends to an actor that already quit, then a message that reuses their memory: CAF frees a
// message it could not deliver at once, and the sender's next one of the same size gets the
// same address. The worker starts a 600 ms handler at its first message; main then sends 4
// messages to an actor that quit (the 4th is the dead actor's 5th: timed by default), waits
// 500 ms and sends the worker 4 more (its 2nd to 5th: the 5th timed). The worker takes them
// about 100 ms later. Prints "stale done". Exit status 0.
#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

using namespace caf;

using work_atom = atom_constant<atom("work")>;
using done_atom = atom_constant<atom("done")>;

behavior quits_at_once(event_based_actor *self)
{
  return {[=](work_atom, int) { self->quit(); }};
}

behavior steady_worker(event_based_actor *self, actor client)
{
  auto handled = std::make_shared<int>(0);
  return {[=](work_atom, int) {
    if (++*handled == 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
    if (*handled == 5) {
      self->send(client, done_atom::value);
      self->quit();
    }
  }};
}

int main()
{
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  {
    actor_system system{cfg};
    scoped_actor self{system};
    auto doomed = system.spawn(quits_at_once);
    auto worker = system.spawn(steady_worker, actor{self});
    self->send(doomed, work_atom::value, 0);
    self->send(worker, work_atom::value, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // doomed quits
    for (int i = 1; i <= 4; i++)
      self->send(doomed, work_atom::value, i);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    for (int i = 1; i <= 4; i++)
      self->send(worker, work_atom::value, i);
    self->receive([](done_atom) {});
  }
  std::printf("stale done\n");
  return 0;
}
