// Actor kinds beyond plain event-based ones: an actor pool, a splitter and a sequencer
// (decorators), and a second actor system whose ids restart at 1. Exit status 0.
#include <caf/all.hpp>

#include <chrono>
#include <iostream>

using namespace caf;

using job_atom = atom_constant<atom("job")>;

behavior pool_worker(event_based_actor *)
{
  return {[](job_atom, int n) { return n; }};
}

behavior doubler(event_based_actor *)
{
  return {[](int n) { return n * 2; }};
}

behavior incrementer(event_based_actor *)
{
  return {[](int n) { return n + 1; }};
}

behavior twin(event_based_actor *)
{
  return {[](int n) { return n; }};
}

int main()
{
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  actor_system system{cfg};
  scoped_actor self{system};

  auto pool = actor_pool::make(
      system.dummy_execution_unit(), 3, [&] { return system.spawn(pool_worker); },
      actor_pool::round_robin());
  int sum = 0;
  for (int i = 1; i <= 30; i++)
    self->request(pool, std::chrono::seconds(5), job_atom::value, i)
        .receive([&](int n) { sum += n; }, [](error &) {});
  std::cout << "pool sum " << sum << std::endl;

  auto dbl = system.spawn(doubler);
  auto inc = system.spawn(incrementer);
  auto both = splice(dbl, inc);
  self->request(both, std::chrono::seconds(5), 10)
      .receive([](int a, int b) { std::cout << "splitter " << a << " " << b << std::endl; },
               [](error &) { std::cout << "splitter failed" << std::endl; });
  auto chain = dbl * inc; // inc first, then dbl
  self->request(chain, std::chrono::seconds(5), 10)
      .receive([](int n) { std::cout << "sequencer " << n << std::endl; },
               [](error &) { std::cout << "sequencer failed" << std::endl; });

  auto first = system.spawn(twin);
  actor_system_config cfg2;
  cfg2.set("scheduler.max-threads", 1);
  {
    actor_system other{cfg2};
    auto second = other.spawn(twin);
    scoped_actor other_self{other};
    other_self->request(second, std::chrono::seconds(5), 7).receive([](int) {}, [](error &) {});
    other_self->send_exit(second, exit_reason::user_shutdown);
  }
  self->request(first, std::chrono::seconds(5), 7).receive([](int) {}, [](error &) {});
  for (auto &a : {first, dbl, inc})
    self->send_exit(a, exit_reason::user_shutdown);
  self->send_exit(pool, exit_reason::user_shutdown);
  return 0;
}
