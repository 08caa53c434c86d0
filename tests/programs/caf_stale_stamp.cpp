// Sends to an actor that already quit, then a message that reuses their memory: CAF frees a
// message it could not deliver at once, and the sender's next one of the same size gets the
// same address. Run with ACTORSCOPE_MAILBOX_WAIT_EVERY=4. Main sends the worker 5 messages
// (numbers 0-4, timed: the first four and 4), which it takes at once; then 4 messages to an
// actor that quit (timed, the last stamp left behind); waits 500 ms and sends the worker 4
// more (5-8: 5, 6 and 7 untimed, 8 timed), the first of them at the dead actor's messages'
// address. While 8 is queued, the worker looks 5, 6 and 7 up. Every wait is well under 200 ms;
// one borrowed from the dead actor's stamp would read 500. Prints "stale done". Exit status 0.
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
    if (++*handled == 9) {
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
    for (int i = 0; i <= 4; i++)
      self->send(worker, work_atom::value, i);
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // doomed quits, worker takes 0-4
    for (int i = 1; i <= 4; i++)
      self->send(doomed, work_atom::value, i);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    for (int i = 5; i <= 8; i++)
      self->send(worker, work_atom::value, i);
    self->receive([](done_atom) {});
  }
  std::printf("stale done\n");
  return 0;
}
