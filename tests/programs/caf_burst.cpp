// A burst of argv[1] (default 10) messages to a CAF actor whose handler takes argv[2] ms
// (default 10): the k-th message waits about k handlers in the mailbox. The worker notes when
// it began each one, main when it sent each one, and prints the waits (ns) it saw,
// "waits_ns W0 W1 ...", how long the sends took, "span_ns S", then "burst done". The worker
// quits after the burst. Exit status 0.
#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>

using namespace caf;

using work_atom = atom_constant<atom("work")>;
using done_atom = atom_constant<atom("done")>;

namespace
{

constexpr int burst_max = 64;
int burst = 10, handler_ms = 10;
int64_t sent_at[burst_max], began_at[burst_max];

int64_t now_ns()
{
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

behavior burst_worker(event_based_actor *self, actor client)
{
  auto handled = std::make_shared<int>(0);
  return {[=](work_atom, int i) {
    began_at[i] = now_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(handler_ms));
    if (++*handled == burst) {
      self->send(client, done_atom::value);
      self->quit();
    }
  }};
}

int main(int argc, char **argv)
{
  if (argc > 1)
    burst = std::atoi(argv[1]);
  if (argc > 2)
    handler_ms = std::atoi(argv[2]);
  if (burst < 1 || burst > burst_max)
    return 2;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  {
    actor_system system{cfg};
    scoped_actor self{system};
    auto worker = system.spawn(burst_worker, actor{self});
    for (int i = 0; i < burst; i++) {
      sent_at[i] = now_ns();
      self->send(worker, work_atom::value, i);
    }
    self->receive([](done_atom) {});
  }
  std::printf("waits_ns");
  for (int i = 0; i < burst; i++)
    std::printf(" %lld", (long long)(began_at[i] - sent_at[i]));
  std::printf("\nspan_ns %lld\nburst done\n", (long long)(sent_at[burst - 1] - sent_at[0]));
  return 0;
}
