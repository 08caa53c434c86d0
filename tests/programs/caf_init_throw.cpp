// An actor whose initial behaviour throws before it handles any message, one that throws in a
// handler, and a well-behaved one. CAF's default handler reports both exceptions (its lines
// may come in either order). A fourth sets its own exception handler, then its initial
// behaviour throws: its handler ends it with user_shutdown, silently. Exit status 0.
#include <caf/all.hpp>

#include <stdexcept>

using namespace caf;

behavior broken_at_start(event_based_actor *) { throw std::runtime_error("cannot start"); }

behavior handled_at_start(event_based_actor *self)
{
  self->set_exception_handler(
      [](scheduled_actor *, std::exception_ptr &) -> error { return exit_reason::user_shutdown; });
  throw std::runtime_error("cannot start either");
}

using boom_atom = atom_constant<atom("boom")>;

behavior throws_in_handler(event_based_actor *)
{
  return {[](boom_atom) { throw std::runtime_error("boom"); }};
}

behavior steady(event_based_actor *self)
{
  self->quit();
  return {};
}

int main()
{
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  actor_system system{cfg};
  system.spawn(broken_at_start);
  anon_send(system.spawn(throws_in_handler), boom_atom::value);
  system.spawn(steady);
  system.spawn(handled_at_start);
  return 0;
}
