// An order desk that tells its audit log of each order with anon_send (fire and forget: the log
// never answers, so the desk does not name itself as sender), and sends it a summary with
// send() at the end. argv[1] orders. Prints what the desk sent, as the program counts it.
#include <caf/all.hpp>

#include <cstdlib>
#include <iostream>

using namespace caf;

using order_atom = atom_constant<atom("order")>;
using noted_atom = atom_constant<atom("noted")>;
using summary_atom = atom_constant<atom("summary")>;
using close_atom = atom_constant<atom("close")>;

namespace shop::audit
{
behavior log(event_based_actor *self)
{
  return {[](noted_atom, int) {}, [=](summary_atom, int) { self->quit(); }};
}
} // namespace shop::audit

namespace shop::orders
{
behavior desk(stateful_actor<int> *self, actor log)
{
  return {[=](order_atom, int id) {
            anon_send(log, noted_atom::value, id);
            ++self->state;
          },
          [=](close_atom) {
            self->send(log, summary_atom::value, self->state);
            self->quit();
          }};
}
} // namespace shop::orders

int main(int argc, char **argv)
{
  int orders = argc > 1 ? std::atoi(argv[1]) : 100;
  actor_system_config cfg;
  {
    actor_system system{cfg};
    auto log = system.spawn(shop::audit::log);
    auto desk = system.spawn(shop::orders::desk, log);
    for (int i = 0; i < orders; i++)
      anon_send(desk, order_atom::value, i);
    anon_send(desk, close_atom::value);
  }
  std::cout << "desk sent " << orders + 1 << " (" << orders << " anonymous)" << std::endl;
  return 0;
}
