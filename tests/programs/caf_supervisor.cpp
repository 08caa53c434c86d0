// A class-based supervisor spawns linked and monitored workers of several kinds (function-based,
// typed, stateful); one linked worker throws. The supervisor traps the exit and the down
// message, then quits with user_shutdown. Exit status 7.
#include <caf/all.hpp>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>
#include <stdexcept>

using namespace caf;

using work_atom = atom_constant<atom("work")>;
using crash_atom = atom_constant<atom("crash")>;
using done_atom = atom_constant<atom("done")>;

behavior worker(event_based_actor *self)
{
  // As CAF's default handler, but silent: its message would race the supervisor's output.
  self->set_exception_handler([](std::exception_ptr &) -> error { return sec::runtime_error; });
  return {
      [](work_atom, int n) { return n * 2; },
      [](crash_atom) -> int { throw std::runtime_error("worker crashed on purpose"); },
  };
}

using adder = typed_actor<replies_to<int, int>::with<int>>;

adder::behavior_type typed_adder(adder::pointer)
{
  return {[](int a, int b) { return a + b; }};
}

struct tally_state {
  int total = 0;
};

behavior tally(stateful_actor<tally_state> *self)
{
  return {[=](work_atom, int n) {
    self->state.total += n;
    return self->state.total;
  }};
}

class supervisor : public event_based_actor
{
public:
  explicit supervisor(actor_config &cfg) : event_based_actor(cfg)
  {
    set_exit_handler([this](exit_msg &msg) {
      exits_++;
      log_.push_back("exit trapped: " + to_string(msg.reason));
      maybe_finish();
    });
    set_down_handler([this](down_msg &msg) {
      downs_++;
      log_.push_back("down: " + to_string(msg.reason));
      maybe_finish();
    });
  }

  behavior make_behavior() override
  {
    auto crasher = spawn<linked>(worker);
    auto steady = spawn<linked>(worker);
    auto typed = spawn<monitored>(typed_adder);
    auto counter = spawn(tally);
    send(steady, work_atom::value, 21);
    send(counter, work_atom::value, 5);
    send(typed, 2, 3);
    delayed_send(crasher, std::chrono::milliseconds(300), crash_atom::value);
    typed_ = actor_cast<actor>(typed);
    steady_ = steady;
    counter_ = counter;
    return {
        [this](int result) {
          results_++;
          log_.push_back("result " + std::to_string(result));
          maybe_finish();
        },
    };
  }

private:
  void maybe_finish()
  {
    if (exits_ == 1 && results_ == 3 && !finishing_) {
      finishing_ = true;
      send_exit(typed_, exit_reason::kill);
      send_exit(steady_, exit_reason::user_shutdown);
      send_exit(counter_, exit_reason::user_shutdown);
    }
    if (finishing_ && downs_ == 1) {
      // Messages from different workers arrive in any order: print them sorted.
      std::sort(log_.begin(), log_.end());
      for (auto &line : log_)
        std::cout << line << std::endl;
      quit(exit_reason::user_shutdown);
    }
  }

  std::vector<std::string> log_;
  actor typed_, steady_, counter_;
  int exits_ = 0, downs_ = 0, results_ = 0;
  bool finishing_ = false;
};

int main()
{
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  {
    actor_system system{cfg};
    system.spawn<supervisor>();
  }
  return 7;
}
