// CAF handlers that block the way real code blocks, once, for argv[2] ms:
//   receive  a blocking actor's handler waits in a nested receive that times out
//   mutex    an event-based actor's handler waits for a std::mutex the main thread holds
// Prints what the call returned and how long it took, then "blocking done"; exits 0.
#include <caf/all.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

using namespace caf;

using go_atom = atom_constant<atom("go")>;

static int block_ms;
static std::mutex shared;

static long long ms_since(std::chrono::steady_clock::time_point start)
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

void patient_waiter(blocking_actor *self)
{
  self->receive([=](go_atom) -> int {
    auto start = std::chrono::steady_clock::now();
    bool timed_out = false;
    self->receive([](int) {},
                  after(std::chrono::milliseconds(block_ms)) >> [&] { timed_out = true; });
    std::cout << "receive took " << ms_since(start) << " ms: timed_out=" << timed_out << std::endl;
    return 1;
  });
}

behavior mutex_locker(event_based_actor *)
{
  return {[](go_atom) -> int {
    auto start = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> held(shared);
    std::cout << "mutex took " << ms_since(start) << " ms" << std::endl;
    return 2;
  }};
}

int main(int argc, char **argv)
{
  const char *scenario = argc > 1 ? argv[1] : "receive";
  block_ms = argc > 2 ? std::atoi(argv[2]) : 1500;
  actor_system_config cfg;
  actor_system system{cfg};
  bool locking = std::strcmp(scenario, "mutex") == 0;
  std::unique_lock<std::mutex> hold(shared, std::defer_lock);
  actor worker = locking ? system.spawn(mutex_locker) : system.spawn(patient_waiter);
  if (locking)
    hold.lock();
  scoped_actor self{system};
  self->send(worker, go_atom::value);
  if (locking) {
    std::this_thread::sleep_for(std::chrono::milliseconds(block_ms));
    hold.unlock();
  }
  self->receive([](int answer) { std::cout << "answer " << answer << std::endl; },
                [](error &) { std::cout << "error" << std::endl; });
  anon_send_exit(worker, exit_reason::user_shutdown);
  std::cout << "blocking done" << std::endl;
  return 0;
}
