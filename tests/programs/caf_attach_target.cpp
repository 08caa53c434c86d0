// A CAF program to attach to while it runs: a pinger sends a ping to a ponger, which answers,
// every 2 ms, ROUNDS times; a watcher waits for a message that comes only at the end (an actor
// the tracer cannot see until then, which CAF counts as running all along); main sleeps
// meanwhile (a thread in clock_nanosleep, outside CAF, for attach to borrow). Prints how many
// pongs came back. With "churn", every tick also spawns a worker that takes one message and
// quits: actors made and destroyed all along, also while a tracer is detached (their objects
// freed, their addresses reused). With "asleep", main waits in one long sleep instead (as a
// daemon's main thread does): a first attach interrupts it and the kernel resumes it with
// restart_syscall, where a second attach must find it again. With "busy", a spinner actor sends
// itself a message after every one it takes, as fast as it can, until the pongs are in: its
// mailbox never holds more than one.
//
//   caf_attach_target ROUNDS [churn|asleep|busy]
#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

using namespace caf;

using ping_atom = atom_constant<atom("ping")>;
using tick_atom = atom_constant<atom("tick")>;
using work_atom = atom_constant<atom("work")>;

class worker : public event_based_actor
{
public:
  explicit worker(actor_config &cfg) : event_based_actor(cfg) {}
  behavior make_behavior() override
  {
    return {[this](work_atom) { quit(); }};
  }
};

static std::atomic<int> pongs{0};
static std::atomic<bool> pongs_in{false};

class spinner : public event_based_actor
{
public:
  explicit spinner(actor_config &cfg) : event_based_actor(cfg) {}
  behavior make_behavior() override
  {
    send(this, tick_atom::value);
    return {[this](tick_atom) {
      if (pongs_in.load())
        quit();
      else
        send(this, tick_atom::value);
    }};
  }
};

class ponger : public event_based_actor
{
public:
  explicit ponger(actor_config &cfg) : event_based_actor(cfg) {}
  behavior make_behavior() override
  {
    return {[](ping_atom, int n) { return n; }};
  }
};

class watcher : public event_based_actor
{
public:
  explicit watcher(actor_config &cfg) : event_based_actor(cfg) {}
  behavior make_behavior() override
  {
    return {[](tick_atom) {}};
  }
};

class pinger : public event_based_actor
{
public:
  pinger(actor_config &cfg, actor peer, int rounds, bool churn)
      : event_based_actor(cfg), peer_(std::move(peer)), rounds_(rounds), churn_(churn)
  {
  }
  behavior make_behavior() override
  {
    send(this, tick_atom::value);
    return {[this](tick_atom) {
      if (sent_++ == rounds_) {
        quit();
        return;
      }
      request(peer_, std::chrono::seconds(10), ping_atom::value, sent_).then([](int) { ++pongs; });
      if (churn_)
        send(spawn<worker>(), work_atom::value);
      delayed_send(this, std::chrono::milliseconds(2), tick_atom::value);
    }};
  }

private:
  actor peer_;
  int rounds_;
  bool churn_;
  int sent_ = 0;
};

int main(int argc, char **argv)
{
  int rounds = argc > 1 ? std::atoi(argv[1]) : 1000;
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  actor_system system{cfg};
  auto pong = system.spawn<ponger>();
  bool churn = argc > 2 && std::string(argv[2]) == "churn";
  auto ping = system.spawn<pinger>(pong, rounds, churn);
  auto watch = system.spawn<watcher>();
  std::string mode = argc > 2 ? argv[2] : "";
  if (mode == "busy")
    system.spawn<spinner>();
  std::fprintf(stderr, "ready\n");
  if (mode == "asleep")
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * rounds + 2000));
  while (pongs.load() < rounds)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  pongs_in.store(true);
  anon_send_exit(pong, exit_reason::user_shutdown);
  anon_send_exit(watch, exit_reason::user_shutdown);
  system.await_all_actors_done();
  std::printf("pongs=%d\n", pongs.load());
  return 0;
}
