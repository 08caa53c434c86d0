// A CAF stream: a source produces argv[1] integers, a stage keeps the even ones, a sink sums
// them. Stream batches travel as upstream/downstream messages, which CAF handles outside
// consume(). Prints the sum; exit status 0.
#include <caf/all.hpp>

#include <cstdlib>
#include <iostream>

using namespace caf;

using open_atom = atom_constant<atom("open")>;

static int total = 1000;

behavior int_source(event_based_actor *self)
{
  return {[=](open_atom) {
    return attach_stream_source(
        self, [](int &x) { x = 0; },
        [](int &x, downstream<int> &out, size_t num) {
          for (size_t i = 0; i < num && x < total; i++)
            out.push(x++);
        },
        [](const int &x) { return x == total; });
  }};
}

behavior int_selector(event_based_actor *self)
{
  return {[=](stream<int> in) {
    return attach_stream_stage(
        self, in, [](unit_t &) {},
        [](unit_t &, downstream<int> &out, int x) {
          if (x % 2 == 0)
            out.push(x);
        },
        [](unit_t &, const error &) {});
  }};
}

behavior int_sink(event_based_actor *self)
{
  return {[=](stream<int> in) {
    return attach_stream_sink(
        self, in, [](long &) {}, [](long &sum, int x) { sum += x; },
        [](long &sum, const error &err) {
          if (!err)
            std::cout << "sum " << sum << std::endl;
        });
  }};
}

int main(int argc, char **argv)
{
  if (argc > 1)
    total = std::atoi(argv[1]);
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  actor_system system{cfg};
  auto pipeline = system.spawn(int_sink) * system.spawn(int_selector) * system.spawn(int_source);
  anon_send(pipeline, open_atom::value);
  return 0;
}
