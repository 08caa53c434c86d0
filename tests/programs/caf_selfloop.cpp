// A class-based CAF actor that drives itself, as a retry or polling loop does: it sends itself
// argv[1] (default 20000) "tick" messages one after another from its own handler, while
// argv[2] (default 4) feeder actors on the other scheduler thread each send it argv[3]
// (default 500) "sample" messages at the same time. With argv[4] = HOLD_MS > 0 the feeders start
// only once its last tick runs, which then takes HOLD_MS: their messages all wait in its
// mailbox, behind none. Once it has both, it tells main, which prints "selfloop done" and
// exits 0.
#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

using namespace caf;

using tick_atom = atom_constant<atom("tick")>;
using sample_atom = atom_constant<atom("sample")>;
using done_atom = atom_constant<atom("done")>;
using ready_atom = atom_constant<atom("ready")>;

namespace acme::ingest::pipeline
{

class retry_scheduler : public event_based_actor
{
public:
  retry_scheduler(actor_config &cfg, long ticks, long samples, actor client, int hold_ms)
      : event_based_actor(cfg), ticks_(ticks), samples_(samples), client_(std::move(client)),
        hold_ms_(hold_ms)
  {
  }

  behavior make_behavior() override
  {
    send(this, tick_atom::value, ticks_);
    return {[=](tick_atom, long left) {
              ticks_seen_++;
              if (left > 1)
                send(this, tick_atom::value, left - 1);
              if (left == 1 && hold_ms_ > 0) {
                send(client_, ready_atom::value);
                std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms_));
              }
              finish_when_done();
            },
            [=](sample_atom, int) {
              samples_seen_++;
              finish_when_done();
            }};
  }

private:
  void finish_when_done()
  {
    if (ticks_seen_ == ticks_ && samples_seen_ == samples_) {
      send(client_, done_atom::value);
      quit();
    }
  }

  long ticks_, samples_, ticks_seen_ = 0, samples_seen_ = 0;
  actor client_;
  int hold_ms_;
};

} // namespace acme::ingest::pipeline

behavior feeder(event_based_actor *self, actor target, int count)
{
  for (int i = 0; i < count; i++)
    self->send(target, sample_atom::value, i);
  self->quit();
  return {};
}

int main(int argc, char **argv)
{
  long ticks = argc > 1 ? std::atol(argv[1]) : 20000;
  int feeders = argc > 2 ? std::atoi(argv[2]) : 4;
  int samples = argc > 3 ? std::atoi(argv[3]) : 500;
  int hold_ms = argc > 4 ? std::atoi(argv[4]) : 0;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  {
    actor_system system{cfg};
    scoped_actor self{system};
    auto loop = system.spawn<acme::ingest::pipeline::retry_scheduler>(
        ticks, (long)feeders * samples, actor{self}, hold_ms);
    if (hold_ms > 0)
      self->receive([](ready_atom) {});
    for (int i = 0; i < feeders; i++)
      system.spawn(feeder, loop, samples);
    self->receive([](done_atom) {});
  }
  std::printf("selfloop done\n");
  return 0;
}
