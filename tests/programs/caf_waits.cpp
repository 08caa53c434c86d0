// Waits between actors. argv[1] picks the scenario:
//   scoped   — a scoped actor requests a slow calculation and blocks in receive;
//   blocking — two blocking actors request each other and block (a deadlock);
//   await    — two event-based actors request each other with .await() (a deadlock).
// Requests time out after argv[2] ms so the program ends. Exit status 0.
#include <caf/all.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

using namespace caf;

using ask_atom = atom_constant<atom("ask")>;
using go_atom = atom_constant<atom("go")>;
using peer_atom = atom_constant<atom("peer")>;

static std::chrono::milliseconds timeout{1500};

behavior slow_calc(event_based_actor *)
{
  return {[](ask_atom, int n) {
    std::this_thread::sleep_for(timeout);
    return n + 1;
  }};
}

void blocking_peer(blocking_actor *self)
{
  actor peer;
  bool running = true;
  self->receive_while(running)(
      [&](peer_atom, actor p) { peer = p; },
      [&](go_atom) {
        self->request(peer, timeout, ask_atom::value, 1).receive([](int) {}, [](error &) {});
      },
      [&](ask_atom, int) -> int {
        self->request(peer, timeout, ask_atom::value, 2).receive([](int) {}, [](error &) {});
        return 0;
      },
      [&](exit_msg &) { running = false; });
}

behavior await_peer(event_based_actor *self)
{
  auto peer = std::make_shared<actor>();
  return {
      [=](peer_atom, actor p) { *peer = p; },
      [=](go_atom) {
        self->request(*peer, timeout, ask_atom::value, 1).await([](int) {}, [](error &) {});
      },
      // Answers only once its own request to the peer is answered: the peer, awaiting us,
      // never handles that request.
      [=](ask_atom, int) -> result<int> {
        auto promise = self->make_response_promise<int>();
        self->request(*peer, timeout, ask_atom::value, 2)
            .await([=](int n) mutable { promise.deliver(n); },
                   [=](error &err) mutable { promise.deliver(err); });
        return promise;
      },
  };
}

int main(int argc, char **argv)
{
  std::string scenario = argc > 1 ? argv[1] : "scoped";
  if (argc > 2)
    timeout = std::chrono::milliseconds(std::atoi(argv[2]));
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 4);
  actor_system system{cfg};
  if (scenario == "scoped") {
    auto calc = system.spawn(slow_calc);
    scoped_actor self{system};
    self->request(calc, std::chrono::seconds(30), ask_atom::value, 41)
        .receive([](int n) { std::cout << "answer " << n << std::endl; },
                 [](error &) { std::cout << "no answer" << std::endl; });
    self->send_exit(calc, exit_reason::user_shutdown);
  } else {
    auto left = scenario == "blocking" ? system.spawn(blocking_peer) : system.spawn(await_peer);
    auto right = scenario == "blocking" ? system.spawn(blocking_peer) : system.spawn(await_peer);
    anon_send(left, peer_atom::value, right);
    anon_send(right, peer_atom::value, left);
    anon_send(left, go_atom::value);
    std::this_thread::sleep_for(timeout * 2 + std::chrono::milliseconds(500));
    anon_send_exit(left, exit_reason::user_shutdown);
    anon_send_exit(right, exit_reason::user_shutdown);
    std::cout << scenario << " done" << std::endl;
  }
  return 0;
}
